"""Unit tests for approvals.review.check_decision with special procedures (特别程序, law §45).

A special procedure (expert review, hearing, inspection, testing) stops the task's clock but not
the task: it stays pending, the reviewer may still approve or deny, but may not ask the applicant
for a supplement until the procedure has ended.
"""

from __future__ import annotations

import pytest

from approvals.deadlines import StopKind
from approvals.errors import BadInput, Refused
from approvals.review import Action, TaskStatus, check_decision

W, P, S = TaskStatus.WAITING, TaskStatus.PENDING, TaskStatus.SUPPLEMENT_REQUESTED
A, D, C = TaskStatus.APPROVED, TaskStatus.DENIED, TaskStatus.CANCELLED
NOT_PENDING = [W, S, A, D, C]


def test_action_and_stop_kind_values_are_stable_strings():
    assert Action.SPECIAL_START.value == "special-start"
    assert Action.SPECIAL_END.value == "special-end"
    assert Action("special-start") is Action.SPECIAL_START
    assert [str(k) for k in StopKind] == ["supplement", "special", "suspended"]


# --- special-start ----------------------------------------------------------------------------


def test_special_start_on_a_pending_task_keeps_it_pending():
    decision = check_decision(P, Action.SPECIAL_START, "  专家评审  ", [])
    assert decision.action is Action.SPECIAL_START
    assert decision.status is P
    assert decision.reason == "专家评审"
    assert decision.materials == ()


@pytest.mark.parametrize("reason", [None, "", "   ", "\t\n"])
def test_special_start_needs_a_reason(reason):
    with pytest.raises(BadInput, match="reason"):
        check_decision(P, Action.SPECIAL_START, reason, [])


def test_special_start_without_reason_is_bad_input_even_when_it_would_be_refused():
    with pytest.raises(BadInput):
        check_decision(A, Action.SPECIAL_START, None, [])
    with pytest.raises(BadInput):
        check_decision(P, Action.SPECIAL_START, None, [], in_special_procedure=True)


def test_special_start_refused_when_one_is_already_under_way():
    with pytest.raises(Refused, match="already under way"):
        check_decision(P, Action.SPECIAL_START, "hearing", [], in_special_procedure=True)


@pytest.mark.parametrize("current", NOT_PENDING)
def test_special_start_refused_on_a_task_that_is_not_pending(current):
    with pytest.raises(Refused, match=current.value):
        check_decision(current, Action.SPECIAL_START, "inspection", [])


def test_special_start_takes_no_materials():
    with pytest.raises(BadInput, match="material"):
        check_decision(P, Action.SPECIAL_START, "testing", ["lab report"])


# --- special-end ------------------------------------------------------------------------------


def test_special_end_while_one_is_under_way_keeps_the_task_pending():
    decision = check_decision(P, Action.SPECIAL_END, None, [], in_special_procedure=True)
    assert decision.action is Action.SPECIAL_END
    assert decision.status is P
    assert decision.reason is None


def test_special_end_keeps_an_optional_reason():
    decision = check_decision(P, Action.SPECIAL_END, " 评审完成 ", [], in_special_procedure=True)
    assert decision.reason == "评审完成"


def test_special_end_refused_when_none_is_under_way():
    with pytest.raises(Refused, match="no special procedure"):
        check_decision(P, Action.SPECIAL_END, None, [])
    with pytest.raises(Refused):
        check_decision(P, Action.SPECIAL_END, "done", [], in_special_procedure=False)


@pytest.mark.parametrize("current", NOT_PENDING)
def test_special_end_refused_on_a_task_that_is_not_pending(current):
    with pytest.raises(Refused):
        check_decision(current, Action.SPECIAL_END, None, [], in_special_procedure=True)


# --- other decisions during a special procedure --------------------------------------------------


def test_supplement_refused_during_a_special_procedure():
    with pytest.raises(Refused, match="special-end"):
        check_decision(P, Action.SUPPLEMENT, None, ["site plan"], in_special_procedure=True)


def test_supplement_without_materials_is_bad_input_first():
    with pytest.raises(BadInput):
        check_decision(P, Action.SUPPLEMENT, None, [], in_special_procedure=True)


def test_supplement_allowed_once_the_procedure_has_ended():
    decision = check_decision(P, Action.SUPPLEMENT, None, ["site plan"], in_special_procedure=False)
    assert decision.status is S


def test_approve_allowed_during_a_special_procedure():
    decision = check_decision(P, Action.APPROVE, None, [], in_special_procedure=True)
    assert decision.status is A


def test_deny_allowed_during_a_special_procedure():
    decision = check_decision(P, Action.DENY, "检测不合格", [], in_special_procedure=True)
    assert decision.status is D
    assert decision.reason == "检测不合格"


def test_deny_during_a_special_procedure_still_needs_a_reason():
    with pytest.raises(BadInput):
        check_decision(P, Action.DENY, " ", [], in_special_procedure=True)


@pytest.mark.parametrize("action", [Action.APPROVE, Action.DENY])
@pytest.mark.parametrize("current", [A, D, C, W])
def test_final_or_waiting_tasks_stay_refused_during_a_special_procedure(action, current):
    with pytest.raises(Refused):
        check_decision(current, action, "reason", [], in_special_procedure=True)


def test_full_special_procedure_round_trip():
    """start -> (clock stopped) -> end -> supplement is possible again -> approve."""
    status = P
    status = check_decision(status, Action.SPECIAL_START, "听证", []).status
    with pytest.raises(Refused):
        check_decision(status, Action.SUPPLEMENT, None, ["x"], in_special_procedure=True)
    status = check_decision(status, Action.SPECIAL_END, None, [], in_special_procedure=True).status
    assert status is P
    assert check_decision(status, Action.SUPPLEMENT, None, ["x"]).status is S
    assert check_decision(status, Action.APPROVE, None, []).status is A
