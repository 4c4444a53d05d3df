"""Reports leaders read (天调度, 周通报, 月报): what one report holds, and the record that a period's report was issued."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from approvals.deadlines import Light
from approvals.reports import ReportKind
from approvals.review import CaseStatus
from schemas.types import RuleEnum, UTCDateTime


class ReportIssue(SQLModel, table=True):
    """A scheduled report written for a period: one row per (kind, period, scope), so a second run writes nothing."""

    __tablename__ = "report_issue"
    __table_args__ = (UniqueConstraint("kind", "period_start", "scope"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: ReportKind = Field(sa_type=RuleEnum(ReportKind))  # daily | weekly | monthly
    period_start: date
    period_end: date
    scope: str  # "" for the hall, else an agency code
    digest: str = Field(max_length=64)  # SHA-256 of the report's JSON
    files: list[str] = Field(sa_type=JSON)
    flow_run_id: str | None = None
    issued_at: datetime = Field(sa_type=UTCDateTime)


class Counts(BaseModel):
    """Cases (the hall) or review tasks (an agency) in the period."""

    received: int = 0
    accepted: int = 0
    issued: int = 0  # an agency: tasks approved
    denied: int = 0
    returned: int = 0  # the hall: 退件; an agency: tasks cancelled (the case returned, refused or withdrawn)
    refused: int = 0  # the hall: 不予受理
    withdrawn: int = 0  # the hall: 撤回 (or a correction never answered)
    decided: int = 0  # finished with a due date to measure against
    on_time: int = 0
    on_time_rate: float | None = None  # on_time / decided, None when nothing was decided


class AgencyFigures(BaseModel):
    agency: str
    name: str
    counts: Counts
    open_by_light: dict[str, int]  # green, yellow, red, stopped, unknown
    average_ratio: float | None = None  # working days used / promised, averaged over decided tasks


class MatterFigures(BaseModel):
    matter: str
    name: str
    agency: str
    promised_days: int | None
    decided: int
    average_days: float
    p90_days: int
    over_limit: int  # decided after more working days than the task's promised limit


class CaseLine(BaseModel):
    case_no: str
    bundle: str
    applicant: str
    status: CaseStatus
    reason: str


class LedgerLine(BaseModel):
    id: int
    kind: str
    agency: str
    title: str
    status: str
    due: date
    light: Light | None
    assigned_to: str
    escalated_to: str | None
    leader: str | None


class LedgerFigures(BaseModel):
    opened: int
    escalated: int
    closed: int
    by_agency: dict[str, dict[str, int]]  # agency -> opened, escalated, closed, open
    open_items: list[LedgerLine]


class ProjectLine(BaseModel):
    code: str
    name: str
    leader: str
    leader_name: str
    team: str
    plan: str
    cases: int
    issued: int
    in_review: int
    open_tasks: int
    red_tasks: int
    progress: float  # finished cases / cases


class RankLine(BaseModel):
    rank: int
    agency: str
    name: str
    on_time_rate: float
    average_ratio: float | None
    decided: int
    last_place: bool  # 末位: interviewed (约谈)


class Report(BaseModel):
    kind: ReportKind
    title: str
    period_start: date
    period_end: date
    scope: str | None  # an agency code, None for the whole hall
    hall: Counts
    agencies: list[AgencyFigures]
    matters: list[MatterFigures]
    cases_per_day: dict[str, int]  # received per day of the period
    open_by_light: dict[str, int]
    overdue: list[CaseLine]
    stalled: list[CaseLine]
    ledger: LedgerFigures
    projects: list[ProjectLine]
    ratings: list[dict] | None  # 好差评 per agency (services.queries.ratings); None: no ratings module
    ranking: list[RankLine]
