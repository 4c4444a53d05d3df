"""Deadlines and warning lights (红黄灯预警): clocks in working days that stop and resume.

A clock starts the day after acceptance (or release) and runs for the promised limit. Stops
(补齐补正 supplement requests, 特别程序 special procedures) move the due date by the working days
spent stopped; the statutory limit, itself extended only by special procedures (law §45), stays
a hard ceiling.
"""

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


class StopKind(StrEnum):
    SUPPLEMENT = "supplement"  # 补齐补正: the applicant's turn
    SPECIAL = "special"  # 特别程序: expert review, hearing, inspection, testing
    SUSPENDED = "suspended"  # the case is suspended: a 容缺 promise is past due (the applicant's turn)


@dataclass(frozen=True)
class ClockState:
    """What a task's (or a case's) clock knows: where it started, its limits, and its stops."""

    started_on: date
    promised_days: int
    statutory_days: int | None = None  # None: no ceiling (a case's clock)
    supplement_days: int = 0  # working days spent stopped in closed supplement stops
    special_days: int = 0  # ... in closed special procedures
    stopped: StopKind | None = None
    stopped_on: date | None = None


@dataclass(frozen=True)
class Due:
    date: date | None
    note: str | None = None  # why there is no date: never a silent estimate


def due(calendar: WorkingCalendar, clock: ClockState, today: date | None = None) -> Due:
    """The due date; while stopped, as it would be if the clock resumed `today`."""
    supplement, special = clock.supplement_days, clock.special_days
    try:
        if clock.stopped is not None and clock.stopped_on is not None and today is not None:
            running = calendar.working_days_between(clock.stopped_on, today)
            if clock.stopped is StopKind.SPECIAL:
                special += running
            else:
                supplement += running
        days = clock.promised_days + supplement + special
        if clock.statutory_days is not None:
            days = min(days, clock.statutory_days + special)  # the ceiling, counted once
        return Due(calendar.add_working_days(clock.started_on, days))
    except CalendarUnknown as unknown:
        return Due(None, f"deadline unknown: {unknown}; an administrator can set the year with `onevisit calendar import FILE` or a day with `onevisit calendar set`")


def due_date(calendar: WorkingCalendar, started: date, days: int) -> date | None:
    """End of the N-th working day after `started`, or None when the calendar cannot say."""
    return due(calendar, ClockState(started, days)).date


def light(calendar: WorkingCalendar, due: date | None, today: date) -> Light | None:
    """Green; yellow from the start of the last working day before the due date; red once it has passed."""
    if due is None:
        return None
    if today > due:
        return Light.RED
    return Light.YELLOW if due <= bands(calendar, today).last_yellow else Light.GREEN


@dataclass(frozen=True)
class LightBands:
    """Due-date bands for a day, so a sweep can select by index: red < today <= yellow <= last_yellow < green."""

    today: date
    last_yellow: date  # a due date up to this one is yellow today


def bands(calendar: WorkingCalendar, today: date) -> LightBands:
    """Yellow iff today <= due <= the next working day after today.

    "From the start of the last working day before the due date" means no working day lies
    strictly between today and the due date; `light` and the sweep's SQL both use these bands.
    """
    try:
        return LightBands(today, calendar.next_working_day(today))
    except CalendarUnknown:
        return LightBands(today, today)
