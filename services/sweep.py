"""The sweep (电子监察): lights, the supervision ledger (交办 → 督查 → 销号), and runs that went silent.

Its cost follows what changes, not how much is open: every statement selects by an index on
(light, due_date) or (status, opened_on) with bounds computed from today, so a million running
tasks of which a few thousand change light cost a few thousand row updates.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import exists, literal, select, update
from sqlmodel import Session

from approvals.calendar import CalendarUnknown
from approvals.deadlines import Clock, bands
from approvals.review import TaskStatus
from schemas.case import Case
from schemas.ledger import LedgerItem
from schemas.orchestration import FlowRunCase, FlowRunRecord
from schemas.review import ReviewTask
from services.ledger import HAND_KINDS
from services.records import insert_ignore, record_many

TASK = ReviewTask.__table__
CASE = Case.__table__
LEDGER = LedgerItem.__table__


class SweepReport(BaseModel):
    tasks_yellow: int = 0
    tasks_red: int = 0
    tasks_green: int = 0
    cases_yellow: int = 0
    cases_red: int = 0
    cases_green: int = 0
    ledger_opened: int = 0
    ledger_escalated: int = 0
    ledger_closed: int = 0
    promises_suspended: int = 0  # 容缺 promises past due: case suspended
    promises_returned: int = 0  # ... and past the grace period: case returned (退件)
    verifications_overdue: int = 0  # 告知承诺 not verified in time: ledger item for the agency
    rectifications_yellow: int = 0  # 好差评: bad ratings whose call-back or fix is due soon
    rectifications_red: int = 0  # ... or late: a ledger item for the agency (交办)
    corrections_withdrawn: int = 0  # 补正 unanswered too long: case closed as withdrawn (撤回)
    case_ids: list[int] = []  # cases the sweep changed, to link its flow run to


def sweep(session: Session, clock: Clock, *, escalate_after_days: int, run_id: str | None = None) -> SweepReport:
    """One pass, one transaction. Safe to repeat: a second pass the same day changes nothing."""
    report = SweepReport()
    b = bands(clock.calendar, clock.today)
    now = clock.now
    events: list[dict] = []
    touched: set[int] = set()
    relight(session, clock, run_id, report, events, touched)

    # 督查: still open after N more working days: escalated to the agency's supervisor
    try:
        threshold = clock.calendar.subtract_working_days(clock.today, escalate_after_days)
    except CalendarUnknown:  # working days cannot be counted back from today: escalate nothing, guess nothing
        threshold = date.min
    escalated = session.execute(
        update(LEDGER)
        .where(LEDGER.c.status == "assigned", LEDGER.c.opened_on <= threshold, LEDGER.c.kind.not_in(HAND_KINDS))
        .where(~exists().where(TASK.c.id == LEDGER.c.task_id, TASK.c.stopped.is_not(None)))  # applicant's turn
        .values(status="supervised", escalated_at=now, escalated_to=LEDGER.c.agency + literal("-supervisor"))
        .returning(LEDGER.c.case_id, LEDGER.c.task_id, LEDGER.c.escalated_to)
    ).all()
    for case_id, task_id, to in escalated:
        touched.add(case_id)
        events.append(_event(case_id, now, "ledger_supervised", f"task {task_id} still overdue: escalated to {to} (督查)", run_id))
    hand_escalated = _sweep_hand_entered(session, b, threshold, now, events, touched, run_id)
    report.ledger_escalated = len(escalated) + hand_escalated

    # 销号 happens with the decision; this catches an item whose task ended any other way
    finished = [TaskStatus.APPROVED, TaskStatus.DENIED, TaskStatus.CANCELLED]
    orphaned = select(TASK.c.id).where(TASK.c.status.in_(finished))
    closed = session.execute(
        update(LEDGER)
        .where(LEDGER.c.status != "closed", LEDGER.c.kind == "review", LEDGER.c.task_id.in_(orphaned))
        .values(status="closed", closed_at=now, closed_by="system", closing_note="task no longer open")
        .returning(LEDGER.c.case_id)
    ).all()
    report.ledger_closed += len(closed)

    if events:
        record_many(session, events)
    report.case_ids = sorted(touched)
    return report


def _sweep_hand_entered(session: Session, b, threshold: date, now: datetime, events: list[dict], touched: set[int],
                        run_id: str | None) -> int:
    """Hand-entered items (services.ledger) take the automatic items' path: lit by their due date like a task,
    escalated (督查) once they have been red as long as an automatic item stays assigned, i.e. when their due
    date lies before the escalation threshold. Returns how many were escalated."""
    hand = (LEDGER.c.kind.in_(HAND_KINDS), LEDGER.c.status != "closed")
    for to, where in (
        ("red", (LEDGER.c.light.in_(["green", "yellow"]), LEDGER.c.missed_due < b.today)),
        ("yellow", (LEDGER.c.light.in_(["green", "red"]), LEDGER.c.missed_due >= b.today,
                    LEDGER.c.missed_due <= b.last_yellow)),
        ("green", (LEDGER.c.light.in_(["yellow", "red"]), LEDGER.c.missed_due > b.last_yellow)),
    ):
        for item_id, case_id, due in session.execute(
            update(LEDGER).where(*hand, *where).values(light=to)
            .returning(LEDGER.c.id, LEDGER.c.case_id, LEDGER.c.missed_due)
        ).all():
            if case_id is not None:
                touched.add(case_id)
                events.append(_event(case_id, now, "light", f"ledger item {item_id}: {to} (due {due})", run_id))
    escalated = session.execute(
        update(LEDGER)
        .where(*hand, LEDGER.c.status == "assigned", LEDGER.c.missed_due < threshold)
        .values(status="supervised", escalated_at=now, escalated_to=LEDGER.c.agency + literal("-supervisor"))
        .returning(LEDGER.c.id, LEDGER.c.case_id, LEDGER.c.escalated_to)
    ).all()
    for item_id, case_id, to in escalated:
        if case_id is not None:
            touched.add(case_id)
            events.append(_event(case_id, now, "ledger_supervised", f"ledger item {item_id} overdue: escalated to {to} (督查)", run_id))
    return len(escalated)


def relight(session: Session, clock: Clock, run_id: str | None = None, report: SweepReport | None = None,
            events: list[dict] | None = None, touched: set[int] | None = None) -> SweepReport:
    """Every stored light made what today and the stored due date say, in both directions (a red task whose due
    date a calendar change moved is yellow or green again), a ledger item (交办) opened for every task that
    turns red, and the items of tasks no longer overdue closed (销号: the cause went away). The sweep runs it,
    and so does every calendar change, so the database and every view agree at once. Writes the events itself
    unless the caller collects them."""
    report = report if report is not None else SweepReport()
    own = events is None
    events = [] if events is None else events
    touched = set() if touched is None else touched
    b = bands(clock.calendar, clock.today)
    now = clock.now

    def move(table, to: str, *where):
        returning = [table.c.id, table.c.due_date] + (
            [table.c.case_id, table.c.matter, table.c.agency, table.c.assignee] if table is TASK else []
        )
        return session.execute(
            update(table).where(*where).values(light=to, updated_at=now).returning(*returning)
        ).all()

    # tasks: red once the due date has passed, yellow from the last working day before it, green before that
    red = move(TASK, "red", TASK.c.light.in_(["green", "yellow"]), TASK.c.due_date < b.today)
    yellow = move(TASK, "yellow", TASK.c.light.in_(["green", "red"]), TASK.c.due_date >= b.today,
                  TASK.c.due_date <= b.last_yellow)
    green = move(TASK, "green", TASK.c.light.in_(["yellow", "red"]), TASK.c.due_date > b.last_yellow)
    report.tasks_red, report.tasks_yellow, report.tasks_green = len(red), len(yellow), len(green)
    for light, rows in (("red", red), ("yellow", yellow), ("green", green)):
        for task_id, due, case_id, matter, _agency, _assignee in rows:
            touched.add(case_id)
            events.append(_event(case_id, now, "light", f"task {task_id} {matter}: {light} (due {due})", run_id))

    # case clocks
    for light, where in (
        ("red", (CASE.c.light.in_(["green", "yellow"]), CASE.c.due_date < b.today)),
        ("yellow", (CASE.c.light.in_(["green", "red"]), CASE.c.due_date >= b.today, CASE.c.due_date <= b.last_yellow)),
        ("green", (CASE.c.light.in_(["yellow", "red"]), CASE.c.due_date > b.last_yellow)),
    ):
        rows = move(CASE, light, *where)
        setattr(report, f"cases_{light}", len(rows))
        for case_id, due in rows:
            touched.add(case_id)
            events.append(_event(case_id, now, "light", f"case clock: {light} (due {due})", run_id))

    # 交办: every red task gets a ledger item, once per missed due date
    if red:
        items = [
            {"task_id": task_id, "case_id": case_id, "agency": agency, "kind": "review", "missed_due": due,
             "status": "assigned",
             "assigned_to": assignee or agency, "opened_at": now, "opened_on": clock.today}
            for task_id, due, case_id, _matter, agency, assignee in red
        ]
        opened = session.execute(insert_ignore(session, LEDGER, ["task_id", "missed_due"])
                                 .returning(LEDGER.c.case_id, LEDGER.c.task_id, LEDGER.c.assigned_to), items).all()
        report.ledger_opened = len(opened)
        for case_id, task_id, assigned_to in opened:
            events.append(_event(case_id, now, "ledger_assigned", f"task {task_id} overdue: assigned to {assigned_to} (交办)", run_id))

    # 销号 when the cause goes away: the task runs on, no longer overdue (a calendar change moved its due date)
    # (by the open items, few, each looking up its task: never a scan of the running tasks)
    on_time = exists().where(TASK.c.id == LEDGER.c.task_id, TASK.c.light.in_(["green", "yellow"]),
                             TASK.c.due_date >= b.today)
    relieved = session.execute(
        update(LEDGER)
        .where(LEDGER.c.status != "closed", LEDGER.c.kind == "review", on_time)
        .values(status="closed", closed_at=now, closed_by="system", closing_note="no longer overdue: due date moved")
        .returning(LEDGER.c.case_id, LEDGER.c.task_id)
    ).all()
    report.ledger_closed += len(relieved)
    for case_id, task_id in relieved:
        touched.add(case_id)
        events.append(_event(case_id, now, "ledger_closed", f"task {task_id} no longer overdue: crossed off (销号)", run_id))
    if own and events:
        record_many(session, events)
    report.case_ids = sorted(touched)
    return report


def _event(case_id: int, at: datetime, kind: str, detail: str, run_id: str | None) -> dict:
    return {"case_id": case_id, "at": at, "kind": kind, "actor": "system", "detail": detail, "flow_run_id": run_id}


def link_cases(session: Session, run_id: str, case_ids: list[int]) -> None:
    """Record that the sweep's run acted on these cases (`onevisit runs`)."""
    if case_ids:
        session.execute(insert_ignore(session, FlowRunCase.__table__, ["flow_run_id", "case_id"]),
                        [{"flow_run_id": run_id, "case_id": c} for c in case_ids])


def silent_runs(session: Session, now: datetime, lease_seconds: int) -> list[FlowRunRecord]:
    """Runs still marked RUNNING long after any batch would have finished."""
    stale = now - timedelta(seconds=lease_seconds)
    return list(session.scalars(
        select(FlowRunRecord).where(FlowRunRecord.state == "RUNNING", FlowRunRecord.started_at < stale)
    ))


def mark_run(session: Session, run_id: str, state: str, now: datetime, message: str) -> None:
    run = session.get(FlowRunRecord, run_id)
    if run is not None and run.state == "RUNNING":
        run.state, run.ended_at, run.message = state, now, message
