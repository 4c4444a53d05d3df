"""The suspension ledger: every stop of a review clock (补齐补正, 特别程序), when and why."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from approvals.deadlines import StopKind
from schemas.types import RuleEnum, UTCDateTime


class ClockStop(SQLModel, table=True):
    __tablename__ = "clock_stop"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="review_task.id", index=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    kind: StopKind = Field(sa_type=RuleEnum(StopKind))  # supplement | special
    reason: str
    started_at: datetime = Field(sa_type=UTCDateTime)
    started_on: date
    started_by: str
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_on: date | None = None
    ended_by: str | None = None
    working_days: int | None = None  # working days stopped, once ended
