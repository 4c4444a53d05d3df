"""The rules of the reports leaders read: periods, on-time, percentiles and the ranking (末位约谈).

Pure: the read side hands in rows and dates, nothing here reads a clock or a database.
"""

from __future__ import annotations

import math
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from approvals.calendar import CalendarUnknown, WorkingCalendar
from approvals.errors import BadInput


class ReportKind(StrEnum):
    DAILY = "daily"  # 天调度
    WEEKLY = "weekly"  # 周督查, 周通报
    MONTHLY = "monthly"


TITLES = {ReportKind.DAILY: "每日调度", ReportKind.WEEKLY: "每周通报", ReportKind.MONTHLY: "月度报告"}


@dataclass(frozen=True)
class Period:
    kind: ReportKind
    start: date
    end: date  # inclusive

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def parse_kind(text: str) -> ReportKind:
    try:
        return ReportKind(text)
    except ValueError:
        raise BadInput(f"unknown report {text!r} (one of: daily, weekly, monthly)") from None


def period_of(kind: ReportKind, day: date) -> Period:
    """The day itself; its week, Monday to Sunday; its calendar month."""
    if kind is ReportKind.DAILY:
        return Period(kind, day, day)
    if kind is ReportKind.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=6))
    return Period(kind, day.replace(day=1), day.replace(day=monthrange(day.year, day.month)[1]))


def last_complete(kind: ReportKind, today: date, calendar: WorkingCalendar) -> date:
    """The day a report made `today` is about: the previous working day, last week, last month."""
    if kind is ReportKind.DAILY:
        try:
            return calendar.previous_working_day(today)
        except CalendarUnknown:
            return today - timedelta(days=1)
    if kind is ReportKind.WEEKLY:
        return today - timedelta(days=7)
    return today.replace(day=1) - timedelta(days=1)


def scheduled_today(kind: ReportKind, today: date, calendar: WorkingCalendar) -> bool:
    """Reports go out on working days only: the daily one each working day, the weekly one on the week's first
    working day (Monday, or the day after a holiday), the monthly one on the month's first working day."""
    try:
        if not calendar.is_workday(today):
            return False
        if kind is ReportKind.DAILY:
            return True
        first = today - timedelta(days=today.weekday()) if kind is ReportKind.WEEKLY else today.replace(day=1)
        return all(not calendar.is_workday(first + timedelta(days=n)) for n in range((today - first).days))
    except CalendarUnknown:
        return False  # an unannounced year: nobody can say it is a working day


def p90(values: list[int]) -> int:
    """The 90th percentile by nearest rank: the smallest value at least 90 % of the values do not exceed."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class Standing:
    agency: str
    on_time_rate: float
    average_ratio: float | None  # working days used / promised; lower is faster
    decided: int


def rank(standings: list[Standing], last_places: int = 1) -> list[tuple[int, Standing, bool]]:
    """Best first: on-time rate, then speed against the limit, then the code; equal figures share a rank.
    The last `last_places` ranks are flagged (末位约谈), unless every agency shares one rank."""
    key = lambda s: (-s.on_time_rate, s.average_ratio if s.average_ratio is not None else math.inf)  # noqa: E731
    ordered = sorted(standings, key=lambda s: (*key(s), s.agency))
    ranked: list[tuple[int, Standing]] = []
    for position, standing in enumerate(ordered, start=1):
        same = ranked and key(ranked[-1][1]) == key(standing)
        ranked.append((ranked[-1][0] if same else position, standing))
    ranks = sorted({r for r, _ in ranked})
    flagged = set(ranks[-last_places:]) if len(ranks) > 1 else set()
    return [(r, s, r in flagged) for r, s in ranked]
