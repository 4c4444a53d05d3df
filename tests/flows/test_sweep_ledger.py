"""The sweep (电子监察) and reopen, through the CLI on the real Prefect API (embedded server).

`sweep` and `ledger` act on every case in the database, so each test has a database of its own
(`fresh_env`). Flow runs cost a second or two each: the sweeps below are the ones that matter.
Expected dates are computed with approvals.calendar.WorkingCalendar, never written by hand.
"""

from __future__ import annotations


from approvals.calendar import WorkingCalendar
from tests.support import MONDAY, at, decide, review, show, submit

REPORT_FIELDS = {"tasks_yellow", "tasks_red", "tasks_green", "cases_yellow", "cases_red", "cases_green",
                 "ledger_opened", "ledger_escalated", "ledger_closed"}


def sweep(run, now: str) -> dict:
    result = run("sweep", "--json", "--operator", "supervisor-1", now=now)
    assert result.code == 0, result.err
    report = result.json()
    assert set(report) >= REPORT_FIELDS, report
    return report


def ledger(run, *flags: str, now: str | None = None) -> list[dict]:
    result = run("ledger", *flags, "--json", now=now)
    assert result.code == 0, result.err
    return result.json()


def events(shown: dict, kind: str, needle: str = "") -> list[dict]:
    return [e for e in shown["events"] if e["kind"] == kind and needle in e["detail"]]


def changed(report: dict) -> dict:
    return {k: v for k, v in report.items() if k in REPORT_FIELDS and v}


# --- 1. lights, 交办, 督查, 销号 ---------------------------------------------------------------


def test_the_sweep_lights_assigns_escalates_and_the_decision_crosses_off(fresh_env, run, application, catalog):
    calendar = WorkingCalendar()
    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    decide(run, review(show(run, case_no), "BIZ_LICENCE")["task_id"], "approve")
    decide(run, review(show(run, case_no), "FOOD_BUSINESS")["task_id"], "approve")
    fire = review(show(run, case_no), "FIRE_CHECK")
    task_id, needle = fire["task_id"], f"task {fire['task_id']} FIRE_CHECK"
    due = calendar.add_working_days(MONDAY, catalog.matters["FIRE_CHECK"].promised_days)
    assert fire["due_date"] == due.isoformat() and fire["light"] == "green"
    warn = calendar.previous_working_day(due)
    first_red = calendar.next_working_day(due)
    escalate = calendar.add_working_days(first_red, 2)  # ONEVISIT_ESCALATE_AFTER_DAYS defaults to 2

    # The day before the warning: nothing to change.
    report = sweep(run, at(calendar.previous_working_day(warn), "17:00:00"))
    assert report["tasks_yellow"] == report["tasks_red"] == 0
    assert not events(show(run, case_no), "light", needle)

    # The last working day before the due date: yellow.
    report = sweep(run, at(warn, "08:30:00"))
    assert report["tasks_yellow"] == 1 and report["tasks_red"] == 0 and report["ledger_opened"] == 0
    shown = show(run, case_no, now=at(warn))
    assert review(shown, "FIRE_CHECK")["light"] == "yellow"
    assert [e["actor"] for e in events(shown, "light", needle)] == ["system"]
    assert "yellow" in events(shown, "light", needle)[0]["detail"]
    assert ledger(run) == []

    # The first working day after it: red, and a ledger item is opened (交办) for the agency.
    report = sweep(run, at(first_red))
    assert report["tasks_red"] == 1 and report["ledger_opened"] == 1 and report["ledger_escalated"] == 0
    shown = show(run, case_no, now=at(first_red))
    assert review(shown, "FIRE_CHECK")["light"] == "red"
    assert len(events(shown, "light", needle)) == 2 and "red" in events(shown, "light", needle)[-1]["detail"]
    assert len(events(shown, "ledger_assigned", f"task {task_id}")) == 1
    [item] = ledger(run, "--open", now=at(first_red))
    assert (item["case_no"], item["task_id"], item["matter"], item["agency"]) == (case_no, task_id, "FIRE_CHECK", "FIRE")
    assert item["status"] == "assigned" and item["assigned_to"] == "FIRE"
    assert item["missed_due"] == due.isoformat()
    assert item["escalated_to"] is None and item["closed_at"] is None and item["closed_by"] is None
    assert case_no in {r["case_no"] for r in run("cases", "--overdue", "--json", now=at(first_red)).json()}

    # The same day again: nothing changes, nothing is written twice.
    before = show(run, case_no, now=at(first_red, "15:00:00"))
    report = sweep(run, at(first_red, "15:00:00"))
    assert changed(report) == {}, report
    assert show(run, case_no, now=at(first_red, "15:00:00"))["events"] == before["events"]
    assert ledger(run) == [item]

    # One working day later: still only assigned.
    report = sweep(run, at(calendar.next_working_day(first_red)))
    assert report["ledger_escalated"] == 0 and report["ledger_opened"] == 0
    assert [i["status"] for i in ledger(run)] == ["assigned"]

    # Two working days later, still red: escalated to the agency's supervisor (督查).
    report = sweep(run, at(escalate))
    assert report["ledger_escalated"] == 1 and report["ledger_opened"] == 0
    [item] = ledger(run, "--open")
    assert item["status"] == "supervised" and item["escalated_to"] == "FIRE-supervisor"
    assert item["escalated_at"] is not None and item["assigned_to"] == "FIRE"
    shown = show(run, case_no, now=at(escalate))
    assert len(events(shown, "ledger_supervised", f"task {task_id}")) == 1
    assert review(shown, "FIRE_CHECK")["light"] == "red"
    assert len(events(shown, "light", needle)) == 2  # red stayed red: no new light event
    report = sweep(run, at(escalate, "16:00:00"))
    assert changed(report) == {}, report
    assert ledger(run) == [item]

    # The sweep's own entries are not somebody acting: the case is stalled as well as overdue.
    stalled = {r["case_no"]: r for r in run("cases", "--stalled", "--json", now=at(escalate)).json()}
    assert "working days" in stalled[case_no]["reason"]
    overdue = {r["case_no"]: r for r in run("cases", "--overdue", "--json", now=at(escalate)).json()}
    assert "FIRE_CHECK" in overdue[case_no]["reason"]

    # The decision crosses the item off (销号).
    decided = decide(run, task_id, "approve", operator="FIRE-reviewer-2", now=at(escalate, "17:00:00"))
    assert decided["case_status"] == "issued"
    [item] = ledger(run)
    assert item["status"] == "closed" and item["closed_by"] == "FIRE-reviewer-2" and item["closed_at"] is not None
    assert item["escalated_to"] == "FIRE-supervisor"  # the history stays
    assert ledger(run, "--open") == []
    plain = run("ledger")
    assert plain.code == 0 and case_no in plain.out and "closed" in plain.out

    # Nothing is reopened or escalated again afterwards.
    report = sweep(run, at(calendar.next_working_day(escalate)))
    assert report["ledger_opened"] == report["ledger_escalated"] == report["ledger_closed"] == 0
    assert ledger(run) == [item]
    assert show(run, case_no)["light"] is None


# --- 5. reopen -------------------------------------------------------------------------------


def _decisions(shown: dict) -> list[tuple]:
    return [(r["task_id"], r["status"], r["decided_by"], r["decided_at"], r["reason"]) for r in shown["reviews"]]


def _issued(shown: dict) -> list[tuple]:
    return [(c["number"], c["matter"], c["status"], c["issued_at"]) for c in shown["certificates"]]


def reopen(run, case_no: str, *extra: str, reason: str = "督办复核", **kw) -> dict:
    result = run("reopen", case_no, "--reason", reason, "--operator", "admin", *extra, "--json", **kw)
    assert result.code == 0, result.err
    return result.json()


def test_reopen_records_who_and_why_changes_nothing_right_and_reassigns(fresh_env, run, application):
    calendar = WorkingCalendar()
    day = calendar.add_working_days(MONDAY, 2)  # the licences (1 working day) are overdue by then
    issued = submit(run, application("COMPANY_START", optional_matters=[]))["case_no"]
    stuck = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    report = sweep(run, at(day))
    assert report["ledger_opened"] == 2

    while pending := [r for r in show(run, issued, now=at(day))["reviews"] if r["status"] == "pending"]:
        for r in pending:
            decide(run, r["task_id"], "approve", now=at(day))
    first = show(run, issued, now=at(day))
    assert first["status"] == "issued" and first["certificates"]
    items = {i["case_no"]: i for i in ledger(run)}
    assert items[issued]["status"] == "closed" and items[stuck]["status"] == "assigned"
    books = ledger(run)

    # A finished case reopened: who and why go in the timeline; nothing that was right changes.
    reopened = reopen(run, issued, reason="复核出件情况", now=at(day, "10:00:00"))
    assert reopened["case_no"] == issued and reopened["status"] == "issued"
    once = show(run, issued, now=at(day))
    marks = events(once, "reopened")
    assert [(e["actor"], e["detail"]) for e in marks] == [("admin", "复核出件情况")]
    assert _decisions(once) == _decisions(first) and _issued(once) == _issued(first)
    assert ledger(run) == books

    reopened = reopen(run, issued, reason="再次复核", now=at(day, "11:00:00"))
    assert reopened["status"] == "issued" and reopened["requeued"] == 0
    twice = show(run, issued, now=at(day))
    assert [(e["actor"], e["detail"]) for e in events(twice, "reopened")] == [("admin", "复核出件情况"), ("admin", "再次复核")]
    assert twice["reviews"] == once["reviews"] and twice["certificates"] == once["certificates"]
    assert [e for e in twice["events"] if e["kind"] != "reopened"] == [e for e in once["events"] if e["kind"] != "reopened"]
    assert ledger(run) == books

    # A case stuck on a red task is handed to someone else: the task and its open ledger item.
    licence = review(show(run, stuck, now=at(day)), "BIZ_LICENCE")
    assert licence["assignee"] is None
    reopen(run, stuck, "--reassign", str(licence["task_id"]), "--to", "SAMR-reviewer-2", reason="久拖未办",
           now=at(day, "14:00:00"))
    shown = show(run, stuck, now=at(day))
    assert review(shown, "BIZ_LICENCE")["assignee"] == "SAMR-reviewer-2"
    assert [(e["actor"], e["detail"]) for e in events(shown, "reopened")] == [("admin", "久拖未办")]
    assert len(events(shown, "reassigned", "SAMR-reviewer-2")) == 1
    items = {i["case_no"]: i for i in ledger(run)}
    assert items[stuck]["assigned_to"] == "SAMR-reviewer-2" and items[stuck]["status"] == "assigned"
    assert items[issued] == {i["case_no"]: i for i in books}[issued]
    queued = [r for r in run("tasks", "--json", now=at(day)).json() if r["task_id"] == licence["task_id"]]
    assert [r["assignee"] for r in queued] == ["SAMR-reviewer-2"]

    # Refusals and bad input change nothing (no "reopened" entry either).
    before, books = show(run, stuck, now=at(day)), ledger(run)
    other = review(first, "BIZ_LICENCE")["task_id"]
    result = run("reopen", stuck, "--reason", "x", "--operator", "admin", "--reassign", other, "--to", "SAMR-reviewer-2")
    assert result.code == 1, (result.code, result.err)
    assert str(other) in result.err and "Traceback" not in result.err
    result = run("reopen", stuck, "--reason", "x", "--operator", "admin", "--reassign", licence["task_id"])
    assert result.code == 2, (result.code, result.err)
    result = run("reopen", stuck, "--reason", "x", "--operator", "admin", "--to", "SAMR-reviewer-2")
    assert result.code == 2, (result.code, result.err)
    result = run("reopen", stuck, "--operator", "admin")
    assert result.code == 2, (result.code, result.err)
    result = run("reopen", stuck, "--reason", "   ", "--operator", "admin")
    assert result.code == 2, (result.code, result.err)
    result = run("reopen", stuck, "--reason", "x")  # a window clerk: only administrators reopen
    assert result.code == 1 and "may not administer" in result.err, (result.code, result.err)
    result = run("reopen", "OV20260302999999", "--reason", "x", "--operator", "admin")
    assert result.code == 1, (result.code, result.err)
    assert "OV20260302999999" in result.err
    assert show(run, stuck, now=at(day)) == before
    assert ledger(run) == books


# --- edges: clocks that resume overdue, escalation on the applicant's turn --------------------------------------------------------------------------------


def test_a_task_that_resumes_already_overdue_gets_a_ledger_item(fresh_env, run, application, catalog):
    calendar = WorkingCalendar()
    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    licence = review(show(run, case_no), "BIZ_LICENCE")
    decide(run, licence["task_id"], "supplement", "--material", "ARTICLES")
    # The applicant takes a week: the statutory ceiling (not moved by supplements) has passed meanwhile.
    back = calendar.add_working_days(MONDAY, 5)
    supplied = run("supplement", case_no, "--material", "ARTICLES", now=at(back))
    assert supplied.code == 0, supplied.err
    licence = review(show(run, case_no, now=at(back)), "BIZ_LICENCE")
    ceiling = calendar.add_working_days(MONDAY, catalog.matters["BIZ_LICENCE"].statutory_days)
    assert licence["due_date"] == ceiling.isoformat() and ceiling < back
    assert licence["light"] == "red" and licence["clock"] == "running"
    assert case_no in {r["case_no"] for r in run("cases", "--overdue", "--json", now=at(back)).json()}

    sweep(run, at(back, "10:00:00"))
    items = [i for i in ledger(run, "--open") if i["task_id"] == licence["task_id"]]
    assert [(i["status"], i["missed_due"]) for i in items] == [("assigned", ceiling.isoformat())]


def test_no_escalation_while_the_clock_waits_for_the_applicant(fresh_env, run, application):
    calendar = WorkingCalendar()
    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    licence = review(show(run, case_no), "BIZ_LICENCE")
    red_day = calendar.add_working_days(MONDAY, 2)
    assert sweep(run, at(red_day))["ledger_opened"] == 1
    decide(run, licence["task_id"], "supplement", "--material", "ARTICLES", now=at(red_day, "10:00:00"))
    later = calendar.add_working_days(red_day, 2)
    shown = show(run, case_no, now=at(later))
    assert review(shown, "BIZ_LICENCE")["clock"] == "stopped:supplement" and review(shown, "BIZ_LICENCE")["light"] is None

    sweep(run, at(later))
    [item] = [i for i in ledger(run) if i["task_id"] == licence["task_id"]]
    assert item["status"] == "assigned" and item["escalated_to"] is None, item
