"""The installation: one row naming this database among all onevisit databases, made at `onevisit init`."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from schemas.types import UTCDateTime


class Installation(SQLModel, table=True):
    __tablename__ = "installation"

    id: int = Field(default=1, primary_key=True)  # one row
    installation_id: str = Field(max_length=32, unique=True)  # 32 hex characters: tags flow runs, names exports
    test_clock: bool = False  # ONEVISIT_NOW is honoured only on a database made with `init --test-clock`
    created_at: datetime = Field(sa_type=UTCDateTime)
