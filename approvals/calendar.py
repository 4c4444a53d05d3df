"""Working days on the Chinese calendar (工作日), with make-up workdays and administrator overrides.

The State Council announces each year's holidays late in the previous year; `chinesecalendar`
carries the announced years. A day outside them, with no override, is unknown: deadlines that
need it are refused, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import chinese_calendar


class CalendarUnknown(Exception):
    """No announced calendar and no override for this day: a deadline cannot be computed."""

    def __init__(self, day: date):
        super().__init__(f"no working-day calendar for {day.year} (day {day.isoformat()})")
        self.day = day


class WorkingCalendar:
    """Answers "is this a working day?" from the announced calendar, overrides first."""

    def __init__(self, overrides: Mapping[date, bool] | None = None):
        self.overrides = dict(overrides or {})

    def announced(self, year: int) -> bool:
        """Whether the State Council's calendar for `year` is known (overrides aside)."""
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
            return True
        except NotImplementedError:
            return False

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            raise CalendarUnknown(day) from None

    def add_working_days(self, start: date, days: int) -> date:
        """The N-th working day after `start`; the day of `start` itself never counts."""
        day = start
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day

    def next_working_day(self, day: date) -> date:
        return self.add_working_days(day, 1)

    def subtract_working_days(self, day: date, days: int) -> date:
        """The latest date D with `working_days_between(D, day) == days`: "N working days ago"."""
        counted = 0
        while counted < days:
            if self.is_workday(day):
                counted += 1
            day -= timedelta(days=1)
        return day

    def previous_working_day(self, day: date) -> date:
        day -= timedelta(days=1)
        while not self.is_workday(day):
            day -= timedelta(days=1)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many a clock running from `start` spent by `end`."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count
