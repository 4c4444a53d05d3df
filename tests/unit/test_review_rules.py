"""Unit tests for approvals.review: reviewers' decisions and how a case settles after them."""

from __future__ import annotations

import pytest

from approvals.errors import BadInput, Refused
from approvals.review import (
    Action,
    CaseStatus,
    TaskState,
    TaskStatus,
    check_decision,
    initial_status,
    settle,
)

W, P, S = TaskStatus.WAITING, TaskStatus.PENDING, TaskStatus.SUPPLEMENT_REQUESTED
A, D, C = TaskStatus.APPROVED, TaskStatus.DENIED, TaskStatus.CANCELLED


def task(matter: str, status: TaskStatus, *deps: str, optional: bool = False) -> TaskState:
    return TaskState(matter=matter, status=status, optional=optional, depends_on=tuple(deps))


def apply(tasks: list[TaskState], changes: dict[str, TaskStatus]) -> list[TaskState]:
    """What the caller persists: the tasks with the settlement's changes written back."""
    return [TaskState(t.matter, changes.get(t.matter, t.status), t.optional, t.depends_on) for t in tasks]


def restaurant(**status: TaskStatus) -> list[TaskState]:
    """biz first; food and tobacco need biz; sign and fire in parallel; tobacco_sign needs tobacco."""
    s = {"biz": P, "food": W, "sign": P, "fire": P, "tobacco": W, "tobacco_sign": W} | status
    return [
        task("biz", s["biz"]),
        task("food", s["food"], "biz"),
        task("sign", s["sign"]),
        task("fire", s["fire"]),
        task("tobacco", s["tobacco"], "biz", optional=True),
        task("tobacco_sign", s["tobacco_sign"], "tobacco", optional=True),
    ]


# --- check_decision -------------------------------------------------------------------------


def test_approve_a_pending_task():
    decision = check_decision(P, Action.APPROVE, None, [])
    assert decision.status is A and decision.action is Action.APPROVE
    assert decision.reason is None and decision.materials == ()


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_deny_needs_a_reason(reason):
    with pytest.raises(BadInput):
        check_decision(P, Action.DENY, reason, [])


def test_deny_with_reason_keeps_it_trimmed():
    decision = check_decision(P, Action.DENY, "  选址不符合规划  ", [])
    assert decision.status is D and decision.reason == "选址不符合规划"


def test_supplement_needs_materials():
    with pytest.raises(BadInput):
        check_decision(P, Action.SUPPLEMENT, "please", [])


def test_supplement_lists_each_material_once_in_order():
    decision = check_decision(P, Action.SUPPLEMENT, None, ["floor_plan", "lease", "floor_plan"])
    assert decision.status is S and decision.materials == ("floor_plan", "lease")


@pytest.mark.parametrize("action", [Action.APPROVE, Action.DENY])
def test_materials_only_go_with_a_supplement_request(action):
    with pytest.raises(BadInput):
        check_decision(P, action, "reason", ["lease"])


@pytest.mark.parametrize("current", [W, S, A, D, C])
def test_approve_refused_unless_pending(current):
    with pytest.raises(Refused) as err:
        check_decision(current, Action.APPROVE, None, [])
    assert current.value in str(err.value)
    assert not isinstance(err.value, BadInput)


@pytest.mark.parametrize("current", [W, S, A, D, C])
def test_supplement_refused_unless_pending(current):
    with pytest.raises(Refused):
        check_decision(current, Action.SUPPLEMENT, None, ["lease"])


def test_deny_allowed_after_a_supplement_request_the_applicant_never_answered():
    assert check_decision(S, Action.DENY, "材料逾期未补", []).status is D


@pytest.mark.parametrize("current", [W, A, D, C])
def test_deny_refused_on_waiting_or_final_tasks(current):
    with pytest.raises(Refused):
        check_decision(current, Action.DENY, "reason", [])


def test_bad_input_is_reported_before_the_state_check():
    # A malformed decision is a usage error (exit 2) whatever state the task is in.
    with pytest.raises(BadInput):
        check_decision(A, Action.DENY, None, [])


def test_initial_status():
    assert initial_status([]) is P
    assert initial_status(["biz"]) is W
    assert initial_status(iter(["biz"])) is W


# --- settle -----------------------------------------------------------------------------------


def test_approving_a_prerequisite_releases_its_dependents():
    result = settle(restaurant(biz=A))
    assert result.changes == {"food": P, "tobacco": P}  # tobacco_sign still waits for tobacco
    assert result.case_status is CaseStatus.IN_REVIEW
    assert result.certify == ()


def test_nothing_released_while_the_prerequisite_is_open():
    for status in (P, S):
        result = settle(restaurant(biz=status))
        assert result.changes == {}
        assert result.case_status is CaseStatus.IN_REVIEW


def test_a_join_releases_only_when_every_prerequisite_is_approved():
    def case(biz, fire):
        return [task("biz", biz), task("fire", fire), task("opening", W, "biz", "fire")]

    assert settle(case(A, P)).changes == {}
    assert settle(case(P, A)).changes == {}
    assert settle(case(A, S)).changes == {}
    assert settle(case(A, A)).changes == {"opening": P}


def test_denied_required_matter_denies_the_case_and_cancels_every_open_task():
    tasks = restaurant(biz=A, food=P, sign=D, fire=S, tobacco=P)
    result = settle(tasks)
    assert result.case_status is CaseStatus.DENIED
    assert result.certify == ()  # nothing is issued on a denied case, not even approved biz
    assert result.changes == {"food": C, "fire": C, "tobacco": C, "tobacco_sign": C}


def test_denied_prerequisite_denies_the_case():
    result = settle(restaurant(biz=D))
    assert result.case_status is CaseStatus.DENIED
    assert all(s is C for s in result.changes.values())
    assert set(result.changes) == {"food", "sign", "fire", "tobacco", "tobacco_sign"}


def test_denied_optional_matter_issues_the_rest():
    tasks = [task("biz", A), task("food", A, "biz"), task("tobacco", D, "biz", optional=True)]
    result = settle(tasks)
    assert result.case_status is CaseStatus.PARTIALLY_ISSUED
    assert result.certify == ("biz", "food")
    assert result.changes == {}


def test_dependents_of_a_denied_optional_matter_are_cancelled_transitively():
    tasks = [
        task("biz", A),
        task("tobacco", D, "biz", optional=True),
        task("tobacco_sign", W, "tobacco", optional=True),
        task("tobacco_display", W, "tobacco_sign", optional=True),
        task("sign", P),
    ]
    result = settle(tasks)
    assert result.changes == {"tobacco_sign": C, "tobacco_display": C}
    assert result.case_status is CaseStatus.IN_REVIEW  # sign is still open
    # Once sign is approved the case issues what was approved.
    final = settle(apply(tasks, result.changes | {"sign": A}))
    assert final.case_status is CaseStatus.PARTIALLY_ISSUED
    assert final.certify == ("biz", "sign")


def test_settle_does_not_depend_on_the_order_of_tasks():
    # Dependents listed before their prerequisites need more than one pass to settle.
    chain = [
        task("tobacco_display", W, "tobacco_sign", optional=True),
        task("tobacco_sign", W, "tobacco", optional=True),
        task("tobacco", D, "biz", optional=True),
        task("biz", A),
    ]
    cancelled = settle(chain)
    assert cancelled.changes == {"tobacco_sign": C, "tobacco_display": C}
    assert cancelled.case_status is CaseStatus.PARTIALLY_ISSUED
    assert cancelled.certify == ("biz",)

    released = settle([task("c", W, "b"), task("b", W, "a"), task("a", A)])
    assert released.changes == {"b": P}  # c waits until b is approved


def test_all_approved_issues_every_matter_together():
    tasks = restaurant(biz=A, food=A, sign=A, fire=A, tobacco=A, tobacco_sign=A)
    result = settle(tasks)
    assert result.case_status is CaseStatus.ISSUED
    assert result.certify == ("biz", "food", "sign", "fire", "tobacco", "tobacco_sign")
    assert result.changes == {}


def test_open_case_certifies_nothing_even_when_some_matters_are_approved():
    result = settle(restaurant(biz=A, food=A, sign=A, fire=S, tobacco=A, tobacco_sign=A))
    assert result.case_status is CaseStatus.IN_REVIEW
    assert result.certify == ()


@pytest.mark.parametrize(
    "tasks",
    [
        restaurant(),
        restaurant(biz=A),
        restaurant(biz=A, food=A, sign=A, fire=A, tobacco=D),
        restaurant(biz=A, sign=D),
        restaurant(biz=A, food=A, sign=A, fire=A, tobacco=A, tobacco_sign=A),
        restaurant(biz=A, food=A, sign=A, fire=A, tobacco=A, tobacco_sign=D),
    ],
    ids=["fresh", "biz-approved", "optional-denied", "required-denied", "all-approved", "leaf-optional-denied"],
)
def test_settle_is_idempotent(tasks):
    first = settle(tasks)
    settled = apply(tasks, first.changes)
    second = settle(settled)
    assert second.changes == {}
    assert second.case_status is first.case_status
    assert second.certify == first.certify


def test_a_whole_case_walked_step_by_step():
    tasks = restaurant()
    steps = [
        ({"biz": A}, CaseStatus.IN_REVIEW),
        ({"food": A, "sign": A, "fire": A}, CaseStatus.IN_REVIEW),
        ({"tobacco": A}, CaseStatus.IN_REVIEW),
        ({"tobacco_sign": A}, CaseStatus.ISSUED),
    ]
    for decided, expected in steps:
        for matter in decided:
            current = next(t.status for t in tasks if t.matter == matter)
            assert current is P, f"{matter} should have been released before being decided"
        tasks = apply(tasks, decided)
        result = settle(tasks)
        tasks = apply(tasks, result.changes)
        assert result.case_status is expected
    assert result.certify == tuple(t.matter for t in tasks)
