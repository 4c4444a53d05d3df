"""Unit tests for approvals.calendar and approvals.deadlines: working days, overrides, warning lights."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from approvals.calendar import CalendarUnknown, WorkingCalendar
from approvals.deadlines import Light, due_date, light

# National Day + Mid-Autumn 2025: 10-01..10-08 off; Sunday 09-28 and Saturday 10-11 are make-up workdays.
# Spring Festival 2026: 02-15..02-23 off; Saturday 02-14 and Saturday 02-28 are make-up workdays.


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# --- DOMAIN.md test vectors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2025, 9, 26), 5, date(2025, 10, 10)),
        (date(2025, 9, 26), 20, date(2025, 10, 30)),
        (date(2026, 2, 13), 3, date(2026, 2, 25)),
    ],
)
def test_domain_vectors(cal, start, days, expected):
    assert cal.add_working_days(start, days) == expected
    assert due_date(cal, start, days) == expected


def test_start_day_itself_never_counts(cal):
    monday = date(2025, 11, 3)
    assert cal.add_working_days(monday, 1) == date(2025, 11, 4)
    assert cal.add_working_days(monday, 0) == monday


def test_ordinary_weekend_is_skipped(cal):
    friday = date(2025, 11, 7)
    assert cal.add_working_days(friday, 1) == date(2025, 11, 10)


# --- make-up workdays (调休) -------------------------------------------------------------------


def test_sunday_make_up_workday_is_a_working_day(cal):
    sunday = date(2025, 9, 28)
    assert sunday.weekday() == 6
    assert cal.is_workday(sunday)
    # Friday + 1 working day lands on that Sunday, not on Monday.
    assert cal.add_working_days(date(2025, 9, 26), 1) == sunday


def test_saturday_make_up_workday_is_a_working_day(cal):
    saturday = date(2025, 10, 11)
    assert saturday.weekday() == 5
    assert cal.is_workday(saturday)
    assert cal.add_working_days(date(2025, 10, 10), 1) == saturday


def test_weekday_inside_a_holiday_is_not_a_working_day(cal):
    assert date(2025, 10, 1).weekday() == 2
    assert not cal.is_workday(date(2025, 10, 1))
    assert not cal.is_workday(date(2026, 2, 20))


# --- administrator overrides ------------------------------------------------------------------


def test_holiday_override_pushes_a_deadline():
    # An extra day off on 10-09 moves the 5th working day past 10-10 onto the make-up Saturday.
    cal = WorkingCalendar({date(2025, 10, 9): False})
    assert not cal.is_workday(date(2025, 10, 9))
    assert cal.add_working_days(date(2025, 9, 26), 5) == date(2025, 10, 11)


def test_workday_override_pulls_a_deadline_forward():
    cal = WorkingCalendar({date(2025, 10, 8): True})
    assert cal.is_workday(date(2025, 10, 8))
    assert cal.add_working_days(date(2025, 9, 26), 5) == date(2025, 10, 9)


def test_overrides_do_not_leak_between_calendars():
    WorkingCalendar({date(2025, 10, 8): True})
    assert not WorkingCalendar().is_workday(date(2025, 10, 8))


def test_override_mapping_is_copied():
    overrides = {date(2025, 10, 8): True}
    cal = WorkingCalendar(overrides)
    overrides[date(2025, 10, 8)] = False
    assert cal.is_workday(date(2025, 10, 8))


# --- unannounced years: refuse, never guess ----------------------------------------------------


def test_unannounced_year_raises_calendar_unknown(cal):
    day = date(2027, 3, 3)  # an ordinary Wednesday, but 2027 is not announced
    with pytest.raises(CalendarUnknown) as err:
        cal.is_workday(day)
    assert err.value.day == day
    assert "2027" in str(err.value)


def test_override_answers_for_an_unannounced_day():
    cal = WorkingCalendar({date(2027, 3, 3): True, date(2027, 3, 4): False})
    assert cal.is_workday(date(2027, 3, 3)) is True
    assert cal.is_workday(date(2027, 3, 4)) is False
    with pytest.raises(CalendarUnknown):
        cal.is_workday(date(2027, 3, 5))


def test_counting_into_an_unannounced_year_raises(cal):
    with pytest.raises(CalendarUnknown) as err:
        cal.add_working_days(date(2026, 12, 28), 10)
    assert err.value.day.year == 2027


def test_overrides_can_carry_a_count_into_an_unannounced_year():
    overrides = {date(2027, 1, 1): False, date(2027, 1, 2): False, date(2027, 1, 3): False, date(2027, 1, 4): True}
    cal = WorkingCalendar(overrides)
    assert cal.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_due_date_is_none_for_an_unannounced_year(cal):
    assert due_date(cal, date(2026, 12, 20), 20) is None
    assert due_date(cal, date(2027, 5, 10), 1) is None


# --- working_days_between / previous_working_day --------------------------------------------


def test_working_days_between_counts_the_half_open_interval(cal):
    assert cal.working_days_between(date(2025, 9, 26), date(2025, 10, 10)) == 5
    assert cal.working_days_between(date(2025, 9, 26), date(2025, 10, 30)) == 20
    assert cal.working_days_between(date(2025, 9, 30), date(2025, 10, 8)) == 0  # all holiday
    assert cal.working_days_between(date(2025, 10, 10), date(2025, 10, 10)) == 0
    assert cal.working_days_between(date(2025, 10, 10), date(2025, 9, 26)) == 0


def test_working_days_between_inverts_add_working_days(cal):
    start = date(2025, 9, 20)
    for n in range(0, 40):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_previous_working_day(cal):
    assert cal.previous_working_day(date(2025, 10, 9)) == date(2025, 9, 30)  # across the holiday
    assert cal.previous_working_day(date(2025, 9, 29)) == date(2025, 9, 28)  # make-up Sunday
    assert cal.previous_working_day(date(2025, 11, 10)) == date(2025, 11, 7)  # ordinary weekend
    assert cal.previous_working_day(date(2026, 2, 24)) == date(2026, 2, 14)  # Spring Festival


def test_previous_working_day_respects_overrides():
    cal = WorkingCalendar({date(2025, 9, 30): False})
    assert cal.previous_working_day(date(2025, 10, 9)) == date(2025, 9, 29)


# --- warning lights (红黄灯预警) -----------------------------------------------------------------


def test_light_is_none_without_a_due_date(cal):
    assert light(cal, None, date(2025, 10, 1)) is None


def test_light_yellow_starts_on_the_last_working_day_before_due(cal):
    due = date(2025, 10, 9)  # the last working day before it is 09-30, across the holiday
    assert light(cal, due, date(2025, 9, 29)) is Light.GREEN
    assert light(cal, due, date(2025, 9, 30)) is Light.YELLOW
    assert light(cal, due, date(2025, 10, 5)) is Light.YELLOW  # inside the holiday
    assert light(cal, due, due) is Light.YELLOW  # due today is not yet overdue
    assert light(cal, due, date(2025, 10, 10)) is Light.RED
    assert light(cal, due, date(2026, 1, 1)) is Light.RED


def test_light_on_an_ordinary_week(cal):
    due = date(2025, 11, 12)  # Wednesday
    assert light(cal, due, date(2025, 11, 10)) is Light.GREEN
    assert light(cal, due, date(2025, 11, 11)) is Light.YELLOW
    assert light(cal, due, date(2025, 11, 13)) is Light.RED


def test_light_values_are_stable_strings():
    assert [str(v) for v in Light] == ["green", "yellow", "red"]


def test_light_when_the_day_before_due_is_unannounced():
    # Due on an overridden day whose predecessor nobody announced: no working day can lie between
    # the day before and the due day, so the last working day before it has already begun: yellow.
    cal = WorkingCalendar({date(2027, 1, 4): True})
    due = date(2027, 1, 4)
    assert light(cal, due, due - timedelta(days=1)) is Light.YELLOW
    assert light(cal, due, due) is Light.YELLOW
    assert light(cal, due, due + timedelta(days=1)) is Light.RED
