"""Time limits in working days through the CLI: clocks that stop (补齐补正, 特别程序), the calendar
override table and unannounced years, stalled and overdue cases.

Tests that change the calendar (`calendar set`) use `fresh_env`: the calendar is everyone's.
Expected dates are computed with approvals.calendar.WorkingCalendar, never written by hand.
"""

from __future__ import annotations

from datetime import date, timedelta

from approvals.calendar import WorkingCalendar
from tests.support import MONDAY, at, decide, listed, review, show, submit


def restaurant_in_review(run, application, **kw) -> str:
    """A restaurant case (licence, food, fire) whose licence is approved on Monday: two clocks run."""
    case_no = submit(run, application("RESTAURANT", optional_matters=[]), **kw)["case_no"]
    decide(run, review(show(run, case_no), "BIZ_LICENCE")["task_id"], "approve", **kw)
    return case_no


# --- clocks that stop: supplement requests (补齐补正) ------------------------------------------


def test_a_supplement_request_stops_the_clock_and_moves_the_due_date(env, run, application, catalog):
    calendar = WorkingCalendar()
    case_no = restaurant_in_review(run, application)
    shown = show(run, case_no)
    food, fire = review(shown, "FOOD_BUSINESS"), review(shown, "FIRE_CHECK")
    food_days = catalog.matters["FOOD_BUSINESS"].promised_days
    case_days = catalog.bundles["RESTAURANT"].promised_days
    assert food["clock"] == "running" and fire["clock"] == "running"
    assert food["due_date"] == calendar.add_working_days(MONDAY, food_days).isoformat()
    assert shown["due_date"] == calendar.add_working_days(MONDAY, case_days).isoformat()
    assert shown["suspensions"] == []

    decide(run, food["task_id"], "supplement", "--material", "FLOOR_PLAN")

    # While the applicant is busy, the clock is stopped: no light, and the due date shown is
    # where it would be if the material came in today.
    wednesday = MONDAY + timedelta(days=2)
    shown = show(run, case_no, now=at(wednesday))
    food = review(shown, "FOOD_BUSINESS")
    assert food["status"] == "supplement_requested"
    assert food["clock"] == "stopped:supplement"
    assert food["light"] is None
    waited = calendar.working_days_between(MONDAY, wednesday)
    assert food["due_date"] == calendar.add_working_days(MONDAY, food_days + waited).isoformat()
    [stop] = shown["suspensions"]
    assert stop["task_id"] == food["task_id"] and stop["kind"] == "supplement"
    assert "FLOOR_PLAN" in stop["reason"]
    assert stop["ended_at"] is None and stop["working_days"] is None
    # The other agency's clock keeps running.
    assert review(shown, "FIRE_CHECK")["clock"] == "running"
    assert review(shown, "FIRE_CHECK")["due_date"] == fire["due_date"]
    queued = [r for r in listed(run, "tasks", "--agency", "SAMR", now=at(wednesday)) if r["case_no"] == case_no]
    assert [(r["matter"], r["clock"]) for r in queued] == [("FOOD_BUSINESS", "stopped:supplement")]

    # The material arrives on Friday, across no holiday: four working days were spent waiting.
    friday = MONDAY + timedelta(days=4)
    supplied = run("supplement", case_no, "--material", "FLOOR_PLAN", now=at(friday))
    assert supplied.code == 0, supplied.err
    spent = calendar.working_days_between(MONDAY, friday)
    shown = show(run, case_no, now=at(friday))
    food = review(shown, "FOOD_BUSINESS")
    assert food["status"] == "pending" and food["clock"] == "running"
    assert food["due_date"] == calendar.add_working_days(MONDAY, food_days + spent).isoformat()
    assert food["light"] is not None and food["light"] != "red"
    [stop] = shown["suspensions"]
    assert stop["ended_at"] is not None and stop["working_days"] == spent
    # The case's own clock stopped with its task and moved by the same days.
    assert shown["due_date"] == calendar.add_working_days(MONDAY, case_days + spent).isoformat()
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds.count("clock_stopped") == 1 and kinds.count("clock_resumed") == 1


def test_a_supplement_wait_across_a_holiday_counts_only_working_days(env, run, application, catalog):
    """Asked on the eve of National Day 2026, supplied after it: the holiday week is not waiting time."""
    calendar = WorkingCalendar()
    eve = date(2026, 9, 30)
    back = date(2026, 10, 9)
    case_no = restaurant_in_review(run, application, now=at(eve))
    food = review(show(run, case_no, now=at(eve)), "FOOD_BUSINESS")
    decide(run, food["task_id"], "supplement", "--material", "FLOOR_PLAN", now=at(eve))
    supplied = run("supplement", case_no, "--material", "FLOOR_PLAN", now=at(back))
    assert supplied.code == 0, supplied.err

    spent = calendar.working_days_between(eve, back)
    assert spent < (back - eve).days - 4  # more than the weekends were skipped
    shown = show(run, case_no, now=at(back))
    assert shown["suspensions"][0]["working_days"] == spent
    days = catalog.matters["FOOD_BUSINESS"].promised_days
    assert review(shown, "FOOD_BUSINESS")["due_date"] == calendar.add_working_days(eve, days + spent).isoformat()


# --- clocks that stop: special procedures (特别程序) --------------------------------------------


def test_a_special_procedure_stops_the_clock_and_moves_the_due_date(env, run, application, catalog):
    calendar = WorkingCalendar()
    case_no = restaurant_in_review(run, application)
    before = show(run, case_no)
    fire = review(before, "FIRE_CHECK")
    days = catalog.matters["FIRE_CHECK"].promised_days
    case_days = catalog.bundles["RESTAURANT"].promised_days

    # Bad input and refusals change nothing.
    result = run("decide", fire["task_id"], "special-start", "--operator", "FIRE-reviewer")
    assert result.code == 2, (result.code, result.err)
    assert "reason" in result.err and "Traceback" not in result.err
    result = run("decide", fire["task_id"], "special-start", "--operator", "FIRE-reviewer", "--reason", "   ")
    assert result.code == 2, (result.code, result.err)
    result = run("decide", fire["task_id"], "special-end", "--operator", "FIRE-reviewer")
    assert result.code == 1, (result.code, result.err)
    assert result.err.strip() and "Traceback" not in result.err
    assert show(run, case_no) == before

    started = decide(run, fire["task_id"], "special-start", "--reason", "现场检查")
    assert started["task_status"] == "pending" and started["case_status"] == "in_review"
    result = run("decide", fire["task_id"], "special-start", "--operator", "FIRE-reviewer", "--reason", "again")
    assert result.code == 1, (result.code, result.err)  # one procedure at a time
    result = run("decide", fire["task_id"], "supplement", "--operator", "FIRE-reviewer", "--material", "FLOOR_PLAN")
    assert result.code == 1, (result.code, result.err)  # end the procedure first

    tuesday = MONDAY + timedelta(days=1)
    shown = show(run, case_no, now=at(tuesday))
    fire = review(shown, "FIRE_CHECK")
    assert fire["status"] == "pending" and fire["clock"] == "stopped:special" and fire["light"] is None
    stopped_for = calendar.working_days_between(MONDAY, tuesday)
    assert fire["due_date"] == calendar.add_working_days(MONDAY, days + stopped_for).isoformat()
    [stop] = shown["suspensions"]
    assert (stop["kind"], stop["reason"], stop["ended_at"], stop["working_days"]) == ("special", "现场检查", None, None)

    thursday = MONDAY + timedelta(days=3)
    ended = decide(run, fire["task_id"], "special-end", now=at(thursday))
    assert ended["task_status"] == "pending"
    spent = calendar.working_days_between(MONDAY, thursday)
    shown = show(run, case_no, now=at(thursday))
    fire = review(shown, "FIRE_CHECK")
    assert fire["clock"] == "running"
    assert fire["due_date"] == calendar.add_working_days(MONDAY, days + spent).isoformat()
    [stop] = shown["suspensions"]
    assert stop["ended_at"] is not None and stop["working_days"] == spent
    assert shown["due_date"] == calendar.add_working_days(MONDAY, case_days + spent).isoformat()
    result = run("decide", fire["task_id"], "special-end", "--operator", "FIRE-reviewer", now=at(thursday))
    assert result.code == 1, (result.code, result.err)  # already ended

    # A decision during a procedure ends it: the stop is closed with the days it took.
    decide(run, fire["task_id"], "special-start", "--reason", "检测", now=at(thursday))
    friday = MONDAY + timedelta(days=4)
    decide(run, fire["task_id"], "approve", now=at(friday))
    shown = show(run, case_no, now=at(friday))
    assert review(shown, "FIRE_CHECK")["status"] == "approved" and review(shown, "FIRE_CHECK")["clock"] is None
    assert [(s["kind"], s["working_days"]) for s in shown["suspensions"]] == [
        ("special", spent), ("special", calendar.working_days_between(thursday, friday))]
    assert all(s["ended_at"] for s in shown["suspensions"])


def test_special_procedures_on_an_unknown_task_are_refused(env, run):
    result = run("decide", 2_000_000_000, "special-start", "--operator", "x", "--reason", "专家评审")
    assert result.code == 1, (result.code, result.err)
    result = run("decide", 2_000_000_000, "special-end", "--operator", "x")
    assert result.code == 1, (result.code, result.err)


# --- the calendar: overrides and unannounced years -----------------------------------------


def test_a_holiday_override_moves_open_due_dates_and_is_listed(fresh_env, run, application, catalog):
    announced = WorkingCalendar()
    day_off = date(2026, 3, 4)
    assert announced.is_workday(day_off)
    case_no = restaurant_in_review(run, application)
    before = show(run, case_no)
    fire_days = catalog.matters["FIRE_CHECK"].promised_days
    assert review(before, "FIRE_CHECK")["due_date"] == announced.add_working_days(MONDAY, fire_days).isoformat()

    result = run("calendar", "set", day_off.isoformat(), "holiday", "--reason", "防汛应急放假", "--operator", "admin")
    assert result.code == 0, result.err
    assert day_off.isoformat() in result.out

    overridden = WorkingCalendar({day_off: False})
    after = show(run, case_no)
    for matter in ("FIRE_CHECK", "FOOD_BUSINESS"):
        old, new = review(before, matter)["due_date"], review(after, matter)["due_date"]
        days = catalog.matters[matter].promised_days
        assert new == overridden.add_working_days(MONDAY, days).isoformat()
        assert new == announced.next_working_day(date.fromisoformat(old)).isoformat()  # one working day later
    case_days = catalog.bundles["RESTAURANT"].promised_days
    assert after["due_date"] == overridden.add_working_days(MONDAY, case_days).isoformat()
    queued = [r for r in listed(run, "tasks", "--agency", "FIRE") if r["case_no"] == case_no]
    assert [r["due_date"] for r in queued] == [review(after, "FIRE_CHECK")["due_date"]]

    view = listed(run, "calendar", "show", "2026")
    assert view["year"] == 2026 and view["announced"] is True
    march = view["months"][2]
    assert march["month"] == 3
    assert [(o["day"], o["workday"], o["reason"]) for o in march["overrides"]] == [
        (day_off.isoformat(), False, "防汛应急放假")]
    assert day_off.isoformat() in march["holidays"]
    march_days = [date(2026, 3, d) for d in range(1, 32)]
    assert march["working_days"] == sum(overridden.is_workday(d) for d in march_days)
    assert all(m["overrides"] == [] for m in view["months"] if m["month"] != 3)
    # A holiday of the State Council's notice is there without any override (国庆节).
    october = view["months"][9]
    assert "2026-10-01" in october["holidays"] and october["overrides"] == []
    assert october["makeup_workdays"]  # 调休: weekend days worked

    # Taking the override back puts the due dates back.
    result = run("calendar", "set", day_off.isoformat(), "workday", "--reason", "通知撤回", "--operator", "admin")
    assert result.code == 0, result.err
    again = show(run, case_no)
    assert [r["due_date"] for r in again["reviews"]] == [r["due_date"] for r in before["reviews"]]
    assert again["due_date"] == before["due_date"]
    march = listed(run, "calendar", "show", "2026")["months"][2]
    assert [(o["day"], o["workday"], o["reason"]) for o in march["overrides"]] == [
        (day_off.isoformat(), True, "通知撤回")]


def test_an_unannounced_year_is_shown_as_such(env, run):
    view = listed(run, "calendar", "show", "2027")
    assert view["year"] == 2027 and view["announced"] is False
    assert {m["working_days"] for m in view["months"]} == {None}
    plain = run("calendar", "show", "2027")
    assert plain.code == 0 and "NOT announced" in plain.out


def _set_days(run, first: date, last: date) -> dict[date, bool]:
    """Declare every day of [first, last]: weekdays workdays, weekends and New Year's Day holidays."""
    overrides = {}
    day = first
    while day <= last:
        workday = day.weekday() < 5 and (day.month, day.day) != (1, 1)
        result = run("calendar", "set", day.isoformat(), "workday" if workday else "holiday",
                     "--reason", "国务院办公厅通知 (2027)", "--operator", "admin")
        assert result.code == 0, (day, result.err)
        overrides[day] = workday
        day += timedelta(days=1)
    return overrides


def test_a_deadline_in_an_unannounced_year_is_refused_until_the_days_are_set(fresh_env, run, application, catalog):
    eve = date(2026, 12, 31)  # a working day; the licence's one working day falls in 2027
    submitted = submit(run, application("RESTAURANT", optional_matters=[]), now=at(eve))
    assert submitted["status"] == "in_review"
    assert submitted["notes"] and any("2027" in note for note in submitted["notes"])
    case_no = submitted["case_no"]

    shown = show(run, case_no, now=at(eve))
    assert shown["due_date"] is None and "2027" in (shown["due_note"] or "")
    assert shown["light"] is None
    licence = review(shown, "BIZ_LICENCE")
    assert licence["status"] == "pending" and licence["due_date"] is None and licence["light"] is None
    assert "2027" in (licence["due_note"] or "")
    assert "deadline_unknown" in [e["kind"] for e in shown["events"]]
    queued = [r for r in listed(run, "tasks", "--agency", "SAMR", now=at(eve))
              if r["case_no"] == case_no and r["status"] == "pending"]
    assert [(r["matter"], r["due_date"]) for r in queued] == [("BIZ_LICENCE", None)]
    assert "2027" in (queued[0]["due_note"] or "")

    # The administrator declares 2027 up to the last promised due date (the ceilings lie beyond it).
    overrides = _set_days(run, date(2027, 1, 1), date(2027, 1, 8))
    calendar = WorkingCalendar(overrides)
    shown = show(run, case_no, now=at(eve))
    licence = review(shown, "BIZ_LICENCE")
    expected = calendar.add_working_days(eve, catalog.matters["BIZ_LICENCE"].promised_days)
    assert expected.year == 2027
    assert licence["due_date"] == expected.isoformat()
    assert licence["light"] in {"green", "yellow"}
    assert shown["due_date"] == calendar.add_working_days(eve, catalog.bundles["RESTAURANT"].promised_days).isoformat()
    assert shown["light"] in {"green", "yellow"}

    # A clock that starts in 2027 counts on the declared days as well.
    release = expected
    decide(run, licence["task_id"], "approve", now=at(release))
    fire = review(show(run, case_no, now=at(release)), "FIRE_CHECK")
    assert fire["due_date"] == calendar.add_working_days(release, catalog.matters["FIRE_CHECK"].promised_days).isoformat()


def test_a_due_date_appears_once_the_days_up_to_it_are_declared(fresh_env, run, application, catalog):
    """Regression: the statutory ceiling (always later here) once needed undeclared days too (fixed in f0b16b7)."""
    eve = date(2026, 12, 31)
    case_no = submit(run, application("RESTAURANT", optional_matters=[]), now=at(eve))["case_no"]
    assert catalog.matters["BIZ_LICENCE"].promised_days == 1 < catalog.matters["BIZ_LICENCE"].statutory_days
    # Declared up to the first working day of 2027: the licence's promise (1 working day) is known.
    overrides = _set_days(run, date(2027, 1, 1), date(2027, 1, 4))
    expected = WorkingCalendar(overrides).add_working_days(eve, 1)
    licence = review(show(run, case_no, now=at(eve)), "BIZ_LICENCE")
    assert licence["due_note"] is None and licence["due_date"] == expected.isoformat(), licence


def test_calendar_set_refuses_bad_input(fresh_env, run):
    for args in (
        ("2026-02-30", "holiday", "--reason", "x"),  # no such day
        ("2026/03/04", "holiday", "--reason", "x"),
        ("tomorrow", "holiday", "--reason", "x"),
        ("2026-03-04", "vacation", "--reason", "x"),  # unknown kind
        ("2026-03-04", "holiday"),  # no reason
        ("2026-03-04", "holiday", "--reason", "   "),
    ):
        result = run("calendar", "set", *args, "--operator", "admin")
        assert result.code == 2, (args, result.code, result.err)
        assert result.err.strip() and "Traceback" not in result.err, args
    assert all(m["overrides"] == [] for m in listed(run, "calendar", "show", "2026")["months"])
    for year in ("1800", "twenty"):
        result = run("calendar", "show", year, "--json")
        assert result.code == 2, (year, result.code, result.err)


# --- stalled and overdue cases --------------------------------------------------------------


def _stalled(run, day: date, time: str = "09:00:00") -> dict[str, dict]:
    return {r["case_no"]: r for r in listed(run, "cases", "--stalled", now=at(day, time))}


def _overdue(run, day: date) -> dict[str, dict]:
    return {r["case_no"]: r for r in listed(run, "cases", "--overdue", now=at(day))}


def test_a_case_nobody_acts_on_for_three_working_days_is_stalled(env, run, application):
    calendar = WorkingCalendar()
    case_no = submit(run, application("RESTAURANT"))["case_no"]

    quiet_two = calendar.add_working_days(MONDAY, 2)
    quiet_three = calendar.add_working_days(MONDAY, 3)
    assert case_no not in _stalled(run, quiet_two, "17:00:00")
    row = _stalled(run, quiet_three)[case_no]
    assert row["status"] == "in_review" and row["bundle"] == "RESTAURANT"
    assert "working days" in row["reason"] and "3" in row["reason"], row["reason"]
    plain = run("cases", "--stalled", now=at(quiet_three))
    assert plain.code == 0 and case_no in plain.out

    # Acting on it (a reviewer's decision) takes it off the list; the weekend does not count.
    decide(run, review(show(run, case_no), "BIZ_LICENCE")["task_id"], "approve", now=at(quiet_three))
    assert case_no not in _stalled(run, quiet_three, "17:00:00")
    again = calendar.add_working_days(quiet_three, 3)
    assert case_no not in _stalled(run, calendar.previous_working_day(again), "17:00:00")
    assert again.weekday() < (again - MONDAY).days  # a weekend lies between: calendar days are not counted
    assert "3 working days" in _stalled(run, again)[case_no]["reason"]


def test_finished_cases_are_never_stalled(env, run, application):
    case_no = submit(run, application("COMPANY_START", optional_matters=[]))["case_no"]
    while pending := [r for r in show(run, case_no)["reviews"] if r["status"] == "pending"]:
        for r in pending:
            decide(run, r["task_id"], "approve")
    assert show(run, case_no)["status"] == "issued"
    assert case_no not in _stalled(run, MONDAY + timedelta(days=30))


def test_overdue_lists_red_tasks_and_not_stopped_clocks(env, run, application, catalog):
    calendar = WorkingCalendar()
    late = restaurant_in_review(run, application)
    waiting = submit(run, application("COMPANY_START", optional_matters=[]))["case_no"]
    licence = review(show(run, waiting), "BIZ_LICENCE")
    decide(run, licence["task_id"], "supplement", "--material", "ARTICLES")

    shown = show(run, late)
    food, fire = review(shown, "FOOD_BUSINESS"), review(shown, "FIRE_CHECK")
    food_due, fire_due = date.fromisoformat(food["due_date"]), date.fromisoformat(fire["due_date"])
    assert food_due < fire_due

    assert late not in _overdue(run, food_due)  # due today: yellow, not red
    day = food_due + timedelta(days=1)
    assert day <= fire_due
    rows = _overdue(run, day)
    assert late in rows and waiting not in rows
    reason = rows[late]["reason"]
    assert "FOOD_BUSINESS" in reason and str(food["task_id"]) in reason and "FIRE_CHECK" not in reason
    assert rows[late]["status"] == "in_review"
    plain = run("cases", "--overdue", now=at(day))
    assert plain.code == 0 and late in plain.out and "FOOD_BUSINESS" in plain.out

    # Weeks later: both tasks and the case clock are red; the stopped case is still not overdue.
    much_later = calendar.add_working_days(MONDAY, 20)
    rows = _overdue(run, much_later)
    assert "FOOD_BUSINESS" in rows[late]["reason"] and "FIRE_CHECK" in rows[late]["reason"]
    assert rows[late]["light"] == "red"
    assert waiting not in rows
    assert review(show(run, waiting, now=at(much_later)), "BIZ_LICENCE")["clock"] == "stopped:supplement"

    # Decided, they are no longer overdue.
    decide(run, food["task_id"], "approve", now=at(much_later))
    decide(run, fire["task_id"], "approve", now=at(much_later))
    assert show(run, late, now=at(much_later))["status"] == "issued"
    assert late not in _overdue(run, much_later)


def test_stalled_and_overdue_are_alternatives(env, run):
    result = run("cases", "--stalled", "--overdue", "--json")
    assert result.code == 2, (result.code, result.err)
    result = run("cases", "--stalled", "--status", "in_review")
    assert result.code == 2, (result.code, result.err)


def test_overdue_lists_a_red_case_clock_without_a_red_task(env, run, application, catalog):
    calendar = WorkingCalendar()
    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    case_due = calendar.add_working_days(MONDAY, catalog.bundles["RESTAURANT"].promised_days)
    # The licence is approved late: the other agencies' clocks start then and end after the case's.
    late = calendar.add_working_days(MONDAY, 3)
    decide(run, review(show(run, case_no), "BIZ_LICENCE")["task_id"], "approve", now=at(late))
    shown = show(run, case_no, now=at(late))
    first_task_due = min(date.fromisoformat(r["due_date"]) for r in shown["reviews"] if r["status"] == "pending")
    day = case_due + timedelta(days=1)
    assert shown["due_date"] == case_due.isoformat() and day <= first_task_due

    row = _overdue(run, day)[case_no]
    assert row["light"] == "red"
    assert f"case due {case_due.isoformat()}" in row["reason"] and "task" not in row["reason"], row["reason"]
    assert {r["light"] for r in show(run, case_no, now=at(day))["reviews"] if r["status"] == "pending"} <= {"green", "yellow"}


def test_the_day_is_the_jurisdictions_whatever_offset_the_clock_is_given_in(env, run, application, catalog):
    calendar = WorkingCalendar()
    case_no = restaurant_in_review(run, application)
    due = date.fromisoformat(review(show(run, case_no), "FIRE_CHECK")["due_date"])
    warn = calendar.previous_working_day(due)
    # 16:30 UTC on the day before the warning is 00:30 in Shanghai on the warning day.
    utc = f"{(warn - timedelta(days=1)).isoformat()}T16:30:00+00:00"
    assert review(show(run, case_no, now=utc), "FIRE_CHECK")["light"] == "yellow"
    # 16:30 UTC on the due date is after midnight in Shanghai: overdue.
    utc = f"{due.isoformat()}T16:30:00+00:00"
    assert review(show(run, case_no, now=utc), "FIRE_CHECK")["light"] == "red"
    assert case_no in {r["case_no"] for r in listed(run, "cases", "--overdue", now=utc)}


def test_the_calendar_is_read_by_the_actions_that_count_days_and_only_by_them(env, run, application, catalog,
                                                                             monkeypatch):
    """An action reads the overrides in force when it first counts a day: a submission starts clocks, an
    approval that releases tasks starts theirs; one that releases nothing and ends no stop counts no day
    and skips the read (a round trip on PostgreSQL)."""
    import services.queries.connection as reads

    real, reads_made = reads.overrides, []
    monkeypatch.setattr(reads, "overrides", lambda read: reads_made.append(1) or real(read))

    def calendar_reads(action) -> int:
        reads_made.clear()
        action()
        return len(reads_made)

    case_no = None

    def file() -> None:
        nonlocal case_no
        case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]

    assert calendar_reads(file) == 1
    shown = show(run, case_no)
    licence, fire, food = (review(shown, m)["task_id"] for m in ("BIZ_LICENCE", "FIRE_CHECK", "FOOD_BUSINESS"))
    assert calendar_reads(lambda: decide(run, licence, "approve")) == 1  # releases the fire check and food
    released = review(show(run, case_no), "FIRE_CHECK")
    assert released["due_date"] == WorkingCalendar().add_working_days(
        MONDAY, catalog.matters["FIRE_CHECK"].promised_days).isoformat()
    assert calendar_reads(lambda: decide(run, fire, "approve")) == 0
    assert calendar_reads(lambda: decide(run, food, "approve")) == 0  # the last: the case is issued
    assert show(run, case_no)["status"] == "issued"


def test_a_calendar_first_asked_after_its_transaction_still_has_the_overrides(fresh_env, run):
    from services.db import UnitOfWork
    from services.workdays import calendar_for

    day_off = date(2026, 3, 4)
    result = run("calendar", "set", day_off.isoformat(), "holiday", "--reason", "防汛应急放假", "--operator", "admin")
    assert result.code == 0, result.err
    with UnitOfWork(fresh_env.url) as uow:
        calendar = calendar_for(uow.session)
        uow.commit()
    assert calendar.is_workday(day_off) is False and calendar.is_workday(date(2026, 3, 5)) is True
    assert not uow.session.in_transaction()  # read on a connection of its own, no transaction left open
