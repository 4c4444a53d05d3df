"""Clocks in working days on tasks and cases: due dates, stored lights, stops and resumes, 销号.

The rules are approvals.deadlines; this module applies them to rows and keeps the suspension ledger.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, select

from approvals import deadlines
from approvals.calendar import CalendarUnknown, WorkingCalendar
from approvals.deadlines import Clock, ClockState, StopKind
from approvals.review import CaseStatus, TaskStatus
from schemas.case import Case
from schemas.clock import ClockStop
from schemas.ledger import LedgerItem
from schemas.review import ReviewTask
from services.db import raw
from services.records import record

def task_clock(task: ReviewTask) -> ClockState:
    return ClockState(
        started_on=task.started_on,
        promised_days=task.promised_days,
        statutory_days=task.statutory_days,
        supplement_days=task.supplement_days,
        special_days=task.special_days,
        stopped=StopKind(task.stopped) if task.stopped else None,
        stopped_on=task.stopped_on,
    )


def case_clock(case: Case, tz) -> ClockState:
    return ClockState(
        started_on=case.accepted_at.astimezone(tz).date(),
        promised_days=case.promised_days,
        supplement_days=case.suspended_days,
        stopped=StopKind.SUPPLEMENT if case.stops_open else None,
        stopped_on=case.stopped_on,
    )


def refresh_task_due(task: ReviewTask, clock: Clock) -> None:
    """Due date and stored light of a running task (none while stopped, waiting or decided)."""
    due = deadlines.due(clock.calendar, task_clock(task), clock.today)
    task.due_date, task.due_note = due.date, due.note
    running = task.status in (TaskStatus.PENDING.value, TaskStatus.SUPPLEMENT_REQUESTED.value)
    # Stored light is what the sweep last saw: a running clock starts "green" and the sweep moves it
    # on, so a task that resumes already overdue still turns red through the sweep (and gets its 交办).
    task.light = "green" if running and not task.stopped and due.date is not None else None


def started_clock(promised_days: int, statutory_days: int, clock: Clock) -> dict:
    """The clock fields of a task that starts today, before it has a row: as refresh_task_due would set
    them on a running task with no stop (a green light when there is a due date)."""
    due = deadlines.due(clock.calendar, ClockState(started_on=clock.today, promised_days=promised_days,
                                                   statutory_days=statutory_days), clock.today)
    return {"status": TaskStatus.PENDING.value, "started_on": clock.today, "due_date": due.date, "due_note": due.note,
            "light": "green" if due.date is not None else None, "updated_at": clock.now}


def refresh_case_due(case: Case, clock: Clock) -> None:
    due = deadlines.due(clock.calendar, case_clock(case, clock.now.tzinfo), clock.today)
    case.due_date, case.due_note = due.date, due.note
    running = case.status == CaseStatus.IN_REVIEW.value and not case.stops_open
    case.light = "green" if running and due.date is not None else None


def stop_clock(session: Session, case: Case, task: ReviewTask, kind: StopKind, reason: str, actor: str,
                clock: Clock) -> None:
    """Stop the task's clock (and the case's, with its first stopped task); the ledger keeps why."""
    session.add(ClockStop(task_id=task.id, case_id=case.id, kind=kind.value, reason=reason, started_at=clock.now,
                          started_on=clock.today, started_by=actor))
    task.stopped, task.stopped_on, task.light = kind.value, clock.today, None
    if case.stops_open == 0:
        case.stopped_on, case.light = clock.today, None
    case.stops_open += 1
    record(session, case, clock.now, "clock_stopped", actor, f"task {task.id} {task.matter}: {kind.value}: {reason}")


def resume_clock(session: Session, case: Case, task: ReviewTask, actor: str, clock: Clock) -> None:
    """Close the open stop; the due dates move by the working days spent stopped."""
    if not task.stopped:
        return
    stop = session.exec(
        select(ClockStop).where(ClockStop.task_id == task.id, ClockStop.ended_at.is_(None))
    ).one()
    stop.ended_at, stop.ended_on, stop.ended_by = clock.now, clock.today, actor
    task.stopped = task.stopped_on = None
    spent = count_stop(stop, task, clock.calendar)
    refresh_task_due(task, clock)
    if spent is None:  # never guessed: the due date waits for the calendar (`onevisit calendar set`)
        task.due_date, task.light = None, None
        task.due_note = f"deadline unknown: the working days stopped since {stop.started_on} cannot be counted yet"
    case.stops_open -= 1
    if case.stops_open == 0:
        try:
            case.suspended_days += clock.calendar.working_days_between(case.stopped_on, clock.today)
            refresh_case_due(case, clock)
        except CalendarUnknown:
            case.due_date, case.light = None, None
            case.due_note = f"deadline unknown: the working days stopped since {case.stopped_on} cannot be counted yet"
        case.stopped_on = None
    record(session, case, clock.now, "clock_resumed", actor,
           f"task {task.id} {task.matter}: {spent if spent is not None else 'uncounted'} working days stopped; "
           f"due {task.due_date or 'unknown'}")


def count_stop(stop: ClockStop, task: ReviewTask, calendar: WorkingCalendar) -> int | None:
    """Add an ended stop's working days to the task's clock, once; None while the calendar cannot count them."""
    if stop.working_days is not None or stop.ended_on is None:
        return stop.working_days
    try:
        spent = calendar.working_days_between(stop.started_on, stop.ended_on)
    except CalendarUnknown:
        return None
    stop.working_days = spent
    if stop.kind == StopKind.SPECIAL.value:
        task.special_days += spent
    else:
        task.supplement_days += spent
    return spent


_ANY_OPEN_LEDGER = "SELECT 1 AS found FROM ledger_item WHERE task_id = %(task_id)s AND status <> 'closed' LIMIT 1"
_OPEN_LEDGER = select(LedgerItem).where(LedgerItem.task_id == bindparam("task_id"), LedgerItem.status != "closed")


def close_ledger(session: Session, task: ReviewTask, actor: str, clock: Clock, note: str) -> None:
    """销号: the task was decided (or is no longer needed); its open ledger items are crossed off."""
    if not raw(session).one(_ANY_OPEN_LEDGER, task_id=task.id):  # most tasks never had one: look first
        return
    for item in session.exec(_OPEN_LEDGER, params={"task_id": task.id}):
        item.status, item.closed_at, item.closed_by, item.closing_note = "closed", clock.now, actor, note
