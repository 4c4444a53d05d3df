"""Unit tests for the case aggregate (approvals.casefile): its methods change the case under the rules and
leave what happened as data; no database, no clock read."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from approvals.calendar import WorkingCalendar
from approvals.case_parts import Policy
from approvals.casefile import CaseFile
from approvals.catalog import Agency, Bundle, BundleMatter, Catalog, Material, Matter, build_catalog
from approvals.commitments import CommitmentKind, CommitmentStatus
from approvals.deadlines import Clock, StopKind
from approvals.endings import Ending
from approvals.errors import BadInput, NotFound, Refused
from approvals.permissions import Role
from approvals.review import Action, CaseStatus, TaskStatus, check_decision
from approvals.signoff import Step

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # an ordinary working week
ID_CARD, LEASE, PLAN, SIGN = (Material("id_card", "身份证"), Material("lease", "租赁合同"),
                              Material("floor_plan", "平面图"), Material("sign_design", "招牌设计图", core=False))


def catalog(*, food_endpoint: bool = False, steps: tuple[Step, ...] = ()) -> Catalog:
    agencies = [Agency("samr", "市场监督管理局", endpoint="http://samr.example" if food_endpoint else None),
                Agency("urban", "城市管理局")]
    matters = [Matter("biz", "营业执照", "samr", 1, 15, materials=(ID_CARD, LEASE), steps=steps),
               Matter("food", "食品经营许可", "samr", 5, 20, ("biz",), True, (ID_CARD, PLAN)),
               Matter("sign", "户外招牌设置", "urban", 3, 20, materials=(SIGN, LEASE)),
               Matter("stamp", "印章刻制备案", "urban", 1, 1, on_the_spot=True)]
    bundles = [Bundle("restaurant", "开办餐饮店", 10, (BundleMatter("biz"), BundleMatter("food"),
                                                 BundleMatter("sign", optional=True), BundleMatter("stamp")))]
    return build_catalog(agencies, matters, bundles)


def clock(days: int = 0) -> Clock:
    return Clock(MONDAY + timedelta(days=days), WorkingCalendar())


def filed(*, provided=("id_card", "lease", "floor_plan", "sign_design"), status=CaseStatus.IN_REVIEW,
          commitment_matters=()) -> CaseFile:
    return CaseFile(id=7, case_no="OV20260302000001", request_digest="-", catalog_version=1, bundle="restaurant",
                    channel="window", applicant_name="川味小厨", uscc="91310000MA1FL8TQ3X", legal_rep_name="王川",
                    legal_rep_id_number="-", status=status, promised_days=10,
                    matters=["biz", "food", "sign", "stamp"], required_materials=["id_card", "lease", "floor_plan",
                                                                               "sign_design"],
                    provided_materials=list(provided), submitted_at=MONDAY, updated_at=MONDAY,
                    commitment_matters=list(commitment_matters))


def accepted(the_catalog: Catalog | None = None, promised: tuple[str, ...] = (), **kwargs) -> tuple[CaseFile, Catalog]:
    the_catalog = the_catalog or catalog()
    case = filed(**kwargs)
    case.accept(the_catalog, Policy(), [11, 12, 13, 14], "window-1", clock(), promised=promised)
    return case, the_catalog


def decide(case: CaseFile, the_catalog: Catalog, task_id: int, action: Action, reason=None, materials=(), days=0):
    task = case.task(task_id)
    decision = check_decision(task.status, action, reason, materials,
                              in_special_procedure=task.stopped is StopKind.SPECIAL)
    return case.decide(task, decision, f"{task.agency}-reviewer", the_catalog, clock(days))


def kinds(case: CaseFile) -> list[str]:
    return [h.kind for h in case.happened]


def test_acceptance_opens_a_task_per_matter_starts_those_without_prerequisites_and_decides_one_on_the_spot():
    case, _ = accepted()
    status = {t.matter: t.status for t in case.tasks}
    assert status == {"biz": TaskStatus.PENDING, "food": TaskStatus.WAITING, "sign": TaskStatus.PENDING,
                      "stamp": TaskStatus.APPROVED}
    assert [t.id for t in case.tasks] == [11, 12, 13, 14]
    assert case.status is CaseStatus.IN_REVIEW and case.due_date is not None and case.light == "green"
    assert case.task(11).dispatched_at == clock().now  # the hall's own queue: the agency has it now
    assert kinds(case).count("dispatched") == 2 and "approved" in kinds(case)
    assert list(case.outward) == ["notify:case:7:accepted"]


def test_an_agency_with_a_system_of_its_own_gets_its_task_from_the_orchestration():
    the_catalog = catalog(food_endpoint=True)
    case, _ = accepted(the_catalog)
    assert case.task(11).dispatched_at is None
    assert case.outward["dispatch:task:11"].kind == "dispatch_review"


def test_approving_every_matter_issues_every_certificate_together_and_queues_one_delivery():
    case, the_catalog = accepted()
    assert decide(case, the_catalog, 11, Action.APPROVE) == []  # food starts: its prerequisite is approved
    assert case.task(12).status is TaskStatus.PENDING and "released" in kinds(case)
    decide(case, the_catalog, 12, Action.APPROVE)
    numbers = decide(case, the_catalog, 13, Action.APPROVE)
    assert numbers == [f"{case.case_no}-{m}" for m in ("biz", "food", "sign", "stamp")]
    assert case.status is CaseStatus.ISSUED and case.finished_at == clock().now
    assert {c.issued_at for c in case.certificates} == {clock().now}
    assert "deliver:case:7" in case.outward


def test_a_denied_required_matter_denies_the_case_and_cancels_what_was_open():
    case, the_catalog = accepted()
    decide(case, the_catalog, 11, Action.DENY, reason="名称不合规")
    assert case.status is CaseStatus.DENIED
    assert case.task(12).status is TaskStatus.CANCELLED and case.task(13).status is TaskStatus.CANCELLED
    assert "notify:case:7:denied" in case.outward
    assert {c.task_id for c in case.ledger_closings} == {11, 12, 13}  # 销号 for the decided and the cancelled


def test_a_denied_optional_matter_still_issues_the_others_partially():
    case, the_catalog = accepted()
    decide(case, the_catalog, 13, Action.DENY, reason="招牌过大")
    decide(case, the_catalog, 11, Action.APPROVE)
    assert decide(case, the_catalog, 12, Action.APPROVE) == [f"{case.case_no}-{m}" for m in ("biz", "food", "stamp")]
    assert case.status is CaseStatus.PARTIALLY_ISSUED


def test_a_supplement_request_stops_both_clocks_and_the_materials_resume_them():
    case, the_catalog = accepted()
    decide(case, the_catalog, 13, Action.SUPPLEMENT, materials=["sign_design"])
    task = case.task(13)
    assert task.status is TaskStatus.SUPPLEMENT_REQUESTED and task.stopped is StopKind.SUPPLEMENT
    assert case.stops_open == 1 and case.light is None
    assert "notify:case:7:supplement_requested:task13:1" in case.outward
    still = case.supply(["sign_design"], "window-1", the_catalog, Policy(), clock(3), at_window=True)
    assert still == [] and task.status is TaskStatus.PENDING and task.stopped is None
    assert case.stops_open == 0 and case.visits == 1
    stop = next(s for s in case.stops if s.task_id == 13)
    assert stop.ended_on == clock(3).today and stop.working_days == task.supplement_days == 3


def test_materials_nobody_waits_for_are_refused():
    case, the_catalog = accepted()
    with pytest.raises(Refused, match="no material is awaited"):
        case.supply(["lease"], "window-1", the_catalog, Policy(), clock(), at_window=True)


def test_a_correction_completes_intake_when_the_last_missing_material_arrives():
    case = filed(provided=("id_card",), status=CaseStatus.CORRECTION_REQUIRED)
    the_catalog = catalog()
    with pytest.raises(BadInput, match="not needed"):
        case.supply(["no_such"], "window-1", the_catalog, Policy(), clock(), at_window=True)
    assert case.supply(["lease"], "window-1", the_catalog, Policy(), clock(), at_window=True) == [
        "floor_plan", "sign_design"]
    assert case.status is CaseStatus.CORRECTION_REQUIRED and not case.tasks
    still = case.supply(["floor_plan", "sign_design"], "window-1", the_catalog, Policy(), clock(1),
                        lambda count: list(range(21, 21 + count)), at_window=True)
    assert still == [] and case.status is CaseStatus.IN_REVIEW and [t.id for t in case.tasks] == [21, 22, 23, 24]


def test_a_special_procedure_stops_the_clock_without_stopping_the_task():
    case, the_catalog = accepted()
    decide(case, the_catalog, 11, Action.SPECIAL_START, reason="专家评审")
    assert case.task(11).status is TaskStatus.PENDING and case.task(11).stopped is StopKind.SPECIAL
    with pytest.raises(Refused, match="already under way"):
        decide(case, the_catalog, 11, Action.SPECIAL_START, reason="again")
    decide(case, the_catalog, 11, Action.SPECIAL_END, days=2)
    assert case.task(11).special_days == 2 and case.task(11).stopped is None


def test_a_promise_withholds_every_result_until_the_materials_arrive_then_all_issue_together():
    case, the_catalog = accepted(provided=("id_card", "lease", "sign_design"), promised=("floor_plan",))
    promise = case.open_deficiency()
    assert promise.kind == CommitmentKind.DEFICIENCY and promise.materials == ["floor_plan"]
    for task_id in (11, 12, 13):
        decide(case, the_catalog, task_id, Action.APPROVE)
    assert case.status is CaseStatus.AWAITING_MATERIALS and not case.certificates
    case.supply(["floor_plan"], "window-1", the_catalog, Policy(), clock(1), at_window=False)
    assert promise.status == CommitmentStatus.FULFILLED
    assert case.status is CaseStatus.ISSUED and len(case.certificates) == 4


def test_a_promise_past_due_suspends_the_case_and_after_its_grace_returns_it_with_a_credit_record():
    case, the_catalog = accepted(provided=("id_card", "lease", "sign_design"), promised=("floor_plan",))
    promise = case.open_deficiency()
    after_due = (promise.due_date - MONDAY.date()).days + 1
    assert case.overdue_promise(clock(after_due)) == "suspended"
    assert case.status is CaseStatus.SUSPENDED and case.task(11).stopped is StopKind.SUSPENDED
    with pytest.raises(Refused, match="suspended"):
        case.check_decidable()
    assert case.overdue_promise(clock(after_due + 40)) == "returned"
    assert case.status is CaseStatus.RETURNED and promise.status == CommitmentStatus.BROKEN
    assert [e.kind for e in case.credit_entries] == ["broken_promise"]
    assert all(t.status in (TaskStatus.CANCELLED, TaskStatus.APPROVED) for t in case.tasks)


def test_a_failed_verification_revokes_that_certificate_only_and_writes_a_credit_record():
    case, the_catalog = accepted(commitment_matters=("food",))
    for task_id in (11, 12, 13):
        decide(case, the_catalog, task_id, Action.APPROVE)
    assert case.status is CaseStatus.ISSUED
    with pytest.raises(NotFound):
        case.verify("sign", False, "虚假", "samr-inspector", clock(5))
    assert case.verify("food", False, "承诺不实", "samr-inspector", clock(5)) == (True, f"{case.case_no}-food")
    revoked = [c.matter for c in case.certificates if c.status == "revoked"]
    assert revoked == ["food"] and [e.kind for e in case.credit_entries] == ["false_commitment"]
    with pytest.raises(Refused, match="already verified"):
        case.verify("food", True, None, "samr-inspector", clock(6))


def test_withdrawal_cancels_the_open_tasks_voids_the_promises_and_queues_the_notice():
    case, _ = accepted(commitment_matters=("food",))
    assert case.end(Ending.WITHDRAWAL, "不再经营", "window-1", clock(1), dropped=2) == [11, 12, 13]
    assert case.status is CaseStatus.WITHDRAWN and case.end_reason == "不再经营"
    assert all(p.status == CommitmentStatus.VOID for p in case.promises)
    assert case.happened[-1].detail == "不再经营; 2 queued item(s) dropped"
    with pytest.raises(Refused, match="ended already"):
        case.end(Ending.WITHDRAWAL, "again", "window-1", clock(2))


def test_a_key_project_shortens_the_open_limits():
    case, the_catalog = accepted()
    assert case.mark_key_project("副区长 陈明", the_catalog, Policy(key_project_factor=0.5), "window-1", clock()) == 3
    assert case.promised_days == 5 and case.task(12).promised_days == 3 and case.task(11).promised_days == 1


def test_a_sign_off_chain_holds_the_decision_until_its_last_step():
    steps = (Step("初审", "reviewer"), Step("签发", Role.HEAD))
    case, the_catalog = accepted(catalog(steps=steps))
    task = case.task(11)
    assert case.sign(task, steps, steps[0], Action.APPROVE, "samr-reviewer", clock()) is True
    assert case.sign(task, steps, steps[1], Action.APPROVE, "samr-head", clock()) is False
    assert [s.name for s in case.signatures] == ["初审", "签发"] and task.step == 2
