"""Deadlines and warning lights (红黄灯预警) for review tasks and cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from approvals.calendar import CalendarUnknown, WorkingCalendar


@dataclass(frozen=True)
class Clock:
    """The moment an action happens and the calendar its deadlines are counted on."""

    now: datetime  # aware, in the jurisdiction's zone
    calendar: WorkingCalendar

    @property
    def today(self) -> date:
        return self.now.date()


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


def due_date(calendar: WorkingCalendar, started: date, days: int) -> date | None:
    """End of the N-th working day after `started`, or None when the calendar cannot say."""
    try:
        return calendar.add_working_days(started, days)
    except CalendarUnknown:
        return None


def light(calendar: WorkingCalendar, due: date | None, today: date) -> Light | None:
    """Green; yellow from the start of the last working day before the due date; red once it has passed."""
    if due is None:
        return None
    if today > due:
        return Light.RED
    try:
        warn_from = calendar.previous_working_day(due)
    except CalendarUnknown:
        warn_from = due
    return Light.YELLOW if today >= warn_from else Light.GREEN
