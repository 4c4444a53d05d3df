"""Work queues (`tasks`, `cases`) and deadlines with warning lights (红黄灯预警), through the CLI."""

from __future__ import annotations

from datetime import date, timedelta

from approvals.calendar import WorkingCalendar
from tests.support import MONDAY, OPEN, approve, at, listed, review, show, submit

TASK_FIELDS = {"task_id", "case_no", "matter", "agency", "status", "due_date", "light"}
LIGHT_ORDER = {"red": 0, "yellow": 1, "green": 2, None: 3}


# --- 7. queues -------------------------------------------------------------------------------


def test_an_agency_queue_lists_only_its_open_tasks(env, run, application):
    case_no = submit(run, application("RESTAURANT"))["case_no"]
    shown = show(run, case_no)
    licence = review(shown, "BIZ_LICENCE")

    fire_queue = listed(run, "tasks", "--agency", "FIRE")
    assert all(set(row) >= TASK_FIELDS for row in fire_queue)
    assert {row["agency"] for row in fire_queue} == {"FIRE"}
    assert {row["status"] for row in fire_queue} <= OPEN
    ours = [row for row in fire_queue if row["case_no"] == case_no]
    assert [(r["matter"], r["status"], r["due_date"], r["light"]) for r in ours] == [("FIRE_CHECK", "waiting", None, None)]
    assert ours[0]["task_id"] == review(shown, "FIRE_CHECK")["task_id"]

    samr_queue = listed(run, "tasks", "--agency", "SAMR")
    assert {row["agency"] for row in samr_queue} == {"SAMR"}
    assert sorted(r["matter"] for r in samr_queue if r["case_no"] == case_no) == ["BIZ_LICENCE", "FOOD_BUSINESS"]

    approve(run, licence["task_id"])

    samr_queue = listed(run, "tasks", "--agency", "SAMR")
    ours = {r["matter"]: r for r in samr_queue if r["case_no"] == case_no}
    assert list(ours) == ["FOOD_BUSINESS"]  # the approved licence left the queue
    assert ours["FOOD_BUSINESS"]["status"] == "pending" and ours["FOOD_BUSINESS"]["due_date"] is not None
    fire = [r for r in listed(run, "tasks", "--agency", "FIRE") if r["case_no"] == case_no]
    assert [r["status"] for r in fire] == ["pending"]

    approved = listed(run, "tasks", "--status", "approved")
    assert {row["status"] for row in approved} == {"approved"}
    assert [r["task_id"] for r in approved if r["case_no"] == case_no] == [licence["task_id"]]

    samr_approved = listed(run, "tasks", "--agency", "SAMR", "--status", "approved")
    assert {(r["agency"], r["status"]) for r in samr_approved} == {("SAMR", "approved")}
    assert licence["task_id"] in {r["task_id"] for r in samr_approved}
    assert not [r for r in listed(run, "tasks", "--agency", "FIRE", "--status", "approved") if r["case_no"] == case_no]

    everything_open = listed(run, "tasks")
    assert {row["status"] for row in everything_open} <= OPEN
    assert sorted(r["matter"] for r in everything_open if r["case_no"] == case_no) == \
        ["FIRE_CHECK", "FOOD_BUSINESS", "SIGNBOARD", "TOBACCO_RETAIL"]

    plain = run("tasks", "--agency", "FIRE")
    assert plain.code == 0 and case_no in plain.out


def test_a_queue_puts_key_projects_first_then_the_reddest_then_the_earliest(env, run, application):
    submit(run, application("HOTEL", key_project=True, leader="副区长 陈明"))
    submit(run, application("HOTEL"))
    late = submit(run, application("HOTEL"))["case_no"]
    approve(run, review(show(run, late), "BIZ_LICENCE")["task_id"])

    for now in (at(MONDAY), at(MONDAY + timedelta(days=14))):
        rows = listed(run, "tasks", now=now)
        keys = [(not r["key_project"], LIGHT_ORDER[r["light"]], r["due_date"] or "9999-12-31") for r in rows]
        assert keys == sorted(keys)


def test_cases_can_be_listed_by_status(env, run, application):
    issued = submit(run, application("COMPANY_START", optional_matters=[]))["case_no"]
    open_case = submit(run, application("COMPANY_START"))["case_no"]
    correcting = submit(run, application("COMPANY_START", omit=("ARTICLES",)))["case_no"]
    approve(run, review(show(run, issued), "BIZ_LICENCE")["task_id"])
    for r in [r for r in show(run, issued)["reviews"] if r["status"] == "pending"]:
        approve(run, r["task_id"])

    rows = listed(run, "cases", "--status", "issued")
    assert {row["status"] for row in rows} == {"issued"}
    ours = [row for row in rows if row["case_no"] == issued]
    assert len(ours) == 1 and ours[0]["bundle"] == "COMPANY_START"
    assert open_case not in {row["case_no"] for row in rows}

    by_status = {row["case_no"]: row["status"] for row in listed(run, "cases")}
    assert by_status[issued] == "issued"
    assert by_status[open_case] == "in_review"
    assert by_status[correcting] == "correction_required"
    assert correcting in {r["case_no"] for r in listed(run, "cases", "--status", "correction_required")}


def test_unknown_statuses_are_bad_input(env, run):
    for args in (("tasks", "--status", "done"), ("cases", "--status", "closed")):
        result = run(*args, "--json")
        assert result.code == 2, (args, result.code, result.err)
        assert "Traceback" not in result.err and result.out == ""


def test_an_unknown_case_is_refused(env, run):
    result = run("show", "OV20260302999999", "--json")
    assert result.code == 1, (result.code, result.err)
    assert "OV20260302999999" in result.err
    result = run("supplement", "OV20260302999999", "--material", "LEASE")
    assert result.code == 1, (result.code, result.err)


# --- 8. deadlines and lights ---------------------------------------------------------------


def test_due_dates_count_working_days_from_the_day_a_task_starts(env, run, application, catalog):
    calendar = WorkingCalendar()
    case_no = submit(run, application("RESTAURANT"))["case_no"]
    shown = show(run, case_no)
    assert shown["due_date"] == calendar.add_working_days(MONDAY, catalog.bundles["RESTAURANT"].promised_days).isoformat()
    assert shown["light"] == "green"
    licence = review(shown, "BIZ_LICENCE")
    assert licence["due_date"] == calendar.add_working_days(MONDAY, catalog.matters["BIZ_LICENCE"].promised_days).isoformat()

    approve(run, licence["task_id"])
    shown = show(run, case_no)
    for r in shown["reviews"]:
        if r["matter"] == "BIZ_LICENCE":
            assert r["status"] == "approved" and r["light"] is None
            continue
        days = catalog.matters[r["matter"]].promised_days
        due = calendar.add_working_days(MONDAY, days)
        assert r["status"] == "pending"
        assert r["due_date"] == due.isoformat(), r
        assert days >= 2 and r["light"] == "green", r


def test_lights_turn_yellow_on_the_last_working_day_and_red_once_overdue(env, run, application, catalog):
    calendar = WorkingCalendar()
    case_no = submit(run, application("RESTAURANT"))["case_no"]
    approve(run, review(show(run, case_no), "BIZ_LICENCE")["task_id"])
    fire = review(show(run, case_no), "FIRE_CHECK")
    due = calendar.add_working_days(MONDAY, catalog.matters["FIRE_CHECK"].promised_days)
    assert fire["due_date"] == due.isoformat() and fire["light"] == "green"

    warn = calendar.previous_working_day(due)
    before_warn = calendar.previous_working_day(warn)
    expectations = [
        (at(before_warn, "17:59:00"), "green"),
        (at(warn, "08:30:00"), "yellow"),
        (at(due, "17:00:00"), "yellow"),
        (at(due + timedelta(days=1)), "red"),
        (at(calendar.add_working_days(due, 3)), "red"),
    ]
    for now, light in expectations:
        shown = show(run, case_no, now=now)
        assert review(shown, "FIRE_CHECK")["light"] == light, now
        assert review(shown, "FIRE_CHECK")["due_date"] == due.isoformat()
        queued = [r for r in listed(run, "tasks", "--agency", "FIRE", now=now) if r["case_no"] == case_no]
        assert [r["light"] for r in queued] == [light], now

    # The case's own clock (the bundle's promise) has its light as well.
    case_due = calendar.add_working_days(MONDAY, catalog.bundles["RESTAURANT"].promised_days)
    shown = show(run, case_no, now=at(case_due + timedelta(days=1)))
    assert shown["light"] == "red"
    row = next(r for r in listed(run, "cases", "--status", "in_review") if r["case_no"] == case_no)
    assert row["light"] == "red" and row["due_date"] == case_due.isoformat()


def test_a_decided_task_and_a_finished_case_show_no_light(env, run, application):
    case_no = submit(run, application("COMPANY_START", optional_matters=[]))["case_no"]
    approve(run, review(show(run, case_no), "BIZ_LICENCE")["task_id"])
    for r in [r for r in show(run, case_no)["reviews"] if r["status"] == "pending"]:
        approve(run, r["task_id"])
    shown = show(run, case_no, now=at(MONDAY + timedelta(days=60)))
    assert shown["status"] == "issued"
    assert shown["light"] is None
    assert {r["light"] for r in shown["reviews"]} == {None}


def test_due_dates_skip_public_holidays(env, run, application, catalog):
    calendar = WorkingCalendar()
    eve = date(2026, 9, 30)  # the eve of National Day (国庆节)
    assert calendar.is_workday(eve) and not calendar.is_workday(date(2026, 10, 1))
    submitted = run("submit", application("INDUSTRIAL_PROJECT"), "--json", now=at(eve))
    assert submitted.code == 0, submitted.err
    filing = review(show(run, submitted.json()["case_no"]), "PROJECT_FILING")

    expected = calendar.add_working_days(eve, catalog.matters["PROJECT_FILING"].promised_days)
    assert expected > date(2026, 10, 5)  # a weekday-only count would say October 1st
    assert filing["due_date"] == expected.isoformat()
    assert filing["light"] == "yellow"  # the eve is the last working day before it is due
    assert review(show(run, submitted.json()["case_no"], now=at(date(2026, 10, 3))), "PROJECT_FILING")["light"] == "yellow"


def test_a_task_is_in_its_agencys_queue_the_moment_it_starts_with_no_flow_run(env, run, application):
    """An agency that reviews in the hall's own queue (no endpoint in the catalog) gets a task in the very
    transaction that starts it: at acceptance, or when its prerequisites are approved. Nothing is queued
    for a flow, and the timeline says so once."""
    from sqlmodel import select

    from schemas.case import Case
    from schemas.orchestration import OutboxItem
    from schemas.review import ReviewTask
    from services.db import UnitOfWork

    def state(case_no):
        with UnitOfWork(env.url, write=False) as uow:
            case_id = uow.session.exec(select(Case.id).where(Case.case_no == case_no)).one()
            tasks = {t.matter: t.dispatched_at for t in
                     uow.session.exec(select(ReviewTask).where(ReviewTask.case_id == case_id))}
            queued = [o.kind for o in uow.session.exec(select(OutboxItem).where(OutboxItem.case_id == case_id))]
        events = [e["detail"] for e in show(run, case_no)["events"] if e["kind"] == "dispatched"]
        return tasks, queued, events

    case_no = submit(run, application("RESTAURANT"))["case_no"]
    tasks, queued, events = state(case_no)
    licence = review(show(run, case_no), "BIZ_LICENCE")
    assert tasks["BIZ_LICENCE"] is not None and tasks["FOOD_BUSINESS"] is None and tasks["FIRE_CHECK"] is None
    assert events == [f"task {licence['task_id']} BIZ_LICENCE to SAMR"]
    assert "dispatch_review" not in queued  # only the acceptance notice waits for the orchestration
    assert [r["case_no"] for r in listed(run, "tasks", "--agency", "SAMR")].count(case_no) == 2

    approve(run, licence["task_id"])  # releases the tasks that waited for the licence, in the same transaction
    tasks, queued, events = state(case_no)
    released = [r for r in show(run, case_no)["reviews"] if r["status"] == "pending"]
    assert {"FOOD_BUSINESS", "FIRE_CHECK"} <= {r["matter"] for r in released}
    assert all(tasks[r["matter"]] is not None for r in released)
    assert sorted(events) == sorted([f"task {licence['task_id']} BIZ_LICENCE to SAMR"]
                                    + [f"task {r['task_id']} {r['matter']} to {r['agency']}" for r in released])
    assert "dispatch_review" not in queued
