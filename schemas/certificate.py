"""Certificates (证照): issued together for a case, at most one per review task."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from schemas.types import UTCDateTime


class Certificate(SQLModel, table=True):
    __tablename__ = "certificate"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=64, unique=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    task_id: int = Field(foreign_key="review_task.id", unique=True)  # never two for one decision
    matter: str
    agency: str
    status: str  # issued | revoked
    issued_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = None
    revoke_reason: str | None = None
