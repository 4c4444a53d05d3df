"""The county paths' pure rules: ending a case, the statutory extension, sign-off chains, catalog keys."""

from __future__ import annotations

import pytest

from approvals.catalog import Agency, CatalogError, Material, Matter, build_catalog
from approvals.endings import REFUSAL_NOTICE, Ending, check_ending
from approvals.errors import BadInput, Refused
from approvals.extension import check_decision, check_request
from approvals.permissions import Actor, Role
from approvals.review import CaseStatus, TaskStatus
from approvals.signoff import Step, check_signer, is_last

CHAIN = (Step("初审"), Step("审核"), Step("签发", Role.HEAD))
ALICE, BOB, CAROL = (Actor(n, Role.REVIEWER, "MPA") for n in ("alice", "bob", "carol"))
HEAD = Actor("head", Role.HEAD, "MPA")


@pytest.mark.parametrize("status", list(CaseStatus))
def test_withdrawal_is_open_until_the_case_has_ended_and_refusal_only_before_acceptance(status):
    finished = status in {CaseStatus.ISSUED, CaseStatus.PARTIALLY_ISSUED, CaseStatus.DENIED, CaseStatus.RETURNED,
                          CaseStatus.REFUSED, CaseStatus.WITHDRAWN}
    if finished:
        with pytest.raises(Refused, match="ended already"):
            check_ending(status, Ending.WITHDRAWAL, "x")
    else:
        assert check_ending(status, Ending.WITHDRAWAL, "  不办了 ") == "不办了"
    if status is CaseStatus.CORRECTION_REQUIRED:
        assert check_ending(status, Ending.REFUSAL, "不属本机关职权") == "不属本机关职权"
    else:
        with pytest.raises(Refused):
            check_ending(status, Ending.REFUSAL, "x")
    with pytest.raises(BadInput, match="--reason"):
        check_ending(status, Ending.REFUSAL, "  ")
    assert "第三十二条" in REFUSAL_NOTICE and "行政诉讼" in REFUSAL_NOTICE


def test_an_extension_is_asked_once_while_the_task_runs_and_decided_once():
    assert check_request(TaskStatus.PENDING, None, " 需现场核查 ") == "需现场核查"
    assert check_request(TaskStatus.SUPPLEMENT_REQUESTED, None, "x") == "x"
    for status in (TaskStatus.WAITING, TaskStatus.APPROVED, TaskStatus.DENIED, TaskStatus.CANCELLED):
        with pytest.raises(Refused, match="running task"):
            check_request(status, None, "x")
    for earlier in ("requested", "approved", "refused"):
        with pytest.raises(Refused, match="once"):
            check_request(TaskStatus.PENDING, earlier, "x")
    with pytest.raises(BadInput):
        check_request(TaskStatus.PENDING, None, None)
    assert check_decision(TaskStatus.PENDING, "requested", True, None) is None
    assert check_decision(TaskStatus.PENDING, "requested", False, "理由不足") == "理由不足"
    with pytest.raises(BadInput):
        check_decision(TaskStatus.PENDING, "requested", False, " ")
    with pytest.raises(Refused, match="no extension"):
        check_decision(TaskStatus.PENDING, None, True, None)
    with pytest.raises(Refused, match="approved already"):
        check_decision(TaskStatus.PENDING, "approved", True, None)
    with pytest.raises(Refused, match="too late"):
        check_decision(TaskStatus.APPROVED, "requested", True, None)


def test_each_step_of_a_chain_is_signed_by_its_role_and_by_someone_new():
    assert check_signer(CHAIN, 0, [], ALICE, None) == Step("初审")
    with pytest.raises(Refused, match="only a reviewer"):
        check_signer(CHAIN, 0, [], HEAD, None)
    with pytest.raises(Refused, match="earlier step"):
        check_signer(CHAIN, 1, ["alice"], ALICE, None)
    assert check_signer(CHAIN, 1, ["alice"], BOB, None).name == "审核"
    with pytest.raises(Refused, match="only a head"):
        check_signer(CHAIN, 2, ["alice", "bob"], CAROL, None)
    assert check_signer(CHAIN, 2, ["alice", "bob"], HEAD, None).name == "签发"
    assert check_signer(CHAIN, 3, ["alice", "bob", "head"], CAROL, None) is None  # decided: its state refuses
    assert [is_last(CHAIN, n) for n in range(3)] == [False, False, True] and is_last((), 0)


def test_a_task_without_a_chain_is_a_reviewers_and_a_bound_task_its_assignees():
    assert check_signer((), 0, [], ALICE, None) is None
    with pytest.raises(Refused, match="has none"):
        check_signer((), 0, [], HEAD, None)
    with pytest.raises(Refused, match="bound to bob"):
        check_signer((), 0, [], ALICE, "bob")
    assert check_signer((), 0, [], BOB, "bob") is None
    with pytest.raises(Refused, match="bound to bob"):
        check_signer(CHAIN, 1, ["alice"], CAROL, "bob")
    assert check_signer(CHAIN, 2, ["alice", "bob"], HEAD, "bob").name == "签发"  # the binding is a reviewer's


def _matter(**keys) -> Matter:
    return Matter("FOOD", "食品经营许可", "SAMR", 3, 10, materials=(Material("LEASE", "经营场所证明"),), **keys)


def test_the_catalog_checks_promisable_materials_and_steps():
    agencies = [Agency("SAMR", "市场监督管理局")]
    built = build_catalog(agencies, [_matter(notification_commitment=True, promisable=("LEASE",), on_the_spot=True,
                                             steps=CHAIN)], [])
    assert built.matters["FOOD"].steps == CHAIN and built.single_matter("FOOD").single
    for keys, says in (({"notification_commitment": True, "promisable": ("GHOST",)}, "GHOST"),
                       ({"promisable": ("LEASE",)}, "notification_commitment"),
                       ({"steps": (Step("初审"), Step("初审"))}, "repeat"),
                       ({"steps": (Step("签发", Role.WINDOW),)}, "window")):
        with pytest.raises(CatalogError, match=says):
            build_catalog(agencies, [_matter(**keys)], [])
    with pytest.raises(BadInput, match="unknown matter"):
        built.single_matter("GHOST")
