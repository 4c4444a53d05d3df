"""容缺受理 (deficiency-tolerant acceptance) and 告知承诺 (notification-commitment) through the CLI, no sweep.

The promise deadlines, the withheld results, the verification after issuance and the credit
records it writes. Everything that needs the sweep (suspension, return, overdue verification)
is in tests/flows/test_promises.py. Dates come from approvals.calendar.WorkingCalendar.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path


from approvals.calendar import WorkingCalendar
from tests.support import MONDAY, approve_all, approve_matter, at, review, show, submit


# --- helpers ---------------------------------------------------------------------------------


def same_applicant(path: Path, **changes) -> Path:
    """Another application by the applicant of `path` (same USCC), with a new request_id."""
    body = json.loads(path.read_text("utf-8"))
    body.update(changes)
    body["request_id"] = f"test-{uuid.uuid4().hex}"
    again = path.with_name(f"again-{uuid.uuid4().hex[:8]}.json")
    again.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    return again


def promise_floor_plan(path: Path) -> Path:
    """The same applicant again, without FLOOR_PLAN and promising it (容缺) instead of 告知承诺."""
    materials = [m for m in json.loads(path.read_text("utf-8"))["materials"] if m != "FLOOR_PLAN"]
    return same_applicant(path, materials=materials, deficiency_promise=["FLOOR_PLAN"], commitment_matters=[])


def uscc_of(path: Path) -> str:
    return json.loads(path.read_text("utf-8"))["applicant"]["uscc"]



def kinds(shown: dict, kind: str) -> list[dict]:
    return [e for e in shown["events"] if e["kind"] == kind]


def credit(run, uscc: str) -> list[dict]:
    result = run("credit", "show", uscc, "--json")
    assert result.code == 0, result.err
    return result.json()


def verify(run, case_no: str, matter: str, *flags: str, operator: str = "SAMR-reviewer", **kw):
    return run("verify", case_no, "--matter", matter, *flags, "--operator", operator, **kw)


# --- 1. 容缺 intake ------------------------------------------------------------------------------


def test_a_missing_secondary_material_promised_is_accepted_with_an_open_promise(env, run, application, catalog):
    calendar = WorkingCalendar()
    submitted = submit(run, application("RESTAURANT", omit=("FLOOR_PLAN",), deficiency_promise=["FLOOR_PLAN"]))
    assert submitted["status"] == "in_review" and submitted["missing"] == [], submitted
    shown = show(run, submitted["case_no"])
    assert shown["status"] == "in_review"
    assert shown["accepted_at"] is not None
    # The clock starts when the promise is signed: today; due after the bundle's promised limit
    # (no matter of the built-in catalog sets its own promise_days).
    due = calendar.add_working_days(MONDAY, catalog.bundles["RESTAURANT"].promised_days)
    [promise] = shown["commitments"]
    assert {k: promise[k] for k in ("kind", "materials", "due_date", "status")} == {
        "kind": "deficiency", "materials": ["FLOOR_PLAN"], "due_date": due.isoformat(), "status": "open"}
    assert isinstance(promise["id"], int)
    assert len(kinds(shown, "promise_signed")) == 1 and "FLOOR_PLAN" in kinds(shown, "promise_signed")[0]["detail"]
    # Reviews run in parallel as usual.
    assert {r["matter"]: r["status"] for r in shown["reviews"]}["BIZ_LICENCE"] == "pending"
    assert shown["certificates"] == []


def test_a_promised_core_material_asks_for_corrections(env, run, application):
    submitted = submit(run, application("RESTAURANT", omit=("LEASE",), deficiency_promise=["LEASE"]))
    assert submitted["status"] == "correction_required"
    assert submitted["missing"] == ["LEASE"]
    assert any("LEASE" in n and "core" in n for n in submitted["notes"]), submitted["notes"]
    shown = show(run, submitted["case_no"])
    assert shown["commitments"] == [] and shown["reviews"] == []
    assert kinds(shown, "promise_refused")


def test_a_missing_material_not_promised_asks_for_corrections_listing_everything_at_once(env, run, application):
    submitted = submit(run, application("RESTAURANT", omit=("FLOOR_PLAN", "FOOD_SAFETY_RULES"),
                                        deficiency_promise=["FLOOR_PLAN"]))
    assert submitted["status"] == "correction_required"
    # 补正一次性告知: the promised material is asked for too, or supplying the list would not be enough.
    assert sorted(submitted["missing"]) == ["FLOOR_PLAN", "FOOD_SAFETY_RULES"], submitted
    assert any("FOOD_SAFETY_RULES" in n for n in submitted["notes"]), submitted["notes"]
    shown = show(run, submitted["case_no"])
    assert sorted(shown["missing"]) == sorted(submitted["missing"])
    assert shown["commitments"] == [] and shown["reviews"] == []
    result = run("supplement", submitted["case_no"], *[x for m in submitted["missing"] for x in ("--material", m)],
                 "--json")
    assert result.code == 0, result.err
    assert result.json()["status"] == "in_review", result.json()
    assert show(run, submitted["case_no"])["commitments"] == []


def test_more_promised_materials_than_the_bundle_allows_asks_for_corrections(env, run, application, catalog):
    limit = catalog.bundles["RESTAURANT"].max_promised_materials
    secondary = ["FLOOR_PLAN", "FOOD_SAFETY_RULES", "FOOD_EQUIPMENT_LIST", "OWNER_CONSENT", "SIGN_STRUCTURE"]
    assert not any(catalog.matters[m].is_core(x) for m in catalog.bundles["RESTAURANT"].matter_codes()
                   for x in secondary)
    too_many = secondary[:limit + 1]
    submitted = submit(run, application("RESTAURANT", omit=tuple(too_many), deficiency_promise=too_many))
    assert submitted["status"] == "correction_required"
    assert sorted(submitted["missing"]) == sorted(too_many)
    assert any(str(limit) in n and str(limit + 1) in n for n in submitted["notes"]), submitted["notes"]
    assert show(run, submitted["case_no"])["commitments"] == []

    # Exactly the maximum is fine.
    at_most = secondary[:limit]
    submitted = submit(run, application("RESTAURANT", omit=tuple(at_most), deficiency_promise=at_most))
    assert submitted["status"] == "in_review", submitted
    [promise] = show(run, submitted["case_no"])["commitments"]
    assert sorted(promise["materials"]) == sorted(at_most)


def test_bad_promises_are_bad_input(env, run, application):
    before = run("cases", "--json").json()
    unknown = run("submit", application("RESTAURANT", omit=("FLOOR_PLAN",), deficiency_promise=["NO_SUCH_PAPER"]))
    assert unknown.code == 2, (unknown.code, unknown.err)
    assert "NO_SUCH_PAPER" in unknown.err and "Traceback" not in unknown.err
    provided = run("submit", application("RESTAURANT", omit=("FLOOR_PLAN",),
                                         deficiency_promise=["FLOOR_PLAN", "FOOD_SAFETY_RULES"]))
    assert provided.code == 2, (provided.code, provided.err)
    assert "FOOD_SAFETY_RULES" in provided.err
    unneeded = run("submit", application("COMPANY_START", deficiency_promise=["FLOOR_PLAN"]))
    assert unneeded.code == 2, (unneeded.code, unneeded.err)
    assert run("cases", "--json").json() == before  # nothing was filed


# --- 2. promise kept -----------------------------------------------------------------------------


def test_results_are_withheld_until_the_promised_material_arrives_then_issued_together(env, run, application):
    calendar = WorkingCalendar()
    case_no = submit(run, application("RESTAURANT", omit=("FLOOR_PLAN",), deficiency_promise=["FLOOR_PLAN"]))["case_no"]
    shown = approve_all(run, case_no)
    assert all(r["status"] == "approved" for r in shown["reviews"])
    assert shown["status"] == "awaiting_materials"
    assert shown["certificates"] == []
    assert len(kinds(shown, "results_withheld")) == 1
    assert [p["status"] for p in shown["commitments"]] == ["open"]
    # Nothing else can be supplied: only the promised material is awaited.
    wrong = run("supplement", case_no, "--material", "SIGN_DESIGN")
    assert wrong.code == 1, (wrong.code, wrong.err)

    day = calendar.add_working_days(MONDAY, 2)
    supplied = run("supplement", case_no, "--material", "FLOOR_PLAN", "--json", now=at(day))
    assert supplied.code == 0, supplied.err
    assert supplied.json()["status"] == "issued" and supplied.json()["still_missing"] == []
    shown = show(run, case_no, now=at(day))
    assert shown["status"] == "issued"
    [promise] = shown["commitments"]
    assert promise["status"] == "fulfilled" and promise["resolved_at"] is not None
    assert sorted(c["matter"] for c in shown["certificates"]) == sorted(r["matter"] for r in shown["reviews"])
    assert {c["status"] for c in shown["certificates"]} == {"issued"}
    assert len({c["issued_at"] for c in shown["certificates"]}) == 1  # one issuance, all together
    assert shown["missing"] == []
    again = run("supplement", case_no, "--material", "FLOOR_PLAN")
    assert again.code == 1, (again.code, again.err)


def test_a_promise_kept_before_the_reviews_end_lets_the_case_issue_directly(env, run, application):
    case_no = submit(run, application("RESTAURANT", omit=("FLOOR_PLAN", "OWNER_CONSENT"),
                                      deficiency_promise=["FLOOR_PLAN", "OWNER_CONSENT"]))["case_no"]
    part = run("supplement", case_no, "--material", "OWNER_CONSENT", "--json")
    assert part.code == 0, part.err
    assert part.json()["still_missing"] == ["FLOOR_PLAN"]
    assert [p["status"] for p in show(run, case_no)["commitments"]] == ["open"]
    assert run("supplement", case_no, "--material", "FLOOR_PLAN").code == 0
    assert [p["status"] for p in show(run, case_no)["commitments"]] == ["fulfilled"]
    shown = approve_all(run, case_no)
    assert shown["status"] == "issued" and len(shown["certificates"]) == len(shown["reviews"])
    assert kinds(shown, "results_withheld") == []


# --- 3. 告知承诺 -----------------------------------------------------------------------------------


def test_notification_commitment_refused_where_not_allowed_or_not_applied_for(env, run, application):
    before = run("cases", "--json").json()
    fire = run("submit", application("RESTAURANT", commitment_matters=["FIRE_CHECK"]))
    assert fire.code == 2, (fire.code, fire.err)
    assert "FIRE_CHECK" in fire.err
    # FOOD_BUSINESS allows it, but this pharmacy did not apply for it (an optional matter left out).
    absent = run("submit", application("PHARMACY", optional_matters=[], commitment_matters=["FOOD_BUSINESS"]))
    assert absent.code == 2, (absent.code, absent.err)
    assert "FOOD_BUSINESS" in absent.err
    unknown = run("submit", application("RESTAURANT", commitment_matters=["NO_SUCH_MATTER"]))
    assert unknown.code == 2, (unknown.code, unknown.err)
    assert run("cases", "--json").json() == before


def test_notification_commitment_verified_passed(env, run, application, catalog):
    calendar = WorkingCalendar()
    submitted = submit(run, application("RESTAURANT", optional_matters=[], commitment_matters=["FOOD_BUSINESS"]))
    assert submitted["status"] == "in_review", submitted
    case_no = submitted["case_no"]
    [promise] = show(run, case_no)["commitments"]
    assert (promise["kind"], promise["matter"], promise["status"]) == ("notification", "FOOD_BUSINESS", "open")
    assert "materials" not in promise

    # Nothing issued yet: nothing to verify.
    early = verify(run, case_no, "FOOD_BUSINESS", "--passed")
    assert early.code == 1, (early.code, early.err)
    assert [p["status"] for p in show(run, case_no)["commitments"]] == ["open"]

    day = calendar.add_working_days(MONDAY, 1)
    shown = approve_all(run, case_no, now=at(day))
    assert shown["status"] == "issued"
    [promise] = shown["commitments"]
    verify_by = calendar.add_working_days(day, catalog.matters["FOOD_BUSINESS"].verify_days)
    assert promise["due_date"] == verify_by.isoformat() and promise["status"] == "open"

    no_outcome = run("verify", case_no, "--matter", "FOOD_BUSINESS", "--operator", "SAMR-reviewer")
    assert no_outcome.code == 2, (no_outcome.code, no_outcome.err)
    no_commitment = verify(run, case_no, "FIRE_CHECK", "--passed")
    assert no_commitment.code == 1, (no_commitment.code, no_commitment.err)

    later = calendar.add_working_days(day, 10)
    passed = verify(run, case_no, "FOOD_BUSINESS", "--passed", "--json", now=at(later))
    assert passed.code == 0, passed.err
    assert passed.json()["status"] == "verified" and passed.json()["changed"] is True
    assert passed.json()["revoked"] is None
    shown = show(run, case_no, now=at(later))
    [promise] = shown["commitments"]
    assert promise["status"] == "verified" and promise["resolved_by"] == "SAMR-reviewer"
    assert {c["status"] for c in shown["certificates"]} == {"issued"}
    assert len(kinds(shown, "promise_verified")) == 1

    again = verify(run, case_no, "FOOD_BUSINESS", "--passed", now=at(later))
    assert again.code == 0 and "nothing changed" in again.out, (again.code, again.out, again.err)
    contrary = verify(run, case_no, "FOOD_BUSINESS", "--failed", "--reason", "改主意", now=at(later))
    assert contrary.code == 1, (contrary.code, contrary.err)
    shown = show(run, case_no, now=at(later))
    assert {c["status"] for c in shown["certificates"]} == {"issued"}
    assert len(kinds(shown, "promise_verified")) == 1
    assert credit(run, shown["uscc"]) == []


def test_failed_verification_revokes_that_certificate_once_and_bars_promises_until_repaired(
        env, run, application):
    calendar = WorkingCalendar()
    path = application("RESTAURANT", optional_matters=["SIGNBOARD"], commitment_matters=["FOOD_BUSINESS"])
    uscc = uscc_of(path)
    case_no = submit(run, path)["case_no"]
    day = calendar.add_working_days(MONDAY, 1)
    shown = approve_all(run, case_no, now=at(day))
    assert shown["status"] == "issued" and len(shown["certificates"]) == 4

    # A failed check needs a reason.
    bare = verify(run, case_no, "FOOD_BUSINESS", "--failed", now=at(day))
    assert bare.code == 2, (bare.code, bare.err)
    blank = verify(run, case_no, "FOOD_BUSINESS", "--failed", "--reason", "   ", now=at(day))
    assert blank.code == 2, (blank.code, blank.err)
    assert [p["status"] for p in show(run, case_no)["commitments"]] == ["open"]

    check_day = calendar.add_working_days(day, 5)
    failed = verify(run, case_no, "FOOD_BUSINESS", "--failed", "--reason", "现场核查：无冷藏设施",
                    "--json", now=at(check_day, "14:00:00"))
    assert failed.code == 0, failed.err
    assert failed.json()["changed"] is True and failed.json()["revoked"] == f"{case_no}-FOOD_BUSINESS"
    shown = show(run, case_no, now=at(check_day))
    certificates = {c["matter"]: c for c in shown["certificates"]}
    food = certificates.pop("FOOD_BUSINESS")
    assert food["status"] == "revoked"
    assert food["revoked_by"] == "SAMR-reviewer" and food["revoke_reason"] == "现场核查：无冷藏设施"
    assert food["revoked_at"] is not None and food["revoked_at"] > food["issued_at"]
    assert {m: c["status"] for m, c in certificates.items()} == {
        "BIZ_LICENCE": "issued", "FIRE_CHECK": "issued", "SIGNBOARD": "issued"}
    assert [p["status"] for p in shown["commitments"]] == ["failed"]
    assert len(kinds(shown, "certificate_revoked")) == 1
    [record] = credit(run, uscc)
    assert record["status"] == "open" and record["case_no"] == case_no and record["kind"] == "false_commitment"

    # The same verification again: nothing changes.
    twice = verify(run, case_no, "FOOD_BUSINESS", "--failed", "--reason", "现场核查：无冷藏设施",
                   now=at(check_day, "15:00:00"))
    assert twice.code == 0, (twice.code, twice.err)
    assert "nothing changed" in twice.out, twice.out
    again = show(run, case_no, now=at(check_day))
    assert again["certificates"] == shown["certificates"] and again["commitments"] == shown["commitments"]
    assert len(kinds(again, "certificate_revoked")) == 1
    assert credit(run, uscc) == [record]
    contrary = verify(run, case_no, "FOOD_BUSINESS", "--passed", now=at(check_day))
    assert contrary.code == 1, (contrary.code, contrary.err)

    plain = credit(run, uscc.lower())  # the code is read case-insensitively
    assert plain == [record]
    text = run("credit", "show", uscc)
    assert text.code == 0 and "open" in text.out and case_no in text.out

    # The same applicant's next request: 容缺 refused (corrections as usual), 告知承诺 refused outright.
    next_day = calendar.add_working_days(check_day, 1)
    promised = submit(run, promise_floor_plan(path), now=at(next_day))
    assert promised["status"] == "correction_required" and promised["missing"] == ["FLOOR_PLAN"], promised
    assert any("credit" in n for n in promised["notes"]), promised["notes"]
    committed = run("submit", same_applicant(path), now=at(next_day))
    assert committed.code == 2, (committed.code, committed.err)
    assert "credit" in committed.err
    # A plain application (no promise asked for) is still accepted.
    plain_app = submit(run, same_applicant(path, commitment_matters=[]), now=at(next_day))
    assert plain_app["status"] == "in_review", plain_app

    # 信用修复 by an administrator: needs a reason; afterwards both paths are open again.
    no_reason = run("credit", "repair", uscc, "--operator", "admin", now=at(next_day))
    assert no_reason.code == 2, (no_reason.code, no_reason.err)
    repaired = run("credit", "repair", uscc, "--reason", "已整改并通过复查", "--operator", "admin", now=at(next_day))
    assert repaired.code == 0, repaired.err
    [after] = credit(run, uscc)
    assert after["status"] == "repaired" and after["repaired_by"] == "admin"
    assert after["repair_reason"] == "已整改并通过复查" and after["repaired_at"] is not None
    nothing = run("credit", "repair", uscc, "--reason", "again", "--operator", "admin", now=at(next_day))
    assert nothing.code == 1, (nothing.code, nothing.err)
    bad = run("credit", "repair", "91350200MA2YJ1XR9H", "--reason", "x", "--operator", "admin")
    assert bad.code == 2, (bad.code, bad.err)

    accepted = submit(run, promise_floor_plan(path), now=at(next_day))
    assert accepted["status"] == "in_review", accepted
    assert [p["status"] for p in show(run, accepted["case_no"])["commitments"]] == ["open"]
    committed = submit(run, same_applicant(path), now=at(next_day))
    assert committed["status"] == "in_review"
    assert [(p["kind"], p["matter"]) for p in show(run, committed["case_no"])["commitments"]] == [
        ("notification", "FOOD_BUSINESS")]


def test_both_promises_on_one_case_verification_waits_for_issuance(env, run, application, catalog):
    """容缺 and 告知承诺 together: verification is refused while results are withheld; its window
    starts when the withheld results are finally issued."""
    calendar = WorkingCalendar()
    case_no = submit(run, application("RESTAURANT", optional_matters=[], omit=("FOOD_EQUIPMENT_LIST",),
                                      deficiency_promise=["FOOD_EQUIPMENT_LIST"],
                                      commitment_matters=["FOOD_BUSINESS"]))["case_no"]
    shown = approve_all(run, case_no)
    assert shown["status"] == "awaiting_materials" and shown["certificates"] == []
    early = verify(run, case_no, "FOOD_BUSINESS", "--passed")
    assert early.code == 1, (early.code, early.err)
    day = calendar.add_working_days(MONDAY, 3)
    assert run("supplement", case_no, "--material", "FOOD_EQUIPMENT_LIST", now=at(day)).code == 0
    shown = show(run, case_no, now=at(day))
    assert shown["status"] == "issued" and len(shown["certificates"]) == 3
    by_kind = {p["kind"]: p for p in shown["commitments"]}
    assert by_kind["deficiency"]["status"] == "fulfilled"
    assert by_kind["notification"]["status"] == "open"
    assert by_kind["notification"]["due_date"] == calendar.add_working_days(
        day, catalog.matters["FOOD_BUSINESS"].verify_days).isoformat()


def test_a_promise_only_a_denied_optional_matter_needed_is_void(env, run, application, catalog):
    needing = [m for m in catalog.bundles["RESTAURANT"].matter_codes()
               if "OWNER_CONSENT" in [x.code for x in catalog.matters[m].materials]]
    assert needing == ["SIGNBOARD"]
    case_no = submit(run, application("RESTAURANT", optional_matters=["SIGNBOARD"], omit=("OWNER_CONSENT",),
                                      deficiency_promise=["OWNER_CONSENT"]))["case_no"]
    approve_matter(run, case_no, "BIZ_LICENCE")
    denied = run("decide", review(show(run, case_no), "SIGNBOARD")["task_id"], "deny", "--reason", "占用公共空间",
                 "--operator", "CITY_MGMT-reviewer")
    assert denied.code == 0, denied.err
    shown = approve_all(run, case_no)
    assert [p["status"] for p in shown["commitments"]] == ["void"], shown["commitments"]
    assert shown["status"] == "partially_issued", shown["status"]
    assert sorted(c["matter"] for c in shown["certificates"]) == ["BIZ_LICENCE", "FIRE_CHECK", "FOOD_BUSINESS"]
