"""Every path a case can take, driven through the CLI: standard, join, correction, denial, supplement."""

from __future__ import annotations

from datetime import date

import pytest

from approvals.calendar import WorkingCalendar
from tests.support import MONDAY, approve_matter, decide, review, show, submit

WEDNESDAY = "2026-03-04T10:00:00+08:00"


# --- driving the CLI -------------------------------------------------------------------------


def assert_dependency_invariants(shown: dict) -> None:
    """Waiting exactly while a prerequisite is unapproved; a waiting task has no clock and no light."""
    status = {r["matter"]: r["status"] for r in shown["reviews"]}
    for r in shown["reviews"]:
        if r["status"] == "waiting":
            assert r["depends_on"], r
            assert not all(status[d] == "approved" for d in r["depends_on"]), r
            assert r["due_date"] is None and r["light"] is None, r
        if r["status"] == "pending":
            assert all(status[d] == "approved" for d in r["depends_on"]), r
            assert r["due_date"] is not None and r["light"] is not None, r


def approve_until_finished(run, case_no: str, *, rounds: int = 10) -> dict:
    """Approve every pending task, round after round, checking the dependency rules in between."""
    for _ in range(rounds):
        shown = show(run, case_no)
        assert_dependency_invariants(shown)
        pending = [r for r in shown["reviews"] if r["status"] == "pending"]
        if not pending:
            return shown
        for r in pending:
            result = run("decide", r["task_id"], "approve", "--operator", f"{r['agency']}-reviewer")
            assert result.code == 0, result.err
    raise AssertionError(f"case {case_no} still has pending tasks after {rounds} rounds")


# --- 1. the standard path of every built-in bundle -------------------------------------------


@pytest.mark.parametrize("bundle", ["RESTAURANT", "COMPANY_START", "INDUSTRIAL_PROJECT", "PHARMACY", "HOTEL"])
def test_standard_path_of_every_builtin_bundle(env, run, application, catalog, bundle):
    submitted = submit(run, application(bundle))
    assert submitted["status"] == "in_review" and submitted["missing"] == []
    case_no = submitted["case_no"]

    shown = show(run, case_no)
    matters = [m.matter for m in catalog.bundles[bundle].matters]
    assert sorted(r["matter"] for r in shown["reviews"]) == sorted(matters)
    dependents = [r for r in shown["reviews"] if r["depends_on"]]
    assert dependents, f"{bundle} has no dependent matter to check"
    for r in shown["reviews"]:
        assert r["agency"] == catalog.matters[r["matter"]].agency
        assert r["status"] == ("waiting" if r["depends_on"] else "pending"), r
    for r in dependents:
        assert r["due_date"] is None and r["light"] is None, r
    assert shown["certificates"] == []

    finished = approve_until_finished(run, case_no)

    assert finished["status"] == "issued"
    assert {r["status"] for r in finished["reviews"]} == {"approved"}
    certificates = finished["certificates"]
    assert sorted(c["matter"] for c in certificates) == sorted(matters)
    assert {c["status"] for c in certificates} == {"issued"}
    assert len({c["issued_at"] for c in certificates}) == 1
    assert len({c["number"] for c in certificates}) == len(certificates)
    kinds = [e["kind"] for e in finished["events"]]
    assert kinds.count("issued") == 1, kinds


# --- 2. dependency order with a join -------------------------------------------------------


@pytest.mark.parametrize("last", ["ENV_ASSESSMENT", "FIRE_DESIGN"])
def test_a_join_waits_for_every_prerequisite(env, run, application, catalog, last):
    case_no = submit(run, application("INDUSTRIAL_PROJECT"))["case_no"]
    prerequisites = catalog.matters["CONSTRUCTION_PERMIT"].depends_on
    assert len(prerequisites) >= 2

    shown = show(run, case_no)
    assert review(shown, "PROJECT_FILING")["status"] == "pending"
    assert {r["status"] for r in shown["reviews"] if r["matter"] != "PROJECT_FILING"} == {"waiting"}

    # PROJECT_FILING releases two matters at once; LAND_USE_PLANNING then CONSTRUCTION_PLANNING then FIRE_DESIGN.
    order = ["PROJECT_FILING", "LAND_USE_PLANNING", "CONSTRUCTION_PLANNING", "FIRE_DESIGN", "ENV_ASSESSMENT"]
    order.remove(last)
    for matter in order:
        approve_matter(run, case_no, matter)
        shown = show(run, case_no)
        assert_dependency_invariants(shown)
        permit = review(shown, "CONSTRUCTION_PERMIT")
        assert permit["status"] == "waiting", (matter, permit)
        assert permit["due_date"] is None and permit["light"] is None
    assert [m for m in prerequisites if review(shown, m)["status"] != "approved"] == [last]
    assert review(shown, last)["status"] == "pending"

    # The last prerequisite is approved on a later day: the permit is released in the same call,
    # and its clock starts that day.
    decided = approve_matter(run, case_no, last, now=WEDNESDAY)
    assert decided["task_status"] == "approved" and decided["case_status"] == "in_review"
    permit = review(show(run, case_no), "CONSTRUCTION_PERMIT")
    assert permit["status"] == "pending"
    expected = WorkingCalendar().add_working_days(date(2026, 3, 4), catalog.matters["CONSTRUCTION_PERMIT"].promised_days)
    assert permit["due_date"] == expected.isoformat()
    assert permit["light"] is not None

    finished = approve_until_finished(run, case_no)
    assert finished["status"] == "issued"
    assert len(finished["certificates"]) == len(finished["reviews"])


# --- 3. correction, then acceptance --------------------------------------------------------


def test_correction_lists_everything_missing_at_once_then_acceptance(env, run, application, catalog):
    omitted = ["LEASE", "FIRE_ACCEPTANCE", "SIGN_DESIGN", "TOBACCO_SITE_MAP", "FOOD_SAFETY_RULES"]
    submitted = submit(run, application("RESTAURANT", omit=tuple(omitted)))
    assert submitted["status"] == "correction_required"
    assert sorted(submitted["missing"]) == sorted(omitted)
    case_no = submitted["case_no"]

    shown = show(run, case_no)
    assert shown["status"] == "correction_required"
    assert sorted(shown["missing"]) == sorted(omitted)
    assert shown["reviews"] == [] and shown["certificates"] == []
    assert not [t for t in run("tasks", "--json").json() if t["case_no"] == case_no]

    first, rest = omitted[:2], omitted[2:]
    supplied = run("supplement", case_no, *[a for m in first for a in ("--material", m)])
    assert supplied.code == 0, supplied.err
    shown = show(run, case_no)
    assert shown["status"] == "correction_required"
    assert sorted(shown["missing"]) == sorted(rest)
    assert shown["reviews"] == []

    # The file becomes complete on Wednesday: the review clocks start then, not at submission.
    supplied = run("supplement", case_no, *[a for m in rest for a in ("--material", m)], now=WEDNESDAY)
    assert supplied.code == 0, supplied.err
    shown = show(run, case_no)
    assert shown["status"] == "in_review"
    assert shown["missing"] == []
    assert sorted(r["matter"] for r in shown["reviews"]) == sorted(m.matter for m in catalog.bundles["RESTAURANT"].matters)
    licence = review(shown, "BIZ_LICENCE")
    assert licence["status"] == "pending"
    calendar = WorkingCalendar()
    assert licence["due_date"] == calendar.add_working_days(date(2026, 3, 4), catalog.matters["BIZ_LICENCE"].promised_days).isoformat()
    assert {r["status"] for r in shown["reviews"] if r["matter"] != "BIZ_LICENCE"} == {"waiting"}

    assert approve_until_finished(run, case_no)["status"] == "issued"


def test_supplementing_a_material_the_case_does_not_need_is_refused(env, run, application):
    case_no = submit(run, application("RESTAURANT", omit=("LEASE", "SIGN_DESIGN")))["case_no"]
    before = show(run, case_no)

    result = run("supplement", case_no, "--material", "EIA_REPORT")  # a known material, not of this bundle
    assert result.code == 2, (result.code, result.err)
    assert result.err.strip() and "Traceback" not in result.err
    result = run("supplement", case_no, "--material", "NO_SUCH_MATERIAL")
    assert result.code == 2
    assert "NO_SUCH_MATERIAL" in result.err
    assert show(run, case_no) == before


# --- 4. denials ----------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "   "])
def test_deny_without_a_reason_is_bad_input_and_changes_nothing(env, run, application, reason):
    case_no = submit(run, application("RESTAURANT"))["case_no"]
    before = show(run, case_no)
    task_id = review(before, "BIZ_LICENCE")["task_id"]

    args = ["decide", task_id, "deny", "--operator", "SAMR-reviewer"] + ([] if reason is None else ["--reason", reason])
    result = run(*args)
    assert result.code == 2, (result.code, result.err)
    assert "reason" in result.err and "Traceback" not in result.err
    assert show(run, case_no) == before


def test_a_denied_required_matter_denies_the_case_and_cancels_what_no_longer_matters(env, run, application):
    case_no = submit(run, application("RESTAURANT"))["case_no"]
    approve_matter(run, case_no, "BIZ_LICENCE")
    shown = show(run, case_no)
    assert {r["status"] for r in shown["reviews"] if r["matter"] != "BIZ_LICENCE"} == {"pending"}
    approve_matter(run, case_no, "SIGNBOARD")

    decided = decide(run, review(shown, "FOOD_BUSINESS")["task_id"], "deny", "--reason", "厨房布局不符合要求")
    assert decided["task_status"] == "denied"
    assert decided["case_status"] == "denied"
    assert decided["certificates"] == []

    shown = show(run, case_no)
    assert shown["status"] == "denied"
    status = {r["matter"]: r["status"] for r in shown["reviews"]}
    assert status == {"BIZ_LICENCE": "approved", "SIGNBOARD": "approved", "FOOD_BUSINESS": "denied",
                      "FIRE_CHECK": "cancelled", "TOBACCO_RETAIL": "cancelled"}
    assert review(shown, "FOOD_BUSINESS")["reason"] == "厨房布局不符合要求"
    assert shown["certificates"] == []
    assert all(r["light"] is None for r in shown["reviews"])

    # A finished case takes no further decision.
    for matter in ("FIRE_CHECK", "BIZ_LICENCE"):
        result = run("decide", review(shown, matter)["task_id"], "approve", "--operator", "x")
        assert result.code == 1, (matter, result.code, result.err)
    assert show(run, case_no) == shown


def test_dependents_of_a_denied_prerequisite_are_cancelled(env, run, application):
    case_no = submit(run, application("RESTAURANT"))["case_no"]
    licence = review(show(run, case_no), "BIZ_LICENCE")

    decided = decide(run, licence["task_id"], "deny", "--reason", "名称与已登记企业重复")
    assert decided["case_status"] == "denied"

    shown = show(run, case_no)
    assert shown["status"] == "denied"
    assert review(shown, "BIZ_LICENCE")["status"] == "denied"
    assert {r["status"] for r in shown["reviews"] if r["matter"] != "BIZ_LICENCE"} == {"cancelled"}
    assert shown["certificates"] == []


def test_a_denied_prerequisite_in_a_join_cancels_the_joined_matter(env, run, application):
    case_no = submit(run, application("INDUSTRIAL_PROJECT"))["case_no"]
    approve_matter(run, case_no, "PROJECT_FILING")
    approve_matter(run, case_no, "LAND_USE_PLANNING")
    env_assessment = review(show(run, case_no), "ENV_ASSESSMENT")

    decide(run, env_assessment["task_id"], "deny", "--reason", "环评结论不可行")

    shown = show(run, case_no)
    status = {r["matter"]: r["status"] for r in shown["reviews"]}
    assert shown["status"] == "denied"
    assert status == {"PROJECT_FILING": "approved", "LAND_USE_PLANNING": "approved", "ENV_ASSESSMENT": "denied",
                      "CONSTRUCTION_PLANNING": "cancelled", "FIRE_DESIGN": "cancelled",
                      "CONSTRUCTION_PERMIT": "cancelled"}
    assert shown["certificates"] == []


@pytest.mark.parametrize("optional", ["TOBACCO_RETAIL", "SIGNBOARD"])
def test_a_denied_optional_matter_issues_the_rest_partially(env, run, application, optional):
    case_no = submit(run, application("RESTAURANT", optional_matters=[optional]))["case_no"]
    shown = show(run, case_no)
    assert sorted(r["matter"] for r in shown["reviews"]) == sorted(["BIZ_LICENCE", "FOOD_BUSINESS", "FIRE_CHECK", optional])
    assert review(shown, optional)["optional"] is True

    approve_matter(run, case_no, "BIZ_LICENCE")
    decided = decide(run, review(shown, optional)["task_id"], "deny", "--reason", "距离学校过近")
    assert decided["case_status"] == "in_review"  # the required matters are still under review
    approve_matter(run, case_no, "FOOD_BUSINESS")
    decided = approve_matter(run, case_no, "FIRE_CHECK")
    assert decided["case_status"] == "partially_issued"
    assert len(decided["certificates"]) == 3

    shown = show(run, case_no)
    assert shown["status"] == "partially_issued"
    assert sorted(c["matter"] for c in shown["certificates"]) == ["BIZ_LICENCE", "FIRE_CHECK", "FOOD_BUSINESS"]
    assert sorted(c["number"] for c in shown["certificates"]) == sorted(decided["certificates"])
    assert len({c["issued_at"] for c in shown["certificates"]}) == 1
    assert review(shown, optional)["status"] == "denied"


def test_optional_matters_not_chosen_are_not_reviewed(env, run, application):
    case_no = submit(run, application("COMPANY_START", optional_matters=[]))["case_no"]
    finished = approve_until_finished(run, case_no)
    assert finished["status"] == "issued"
    assert sorted(r["matter"] for r in finished["reviews"]) == ["BIZ_LICENCE", "SEAL", "SOCIAL_INSURANCE", "TAX"]
    assert len(finished["certificates"]) == 4


# --- 5. supplement request and reply -------------------------------------------------------


def test_supplement_request_and_reply(env, run, application):
    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    approve_matter(run, case_no, "BIZ_LICENCE")
    food = review(show(run, case_no), "FOOD_BUSINESS")

    decided = decide(run, food["task_id"], "supplement", "--material", "FLOOR_PLAN")
    assert decided["task_status"] == "supplement_requested"
    assert decided["case_status"] == "in_review"
    shown = show(run, case_no)
    food = review(shown, "FOOD_BUSINESS")
    assert food["status"] == "supplement_requested"
    assert food["requested_materials"] == ["FLOOR_PLAN"]

    # Nobody approves what is waiting for the applicant.
    result = run("decide", food["task_id"], "approve", "--operator", "SAMR-reviewer")
    assert result.code == 1, (result.code, result.err)
    assert result.err.strip() and "Traceback" not in result.err
    # Asking again while the first request is open is refused as well.
    result = run("decide", food["task_id"], "supplement", "--material", "LEASE", "--operator", "SAMR-reviewer")
    assert result.code == 1, (result.code, result.err)
    # A material that is not awaited is refused.
    result = run("supplement", case_no, "--material", "LEASE")
    assert result.code == 1, (result.code, result.err)
    assert "LEASE" in result.err
    # Partly awaited is still refused as a whole.
    result = run("supplement", case_no, "--material", "FLOOR_PLAN", "--material", "LEASE")
    assert result.code == 1, (result.code, result.err)
    assert show(run, case_no) == shown

    supplied = run("supplement", case_no, "--material", "FLOOR_PLAN")
    assert supplied.code == 0, supplied.err
    shown = show(run, case_no)
    food = review(shown, "FOOD_BUSINESS")
    assert food["status"] == "pending"
    assert food["requested_materials"] == []

    # Nothing is awaited any more.
    assert run("supplement", case_no, "--material", "FLOOR_PLAN").code == 1

    finished = approve_until_finished(run, case_no)
    assert finished["status"] == "issued"
    assert len(finished["certificates"]) == 3


def test_supplement_request_needs_a_material(env, run, application):
    case_no = submit(run, application("RESTAURANT"))["case_no"]
    before = show(run, case_no)
    result = run("decide", review(before, "BIZ_LICENCE")["task_id"], "supplement", "--operator", "SAMR-reviewer")
    assert result.code == 2, (result.code, result.err)
    result = run("decide", review(before, "BIZ_LICENCE")["task_id"], "supplement", "--material", "NOPE",
                 "--operator", "SAMR-reviewer")
    assert result.code == 2, (result.code, result.err)
    assert show(run, case_no) == before


def test_a_task_waiting_for_a_supplement_can_be_denied(env, run, application):
    case_no = submit(run, application("RESTAURANT"))["case_no"]
    licence = review(show(run, case_no), "BIZ_LICENCE")
    decide(run, licence["task_id"], "supplement", "--material", "ARTICLES")
    decided = decide(run, licence["task_id"], "deny", "--reason", "逾期未补正")
    assert decided["case_status"] == "denied"
    shown = show(run, case_no)
    assert {r["status"] for r in shown["reviews"] if r["matter"] != "BIZ_LICENCE"} == {"cancelled"}


def test_the_review_clock_pauses_while_a_supplement_is_awaited(env, run, application, catalog):
    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    approve_matter(run, case_no, "BIZ_LICENCE")
    food = review(show(run, case_no), "FOOD_BUSINESS")
    calendar = WorkingCalendar()
    original_due = calendar.add_working_days(MONDAY, catalog.matters["FOOD_BUSINESS"].promised_days)
    assert food["due_date"] == original_due.isoformat()

    decide(run, food["task_id"], "supplement", "--material", "FLOOR_PLAN")
    # The applicant takes a week; the agency's time must not run out meanwhile.
    week_later = calendar.add_working_days(MONDAY, 5)
    supplied = run("supplement", case_no, "--material", "FLOOR_PLAN", now=f"{week_later.isoformat()}T09:00:00+08:00")
    assert supplied.code == 0, supplied.err

    food = review(show(run, case_no), "FOOD_BUSINESS")
    assert food["status"] == "pending"
    assert food["due_date"] > original_due.isoformat()
    assert food["light"] != "red"
