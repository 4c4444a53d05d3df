"""The rules of reports: periods, the day a scheduled report is about, working days only, p90, the ranking."""

from __future__ import annotations

import math
from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given, strategies as st

from approvals.calendar import WorkingCalendar
from approvals.errors import BadInput
from approvals.reports import ReportKind, Standing, last_complete, p90, parse_kind, period_of, rank, scheduled_today

CAL = WorkingCalendar()


def test_periods_are_the_day_its_monday_to_sunday_week_and_its_month():
    day = date(2026, 2, 18)  # a Wednesday
    assert period_of(ReportKind.DAILY, day).start == period_of(ReportKind.DAILY, day).end == day
    week = period_of(ReportKind.WEEKLY, day)
    assert (week.start.weekday(), week.end.weekday(), (week.end - week.start).days) == (0, 6, 6)
    assert week.start <= day <= week.end
    month = period_of(ReportKind.MONTHLY, day)
    assert (month.start, month.end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert len(month.days()) == 28


def test_unknown_kinds_are_bad_input():
    assert parse_kind("weekly") is ReportKind.WEEKLY
    with pytest.raises(BadInput):
        parse_kind("yearly")


def test_reports_go_out_on_working_days_only_and_the_bulletin_on_the_weeks_first_working_day():
    """Across the 2026 National Day holiday: the days follow chinese_calendar, make-up workdays included."""
    for offset in range(0, 21):
        day = date(2026, 9, 21) + timedelta(days=offset)
        working = chinese_calendar.is_workday(day)
        assert scheduled_today(ReportKind.DAILY, day, CAL) is working
        monday = day - timedelta(days=day.weekday())
        earlier = [monday + timedelta(days=n) for n in range(day.weekday())]
        first = working and not any(chinese_calendar.is_workday(d) for d in earlier)
        assert scheduled_today(ReportKind.WEEKLY, day, CAL) is first, day
    week_of_holiday = [date(2026, 10, 5) + timedelta(days=n) for n in range(7)]
    assert [d for d in week_of_holiday if scheduled_today(ReportKind.WEEKLY, d, CAL)] == \
        [next(d for d in week_of_holiday if chinese_calendar.is_workday(d))]
    assert not scheduled_today(ReportKind.DAILY, date(2027, 3, 1), CAL)  # an unannounced year: nobody can say


def test_the_daily_report_is_about_the_previous_working_day():
    assert last_complete(ReportKind.DAILY, date(2026, 3, 9), CAL) == date(2026, 3, 6)  # Monday -> Friday
    after_holiday = date(2026, 10, 8)
    assert last_complete(ReportKind.DAILY, after_holiday, CAL) == CAL.previous_working_day(after_holiday)
    assert last_complete(ReportKind.WEEKLY, date(2026, 3, 9), CAL) == date(2026, 3, 2)
    assert last_complete(ReportKind.MONTHLY, date(2026, 3, 9), CAL) == date(2026, 2, 28)


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=200))
def test_p90_is_the_nearest_rank(values):
    got = p90(values)
    assert got in values
    assert sum(v <= got for v in values) >= math.ceil(0.9 * len(values))
    assert sum(v < got for v in values) < math.ceil(0.9 * len(values))


def test_the_ranking_puts_the_best_first_shares_ties_and_flags_the_last_place():
    ranked = rank([Standing("B", 0.9, 0.8, 10), Standing("A", 0.9, 0.8, 4), Standing("C", 1.0, 1.2, 3),
                   Standing("D", 0.5, 0.4, 8), Standing("E", 0.9, 0.5, 2)])
    assert [(r, s.agency, flag) for r, s, flag in ranked] == [
        (1, "C", False), (2, "E", False), (3, "A", False), (3, "B", False), (5, "D", True)]
    tied = rank([Standing("A", 1.0, 1.0, 1), Standing("B", 1.0, 1.0, 1)])
    assert [flag for _, _, flag in tied] == [False, False]  # all equal: nobody is last
    assert rank([]) == []
