"""Due dates and lights as of today, as the read side shows them: a stopped clock's due date moves day by day."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from approvals import deadlines
from approvals.calendar import WorkingCalendar
from approvals.deadlines import ClockState, Light, StopKind
from approvals.review import CaseStatus, TaskStatus
from services.queries.connection import day, utc

LIGHT_ORDER = {"red": 0, "yellow": 1, "green": 2, None: 3}  # a queue's order: reddest first
_RUNNING = {TaskStatus.PENDING, TaskStatus.SUPPLEMENT_REQUESTED}

@lru_cache(maxsize=256)  # a few entries a request: it keeps only the last requests' calendars
def light_of(calendar: WorkingCalendar, due: date | None, today: date) -> Light | None:
    """Memoised: a queue's tasks share few due dates, and the bands cost tens of microseconds to count (the
    calendar is one object a request, never changed once made)."""
    return deadlines.light(calendar, due, today)


def task_due(calendar: WorkingCalendar, row: dict, today: date) -> tuple[date | None, Light | None, str | None]:
    """(due date, light, note) of a task as of today: a stopped clock's due date moves day by day."""
    if row["status"] not in _RUNNING or row["started_on"] is None:
        return day(row["due_date"]), None, row["due_note"]
    if not row["stopped"]:
        due = day(row["due_date"])
        return due, light_of(calendar, due, today), row["due_note"]
    state = ClockState(
        started_on=day(row["started_on"]), promised_days=row["promised_days"], statutory_days=row["statutory_days"],
        supplement_days=row["supplement_days"], special_days=row["special_days"],
        stopped=StopKind(row["stopped"]), stopped_on=day(row["stopped_on"]),
    )
    projected = deadlines.due(calendar, state, today)
    return projected.date, None, projected.note


def case_due(calendar: WorkingCalendar, row: dict, today: date, tz) -> tuple[date | None, Light | None]:
    """(due date, light) of a case's clock as of today."""
    due = day(row["due_date"])
    if row["status"] != CaseStatus.IN_REVIEW:
        return due, None
    if not row["stops_open"]:
        return due, light_of(calendar, due, today)
    state = ClockState(
        started_on=utc(row["accepted_at"]).astimezone(tz).date(), promised_days=row["promised_days"],
        supplement_days=row["suspended_days"], stopped=StopKind.SUPPLEMENT, stopped_on=day(row["stopped_on"]),
    )
    return deadlines.due(calendar, state, today).date, None


def clock_label(row: dict) -> str | None:
    if row["status"] not in _RUNNING or row["started_on"] is None:
        return None
    return f"stopped:{row['stopped']}" if row["stopped"] else "running"
