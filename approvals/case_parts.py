"""The parts of the case aggregate (`approvals.casefile`): its review tasks, clock stops, promises and
certificates, and what a change of the case leaves behind as data (timeline lines, outward work,
signatures, ledger closings, credit records)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from approvals import deadlines
from approvals.calendar import CalendarUnknown
from approvals.deadlines import Clock, ClockState, StopKind
from approvals.permissions import shortened
from approvals.review import Action, TaskStatus


@dataclass(eq=False)
class Task:
    """A review task (审查任务): one matter of the case, reviewed by its agency."""

    id: int
    case_id: int
    matter: str
    agency: str
    optional: bool
    depends_on: list[str]
    status: TaskStatus
    promised_days: int
    statutory_days: int
    requested_materials: list[str]
    updated_at: datetime
    started_on: date | None = None
    due_date: date | None = None
    due_note: str | None = None
    light: str | None = None
    supplement_days: int = 0
    special_days: int = 0
    stopped: StopKind | None = None
    stopped_on: date | None = None
    assignee: str | None = None
    reason: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    dispatched_at: datetime | None = None
    remote_ticket: str | None = None
    remote_incident: str | None = None
    step: int = 0
    extended_days: int = 0

    def clock_state(self) -> ClockState:
        return ClockState(started_on=self.started_on, promised_days=self.promised_days,
                          statutory_days=self.statutory_days, supplement_days=self.supplement_days,
                          special_days=self.special_days, stopped=self.stopped, stopped_on=self.stopped_on)

    def refresh_due(self, clock: Clock) -> None:
        """Due date and stored light of a running task (none while stopped, waiting or decided). The stored
        light is what the sweep last saw: a running clock starts green and the sweep moves it on, so a task
        that resumes already overdue still turns red through the sweep (and gets its 交办)."""
        due = deadlines.due(clock.calendar, self.clock_state(), clock.today)
        self.due_date, self.due_note = due.date, due.note
        running = self.status in (TaskStatus.PENDING, TaskStatus.SUPPLEMENT_REQUESTED)
        self.light = "green" if running and not self.stopped and due.date is not None else None

    def start_clock(self, clock: Clock) -> None:
        self.status = TaskStatus.PENDING
        self.started_on = clock.today
        self.refresh_due(clock)
        self.updated_at = clock.now


@dataclass(eq=False)
class Stop:
    """A stop of a task's clock (补齐补正, 特别程序, a suspension), open until `ended_at`."""

    task_id: int
    case_id: int
    kind: StopKind
    reason: str
    started_at: datetime
    started_on: date
    started_by: str
    id: int | None = None  # None: opened in this unit of work
    ended_at: datetime | None = None
    ended_on: date | None = None
    ended_by: str | None = None
    working_days: int | None = None


@dataclass(eq=False)
class Promise:
    """A promise (承诺): 容缺 (`deficiency`, materials supplied later) or 告知承诺 (`notification`)."""

    case_id: int
    kind: str
    materials: list[str]
    status: str
    signed_at: datetime
    id: int | None = None  # None: signed in this unit of work
    matter: str | None = None
    due_date: date | None = None
    grace_days: int = 15
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    note: str | None = None


@dataclass(eq=False)
class Certificate:
    """A certificate (证照) issued by the case, one per approved matter."""

    number: str
    case_id: int
    task_id: int
    matter: str
    agency: str
    status: str
    issued_at: datetime
    id: int | None = None  # None: issued in this unit of work
    delivered_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None


@dataclass(eq=False)
class SharedRequest:
    """A material another agency holds (数据共享), asked for at intake instead of from the applicant."""

    case_id: int
    material: str
    source: str
    status: str
    requested_at: datetime
    id: int | None = None  # None: asked for in this unit of work
    reference: str | None = None
    digest: str | None = None
    fetched_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class Happened:
    """One line for the case's timeline."""

    at: datetime
    kind: str
    actor: str
    detail: str = ""
    flow_run_id: str | None = None


@dataclass(frozen=True)
class Outward:
    """Work for the flows, queued once per key (dispatch a review, send a notice, deliver results)."""

    key: str
    kind: str
    at: datetime
    task_id: int | None = None
    payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Signature:
    """One signed step of a task's sign-off chain (初审, 审核...)."""

    task_id: int
    step: int
    name: str
    operator: str
    action: Action
    signed_at: datetime


@dataclass(frozen=True)
class LedgerClosing:
    """销号: the task's open ledger items are crossed off."""

    task_id: int
    actor: str
    note: str
    at: datetime


@dataclass(frozen=True)
class CreditEntry:
    """A credit record against the applicant (a broken 容缺 promise, a failed 告知承诺)."""

    promise: Promise
    kind: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class Policy:
    """What the installation decides, passed in: the key projects' factor (绿色通道)."""

    key_project_factor: float = 0.5

    def promised(self, days: int, key_project: bool) -> int:
        return shortened(days, self.key_project_factor) if key_project else days


def stopped_days(stop: Stop, task: Task, clock: Clock) -> int | None:
    """Add an ended stop's working days to the task's clock, once; None while the calendar cannot count them."""
    if stop.working_days is not None or stop.ended_on is None:
        return stop.working_days
    try:
        spent = clock.calendar.working_days_between(stop.started_on, stop.ended_on)
    except CalendarUnknown:
        return None
    stop.working_days = spent
    if stop.kind == StopKind.SPECIAL:  # stored rows (services.workdays) hold the kind as text
        task.special_days += spent
    else:
        task.supplement_days += spent
    return spent
