"""Working days on the Chinese calendar (工作日), with make-up workdays and administrator overrides.

The State Council announces each year's holidays late in the previous year; `chinesecalendar`
carries the announced years. A day outside them, with no override, is unknown: deadlines that
need it are refused, never guessed.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

from approvals.errors import BadInput


class CalendarUnknown(Exception):
    """No announced calendar and no override for this day: a deadline cannot be computed."""

    def __init__(self, day: date):
        super().__init__(f"no working-day calendar for {day.year} (day {day.isoformat()})")
        self.day = day


@lru_cache(maxsize=8192)
def _announced_workday(day: date) -> bool | None:
    """The announced calendar's answer (None: not announced), kept: counting a limit asks it of every day
    in the limit, and the announced calendar of an installed `chinesecalendar` does not change."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


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
        announced = _announced_workday(day)
        if announced is None:
            raise CalendarUnknown(day)
        return announced

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


@dataclass(frozen=True)
class MonthView:
    month: int
    working_days: int | None  # None: not announced and not fully overridden
    holidays: list[date]  # weekdays off
    makeup_workdays: list[date]  # weekend days on (调休)
    overrides: list[dict]


@dataclass(frozen=True)
class YearView:
    year: int
    announced: bool
    months: list[MonthView]


def year_view(calendar: WorkingCalendar, overrides: list[dict], year: int) -> YearView:
    if not 1900 <= year <= 2200:
        raise BadInput(f"year {year} is out of range (1900-2200)")
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
                                [o for o in overrides if o["day"].year == year and o["day"].month == month]))
    return YearView(year, calendar.announced(year), months)


@dataclass(frozen=True)
class YearNotice:
    """A year's holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知): its holidays and make-up workdays."""

    year: int
    source: str
    holidays: tuple[date, ...]
    makeup_workdays: tuple[date, ...]

    def days(self) -> dict[date, bool]:
        """Every day of the year, working or not: weekdays work, weekends rest, except as the notice says."""
        off, on = set(self.holidays), set(self.makeup_workdays)
        first, last = date(self.year, 1, 1), date(self.year, 12, 31)
        return {first + timedelta(n): (first + timedelta(n) in on) or (
                (first + timedelta(n)).weekday() < 5 and first + timedelta(n) not in off)
                for n in range((last - first).days + 1)}


def year_notice(data: object) -> YearNotice:
    """A year file's content checked whole (`year`, `source`, `holidays`, `makeup_workdays`); the first fault
    is refused with its key named, so nothing of a faulty file is ever applied."""
    if not isinstance(data, Mapping):
        raise BadInput("a calendar file is a mapping with year, source, holidays and makeup_workdays")
    unknown = sorted(set(map(str, data)) - {"year", "source", "holidays", "makeup_workdays"})
    if unknown:
        raise BadInput(f"{unknown[0]}: unknown key (year, source, holidays, makeup_workdays)")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2200:
        raise BadInput(f"year: {year!r} is not a year (1900-2200)")
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise BadInput("source: the notice the days come from is required")
    lists = {}
    for key in ("holidays", "makeup_workdays"):
        values = data.get(key)
        if not isinstance(values, list) or (key == "holidays" and not values):
            raise BadInput(f"{key}: a list of days (YYYY-MM-DD) is required")
        days = []
        for i, value in enumerate(values):
            try:
                day = value if isinstance(value, date) else date.fromisoformat(str(value))
            except ValueError:
                raise BadInput(f"{key}[{i}]: {value!r} is not a date (YYYY-MM-DD)") from None
            if day.year != year:
                raise BadInput(f"{key}[{i}]: {day.isoformat()} is not in {year}")
            if day in days:
                raise BadInput(f"{key}[{i}]: {day.isoformat()} is listed twice")
            if key == "makeup_workdays" and day.weekday() < 5:
                raise BadInput(f"{key}[{i}]: {day.isoformat()} is a weekday; make-up workdays (调休) are weekend days")
            days.append(day)
        lists[key] = tuple(days)
    both = sorted(set(lists["holidays"]) & set(lists["makeup_workdays"]))
    if both:
        raise BadInput(f"{both[0].isoformat()} is both a holiday and a make-up workday")
    return YearNotice(year, source.strip(), lists["holidays"], lists["makeup_workdays"])
