"""The working-day calendar in force: the announced calendar plus administrators' overrides."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from approvals import deadlines
from approvals.calendar import CalendarUnknown, WorkingCalendar
from approvals.deadlines import Clock
from approvals.errors import BadInput
from approvals.review import OPEN_TASK, TaskStatus
from schemas.calendar import CalendarOverride
from schemas.case import Case
from schemas.review import ReviewTask
from services.clocks import refresh_case_due, refresh_task_due


def calendar_for(session: Session) -> WorkingCalendar:
    overrides = session.exec(select(CalendarOverride.day, CalendarOverride.workday)).all()
    return WorkingCalendar({day: workday for day, workday in overrides})


def set_day(session: Session, day: date, workday: bool, *, reason: str, actor: str, clock: Clock) -> int:
    """Declare a day a working day or a holiday; open clocks that span it get new due dates.

    Returns how many tasks' and cases' due dates moved.
    """
    reason = reason.strip()
    if not reason:
        raise BadInput("--reason is required")
    row = session.get(CalendarOverride, day)
    if row is None:
        session.add(CalendarOverride(day=day, workday=workday, reason=reason, set_by=actor, set_at=clock.now))
    else:
        row.workday, row.reason, row.set_by, row.set_at = workday, reason, actor, clock.now
    session.flush()
    calendar = calendar_for(session)
    return _recompute_open_clocks(session, day, Clock(clock.now, calendar))


def _recompute_open_clocks(session: Session, day: date, clock: Clock) -> int:
    """Tasks and cases whose clock runs across `day` (or had no due date) get their due date again."""
    moved = 0
    running = [TaskStatus.PENDING.value, TaskStatus.SUPPLEMENT_REQUESTED.value]
    tasks = session.exec(
        select(ReviewTask).where(ReviewTask.status.in_(running), ReviewTask.started_on < day)
        .where((ReviewTask.due_date.is_(None)) | (ReviewTask.due_date >= day))
    ).all()
    for task in tasks:
        before = task.due_date
        refresh_task_due(task, clock)
        moved += task.due_date != before
    cases = session.exec(
        select(Case).where(Case.status == "in_review", Case.accepted_at.is_not(None))
        .where((Case.due_date.is_(None)) | (Case.due_date >= day))
    ).all()
    for case in cases:
        before = case.due_date
        refresh_case_due(case, clock)
        moved += case.due_date != before
    return moved


@dataclass(frozen=True)
class MonthView:
    month: int
    working_days: int | None  # None: not announced and not fully overridden
    holidays: list[date]  # weekdays off
    makeup_workdays: list[date]  # weekend days on (调休)
    overrides: list[dict]


def year_view(calendar: WorkingCalendar, overrides: list[CalendarOverride], year: int) -> dict:
    if not 1900 <= year <= 2200:
        raise BadInput(f"year {year} is out of range")
    months = []
    for month in range(1, 13):
        days = [date(year, month, d) for d in range(1, monthrange(year, month)[1] + 1)]
        holidays, makeup, count = [], [], 0
        try:
            for day in days:
                work = calendar.is_workday(day)
                count += work
                if day.weekday() < 5 and not work:
                    holidays.append(day)
                if day.weekday() >= 5 and work:
                    makeup.append(day)
            working: int | None = count
        except CalendarUnknown:
            working = None
        months.append(MonthView(month, working, holidays, makeup,
                                [{"day": o.day, "workday": o.workday, "reason": o.reason, "set_by": o.set_by}
                                 for o in overrides if o.day.year == year and o.day.month == month]))
    return {"year": year, "announced": calendar.announced(year), "months": [m.__dict__ for m in months]}
