"""Review tasks: one per matter of a case, owned by the matter's agency (并联审批)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from schemas.types import UTCDateTime


class ReviewTask(SQLModel, table=True):
    __tablename__ = "review_task"
    __table_args__ = (UniqueConstraint("case_id", "matter"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    matter: str
    agency: str = Field(index=True)
    optional: bool = False
    depends_on: list[str] = Field(sa_type=JSON)
    status: str = Field(index=True)
    promised_days: int
    statutory_days: int
    started_on: date | None = None  # the clock's start; the day itself does not count
    due_date: date | None = None
    requested_materials: list[str] = Field(sa_type=JSON)
    reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
