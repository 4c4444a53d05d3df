"""approvals.permissions: roles, mandates, the green channel; approvals.audit: the hash chain."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from approvals.audit import GENESIS, Link, check_chain, event_hash
from approvals.errors import BadInput, Refused
from approvals.identifiers import mask_phone, mask_text
from approvals.permissions import AGENCY_ROLES, ALLOWED, Act, Actor, Mandate, Role, Scope, best_mandate, check, mandate_problem, \
    parse_scopes, shortened

TODAY = date(2026, 3, 2)


@pytest.mark.parametrize("act", list(Act))
@pytest.mark.parametrize("role", list(Role))
def test_a_role_does_exactly_what_the_table_allows(role, act):
    who = Actor("someone", role, "SAMR" if role in AGENCY_ROLES else None)
    if role in ALLOWED[act]:
        check(who, act, agency="SAMR")
    else:
        with pytest.raises(Refused, match="may not"):
            check(who, act, agency="SAMR")


def test_a_reviewer_decides_only_its_own_agency_and_an_administrator_never_decides():
    check(Actor("s", Role.REVIEWER, "SAMR"), Act.DECIDE, agency="SAMR")
    with pytest.raises(Refused, match="only FIRE's reviewers"):
        check(Actor("s", Role.REVIEWER, "SAMR"), Act.DECIDE, agency="FIRE")
    with pytest.raises(Refused):
        check(Actor("a", Role.ADMIN), Act.DECIDE, agency="SAMR")
    with pytest.raises(Refused, match="disabled"):
        check(Actor("s", Role.REVIEWER, "SAMR", enabled=False), Act.READ)


def test_mandates_cover_a_scope_until_a_day_unless_revoked():
    m = Mandate(1, "AG-07", "U", frozenset({Scope.SUBMIT}), until=TODAY)
    assert mandate_problem(m, "AG-07", "U", Scope.SUBMIT, TODAY) is None
    assert "expired on 2026-03-02" in mandate_problem(m, "AG-07", "U", Scope.SUBMIT, TODAY + timedelta(days=1))
    assert "does not cover supplement" in mandate_problem(m, "AG-07", "U", Scope.SUPPLEMENT, TODAY)
    assert "was revoked" in mandate_problem(replace(m, revoked=True), "AG-07", "U", Scope.SUBMIT, TODAY)
    assert "holds no mandate" in mandate_problem(None, "AG-07", "U", Scope.SUBMIT, TODAY)
    later = Mandate(2, "AG-07", "U", frozenset(Scope), until=TODAY + timedelta(days=30))
    assert best_mandate([m, later], TODAY, Scope.SUPPLEMENT) == later
    assert best_mandate([m], TODAY, Scope.SUPPLEMENT) == m  # the one that explains the refusal
    assert best_mandate([], TODAY, Scope.SUBMIT) is None


def test_scopes_are_parsed_strictly():
    assert parse_scopes("submit, receive_results") == {Scope.SUBMIT, Scope.RECEIVE_RESULTS}
    for text in ("", " , ", "submit,fly"):
        with pytest.raises(BadInput):
            parse_scopes(text)


@pytest.mark.parametrize(("days", "factor", "expected"), [(20, 0.5, 10), (5, 0.5, 3), (1, 0.5, 1), (3, 0.3, 1),
                                                          (10, 1.0, 10), (7, 0.6, 5)])
def test_key_project_limits_are_shortened_rounded_up_never_below_one_day(days, factor, expected):
    assert shortened(days, factor) == expected


KEY = b"k" * 32


def _chain(n: int, key: bytes = KEY) -> list[Link]:
    links, prev = [], GENESIS
    for seq in range(1, n + 1):
        at = datetime(2026, 3, 2, 1, seq, tzinfo=UTC)
        digest = event_hash(key, prev, 7, seq, at, "kind", "actor", f"detail {seq}", None)
        links.append(Link(100 + seq, 7, seq, at, "kind", "actor", f"detail {seq}", None, prev, digest))
        prev = digest
    return links


def test_an_intact_chain_passes_and_every_kind_of_tampering_is_found():
    links = _chain(5)
    assert check_chain(KEY, 7, links, 5, links[-1].hash) is None
    rewritten = _chain(5, key=b"not the key".ljust(32))  # a consistent chain, made without the key
    assert "keyed hash" in check_chain(KEY, 7, rewritten, 5, rewritten[-1].hash).problem
    edited = links[:2] + [replace(links[2], detail="changed")] + links[3:]
    assert "edited" in check_chain(KEY, 7, edited, 5, links[-1].hash).problem
    deleted = links[:2] + links[3:]
    assert check_chain(KEY, 7, deleted, 5, links[-1].hash).event_id == links[3].id
    truncated = links[:4]
    assert "rows deleted" in check_chain(KEY, 7, truncated, 5, links[-1].hash).problem
    forged = links[:2] + [replace(links[2], id=999, hash="f" * 64)] + links[2:]
    assert check_chain(KEY, 7, forged, 5, links[-1].hash) is not None
    relinked = links[:3] + [replace(links[3], prev_hash="0" * 64)] + links[4:]
    assert "does not link" in check_chain(KEY, 7, relinked, 5, links[-1].hash).problem


def test_identifiers_in_free_text_are_masked():
    assert mask_phone("139-1234-5678") == "139****5678"
    assert mask_phone(None) is None
    text = "法定代表人 11010519491231002X，电话 13912345678；统一代码 91350200MA2YJ1XR9G"
    assert mask_text(text) == "法定代表人 110105********002X，电话 139****5678；统一代码 91350200MA2YJ1XR9G"


# --- systems with tokens, and what a reviewer may read ------------------------------------------


def test_a_token_does_what_its_scopes_allow_and_nothing_its_role_would():
    from approvals.errors import Forbidden
    from approvals.permissions import TOKEN_ACTS, TokenScope

    platform = Actor("token:platform", Role.SYSTEM, None, True, frozenset({TOKEN_ACTS[TokenScope.SUBMIT]}))
    check(platform, Act.SUBMIT)
    for act in (Act.READ, Act.DECIDE, Act.ADMINISTER, Act.UNMASK):
        with pytest.raises(Forbidden, match="no such scope"):
            check(platform, act)
    fire = Actor("token:fire", Role.SYSTEM, "FIRE", True, frozenset({Act.DECIDE, Act.READ}))
    check(fire, Act.DECIDE, agency="FIRE")
    with pytest.raises(Forbidden, match="only SAMR's reviewers"):
        check(fire, Act.DECIDE, agency="SAMR")
    with pytest.raises(Forbidden, match="revoked"):
        check(replace(fire, enabled=False), Act.READ)


def test_a_reviewer_or_an_agency_system_reads_its_own_agencys_tasks_only():
    from approvals.errors import Forbidden
    from approvals.permissions import bound_agency, check_task_read

    reviewer = Actor("samr-1", Role.REVIEWER, "SAMR")
    check_task_read(reviewer, "SAMR")
    with pytest.raises(Forbidden, match="SAMR's tasks only"):
        check_task_read(reviewer, "FIRE")
    for role in (Role.WINDOW, Role.SUPERVISOR, Role.ADMIN):
        assert bound_agency(Actor("x", role)) is None
        check_task_read(Actor("x", role), "FIRE")
    assert bound_agency(Actor("token:fire", Role.SYSTEM, "FIRE", True, frozenset())) == "FIRE"


@pytest.mark.parametrize("text, agency, problem", [
    ("", None, "at least one"), ("submit,launch", None, "unknown scope 'launch'"),
    ("decide", None, "bound to one agency"), ("read,decide", "", "bound to one agency"),
])
def test_token_scopes_are_parsed_strictly(text, agency, problem):
    from approvals.permissions import parse_token_scopes

    with pytest.raises(BadInput, match=problem):
        parse_token_scopes(text, agency)


def test_token_scopes_parsed():
    from approvals.permissions import TokenScope, parse_token_scopes

    assert parse_token_scopes(" submit , read ", None) == {TokenScope.SUBMIT, TokenScope.READ}
    assert parse_token_scopes("decide", "FIRE") == {TokenScope.DECIDE}


def test_a_state_no_event_explains_is_named_by_its_row():
    from approvals.audit import state_differences

    recorded = {"status": "in_review", "tasks": {"3": "pending"}, "certificates": {}, "promises": {"1": "open"}}
    current = {"status": "issued", "tasks": {"3": "approved by SAMR-reviewer"},
               "certificates": {"OV1-BIZ": "issued"}, "promises": {}}
    found = state_differences(recorded, current)
    assert any(f.startswith("case_file: status 'issued'") for f in found)
    assert any(f.startswith("review_task 3: approved by SAMR-reviewer") for f in found)
    assert any(f.startswith("certificate OV1-BIZ: issued that no event explains") for f in found)
    assert any(f.startswith("commitment 1: gone") for f in found)
    assert state_differences(current, current) == []


@pytest.mark.parametrize("text, expected", [
    ("电话 +86 139 1234 5678", "电话 +86 139****5678"),
    ("+8613912345678", "+86 139****5678"),
    ("0086-10-65123456", "0086 ******3456"),
    ("139-1234-5678 或 139 1234 5678", "139****5678 或 139****5678"),
    ("OV20261128000001 2026-03-02T09:00:00+08:00 13 working days", "OV20261128000001 2026-03-02T09:00:00+08:00 13 working days"),
    # a flow run's id whose digits look like 178-7016-4421 is no phone; a phone beside Chinese text is one
    ("c59ba178-7016-4421-9d0a-f55c436acec9", "c59ba178-7016-4421-9d0a-f55c436acec9"),
    ("电话13912345678。", "电话139****5678。"),
])
def test_phone_numbers_with_or_without_the_country_code_are_masked(text, expected):
    assert mask_text(text) == expected


def test_the_halls_lists_are_staff_reads_and_an_agent_lists_only_its_own():
    from approvals.permissions import check_staff_read, own_reads

    agent, clerk = Actor("agent-1", Role.AGENT), Actor("window-1", Role.WINDOW)
    check_staff_read(clerk)
    for outsider in (agent, Actor("token:gov", Role.SYSTEM, acts=frozenset({Act.READ}))):
        with pytest.raises(Refused, match="reads its own cases only"):
            check_staff_read(outsider)
    assert own_reads(agent, None, "mandates") == own_reads(agent, "agent-1", "mandates") == "agent-1"
    with pytest.raises(Refused, match="agent agent-1 reads its own mandates only"):
        own_reads(agent, "agent-2", "mandates")
    assert own_reads(clerk, "agent-2", "mandates") == "agent-2" and own_reads(clerk, None, "worklist") is None
