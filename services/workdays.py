"""The working-day calendar in force: the announced calendar plus administrators' overrides."""

from __future__ import annotations

from datetime import date
from functools import cached_property

from sqlalchemy import insert
from sqlmodel import Session, select

from approvals import deadlines
from approvals.calendar import WorkingCalendar, YearNotice
from approvals.deadlines import Clock
from approvals.errors import BadInput
from approvals.permissions import Act
from approvals.review import CaseStatus, TaskStatus
from schemas.calendar import CalendarOverride, CalendarOverrideChange
from schemas.case import Case
from schemas.clock import ClockStop
from schemas.review import ReviewTask
from services import staff
from services.queries import connection as reads
from approvals.case_parts import stopped_days
from services.clocks import case_clock, task_clock
from services.db import raw
from services.records import lock_heads, record_many
from services.sweep import relight


def calendar_for(session: Session) -> WorkingCalendar:
    """The calendar in force, read in the session's transaction when a day is first asked of it.

    Every action builds its clock with one, and most decisions count no day (an approval with no stop and
    nothing to release): they skip the read. Read when the clock is made instead, a decision takes 4 round
    trips on PostgreSQL, not 2, and a submission 5, not 3 (`bench/round_trips.py`); whole cases, 5 alternating
    pairs: PostgreSQL 78.9 against 74.0 cases/s (medians; pairs 0.76-1.03 of this), SQLite 171.8 against
    167.4 (0.93-1.06) (docs/benchmarks.md, fourth session)."""
    return _CalendarInForce(session)


class _CalendarInForce(WorkingCalendar):
    """A WorkingCalendar whose overrides are read the first time they are needed."""

    def __init__(self, session: Session):  # no overrides yet: see below
        self._session = session

    @cached_property
    def overrides(self) -> dict[date, bool]:  # type: ignore[override]
        if self._session.in_transaction():
            return reads.overrides(raw(self._session))
        # Asked after its transaction ended: a read of its own, rather than a transaction left open.
        with reads.reader(self._session.get_bind().url.render_as_string(hide_password=False)) as read:
            return reads.overrides(read)


def set_day(session: Session, day: date, workday: bool, *, reason: str, actor: str, clock: Clock) -> int:
    """Declare a day a working day or a holiday; open clocks that span it get new due dates.

    Returns how many tasks' and cases' due dates moved.
    """
    staff.authorise(session, actor, Act.ADMINISTER)
    reason = reason.strip()
    if not reason:
        raise BadInput("--reason is required")
    check_day(day)
    row = session.get(CalendarOverride, day)
    if row is None:
        session.add(CalendarOverride(day=day, workday=workday, reason=reason, set_by=actor, set_at=clock.now))
    else:
        row.workday, row.reason, row.set_by, row.set_at = workday, reason, actor, clock.now
    session.add(CalendarOverrideChange(day=day, workday=workday, reason=reason, set_by=actor, set_at=clock.now))
    session.flush()
    calendar = calendar_for(session)
    kind = "working day" if workday else "holiday"
    return _recompute_open_clocks(session, day, Clock(clock.now, calendar), actor=actor,
                                  why=f"calendar: {day.isoformat()} is a {kind} ({reason})")


def import_year(session: Session, notice: YearNotice, *, actor: str, clock: Clock) -> tuple[int, int]:
    """A year's notice, all of it at once: every day of the year is set (working or not, by the notice), the
    running clocks it moves get their due dates again, each moved case says so on its timeline.
    Returns (days that changed, due dates moved). Importing the same notice again changes nothing."""
    staff.authorise(session, actor, Act.ADMINISTER)
    first = date(notice.year, 1, 1)
    stored = {row.day: row for row in session.exec(
        select(CalendarOverride).where(CalendarOverride.day >= first, CalendarOverride.day <= date(notice.year, 12, 31)))}
    known = WorkingCalendar()  # the announced calendar alone: what a day was before any override
    changed = []
    history = []
    for day, workday in notice.days().items():
        row = stored.get(day)
        if row is None or (row.workday, row.reason) != (workday, notice.source):
            history.append({"day": day, "workday": workday, "reason": notice.source, "set_by": actor,
                            "set_at": clock.now})
        if row is None:
            session.add(CalendarOverride(day=day, workday=workday, reason=notice.source, set_by=actor, set_at=clock.now))
            if known.announced(day.year) and known.is_workday(day) == workday:
                continue  # the same as announced already: nothing moves
        elif (row.workday, row.reason) != (workday, notice.source):
            if row.workday == workday:
                row.reason, row.set_by, row.set_at = notice.source, actor, clock.now
                continue
            row.workday, row.reason, row.set_by, row.set_at = workday, notice.source, actor, clock.now
        else:
            continue
        changed.append(day)
    if history:
        session.execute(insert(CalendarOverrideChange.__table__), history)
    session.flush()
    if not changed:
        return 0, 0
    moved = _recompute_open_clocks(session, min(changed), Clock(clock.now, calendar_for(session)), actor=actor,
                                   why=f"calendar {notice.year} imported ({notice.source})")
    return len(changed), moved


def _recompute_open_clocks(session: Session, day: date, clock: Clock, *, actor: str, why: str) -> int:
    """Running clocks that span `day` (or had no due date) get their due date again, and each case whose due
    dates moved records it on its timeline; stored lights stay as the sweep left them, and stopped clocks are
    recomputed when they resume."""
    moved = 0
    lines: dict[int, list[str]] = {}
    running = [TaskStatus.PENDING, TaskStatus.SUPPLEMENT_REQUESTED]
    tasks = session.exec(
        select(ReviewTask).where(ReviewTask.status.in_(running), ReviewTask.started_on < day,
                                 ReviewTask.stopped.is_(None))
        .where((ReviewTask.due_date.is_(None)) | (ReviewTask.due_date >= day))
        .with_for_update(key_share=True)
    ).all()
    for task in tasks:
        uncounted = [stop for stop in session.exec(select(ClockStop).where(ClockStop.task_id == task.id,
                                                                           ClockStop.working_days.is_(None),
                                                                           ClockStop.ended_on.is_not(None)))
                     if stopped_days(stop, task, clock) is None]
        if uncounted:  # still not countable: the due date stays unknown, never short by the stopped days
            continue
        due = deadlines.due(clock.calendar, task_clock(task), clock.today)
        if (due.date, due.note) != (task.due_date, task.due_note):
            lines.setdefault(task.case_id, []).append(
                f"task {task.id} {task.matter} due {_day(task.due_date)} → {_day(due.date)}")
            task.due_date, task.due_note = due.date, due.note
            if task.light is None and due.date is not None:
                task.light = "green"  # it had no clock to sweep before; the sweep takes it from here
            moved += 1
    cases = session.exec(
        select(Case).where(Case.status == CaseStatus.IN_REVIEW, Case.accepted_at.is_not(None),
                           Case.stops_open == 0)
        .where((Case.due_date.is_(None)) | (Case.due_date >= day))
        .with_for_update(key_share=True)
    ).all()
    for case in cases:
        due = deadlines.due(clock.calendar, case_clock(case, clock.now.tzinfo), clock.today)
        if (due.date, due.note) != (case.due_date, case.due_note):
            lines.setdefault(case.id, []).append(f"case due {_day(case.due_date)} → {_day(due.date)}")
            case.due_date, case.due_note = due.date, due.note
            if case.light is None and due.date is not None:
                case.light = "green"
            moved += 1
    if lines:
        lock_heads(session, sorted(lines))
        record_many(session, [{"case_id": case_id, "at": clock.now, "kind": "due_dates_moved", "actor": actor,
                               "detail": f"{why}: {'; '.join(moved_here)}", "flow_run_id": None}
                              for case_id, moved_here in sorted(lines.items())])
    session.flush()
    relight(session, clock)  # the stored lights and the ledger follow at once, not at the next sweep
    return moved


def _day(day: date | None) -> str:
    return day.isoformat() if day else "unknown"


def check_day(day: date) -> date:
    if not 1900 <= day.year <= 2200:
        raise BadInput(f"{day.isoformat()} is out of range (years 1900-2200)")
    return day
