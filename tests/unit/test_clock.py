"""Unit tests for approvals.deadlines.due(): clocks in working days that stop, resume and hit a ceiling.

Expected dates are written out by hand from the State Council notices, not recomputed with the
code under test.

National Day + Mid-Autumn 2025: 10-01..10-08 off; Sunday 09-28 and Saturday 10-11 are make-up workdays.
  Working days after Friday 2025-09-26: 09-28 (1), 09-29 (2), 09-30 (3), 10-09 (4), 10-10 (5),
  10-11 (6), 10-13 (7), 10-14 (8), 10-15 (9), 10-16 (10), 10-17 (11), 10-20 (12), 10-21 (13),
  10-22 (14), 10-23 (15), 10-24 (16), 10-27 (17), 10-28 (18), 10-29 (19), 10-30 (20).
Mid-Autumn 2026: Friday 09-25 off (09-25..09-27). National Day 2026: 10-01..10-07 off; Sunday 09-20
and Saturday 10-10 are make-up workdays.
  Working days after Friday 2026-09-18: 09-20 (1), 09-21 (2), 09-22 (3), 09-23 (4), 09-24 (5),
  09-28 (6), 09-29 (7), 09-30 (8), 10-08 (9), 10-09 (10), 10-10 (11), 10-12 (12), 10-13 (13).
Spring Festival 2026: 02-15..02-23 off; Saturday 02-14 and Saturday 02-28 are make-up workdays.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from approvals.calendar import CalendarUnknown, WorkingCalendar
from approvals.deadlines import Due, StopKind, due
from approvals.deadlines import ClockState as CS

SUP, SPE = StopKind.SUPPLEMENT, StopKind.SPECIAL
FRI_2025 = date(2025, 9, 26)  # the Friday before the 2025 Golden Week
FRI_2026 = date(2026, 9, 18)  # the Friday before the 2026 Mid-Autumn / National Day


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar()


def d(month: int, day: int, year: int = 2025) -> date:
    return date(year, month, day)


# --- DOMAIN.md vectors and the holidays around them -------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (FRI_2025, 5, d(10, 10)),
        (FRI_2025, 20, d(10, 30)),
        (date(2026, 2, 13), 3, date(2026, 2, 25)),
    ],
)
def test_domain_vectors(cal, start, days, expected):
    assert due(cal, CS(start, days)) == Due(expected)
    assert due(cal, CS(start, days, statutory_days=days)) == Due(expected)
    assert due(cal, CS(start, days, statutory_days=20)) == Due(expected)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # 2025: make-up Sunday 09-28, holiday 10-01..10-08, make-up Saturday 10-11
        (FRI_2025, 1, d(9, 28)),
        (d(9, 27), 1, d(9, 28)),  # from a Saturday: the make-up Sunday is the next working day
        (FRI_2025, 3, d(9, 30)),
        (FRI_2025, 4, d(10, 9)),  # jumps the whole Golden Week
        (d(9, 30), 1, d(10, 9)),
        (d(10, 3), 1, d(10, 9)),  # started inside the holiday
        (FRI_2025, 6, d(10, 11)),  # lands on the make-up Saturday
        (d(10, 10), 1, d(10, 11)),
        (d(10, 11), 1, d(10, 13)),
        (FRI_2025, 12, d(10, 20)),
        # 2026: make-up Sunday 09-20, Mid-Autumn 09-25, holiday 10-01..10-07, make-up Saturday 10-10
        (FRI_2026, 1, date(2026, 9, 20)),
        (date(2026, 9, 19), 1, date(2026, 9, 20)),
        (FRI_2026, 5, date(2026, 9, 24)),
        (FRI_2026, 6, date(2026, 9, 28)),  # skips the Mid-Autumn Friday and the weekend
        (date(2026, 9, 24), 1, date(2026, 9, 28)),
        (FRI_2026, 8, date(2026, 9, 30)),
        (FRI_2026, 9, date(2026, 10, 8)),  # jumps the whole Golden Week
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (FRI_2026, 11, date(2026, 10, 10)),  # lands on the make-up Saturday
        (date(2026, 10, 9), 1, date(2026, 10, 10)),
        (FRI_2026, 13, date(2026, 10, 13)),
        # Spring Festival 2026
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 14), 1, date(2026, 2, 24)),
        (date(2026, 2, 27), 1, date(2026, 2, 28)),
    ],
)
def test_due_across_holidays_and_make_up_workdays(cal, start, days, expected):
    assert due(cal, CS(start, days)).date == expected


def test_a_zero_day_clock_is_due_on_its_start_day(cal):
    assert due(cal, CS(FRI_2025, 0)).date == FRI_2025


# --- supplement stops (补齐补正) spanning a holiday --------------------------------------------

# A supplement asked on Monday 09-29 and supplied on Friday 10-10 stopped the clock for the working
# days in (09-29, 10-10]: 09-30, 10-09, 10-10 = 3, although twelve calendar days went by.


def test_closed_supplement_stop_moves_the_due_date_by_the_working_days_stopped(cal):
    assert cal.working_days_between(d(9, 29), d(10, 10)) == 3
    assert due(cal, CS(FRI_2025, 5, supplement_days=3)).date == d(10, 14)
    assert due(cal, CS(FRI_2025, 5, statutory_days=20, supplement_days=3)).date == d(10, 14)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (d(9, 29), d(10, 10)),  # stopped today: nothing spent yet
        (d(9, 30), d(10, 11)),  # one working day stopped
        (d(10, 1), d(10, 11)),  # holidays do not count as stopped working days
        (d(10, 8), d(10, 11)),
        (d(10, 9), d(10, 13)),
        (d(10, 10), d(10, 14)),  # the same as the closed stop above
        (d(10, 11), d(10, 15)),  # the make-up Saturday counts
        (d(10, 12), d(10, 15)),  # a Sunday does not
    ],
)
def test_open_supplement_stop_is_projected_to_today(cal, today, expected):
    clock = CS(FRI_2025, 5, statutory_days=20, stopped=SUP, stopped_on=d(9, 29))
    assert due(cal, clock, today).date == expected


def test_open_stop_without_today_is_not_projected(cal):
    clock = CS(FRI_2025, 5, stopped=SUP, stopped_on=d(9, 29))
    assert due(cal, clock).date == d(10, 10)
    assert due(cal, clock, None).date == d(10, 10)


def test_open_stop_adds_to_earlier_closed_stops(cal):
    clock = CS(FRI_2025, 5, supplement_days=2, special_days=1, stopped=SUP, stopped_on=d(9, 29))
    # 5 + 2 + 1 + 3 running = 11 working days after 09-26
    assert due(cal, clock, d(10, 10)).date == d(10, 17)


def test_open_stop_with_today_before_stopped_on_spends_nothing(cal):
    clock = CS(FRI_2025, 5, stopped=SUP, stopped_on=d(10, 9))
    assert due(cal, clock, d(9, 29)).date == d(10, 10)


def test_supplement_stop_spanning_the_2026_golden_week(cal):
    # Stopped Wednesday 2026-09-23, resumed Friday 10-09: 09-24, 09-28, 09-29, 09-30, 10-08, 10-09 = 6.
    assert cal.working_days_between(date(2026, 9, 23), date(2026, 10, 9)) == 6
    closed = CS(FRI_2026, 5, supplement_days=6)
    opened = CS(FRI_2026, 5, stopped=SUP, stopped_on=date(2026, 9, 23))
    assert due(cal, closed).date == date(2026, 10, 10)  # 11th working day: the make-up Saturday
    assert due(cal, opened, date(2026, 10, 9)).date == date(2026, 10, 10)
    assert due(cal, opened, date(2026, 10, 4)).date == date(2026, 10, 8)  # 4 stopped so far


# --- special procedures (特别程序) -------------------------------------------------------------


def test_closed_special_procedure_moves_the_due_date_like_a_supplement(cal):
    assert due(cal, CS(FRI_2025, 5, special_days=3)).date == d(10, 14)
    assert due(cal, CS(FRI_2025, 5, statutory_days=20, special_days=3)).date == d(10, 14)


@pytest.mark.parametrize(("today", "expected"), [(d(9, 29), d(10, 10)), (d(10, 5), d(10, 11)), (d(10, 10), d(10, 14))])
def test_open_special_procedure_is_projected_to_today(cal, today, expected):
    clock = CS(FRI_2025, 5, statutory_days=20, stopped=SPE, stopped_on=d(9, 29))
    assert due(cal, clock, today).date == expected


def test_special_procedure_extends_the_statutory_ceiling_but_a_supplement_does_not(cal):
    # promised = statutory = 5: any stop pushes the promised date past the plain ceiling (10-10)
    assert due(cal, CS(FRI_2025, 5, statutory_days=5, supplement_days=3)).date == d(10, 10)
    assert due(cal, CS(FRI_2025, 5, statutory_days=5, special_days=3)).date == d(10, 14)


def test_open_special_procedure_extends_the_ceiling_but_an_open_supplement_does_not(cal):
    special = CS(FRI_2025, 5, statutory_days=5, stopped=SPE, stopped_on=d(9, 29))
    supplement = CS(FRI_2025, 5, statutory_days=5, stopped=SUP, stopped_on=d(9, 29))
    assert due(cal, special, d(10, 10)).date == d(10, 14)
    assert due(cal, supplement, d(10, 10)).date == d(10, 10)


def test_supplement_and_special_together_against_the_ceiling(cal):
    # promised 5 + supplement 2 + special 3 = 10 (10-16); ceiling 6 + special 3 = 9 (10-15)
    assert due(cal, CS(FRI_2025, 5, statutory_days=6, supplement_days=2, special_days=3)).date == d(10, 15)
    # a roomier ceiling lets the promised date through
    assert due(cal, CS(FRI_2025, 5, statutory_days=20, supplement_days=2, special_days=3)).date == d(10, 16)


# --- the statutory ceiling --------------------------------------------------------------------


def test_statutory_ceiling_caps_a_long_supplement(cal):
    # promised 5, statutory 8, 10 days of supplement: start + 8, not start + 15
    assert due(cal, CS(FRI_2025, 5, statutory_days=8, supplement_days=10)).date == d(10, 14)
    assert due(cal, CS(FRI_2025, 5, supplement_days=10)).date == d(10, 23)


def test_statutory_ceiling_caps_an_open_supplement(cal):
    clock = CS(FRI_2025, 5, statutory_days=8, stopped=SUP, stopped_on=d(9, 29))
    assert due(cal, clock, d(10, 31)).date == d(10, 14)


def test_special_procedure_moves_the_ceiling_with_it(cal):
    # promised 5 + special 10 = 15 (10-23); ceiling 8 + 10 = 18 (10-28): the promise still binds
    assert due(cal, CS(FRI_2025, 5, statutory_days=8, special_days=10)).date == d(10, 23)


def test_ceiling_equal_to_promise(cal):
    assert due(cal, CS(FRI_2025, 8, statutory_days=8, supplement_days=1)).date == d(10, 14)
    assert due(cal, CS(FRI_2025, 8, statutory_days=8)).date == d(10, 14)


def test_no_ceiling_for_a_case_clock(cal):
    assert due(cal, CS(FRI_2025, 5, statutory_days=None, supplement_days=15)).date == d(10, 30)
    open_stop = CS(FRI_2025, 5, stopped=SUP, stopped_on=d(9, 29))
    assert due(cal, open_stop, d(10, 30)).date == date(2025, 11, 4)  # 5 + 18 stopped = 23rd working day


# --- administrator overrides ----------------------------------------------------------------


def test_holiday_override_pushes_the_due_date():
    cal = WorkingCalendar({d(10, 9): False})
    assert due(cal, CS(FRI_2025, 5)).date == d(10, 11)
    assert due(cal, CS(FRI_2025, 5, statutory_days=5, supplement_days=3)).date == d(10, 11)


def test_workday_override_pulls_the_due_date():
    cal = WorkingCalendar({d(10, 8): True})
    assert due(cal, CS(FRI_2025, 5)).date == d(10, 9)


def test_workday_override_on_the_2026_mid_autumn_holiday():
    cal = WorkingCalendar({date(2026, 9, 25): True})
    assert due(cal, CS(FRI_2026, 6)).date == date(2026, 9, 25)
    assert due(WorkingCalendar(), CS(FRI_2026, 6)).date == date(2026, 9, 28)


def test_override_changes_the_working_days_an_open_stop_spent():
    # With 09-30 declared a holiday the stop (09-29 .. 10-10) spent only 10-09 and 10-10.
    cal = WorkingCalendar({d(9, 30): False})
    clock = CS(FRI_2025, 5, stopped=SUP, stopped_on=d(9, 29))
    # 5 + 2 = the 7th working day: 09-28, 09-29, 10-09, 10-10, 10-11, 10-13, 10-14
    assert due(cal, clock, d(10, 10)).date == d(10, 14)


# --- unannounced years: refuse, never guess ----------------------------------------------------


def _assert_refused(result: Due) -> None:
    assert result.date is None
    assert result.note is not None
    assert "2027" in result.note
    assert "onevisit calendar set" in result.note


def test_unannounced_year_gives_no_date_and_a_note(cal):
    _assert_refused(due(cal, CS(date(2026, 12, 30), 3)))
    _assert_refused(due(cal, CS(date(2027, 3, 1), 1)))
    _assert_refused(due(cal, CS(date(2026, 12, 30), 3, statutory_days=20)))


def test_open_stop_into_an_unannounced_year_is_refused(cal):
    clock = CS(date(2026, 12, 1), 5, stopped=SUP, stopped_on=date(2026, 12, 28))
    _assert_refused(due(cal, clock, date(2027, 1, 4)))


def test_a_known_due_date_carries_no_note(cal):
    assert due(cal, CS(date(2026, 12, 28), 3)) == Due(date(2026, 12, 31), None)


_NEW_YEAR_2027 = {
    date(2027, 1, 1): False,
    date(2027, 1, 2): False,
    date(2027, 1, 3): False,
    date(2027, 1, 4): True,
    date(2027, 1, 5): True,
    date(2027, 1, 6): True,
}


def test_overrides_for_every_needed_day_let_an_unannounced_year_compute():
    cal = WorkingCalendar(_NEW_YEAR_2027)
    # 12-31 (1), 01-04 (2), 01-05 (3), 01-06 (4)
    assert due(cal, CS(date(2026, 12, 30), 3)) == Due(date(2027, 1, 5))
    assert due(cal, CS(date(2026, 12, 30), 4)) == Due(date(2027, 1, 6))
    _assert_refused(due(cal, CS(date(2026, 12, 30), 5)))  # 01-07 is still unknown


# BUG: due() computes the promised date and the statutory ceiling separately and refuses if
# EITHER reaches an unannounced year, although the due date is their minimum and the smaller one
# is known. add_working_days is monotone in its count, so due() could count only
# min(promised + supplement + special, statutory + special) days.


def test_promised_date_in_an_announced_year_is_not_refused_for_a_far_ceiling(cal):
    # An ordinary task accepted Friday 2026-12-18: promised 5 working days -> Friday 12-25.
    # Its statutory 20 days would end in January 2027, but the ceiling cannot bind: 5 <= 20.
    assert cal.add_working_days(date(2026, 12, 18), 5) == date(2026, 12, 25)
    assert due(cal, CS(date(2026, 12, 18), 5, statutory_days=20)) == Due(date(2026, 12, 25))


def test_ceiling_in_an_announced_year_is_not_refused_for_a_far_promise(cal):
    # Promised 5 + 20 days of supplement runs into 2027, but the statutory 8 caps it at 12-22.
    assert cal.add_working_days(date(2026, 12, 10), 8) == date(2026, 12, 22)
    assert due(cal, CS(date(2026, 12, 10), 5, statutory_days=8, supplement_days=20)) == Due(date(2026, 12, 22))


def test_overrides_for_a_partial_year_still_refuse_the_gap():
    cal = WorkingCalendar({date(2027, 1, 4): True})  # 01-01..01-03 not set
    _assert_refused(due(cal, CS(date(2026, 12, 30), 2)))


# --- WorkingCalendar helpers the clock and the sweep rely on ------------------------------------


def test_announced(cal):
    assert cal.announced(2025) is True
    assert cal.announced(2026) is True
    assert cal.announced(2027) is False


def test_announced_ignores_overrides():
    assert WorkingCalendar(_NEW_YEAR_2027 | {date(2027, 6, 1): True}).announced(2027) is False


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (FRI_2025, d(9, 28)),
        (d(9, 27), d(9, 28)),
        (d(9, 30), d(10, 9)),
        (d(10, 4), d(10, 9)),
        (d(10, 10), d(10, 11)),
        (d(10, 11), d(10, 13)),
        (date(2026, 9, 24), date(2026, 9, 28)),
        (date(2026, 9, 30), date(2026, 10, 8)),
        (date(2026, 10, 9), date(2026, 10, 10)),
        (date(2026, 2, 14), date(2026, 2, 24)),
    ],
)
def test_next_working_day(cal, day, expected):
    assert cal.next_working_day(day) == expected


def test_next_working_day_into_an_unannounced_year(cal):
    with pytest.raises(CalendarUnknown):
        cal.next_working_day(date(2026, 12, 31))
    assert WorkingCalendar(_NEW_YEAR_2027).next_working_day(date(2026, 12, 31)) == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (d(10, 10), 0, d(10, 10)),
        (d(10, 9), 1, d(10, 8)),  # (10-08, 10-09] holds one working day
        (d(10, 9), 2, d(9, 29)),  # 09-30 and 10-09
        (d(10, 10), 5, d(9, 27)),  # the Saturday before the make-up Sunday
        (d(10, 5), 1, d(9, 29)),  # from inside the holiday
        (d(10, 13), 2, d(10, 10)),  # 10-11 (make-up Saturday) and 10-13
        (date(2026, 10, 8), 1, date(2026, 10, 7)),
        (date(2026, 10, 8), 2, date(2026, 9, 29)),  # 09-30 and 10-08
        (date(2026, 2, 24), 1, date(2026, 2, 23)),
        (date(2026, 2, 24), 2, date(2026, 2, 13)),
    ],
)
def test_subtract_working_days_examples(cal, day, n, expected):
    assert cal.subtract_working_days(day, n) == expected


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    ("first", "last"),
    [(d(9, 20), d(10, 20)), (date(2026, 9, 20), date(2026, 10, 15)), (date(2026, 2, 10), date(2026, 3, 2))],
)
def test_subtract_working_days_is_the_latest_inverse(cal, first, last):
    # The same calendar with every day of the range pinned as an override: identical answers, but
    # without chinesecalendar's per-day lookup cost, so the property can be checked exhaustively.
    pinned = WorkingCalendar({day: cal.is_workday(day) for day in _days(first - timedelta(days=40), last)})
    assert pinned.subtract_working_days(last, 11) == cal.subtract_working_days(last, 11)
    cal = pinned
    for day in _days(first, last):
        for n in range(0, 12):
            back = cal.subtract_working_days(day, n)
            assert cal.working_days_between(back, day) == n, (day, n, back)
            # the latest such date: the count only falls as the start moves later, so the next day
            # counting fewer (or `back` being `day` itself) proves no later date works
            assert back <= day
            if n == 0:
                assert back == day
            else:
                assert cal.working_days_between(back + timedelta(days=1), day) == n - 1, (day, n, back)


def test_subtract_working_days_inverts_add_for_working_days(cal):
    for n in range(1, 20):
        end = cal.add_working_days(FRI_2025, n)
        back = cal.subtract_working_days(end, n)
        assert back >= FRI_2025
        assert cal.add_working_days(back, n) == end
