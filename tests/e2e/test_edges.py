"""Edges a real service hall meets: a year with no announced calendar, typos in admin commands,
settings out of range, and reads that must stay lean."""

from __future__ import annotations

from datetime import date, timedelta

from approvals.calendar import WorkingCalendar
from tests.support import at, review, show, submit

LAST_WEEK_OF_2026 = date(2026, 12, 28)  # a Monday; 2027 is not announced in chinesecalendar


def test_a_stop_that_ends_in_an_unannounced_year_is_never_guessed(fresh_env, run, application):
    """A supplement requested in 2026 and answered in 2027: the working days stopped cannot be counted,
    so the due date is unknown (with a note) until an administrator sets the days; then it is exact."""
    case_no = submit(run, application("COMPANY_START"), now=at(LAST_WEEK_OF_2026))["case_no"]
    licence = review(show(run, case_no, now=at(LAST_WEEK_OF_2026)), "BIZ_LICENCE")
    asked = run("decide", licence["task_id"], "supplement", "--material", "ARTICLES", "--operator", "SAMR-reviewer",
                now=at(LAST_WEEK_OF_2026))
    assert asked.code == 0, asked.err

    back = date(2027, 1, 5)
    supplied = run("supplement", case_no, "--material", "ARTICLES", now=at(back))
    assert supplied.code == 0, supplied.err
    task = review(show(run, case_no, now=at(back)), "BIZ_LICENCE")
    assert task["status"] == "pending" and task["due_date"] is None
    assert "cannot be counted" in task["due_note"]

    # The State Council's 2027 notice, as an administrator types it in.
    overrides = {date(2027, 1, 1): "holiday"} | {
        date(2027, 1, 1) + timedelta(days=n): "workday" for n in range(1, 31)
        if (date(2027, 1, 1) + timedelta(days=n)).weekday() < 5
    } | {date(2027, 1, 1) + timedelta(days=n): "holiday" for n in range(1, 31)
         if (date(2027, 1, 1) + timedelta(days=n)).weekday() >= 5}
    for day, kind in sorted(overrides.items()):
        done = run("calendar", "set", day.isoformat(), kind, "--reason", "2027 notice", "--operator", "admin",
                   now=at(back))
        assert done.code == 0, done.err
    calendar = WorkingCalendar({d: k == "workday" for d, k in overrides.items()})
    stopped = calendar.working_days_between(LAST_WEEK_OF_2026, back)
    task = review(show(run, case_no, now=at(back)), "BIZ_LICENCE")
    promised, statutory = task_limits(run)
    expected = calendar.add_working_days(LAST_WEEK_OF_2026, min(promised + stopped, statutory))  # the ceiling holds
    assert task["due_date"] == expected.isoformat() and task["due_note"] is None
    stops = show(run, case_no, now=at(back))["suspensions"]
    assert [s["working_days"] for s in stops] == [stopped]


def task_limits(run) -> tuple[int, int]:
    listing = run("catalog", "list", "--json").json()
    bundle = next(b for b in listing["bundles"] if b["code"] == "COMPANY_START")
    licence = next(m for m in bundle["matters"] if m["matter"] == "BIZ_LICENCE")
    return licence["promised_days"], licence["statutory_days"]


def test_stalled_listing_in_an_unannounced_year_says_what_to_do(env, run):
    result = run("cases", "--stalled", "--json", now="2027-03-01T09:00:00+08:00")
    assert result.code == 1 and "Traceback" not in result.err
    assert result.err.count("\n") == 1 and "onevisit calendar set" in result.err


def test_orchestrate_refuses_an_unknown_case_before_starting_prefect(env, run):
    result = run("orchestrate", "--case", "OV00000000999999", "--operator", "admin")
    assert result.code == 1 and "no case OV00000000999999" in result.err


def test_admin_typos_are_bad_input(env, run):
    assert run("credit", "show", "abc").code == 2
    assert run("calendar", "set", "9999-12-31", "holiday", "--reason", "typo", "--operator", "admin").code == 2
    assert run("calendar", "set", "2026-13-01", "holiday", "--reason", "typo", "--operator", "admin").code == 2
    assert run("calendar", "show", "12026").code == 2


def test_verify_names_an_unknown_matter_as_bad_input(env, run, application):
    case_no = submit(run, application("RESTAURANT"))["case_no"]
    result = run("verify", case_no, "--matter", "NOPE", "--passed", "--operator", "SAMR-reviewer")
    assert result.code == 2 and "NOPE" in result.err


def test_settings_out_of_range_are_bad_input(env, run, monkeypatch):
    monkeypatch.setenv("ONEVISIT_CLAIM_LEASE_SECONDS", "99999999999")
    result = run("cases", "--stalled")
    assert result.code == 2 and "ONEVISIT_CLAIM_LEASE_SECONDS" in result.err and "Traceback" not in result.err
