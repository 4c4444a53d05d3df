"""Promises past due, through the CLI and the real sweep flow (Prefect, embedded server).

容缺: the sweep suspends a case whose promised materials are late, returns it (退件) once the grace
period has passed too, and writes one credit record; materials supplied during the grace period
resume it. 告知承诺: a verification not done in time is the agency's failure: a ledger item, never a
revocation. The sweep is global, so every test has a database of its own (`fresh_env`). Dates are
computed with approvals.calendar.WorkingCalendar, never written by hand.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

from sqlmodel import select

from approvals.calendar import WorkingCalendar
from schemas.case import Case
from schemas.orchestration import OutboxItem
from services.db import UnitOfWork
from tests.support import MONDAY, approve_all, approve_matter, at, review, show, submit

PROMISE_FIELDS = {"promises_suspended", "promises_returned", "verifications_overdue"}


# --- helpers ---------------------------------------------------------------------------------


def sweep(run, now: str) -> dict:
    result = run("sweep", "--json", "--operator", "supervisor-1", now=now)
    assert result.code == 0, result.err
    report = result.json()
    assert set(report) >= PROMISE_FIELDS, report
    return report


def ledger(run, *flags: str) -> list[dict]:
    result = run("ledger", *flags, "--json")
    assert result.code == 0, result.err
    return result.json()


def credit(run, uscc: str) -> list[dict]:
    result = run("credit", "show", uscc, "--json")
    assert result.code == 0, result.err
    return result.json()


def kinds(shown: dict, kind: str) -> list[dict]:
    return [e for e in shown["events"] if e["kind"] == kind]



def same_applicant(path: Path, **changes) -> Path:
    """Another application by the applicant of `path` (same USCC), with a new request_id."""
    body = json.loads(path.read_text("utf-8")) | changes
    body["request_id"] = f"test-{uuid.uuid4().hex}"
    again = path.with_name(f"again-{uuid.uuid4().hex[:8]}.json")
    again.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    return again


def outbox_keys(url: str, case_no: str) -> list[str]:
    with UnitOfWork(url, write=False) as uow:
        case_id = uow.session.exec(select(Case.id).where(Case.case_no == case_no)).one()
        return sorted(uow.session.exec(select(OutboxItem.key).where(OutboxItem.case_id == case_id)).all())


def promise_floor_plan(application, **extra) -> Path:
    return application("RESTAURANT", optional_matters=[], omit=("FLOOR_PLAN",), deficiency_promise=["FLOOR_PLAN"],
                       **extra)


def promise_due(catalog, calendar: WorkingCalendar):
    """The FLOOR_PLAN promise signed on MONDAY: the bundle's promised limit (no matter sets promise_days)."""
    assert catalog.matters["FOOD_BUSINESS"].promise_days is None and catalog.matters["FIRE_CHECK"].promise_days is None
    due = calendar.add_working_days(MONDAY, catalog.bundles["RESTAURANT"].promised_days)
    grace = min(catalog.matters[m].grace_days for m in ("FOOD_BUSINESS", "FIRE_CHECK"))
    return due, calendar.add_working_days(due, grace)


# --- 1. promise kept during the grace period ---------------------------------------------------


def test_a_late_promise_suspends_the_case_and_materials_in_the_grace_period_resume_it(
        fresh_env, run, application, catalog):
    calendar = WorkingCalendar()
    due, grace_ends = promise_due(catalog, calendar)
    withheld = submit(run, promise_floor_plan(application))["case_no"]
    assert approve_all(run, withheld)["status"] == "awaiting_materials"
    reviewing = submit(run, promise_floor_plan(application))["case_no"]
    approve_matter(run, reviewing, "BIZ_LICENCE")
    assert {r["status"] for r in show(run, reviewing)["reviews"] if r["matter"] != "BIZ_LICENCE"} == {"pending"}
    # A third case also holds a supplement request (补齐补正) of its own when the promise runs late.
    asked = submit(run, promise_floor_plan(application))["case_no"]
    approve_matter(run, asked, "BIZ_LICENCE")
    approve_matter(run, asked, "FIRE_CHECK")
    asked_food = review(show(run, asked), "FOOD_BUSINESS")["task_id"]
    assert run("decide", asked_food, "supplement", "--material", "FOOD_SAFETY_RULES", "--operator", "SAMR-reviewer").code == 0

    # On the due date itself the promise still holds.
    report = sweep(run, at(due, "17:00:00"))
    assert report["promises_suspended"] == 0 and report["promises_returned"] == 0, report
    assert show(run, withheld, now=at(due))["status"] == "awaiting_materials"

    # The next working day: both cases suspended, the applicant told.
    late = calendar.next_working_day(due)
    report = sweep(run, at(late))
    assert report["promises_suspended"] == 3 and report["promises_returned"] == 0, report
    for case_no in (withheld, reviewing, asked):
        shown = show(run, case_no, now=at(late))
        assert shown["status"] == "suspended", (case_no, shown["status"])
        assert len(kinds(shown, "case_suspended")) == 1 and "FLOOR_PLAN" in kinds(shown, "case_suspended")[0]["detail"]
        assert [p["status"] for p in shown["commitments"]] == ["open"]
        assert shown["certificates"] == []
    for r in show(run, reviewing, now=at(late))["reviews"]:
        if r["status"] == "pending":
            assert r["clock"] == "stopped:suspended", r  # the applicant's turn: the agency's clock waits

    # The same day again, and the next: one suspension, one notice.
    before = {c: show(run, c, now=at(late))["events"] for c in (withheld, reviewing)}
    report = sweep(run, at(late, "16:00:00"))
    assert report["promises_suspended"] == 0 and report["promises_returned"] == 0, report
    assert {c: show(run, c, now=at(late))["events"] for c in (withheld, reviewing)} == before
    notices = [k for k in outbox_keys(fresh_env.url, reviewing) if k.endswith(":suspended")]
    assert len(notices) == 1, notices
    delivered = run("orchestrate", "--case", reviewing, "--json", "--operator", "admin", now=at(late, "16:30:00"))
    assert delivered.code == 0, delivered.err
    told = kinds(show(run, reviewing, now=at(late)), "notified")
    assert [e for e in told if "suspended" in e["detail"]], told

    # No decision while suspended.
    food = review(show(run, reviewing, now=at(late)), "FOOD_BUSINESS")
    refused = run("decide", food["task_id"], "approve", "--operator", "SAMR-reviewer", now=at(late, "17:00:00"))
    assert refused.code == 1, (refused.code, refused.err)
    assert "suspended" in refused.err and "Traceback" not in refused.err
    assert review(show(run, reviewing, now=at(late)), "FOOD_BUSINESS")["status"] == "pending"

    # The supplement asked for arrives during the suspension: the task is the agency's again, but the
    # case stays suspended (its clock waits, no decision) until the promise is kept; then review resumes.
    during = calendar.add_working_days(late, 1)
    assert run("supplement", asked, "--material", "FOOD_SAFETY_RULES", now=at(during)).code == 0
    shown = show(run, asked, now=at(during))
    assert shown["status"] == "suspended"
    assert (review(shown, "FOOD_BUSINESS")["status"], review(shown, "FOOD_BUSINESS")["clock"]) == (
        "pending", "stopped:suspended")
    assert run("decide", asked_food, "approve", "--operator", "SAMR-reviewer", now=at(during)).code == 1
    assert run("supplement", asked, "--material", "FLOOR_PLAN", now=at(during, "11:00:00")).code == 0
    shown = show(run, asked, now=at(during))
    assert shown["status"] == "in_review" and review(shown, "FOOD_BUSINESS")["clock"] == "running"
    assert [p["status"] for p in shown["commitments"]] == ["fulfilled"]
    decided = run("decide", asked_food, "approve", "--operator", "SAMR-reviewer", "--json", now=at(during, "12:00:00"))
    assert decided.code == 0, decided.err
    assert decided.json()["case_status"] == "issued" and len(decided.json()["certificates"]) == 3

    # Materials within the grace period: the withheld case is issued at once, all together ...
    back = calendar.add_working_days(late, 3)
    supplied = run("supplement", withheld, "--material", "FLOOR_PLAN", "--json", now=at(back))
    assert supplied.code == 0, supplied.err
    shown = show(run, withheld, now=at(back))
    assert shown["status"] == "issued"
    assert [p["status"] for p in shown["commitments"]] == ["fulfilled"]
    assert sorted(c["matter"] for c in shown["certificates"]) == sorted(r["matter"] for r in shown["reviews"])
    assert len({c["issued_at"] for c in shown["certificates"]}) == 1
    assert len(kinds(shown, "case_resumed")) == 1

    # ... and the case still in review, on the last day of the grace period, goes back to review.
    supplied = run("supplement", reviewing, "--material", "FLOOR_PLAN", "--json", now=at(grace_ends, "16:00:00"))
    assert supplied.code == 0, supplied.err
    shown = show(run, reviewing, now=at(grace_ends))
    assert shown["status"] == "in_review"
    assert [p["status"] for p in shown["commitments"]] == ["fulfilled"]
    assert {r["clock"] for r in shown["reviews"] if r["status"] == "pending"} == {"running"}
    shown = approve_all(run, reviewing, now=at(grace_ends, "17:00:00"))
    assert shown["status"] == "issued" and len(shown["certificates"]) == len(shown["reviews"])

    # Kept promises are never returned, however late the sweep runs.
    report = sweep(run, at(calendar.add_working_days(grace_ends, 2)))
    assert report["promises_suspended"] == 0 and report["promises_returned"] == 0, report
    for case_no in (withheld, reviewing, asked):
        shown = show(run, case_no)
        assert shown["status"] == "issued" and credit(run, shown["uscc"]) == []


# --- 2. promise broken ---------------------------------------------------------------------------


def test_a_broken_promise_returns_the_case_writes_one_credit_record_and_bars_promises_until_repaired(
        fresh_env, run, application, catalog):
    calendar = WorkingCalendar()
    due, grace_ends = promise_due(catalog, calendar)
    path = promise_floor_plan(application)
    uscc = json.loads(path.read_text("utf-8"))["applicant"]["uscc"]
    case_no = submit(run, path)["case_no"]
    approve_matter(run, case_no, "BIZ_LICENCE")
    # Another applicant's case with a promise is denied: nothing is left to keep, nothing is swept.
    denied = submit(run, promise_floor_plan(application))["case_no"]
    licence = review(show(run, denied), "BIZ_LICENCE")["task_id"]
    assert run("decide", licence, "deny", "--reason", "名称不合规", "--operator", "SAMR-reviewer").code == 0
    shown = show(run, denied)
    assert shown["status"] == "denied" and [p["status"] for p in shown["commitments"]] == ["void"]

    late = calendar.next_working_day(due)
    assert sweep(run, at(late))["promises_suspended"] == 1
    # The last day of the grace period: still suspended, not returned.
    report = sweep(run, at(grace_ends))
    assert report["promises_suspended"] == 0 and report["promises_returned"] == 0, report
    assert show(run, case_no, now=at(grace_ends))["status"] == "suspended"
    assert credit(run, uscc) == []

    # The next working day: returned (退件).
    returned_on = calendar.next_working_day(grace_ends)
    report = sweep(run, at(returned_on))
    assert report["promises_returned"] == 1 and report["promises_suspended"] == 0, report
    shown = show(run, case_no, now=at(returned_on))
    assert shown["status"] == "returned"
    assert {r["matter"]: r["status"] for r in shown["reviews"]} == {
        "BIZ_LICENCE": "approved", "FOOD_BUSINESS": "cancelled", "FIRE_CHECK": "cancelled"}
    assert [p["status"] for p in shown["commitments"]] == ["broken"]
    assert shown["certificates"] == []
    assert len(kinds(shown, "case_returned")) == 1 and len(kinds(shown, "case_suspended")) == 1
    assert not [i for i in ledger(run, "--open") if i["case_no"] == case_no]
    [record] = credit(run, uscc)
    assert (record["status"], record["case_no"], record["kind"]) == ("open", case_no, "broken_promise")
    assert record["uscc"] == uscc and "FLOOR_PLAN" in record["reason"]

    # The sweep again, the same day and later: one return, one credit record, one notice.
    events = shown["events"]
    for moment in (at(returned_on, "17:00:00"), at(calendar.add_working_days(returned_on, 3))):
        report = sweep(run, moment)
        assert report["promises_returned"] == 0 and report["promises_suspended"] == 0, report
    assert show(run, case_no, now=at(returned_on))["events"] == events
    assert credit(run, uscc) == [record]
    assert len([k for k in outbox_keys(fresh_env.url, case_no) if k.endswith(":returned")]) == 1
    shown = show(run, denied)
    assert shown["status"] == "denied" and [p["status"] for p in shown["commitments"]] == ["void"]
    assert credit(run, shown["uscc"]) == [] and not kinds(shown, "case_suspended")

    # Too late now: nothing resumes a returned case.
    after = calendar.add_working_days(returned_on, 4)
    too_late = run("supplement", case_no, "--material", "FLOOR_PLAN", now=at(after))
    assert too_late.code == 1, (too_late.code, too_late.err)
    cancelled = review(shown, "FIRE_CHECK")["task_id"]
    assert run("decide", cancelled, "approve", "--operator", "FIRE-reviewer", now=at(after)).code == 1
    assert show(run, case_no, now=at(after))["status"] == "returned"

    # The same applicant's next request: 容缺 refused (corrections as usual), 告知承诺 refused outright.
    promised = submit(run, same_applicant(path), now=at(after))
    assert promised["status"] == "correction_required" and promised["missing"] == ["FLOOR_PLAN"], promised
    assert any("credit" in n for n in promised["notes"]), promised["notes"]
    full = json.loads(path.read_text("utf-8"))["materials"] + ["FLOOR_PLAN"]
    committed = run("submit", same_applicant(path, materials=full, deficiency_promise=[],
                                             commitment_matters=["FOOD_BUSINESS"]), now=at(after))
    assert committed.code == 2, (committed.code, committed.err)
    assert "credit" in committed.err

    # 信用修复: accepted again, on both paths.
    repaired = run("credit", "repair", uscc, "--reason", "补交材料并作出信用承诺", "--operator", "admin", now=at(after))
    assert repaired.code == 0, repaired.err
    [record] = credit(run, uscc)
    assert record["status"] == "repaired" and record["repaired_by"] == "admin"
    accepted = submit(run, same_applicant(path), now=at(after))
    assert accepted["status"] == "in_review", accepted
    assert [(p["kind"], p["status"]) for p in show(run, accepted["case_no"], now=at(after))["commitments"]] == [
        ("deficiency", "open")]
    committed = submit(run, same_applicant(path, materials=full, deficiency_promise=[],
                                          commitment_matters=["FOOD_BUSINESS"]), now=at(after))
    assert committed["status"] == "in_review", committed


# --- 3. 告知承诺 verification overdue --------------------------------------------------------------


def _issued_on_commitment(run, application, catalog, calendar) -> tuple[str, date]:
    case_no = submit(run, application("RESTAURANT", optional_matters=[], commitment_matters=["FOOD_BUSINESS"]))["case_no"]
    shown = approve_all(run, case_no)
    assert shown["status"] == "issued"
    verify_by = calendar.add_working_days(MONDAY, catalog.matters["FOOD_BUSINESS"].verify_days)
    assert [p["due_date"] for p in shown["commitments"]] == [verify_by.isoformat()]
    return case_no, verify_by


def test_an_overdue_verification_is_a_ledger_item_for_the_agency_never_a_revocation(
        fresh_env, run, application, catalog):
    calendar = WorkingCalendar()
    case_no, verify_by = _issued_on_commitment(run, application, catalog, calendar)
    issued = show(run, case_no)["certificates"]

    report = sweep(run, at(verify_by, "17:00:00"))
    assert report["verifications_overdue"] == 0, report
    assert ledger(run) == []

    overdue = calendar.next_working_day(verify_by)
    report = sweep(run, at(overdue))
    assert report["verifications_overdue"] == 1, report
    [item] = ledger(run)
    assert (item["case_no"], item["matter"], item["agency"], item["missed_due"]) == (
        case_no, "FOOD_BUSINESS", "SAMR", verify_by.isoformat())
    assert (item["status"], item["assigned_to"], item["closed_at"]) == ("assigned", "SAMR", None), item
    assert [i["id"] for i in ledger(run, "--open")] == [item["id"]]  # open although the task itself is decided
    shown = show(run, case_no, now=at(overdue))
    assert shown["certificates"] == issued  # the agency's failure: nothing revoked
    assert [p["status"] for p in shown["commitments"]] == ["open"]
    assert credit(run, shown["uscc"]) == []
    assert len([e for e in kinds(shown, "ledger_assigned") if "告知承诺" in e["detail"]]) == 1

    # Swept again, the same day and later: still one item, still nothing revoked.
    sweep(run, at(overdue, "16:00:00"))
    report = sweep(run, at(calendar.add_working_days(overdue, 3)))
    assert report["verifications_overdue"] == 0, report
    assert [i["id"] for i in ledger(run, "--open")] == [item["id"]]
    assert show(run, case_no)["certificates"] == issued

    # Verified at last.
    late = calendar.add_working_days(overdue, 4)
    verified = run("verify", case_no, "--matter", "FOOD_BUSINESS", "--passed", "--operator", "SAMR-reviewer",
                   now=at(late))
    assert verified.code == 0, verified.err
    shown = show(run, case_no, now=at(late))
    assert [p["status"] for p in shown["commitments"]] == ["verified"]
    assert shown["certificates"] == issued
    [item] = ledger(run)
    assert (item["status"], item["closed_by"]) == ("closed", "SAMR-reviewer"), item  # 销号 by the verification
    assert sweep(run, at(calendar.add_working_days(late, 1)))["verifications_overdue"] == 0
    assert len(ledger(run)) == 1
