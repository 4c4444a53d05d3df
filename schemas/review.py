"""Review tasks: one per matter of a case, owned by the matter's agency (并联审批)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from approvals.deadlines import Light, StopKind
from approvals.review import Action, TaskStatus
from schemas.types import RuleEnum, UTCDateTime


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
    status: TaskStatus = Field(sa_type=RuleEnum(TaskStatus), index=True)
    promised_days: int
    statutory_days: int
    started_on: date | None = None  # the clock's start; the day itself does not count
    due_date: date | None = None
    due_note: str | None = None  # why there is no due date (a year with no announced calendar)
    light: Light | None = Field(default=None, sa_type=RuleEnum(Light))  # as last swept; None while not running (waiting, stopped, decided)
    supplement_days: int = 0  # working days stopped for the applicant (closed stops)
    special_days: int = 0  # working days in special procedures (closed stops)
    stopped: StopKind | None = Field(default=None, sa_type=RuleEnum(StopKind))  # the open stop's kind: supplement | special
    stopped_on: date | None = None
    assignee: str | None = None
    requested_materials: list[str] = Field(sa_type=JSON)
    reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    remote_ticket: str | None = Field(default=None, max_length=200)  # the agency system's id for this review
    remote_incident: str | None = None  # polling for the decision failed for good: why (reopen clears it)
    step: int = 0  # sign-off steps (初审 → 审核 → 签发) signed so far; the decision is the last one
    extended_days: int = 0  # 延期: working days added to both limits by an approved extension
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SignOff(SQLModel, table=True):
    """One signed step of a task's sign-off chain (初审, 审核, ...): who signed it, and when."""

    __tablename__ = "sign_off"
    __table_args__ = (UniqueConstraint("task_id", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="review_task.id", index=True)
    case_id: int = Field(foreign_key="case_file.id")
    step: int  # 0 for the first step
    name: str  # the step's name in the catalog (初审)
    operator: str
    action: Action = Field(sa_type=RuleEnum(Action))  # approve | deny
    signed_at: datetime = Field(sa_type=UTCDateTime)


class Extension(SQLModel, table=True):
    """延期: a task's statutory extension, asked by its reviewer and approved by a supervisor or the
    agency's head; once per task (a unique task)."""

    __tablename__ = "extension"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="review_task.id", unique=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    days: int
    reason: str
    status: str = Field(index=True)  # requested | approved | refused
    requested_by: str
    requested_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    note: str | None = None  # why it was refused
