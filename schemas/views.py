"""What the read commands return (`show`, `tasks`, `cases`, `runs`): plain pydantic, no ORM.

Kept apart from the tables so that reading a case imports neither SQLModel nor SQLAlchemy.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, model_serializer

from approvals.commitments import CommitmentKind, CommitmentStatus
from approvals.deadlines import Light, StopKind
from approvals.review import Action, CaseStatus, TaskStatus


class ReviewPublic(BaseModel):
    task_id: int
    matter: str
    agency: str
    status: TaskStatus
    optional: bool
    depends_on: list[str]
    due_date: date | None
    light: Light | None
    due_note: str | None = None  # why there is no due date
    clock: str | None = None  # running | stopped:supplement | stopped:special; None when not running
    assignee: str | None = None
    requested_materials: list[str]
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    remote_ticket: str | None = None  # the agency's own system's id for this review
    incident: str | None = None  # polling its decision failed for good: why
    sign_offs: list[SignOffPublic] = []  # the steps of its sign-off chain signed so far (初审, 审核, ...)
    next_step: str | None = None  # the chain's step to sign next, while the task is open
    extension: ExtensionPublic | None = None  # 延期: asked, approved or refused


class SignOffPublic(BaseModel):
    step: int  # 1 for the first
    name: str
    operator: str
    action: Action
    signed_at: datetime


class ExtensionPublic(BaseModel):
    days: int
    reason: str
    status: str  # requested | approved | refused
    requested_by: str
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None


class SharedMaterialPublic(BaseModel):
    """A material pulled from a data-sharing service (数据共享) instead of asked of the applicant."""

    material: str
    source: str
    status: str  # pending | fetched
    reference: str | None
    digest: str | None
    fetched_at: datetime | None


class CertificatePublic(BaseModel):
    number: str
    matter: str
    status: str
    issued_at: datetime
    delivered_at: datetime | None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None


class CommitmentPublic(BaseModel):
    """A promise (承诺书): `materials` for a 容缺 promise, `matter` for a 告知承诺 (and `materials` when it
    stands in for some)."""

    id: int
    kind: CommitmentKind
    materials: list[str] | None = None
    matter: str | None = None
    due_date: date | None
    status: CommitmentStatus
    signed_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None

    @model_serializer(mode="wrap")
    def _one_of_materials_or_matter(self, handler):
        data = handler(self)
        if self.kind == "deficiency":
            data.pop("matter", None)
        elif not self.materials:
            data.pop("materials", None)
        return data


class SuspensionPublic(BaseModel):
    """One stop of a task's clock (补齐补正 or 特别程序)."""

    task_id: int
    kind: StopKind
    reason: str
    started_at: datetime
    ended_at: datetime | None
    working_days: int | None


class EventPublic(BaseModel):
    at: datetime
    kind: str
    actor: str
    detail: str
    flow_run_id: str | None


class CasePublic(BaseModel):
    case_no: str
    status: CaseStatus
    bundle: str
    bundle_name: str
    channel: str
    applicant: str
    uscc: str
    legal_representative: str
    legal_representative_id: str  # masked unless an administrator asks --unmasked
    legal_representative_phone: str | None = None  # masked likewise
    agent: str | None = None  # 帮代办: the agent who filed and follows the case
    key_project: bool
    leader: str | None = None  # a key project's responsible leader
    submitted_at: datetime
    accepted_at: datetime | None
    due_date: date | None
    due_note: str | None = None
    light: Light | None
    missing: list[str]
    reviews: list[ReviewPublic]
    commitments: list[CommitmentPublic] = []
    certificates: list[CertificatePublic]
    suspensions: list[SuspensionPublic] = []
    shared_materials: list[SharedMaterialPublic] = []
    single_matter: bool = False  # 事项单办: `bundle` is the one matter applied for
    end_reason: str | None = None  # refused (不予受理) or withdrawn (撤回): why
    delivery_mode: str = "pickup"  # 出件: pickup | post | electronic
    delivery_address: str | None = None
    visits: int = 0  # times the applicant came to the hall for this case
    collected_at: datetime | None = None  # results picked up at the window
    events: list[EventPublic]


class CaseSummary(BaseModel):
    case_no: str
    status: CaseStatus
    bundle: str
    applicant: str
    uscc: str
    submitted_at: datetime
    due_date: date | None
    light: Light | None
    open_tasks: int
    certificates: int
    reason: str | None = None  # with --stalled or --overdue: why the case is listed
    agent: str | None = None
    key_project: bool = False
    delivery_mode: str = "pickup"  # how the results reach the applicant: over the counter, by post...
    collected_at: datetime | None = None  # handed over at the window (出件)


class TaskRow(BaseModel):
    """A line of an agency's work queue (`onevisit tasks`)."""

    task_id: int
    case_no: str
    matter: str
    agency: str
    status: TaskStatus
    due_date: date | None
    light: Light | None
    key_project: bool
    due_note: str | None = None
    clock: str | None = None
    assignee: str | None = None
    applicant: str | None = None  # the case's applicant, as the queue shows it


class RunRow(BaseModel):
    id: str
    flow: str
    name: str
    state: str
    started_at: datetime
    ended_at: datetime | None


class LedgerRow(BaseModel):
    """A supervision ledger item: assigned (交办), supervised (督查), closed (销号)."""

    id: int
    case_no: str | None  # None: entered by hand about no case
    task_id: int | None  # None: a rectification's item, or one entered by hand
    matter: str | None
    title: str | None  # a hand-entered item's text
    agency: str
    missed_due: date  # a hand-entered item's due date
    light: Light | None  # a hand-entered item's light, as last swept
    leader: str | None
    status: str
    assigned_to: str
    kind: str = "review"  # review | verification | rectification (好差评) | problem | duty | task (entered by hand)
    rectification_id: int | None = None
    opened_at: datetime
    escalated_to: str | None
    escalated_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    closing_note: str | None


class CreditRow(BaseModel):
    """A credit record: a broken 容缺 promise or a failed 告知承诺, open until repaired (信用修复)."""

    id: int
    uscc: str
    case_no: str
    kind: str
    reason: str
    created_at: datetime
    status: str
    repaired_at: datetime | None
    repaired_by: str | None
    repair_reason: str | None


def plain(value: Any, tz) -> Any:
    """JSON-ready data: times as ISO 8601 in the jurisdiction's zone, dates as YYYY-MM-DD."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, dict):
        return {k: plain(v, tz) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, tz) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value
