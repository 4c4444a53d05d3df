"""Review tasks: one per matter of a case, owned by the matter's agency (并联审批)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from schemas.types import UTCDateTime


class ReviewTask(SQLModel, table=True):
    __tablename__ = "review_task"
    __table_args__ = (
        UniqueConstraint("case_id", "matter"),
        Index("ix_review_task_light_due", "light", "due_date"),  # the sweep selects by these alone
    )

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
    due_note: str | None = None  # why there is no due date (a year with no announced calendar)
    light: str | None = None  # as last swept; None while not running (waiting, stopped, decided)
    supplement_days: int = 0  # working days stopped for the applicant (closed stops)
    special_days: int = 0  # working days in special procedures (closed stops)
    stopped: str | None = None  # the open stop's kind: supplement | special
    stopped_on: date | None = None
    assignee: str | None = None
    requested_materials: list[str] = Field(sa_type=JSON)
    reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    remote_ticket: str | None = Field(default=None, max_length=200)  # the agency system's id for this review
    remote_incident: str | None = None  # polling for the decision failed for good: why (reopen clears it)
    updated_at: datetime = Field(sa_type=UTCDateTime)
