"""Materials pulled from a data-sharing service (数据共享交换) instead of asked of the applicant."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from schemas.types import UTCDateTime


class SharedMaterial(SQLModel, table=True):
    """One material of a case held by another agency: its reference and digest once fetched."""

    __tablename__ = "shared_material"
    __table_args__ = (UniqueConstraint("case_id", "material"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    material: str
    source: str  # the data-sharing service, as the catalog names it
    status: str  # pending | fetched
    reference: str | None = None  # the holder's document id
    digest: str | None = Field(default=None, max_length=64)  # sha256 of the document as fetched
    requested_at: datetime = Field(sa_type=UTCDateTime)
    fetched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
