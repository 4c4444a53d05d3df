"""SQLModel tables and the pydantic models that cross onevisit's boundaries, one module per entity.

`schemas.tables` gathers every table (for Alembic); `schemas.views` is what read commands return,
and imports no ORM.
"""
