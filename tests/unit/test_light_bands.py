"""Unit tests for approvals.deadlines.bands(): the due-date bands the sweep selects by must agree with light().

The sweep classifies rows in SQL: red if due < bands.today; yellow if today <= due <= last_yellow;
green otherwise. That is only right if it equals deadlines.light() for every due date a clock can
produce (a working day), on every day the sweep may run, holidays and make-up workdays included.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from approvals.calendar import CalendarUnknown, WorkingCalendar
from approvals.deadlines import Light, LightBands, bands, light


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def by_band(b: LightBands, due: date) -> Light:
    """The sweep's SQL, in Python."""
    if due < b.today:
        return Light.RED
    if due <= b.last_yellow:
        return Light.YELLOW
    return Light.GREEN


def _known_workday(cal: WorkingCalendar, day: date) -> bool:
    try:
        return cal.is_workday(day)
    except CalendarUnknown:
        return False


def assert_bands_agree_with_light(cal: WorkingCalendar, first: date, last: date, before: int = 12, after: int = 25):
    checked = 0
    for today in _days(first, last):
        b = bands(cal, today)
        assert b.today == today
        assert b.last_yellow >= today
        for due in _days(today - timedelta(days=before), today + timedelta(days=after)):
            if not _known_workday(cal, due):
                continue  # clocks only ever fall due on working days
            assert by_band(b, due) is light(cal, due, today), (today, due, b)
            checked += 1
    assert checked > 0


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2025, 9, 20), date(2025, 10, 20)),  # Mid-Autumn + National Day 2025, make-up 09-28 and 10-11
        (date(2026, 9, 20), date(2026, 10, 15)),  # Mid-Autumn 09-25, National Day 2026, make-up 09-20 and 10-10
        (date(2026, 2, 10), date(2026, 3, 2)),  # Spring Festival 2026, make-up 02-14 and 02-28
    ],
)
def test_bands_agree_with_light_across_holidays(first, last):
    assert_bands_agree_with_light(WorkingCalendar(), first, last)


def test_bands_agree_with_light_at_the_edge_of_the_announced_calendar():
    # today in late December 2026; due dates in 2027 are unknown and skipped, the rest must agree
    assert_bands_agree_with_light(WorkingCalendar(), date(2026, 12, 20), date(2026, 12, 31), after=10)


@pytest.mark.parametrize(
    "overrides",
    [
        {date(2025, 10, 9): False},  # an extra day off right after the Golden Week
        {date(2025, 10, 8): True, date(2025, 10, 4): True},  # working days inside it
        {date(2026, 9, 25): True, date(2026, 9, 20): False},  # Mid-Autumn worked, make-up Sunday cancelled
    ],
)
def test_bands_agree_with_light_with_overrides(overrides):
    cal = WorkingCalendar(overrides)
    first = min(overrides) - timedelta(days=8)
    assert_bands_agree_with_light(cal, first, first + timedelta(days=16), before=5, after=15)


def test_bands_agree_with_light_into_an_overridden_year():
    overrides = {date(2027, 1, 1): False, date(2027, 1, 2): False, date(2027, 1, 3): False}
    overrides |= {date(2027, 1, 4) + timedelta(days=i): i % 7 < 5 for i in range(14)}
    assert_bands_agree_with_light(WorkingCalendar(overrides), date(2026, 12, 24), date(2027, 1, 12), after=10)


@pytest.mark.parametrize(
    ("today", "last_yellow"),
    [
        (date(2025, 9, 26), date(2025, 9, 28)),  # Friday: the make-up Sunday is next
        (date(2025, 9, 30), date(2025, 10, 9)),  # the whole Golden Week is yellow-able
        (date(2025, 10, 5), date(2025, 10, 9)),  # a holiday Sunday
        (date(2025, 10, 10), date(2025, 10, 11)),  # make-up Saturday next
        (date(2026, 9, 24), date(2026, 9, 28)),  # Mid-Autumn Friday skipped
        (date(2026, 9, 30), date(2026, 10, 8)),
        (date(2026, 10, 9), date(2026, 10, 10)),
    ],
)
def test_bands_examples(today, last_yellow):
    assert bands(WorkingCalendar(), today) == LightBands(today, last_yellow)


def test_bands_when_tomorrow_is_unannounced():
    # next working day unknown: only a task due today is yellow, like light() with an unknown predecessor
    assert bands(WorkingCalendar(), date(2026, 12, 31)) == LightBands(date(2026, 12, 31), date(2026, 12, 31))


# BUG (minor): when `today` itself is an unknown day (unannounced year, no override) but the next
# working day is overridden, bands() says yellow while light() says green. The last working day
# before the due date is <= today whether or not today is a working day, so yellow is right;
# light() gives up because previous_working_day() has to ask about today.
def test_bands_agree_with_light_when_today_is_unknown():
    cal = WorkingCalendar({date(2027, 1, 5): True})  # 2027-01-04 left unknown
    today, due = date(2027, 1, 4), date(2027, 1, 5)
    assert by_band(bands(cal, today), due) is Light.YELLOW
    assert light(cal, due, today) is Light.YELLOW
