"""The case as one aggregate (办件): the application with its review tasks, clock stops, promises and
certificates, changed only through its methods, which apply the rules and keep what happened as data.

No database, no clock read, no settings read: the caller passes the clock (`approvals.deadlines.Clock`),
the catalog the case was filed under and the policy. A repository (`services.case_repository`) loads the
aggregate and saves what changed, with the timeline lines and outward work it collected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from approvals import deadlines
from approvals.calendar import CalendarUnknown
from approvals.case_intake import CaseIntake
from approvals.case_parts import (
    Certificate,
    CreditEntry,
    Happened,
    LedgerClosing,
    Outward,
    Promise,
    SharedRequest,
    Signature,
    Stop,
    Task,
    stopped_days,
)
from approvals.case_promises import CasePromises
from approvals.catalog import Catalog
from approvals.commitments import CommitmentKind, CommitmentStatus
from approvals.deadlines import Clock, ClockState, StopKind
from approvals.endings import NOTICE, Ending, check_ending
from approvals.endings import STATUS as ENDING_STATUS
from approvals.errors import Refused
from approvals.review import (
    FINISHED_CASE,
    OPEN_TASK,
    Action,
    CaseStatus,
    Decision,
    TaskState,
    TaskStatus,
    settle,
)
from approvals.signoff import Step, is_last

ENDING_EVENT = {Ending.REFUSAL: "refused", Ending.WITHDRAWAL: "withdrawn", Ending.LAPSE: "withdrawn"}


@dataclass(eq=False)
class CaseFile(CaseIntake, CasePromises):
    """A case with everything its rules change together. `happened`, `outward`, `signatures`,
    `ledger_closings` and `credit_entries` are what this unit of work left behind, for the repository."""

    id: int | None  # None until the repository adds it
    case_no: str
    request_digest: str
    catalog_version: int
    bundle: str
    channel: str
    applicant_name: str
    uscc: str
    legal_rep_name: str
    legal_rep_id_number: str
    status: CaseStatus
    promised_days: int
    matters: list[str]
    required_materials: list[str]
    provided_materials: list[str]
    submitted_at: datetime
    updated_at: datetime
    request_id: str | None = None
    legal_rep_phone: str | None = None
    agent: str | None = None
    key_project: bool = False
    leader: str | None = None
    commitment_matters: list[str] = field(default_factory=list)
    accepted_at: datetime | None = None
    due_date: date | None = None
    due_note: str | None = None
    light: str | None = None
    suspended_days: int = 0
    stops_open: int = 0
    stopped_on: date | None = None
    suspended_from: CaseStatus | None = None
    finished_at: datetime | None = None
    last_acted_at: datetime | None = None
    single_matter: bool = False
    end_reason: str | None = None
    delivery_mode: str = "pickup"
    delivery_address: str | None = None
    visits: int = 0
    collected_at: datetime | None = None

    tasks: list[Task] = field(default_factory=list)
    stops: list[Stop] = field(default_factory=list)  # the open ones, and those opened or ended here
    promises: list[Promise] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    shared: list[SharedRequest] = field(default_factory=list)  # asked for in this unit of work

    happened: list[Happened] = field(default_factory=list)
    outward: dict[str, Outward] = field(default_factory=dict)
    signatures: list[Signature] = field(default_factory=list)
    ledger_closings: list[LedgerClosing] = field(default_factory=list)
    credit_entries: list[CreditEntry] = field(default_factory=list)

    # --- what happened ------------------------------------------------------------------------------

    def record(self, at: datetime, kind: str, actor: str, detail: str = "", flow_run_id: str | None = None) -> None:
        self.happened.append(Happened(at, kind, actor, detail, flow_run_id))

    def queue(self, at: datetime, key: str, kind: str, *, task_id: int | None = None,
              payload: dict | None = None) -> None:
        """Outward work, once per key (a key already queued, here or before, is left alone)."""
        self.outward.setdefault(key, Outward(key, kind, at, task_id, payload or {}))

    def notify(self, at: datetime, kind: str, payload: dict, unique: str = "") -> None:
        self.queue(at, f"notify:case:{self.id}:{kind}" + (f":{unique}" if unique else ""), "notify",
                   payload={"kind": kind, **payload})

    # --- reading it ---------------------------------------------------------------------------------

    def task(self, task_id: int) -> Task:
        return next(t for t in self.tasks if t.id == task_id)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_CASE

    def check_decidable(self) -> None:
        if self.status is CaseStatus.SUSPENDED:
            raise Refused(f"case {self.case_no} is suspended (a 容缺 promise is past due): no decision until it resumes")

    def missing(self) -> list[str]:
        return [m for m in self.required_materials if m not in self.provided_materials]

    def _provide(self, materials: Sequence[str]) -> None:
        self.provided_materials = self.provided_materials + [m for m in materials if m not in self.provided_materials]

    # --- clocks in working days (approvals.deadlines) -----------------------------------------------

    def clock_state(self, tz) -> ClockState:
        return ClockState(started_on=self.accepted_at.astimezone(tz).date(), promised_days=self.promised_days,
                          supplement_days=self.suspended_days,
                          stopped=StopKind.SUPPLEMENT if self.stops_open else None, stopped_on=self.stopped_on)

    def refresh_due(self, clock: Clock) -> None:
        due = deadlines.due(clock.calendar, self.clock_state(clock.now.tzinfo), clock.today)
        self.due_date, self.due_note = due.date, due.note
        running = self.status is CaseStatus.IN_REVIEW and not self.stops_open
        self.light = "green" if running and due.date is not None else None

    def stop_clock(self, task: Task, kind: StopKind, reason: str, actor: str, clock: Clock) -> None:
        """Stop the task's clock (and the case's, with its first stopped task); the ledger keeps why."""
        self.stops.append(Stop(task.id, self.id, kind, reason, clock.now, clock.today, actor))
        task.stopped, task.stopped_on, task.light = kind, clock.today, None
        if self.stops_open == 0:
            self.stopped_on, self.light = clock.today, None
        self.stops_open += 1
        self.record(clock.now, "clock_stopped", actor, f"task {task.id} {task.matter}: {kind}: {reason}")

    def resume_clock(self, task: Task, actor: str, clock: Clock) -> None:
        """Close the open stop; the due dates move by the working days spent stopped."""
        if not task.stopped:
            return
        stop = next(s for s in self.stops if s.task_id == task.id and s.ended_at is None)
        stop.ended_at, stop.ended_on, stop.ended_by = clock.now, clock.today, actor
        task.stopped = task.stopped_on = None
        spent = stopped_days(stop, task, clock)
        task.refresh_due(clock)
        if spent is None:  # never guessed: the due date waits for the calendar (`onevisit calendar set`)
            task.due_date, task.light = None, None
            task.due_note = f"deadline unknown: the working days stopped since {stop.started_on} cannot be counted yet"
        self.stops_open -= 1
        if self.stops_open == 0:
            try:
                self.suspended_days += clock.calendar.working_days_between(self.stopped_on, clock.today)
                self.refresh_due(clock)
            except CalendarUnknown:
                self.due_date, self.light = None, None
                self.due_note = (f"deadline unknown: the working days stopped since {self.stopped_on} "
                                 "cannot be counted yet")
            self.stopped_on = None
        self.record(clock.now, "clock_resumed", actor, f"task {task.id} {task.matter}: "
                    f"{spent if spent is not None else 'uncounted'} working days stopped; due {task.due_date or 'unknown'}")

    def close_ledger(self, task: Task, actor: str, clock: Clock, note: str) -> None:
        """销号: the task was decided (or is no longer needed); its open ledger items are crossed off."""
        self.ledger_closings.append(LedgerClosing(task.id, actor, note, clock.now))

    def _dispatch(self, task: Task, catalog: Catalog, clock: Clock) -> None:
        """Hand a started task to its agency. One that reviews in the hall's own queue (no endpoint of its own
        in the catalog) has it now, and the reviewer sees it at once; one with a system of its own gets it
        from the orchestration, which sends it over HTTP with retries and records the agency's ticket."""
        if task.due_note:
            self.record(clock.now, "deadline_unknown", "system", f"task {task.id} {task.matter}: {task.due_note}")
        if catalog.endpoint_of(task.agency):
            self.queue(clock.now, f"dispatch:task:{task.id}", "dispatch_review", task_id=task.id)
        else:
            task.dispatched_at = clock.now
            self.record(clock.now, "dispatched", "system", f"task {task.id} {task.matter} to {task.agency}")

    # --- review (审批决定) ----------------------------------------------------------------------------

    def sign(self, task: Task, steps: Sequence[Step], step: Step | None, action: Action, operator: str,
             clock: Clock) -> bool:
        """Record a signature of `step` (approve or deny); True when the decision now waits for a later step."""
        if step is None or action not in (Action.APPROVE, Action.DENY):
            return False
        self.signatures.append(Signature(task.id, task.step, step.name, operator, action, clock.now))
        self.record(clock.now, "signed", operator,
                    f"task {task.id} {task.matter}: {step.name} ({task.step + 1}/{len(steps)}) {action}")
        held = action is Action.APPROVE and not is_last(steps, task.step)
        task.step += 1
        if task.assignee == operator:  # the binding (reopen --reassign) was for this step
            task.assignee = None
        task.updated_at = self.last_acted_at = clock.now
        return held

    def decide(self, task: Task, decision: Decision, operator: str, catalog: Catalog, clock: Clock,
               supplement_round: int = 1) -> list[str]:
        """What a checked decision changes: the task, its clock and ledger, and then the whole case.
        `supplement_round`: which request for materials this is on the task (each is noticed once)."""
        self.last_acted_at = clock.now
        task.updated_at = clock.now
        action = decision.action
        if action is Action.SPECIAL_START:
            self.stop_clock(task, StopKind.SPECIAL, decision.reason, operator, clock)
            return []
        if action is Action.SPECIAL_END:
            self.resume_clock(task, operator, clock)
            return []
        task.status = decision.status
        task.reason = decision.reason
        if action is Action.SUPPLEMENT:
            task.requested_materials = list(decision.materials)
            self.record(clock.now, "supplement_requested", operator, f"task {task.id} {task.matter}: " + ", ".join(decision.materials))
            self.stop_clock(task, StopKind.SUPPLEMENT, "awaiting " + ", ".join(decision.materials), operator, clock)
            self.notify(clock.now, "supplement_requested", {"matter": task.matter, "materials": list(decision.materials)},
                        unique=f"task{task.id}:{supplement_round}")
            return self.settle(catalog, operator, clock)
        self.resume_clock(task, operator, clock)  # a decision ends any stop
        task.decided_by, task.decided_at, task.light = operator, clock.now, None
        self.close_ledger(task, operator, clock, f"decided: {decision.status}")
        self.record(clock.now, decision.status, operator,
                    f"task {task.id} {task.matter}" + (f": {decision.reason}" if decision.reason else ""))
        return self.settle(catalog, operator, clock)

    def settle(self, catalog: Catalog, actor: str, clock: Clock) -> list[str]:
        """approvals.review.settle applied: release, cancel, and issue every certificate together."""
        if self.finished or self.status in (CaseStatus.CORRECTION_REQUIRED, CaseStatus.SUSPENDED):
            return []
        promise = self.open_deficiency()
        if promise is not None:
            self.drop_unneeded(catalog, promise, clock)
        outcome = settle([TaskState(t.matter, t.status, t.optional, tuple(t.depends_on)) for t in self.tasks],
                         withhold=promise is not None and promise.status == CommitmentStatus.OPEN)
        by_matter = {t.matter: t for t in self.tasks}
        for matter, status in outcome.changes.items():
            task = by_matter[matter]
            if status is TaskStatus.PENDING:
                task.start_clock(clock)
                self._dispatch(task, catalog, clock)
                self.record(clock.now, "released", actor, f"task {task.id} {matter}: prerequisites approved")
            else:
                self.resume_clock(task, "system", clock)
                task.status, task.light, task.updated_at = status, None, clock.now
                self.close_ledger(task, "system", clock, "cancelled: no longer needed")
                self.record(clock.now, status, "system", f"task {task.id} {matter}: no longer needed")
        if outcome.case_status is self.status:
            return []
        self.status, self.updated_at, self.light = outcome.case_status, clock.now, None
        if outcome.case_status is CaseStatus.AWAITING_MATERIALS:
            self.record(clock.now, "results_withheld", "system",
                        "every matter approved; results wait for the promised materials (容缺)")
            return []
        if outcome.case_status is CaseStatus.DENIED:
            self.void_promises(clock, "case denied")
            self.finished_at = clock.now
            self.record(clock.now, "case_denied", actor, "a required matter was denied")
            self.notify(clock.now, "denied", {})
            return []
        if outcome.case_status in (CaseStatus.ISSUED, CaseStatus.PARTIALLY_ISSUED):
            return self._issue(catalog, [by_matter[m] for m in outcome.certify], clock)
        return []

    def _issue(self, catalog: Catalog, tasks: list[Task], clock: Clock) -> list[str]:
        """一个窗口出件: every certificate of the case, one issuance, one timestamp, one notice."""
        issued = [Certificate(f"{self.case_no}-{t.matter}", self.id, t.id, t.matter, t.agency, "issued", clock.now)
                  for t in tasks]
        self.certificates.extend(issued)
        numbers = [c.number for c in issued]
        self.finished_at = clock.now
        certified = [t.matter for t in tasks]
        for promise in self.promises:  # 告知承诺: verification windows start now; on matters not issued, void
            if promise.kind == CommitmentKind.NOTIFICATION and promise.status == CommitmentStatus.OPEN:
                if promise.matter in certified:
                    promise.due_date = deadlines.due_date(clock.calendar, clock.today,
                                                          catalog.matters[promise.matter].verify_days)
                else:
                    promise.status, promise.resolved_at, promise.note = CommitmentStatus.VOID, clock.now, "not issued"
        self.record(clock.now, "issued", "system", ", ".join(numbers))
        self.queue(clock.now, f"deliver:case:{self.id}", "deliver_results")
        return numbers

    def cancel_open_tasks(self, actor: str, clock: Clock, why: str, *, record_each: bool = False) -> list[int]:
        """Every open task cancelled, its clock resumed and its ledger crossed off (a case ended or returned)."""
        cancelled = []
        for task in self.tasks:
            if task.status in OPEN_TASK:
                self.resume_clock(task, actor, clock)
                task.status, task.light, task.remote_incident, task.updated_at = (TaskStatus.CANCELLED, None, None,
                                                                                  clock.now)
                self.close_ledger(task, actor, clock, why)
                if record_each:
                    self.record(clock.now, "cancelled", actor, f"task {task.id} {task.matter}: {why}")
                cancelled.append(task.id)
        return cancelled


    # --- endings, extensions, reassignment ------------------------------------------------------------

    def end(self, ending: Ending, reason: str | None, actor: str, clock: Clock, *, dropped: int = 0,
            run_id: str | None = None) -> list[int]:
        """不予受理, 撤回, or a correction never answered: open tasks cancelled, promises void, the notice with
        its legal wording queued. `dropped`: queued items nobody needs any more. Returns the tasks cancelled."""
        reason = check_ending(self.status, ending, reason)
        status = ENDING_STATUS[ending]
        cancelled = self.cancel_open_tasks(actor, clock, f"case {ending}", record_each=True)
        self.void_promises(clock, f"case {status}")
        self.status, self.end_reason, self.light, self.suspended_from = status, reason, None, None
        self.finished_at = self.updated_at = self.last_acted_at = clock.now
        self.record(clock.now, ENDING_EVENT[ending], actor,
                    reason + (f"; {dropped} queued item(s) dropped" if dropped else ""), run_id)
        self.notify(clock.now, status, {"reason": reason, "notice": NOTICE[ending],
                                              "date": clock.today.isoformat(), "matters": self.matters})
        return cancelled

    def extend(self, task: Task, days: int, first_for_case: bool, clock: Clock) -> None:
        """延期 approved: both limits of the task move by `days`, and the case's with its first extended task."""
        task.extended_days += days
        task.promised_days += days
        task.statutory_days += days
        task.updated_at = clock.now
        if task.started_on is not None:
            task.refresh_due(clock)
        if first_for_case:
            self.promised_days += days
            self.refresh_due(clock)

    def reassign(self, task: Task, to: str, operator: str, clock: Clock) -> None:
        """The task, and its open ledger items, go to one reviewer of its agency."""
        if task.status not in OPEN_TASK:
            raise Refused(f"task {task.id} is {task.status}: only an open task can be reassigned")
        task.assignee = to
        self.record(clock.now, "reassigned", operator, f"task {task.id} {task.matter} to {to}")
