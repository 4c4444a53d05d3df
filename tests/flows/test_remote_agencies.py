"""Agencies' own systems over real HTTP on loopback (the simulator), with every fault kind survived.

Each test loads a catalog whose agencies point at a simulator started in a thread, runs the real
flows on Prefect's embedded API, and checks the simulator's own records: one review request per
idempotency key, one notification delivered per key, whatever was retried.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlmodel import select

from schemas.case import Case
from schemas.orchestration import Notification
from services.catalog import builtin_catalog_text
from services.db import UnitOfWork
from simulator.catalog import agency_codes, gateway_url, remote_catalog, sharing_url
from simulator.server import FAULTS, Simulator
from tests.support import approve_all, listed, review, show

FINAL = {"issued", "partially_issued", "denied"}


@pytest.fixture
def simulator():
    sim = Simulator(agency_codes(builtin_catalog_text()), seed=7, hang_seconds=0.5).start()
    yield sim
    sim.stop()


def _point_at(sim: Simulator, run, monkeypatch, tmp_path, agencies: list[str] | None = None) -> None:
    monkeypatch.setenv("ONEVISIT_SHARING_SERVICES", json.dumps({"licence_registry": sharing_url(sim.url, "licence_registry")}))
    monkeypatch.setenv("ONEVISIT_NOTIFY_GATEWAY_URL", gateway_url(sim.url))
    monkeypatch.setenv("ONEVISIT_HTTP_TIMEOUT_SECONDS", "0.25")
    monkeypatch.setenv("ONEVISIT_HTTP_RETRIES", "3")
    monkeypatch.setenv("ONEVISIT_HTTP_RETRY_DELAY_SECONDS", "0.02")
    path = tmp_path / "remote-catalog.yaml"
    path.write_text(remote_catalog(builtin_catalog_text(), sim.url, agencies=agencies), "utf-8")
    loaded = run("catalog", "load", path, "--operator", "admin")
    assert loaded.code == 0, loaded.err


@pytest.fixture
def remote(fresh_env, simulator, run, monkeypatch, tmp_path):
    """Every agency reviews in the simulator; SHAREHOLDER_ID comes from the licence registry."""
    _point_at(simulator, run, monkeypatch, tmp_path)
    return fresh_env


def _restaurant(run, application) -> str:
    """A restaurant filed without the shareholder's licence: the registry holds it (once-only)."""
    result = run("submit", application("RESTAURANT", omit=("SHAREHOLDER_ID",)), "--operator", "window-1", "--json")
    assert result.code == 0, result.err
    return result.json()["case_no"]


def _notifications(url: str, case_no: str) -> list[Notification]:
    with UnitOfWork(url, write=False) as uow:
        case_id = uow.session.exec(select(Case.id).where(Case.case_no == case_no)).one()
        return list(uow.session.exec(select(Notification).where(Notification.case_id == case_id)))


def _stalled(run) -> dict[str, str]:
    return {r["case_no"]: r["reason"] for r in listed(run, "cases", "--stalled")}


def _finish(run, case_nos: list[str], rounds: int = 6) -> None:
    """Orchestrate; every case ends, or has an incident that `reopen` takes on again, until all end
    with nothing left undone (results delivered, notices sent)."""
    assert run("orchestrate", "--operator", "admin").code == 0
    for _ in range(rounds):
        unfinished = [c for c in case_nos if show(run, c)["status"] not in FINAL]
        stalled = _stalled(run)
        assert set(unfinished) <= set(stalled), (unfinished, stalled)
        if not set(case_nos) & set(stalled):
            return
        for case_no in set(case_nos) & set(stalled):
            assert "incident" in stalled[case_no]
            reopened = run("reopen", case_no, "--reason", "the agency's system is back", "--operator", "admin")
            assert reopened.code == 0, reopened.err
    raise AssertionError(f"not finished after {rounds} reopen rounds: {case_nos}")


def _exactly_once(sim: Simulator, url: str, case_nos: list[str], run) -> None:
    """The simulator's records: one review request per task (one key, one ticket, the ticket we keep),
    one delivered notification per notification we keep, whatever was retried or replayed."""
    records = sim.snapshot()
    tasks = [r for c in case_nos for r in show(run, c)["reviews"]]
    keys = {f"dispatch:task:{r['task_id']}": r for r in tasks if r["remote_ticket"]}
    assert {k for k, v in records["reviews"].items() if v["case_no"] in case_nos} == set(keys)
    assert len({v["ticket"] for v in records["reviews"].values()}) == len(records["reviews"])
    for key, task in keys.items():
        assert records["reviews"][key]["ticket"] == task["remote_ticket"]
    notices = [n for c in case_nos for n in _notifications(url, c)]
    assert notices and all(n.delivered_at is not None for n in notices)
    delivered = {k for k, v in records["notifications"].items() if v["case_no"] in case_nos}
    assert delivered == {n.key for n in notices}


def test_remote_agencies_review_and_decide_data_is_shared_notices_go_through_the_gateway(
        fresh_env, simulator, run, application, monkeypatch, tmp_path):
    # SAMR and FIRE review in their own systems; the others stay in the internal queue as before.
    _point_at(simulator, run, monkeypatch, tmp_path, agencies=["SAMR", "FIRE"])
    case_no = _restaurant(run, application)
    shown = show(run, case_no)
    assert shown["status"] == "in_review" and shown["missing"] == []  # never asked for the licence
    (shared,) = shown["shared_materials"]
    content = f"SHAREHOLDER_ID issued to {shown['uscc']} (licence_registry)"
    assert shared["status"] == "fetched" and shared["reference"] == f"licence_registry:SHAREHOLDER_ID:{shown['uscc']}"
    assert shared["digest"] == hashlib.sha256(content.encode()).hexdigest()

    assert run("orchestrate", "--operator", "admin").code == 0
    shown = show(run, case_no)
    assert review(shown, "BIZ_LICENCE")["status"] == "approved"  # pulled from SAMR's system
    assert review(shown, "BIZ_LICENCE")["decided_by"] == "SAMR@system"
    assert review(shown, "FIRE_CHECK")["status"] == "approved"
    internal = review(shown, "SIGNBOARD")
    assert internal["status"] == "pending" and internal["remote_ticket"] is None  # CITY_MGMT: the internal queue
    shown = approve_all(run, case_no)
    assert run("orchestrate", "--operator", "admin").code == 0
    shown = show(run, case_no)
    assert shown["status"] == "issued" and all(c["delivered_at"] for c in shown["certificates"])
    _exactly_once(simulator, fresh_env.url, [case_no], run)
    assert run("orchestrate", "--json", "--operator", "admin").json() == []  # nothing left: no request, no notice again
    assert len(simulator.snapshot()["notifications"]) == len(_notifications(fresh_env.url, case_no))


@pytest.mark.parametrize("fault", [*FAULTS, "refused"])
def test_every_fault_kind_ends_in_a_finished_case_or_an_incident_that_reopen_completes(
        remote, simulator, run, application, fault):
    if fault == "refused":
        simulator.stop()  # nothing listens on the port: connection refused
    else:
        simulator.control(failure_rate=1.0, faults=[fault])
    case_no = _restaurant(run, application)
    assert show(run, case_no)["shared_materials"][0]["status"] == "pending"  # intake completed all the same

    assert run("orchestrate", "--operator", "admin").code == 0  # retries spent: incidents, not a failed run
    reason = _stalled(run)[case_no]
    assert "incident" in reason and "dispatch:task:" in reason
    assert {"5xx": "HTTP 503", "reset": "RemoteProtocolError", "timeout": "timeout", "malformed": "malformed",
            "refused": "ConnectError"}[fault] in reason
    records = simulator.snapshot() if fault != "refused" else None
    if fault in ("timeout", "malformed"):  # the agency acted each time; the retries carried the same key
        (first,) = records["reviews"].values()
        assert first["replays"] == 3

    if fault == "refused":
        simulator.start()
    simulator.control(failure_rate=0.3)  # back, but still flaky
    _finish(run, [case_no])
    assert show(run, case_no)["status"] == "issued"
    _exactly_once(simulator, remote.url, [case_no], run)


def test_a_refusal_4xx_is_never_retried_and_reopen_completes_it(remote, simulator, run, application):
    simulator.control(refuse_agencies=["FIRE"])
    case_no = _restaurant(run, application)
    assert run("orchestrate", "--operator", "admin").code == 0
    shown = show(run, case_no)
    fire = review(shown, "FIRE_CHECK")
    assert fire["status"] == "pending" and fire["remote_ticket"] is None
    assert simulator.snapshot()["refused"] == {f"dispatch:task:{fire['task_id']}": 1}  # asked once, never again
    assert "HTTP 422" in _stalled(run)[case_no]
    assert [r["status"] for r in shown["reviews"] if r["matter"] != "FIRE_CHECK"] == ["approved"] * 4

    simulator.control(refuse_agencies=[])
    _finish(run, [case_no])
    assert show(run, case_no)["status"] == "issued"
    assert simulator.snapshot()["refused"] == {f"dispatch:task:{fire['task_id']}": 1}
    _exactly_once(simulator, remote.url, [case_no], run)


def test_an_agency_denial_is_a_decision_not_a_fault(remote, simulator, run, application):
    simulator.control(approve_rate=0.0)
    case_no = _restaurant(run, application)
    assert run("orchestrate", "--operator", "admin").code == 0
    shown = show(run, case_no)
    licence = review(shown, "BIZ_LICENCE")
    assert shown["status"] == "denied" and licence["status"] == "denied"
    assert "simulated" in licence["reason"] and licence["decided_by"] == "SAMR@system"
    assert simulator.snapshot()["polls"] == {licence["remote_ticket"]: 1}  # asked once, answered, done
    assert case_no not in _stalled(run)
    assert [n.kind for n in _notifications(remote.url, case_no)] == ["accepted", "denied"]
    _exactly_once(simulator, remote.url, [case_no], run)


def test_gateway_down_loses_nothing_and_sends_nothing_twice_when_it_recovers(remote, simulator, run, application):
    simulator.control(failure_rate=1.0, faults=["5xx"], scope=["gateway"])
    cases = [_restaurant(run, application) for _ in range(2)]
    assert run("orchestrate", "--operator", "admin").code == 0  # the cases are issued; their notices are incidents
    for case_no in cases:
        assert show(run, case_no)["status"] == "issued"
        assert all(n.delivered_at is None for n in _notifications(remote.url, case_no))
        assert "gateway:notify:case:" in _stalled(run)[case_no]
    assert simulator.snapshot()["notifications"] == {}

    simulator.control(failure_rate=0.0)
    for case_no in cases:
        assert run("reopen", case_no, "--reason", "gateway is back", "--operator", "admin").code == 0
        assert run("reopen", case_no, "--reason", "again", "--operator", "admin").code == 0  # finds nothing to do
    _exactly_once(simulator, remote.url, cases, run)
    assert all(v["replays"] == 0 for v in simulator.snapshot()["notifications"].values())
    assert not set(cases) & set(_stalled(run))


def test_sharing_service_down_at_intake_then_up(remote, simulator, run, application):
    simulator.control(failure_rate=1.0, faults=["5xx"], scope=["sharing"])
    case_no = _restaurant(run, application)
    shown = show(run, case_no)
    assert shown["status"] == "in_review" and shown["missing"] == []  # intake completed; nothing asked for
    assert shown["shared_materials"][0]["status"] == "pending"

    simulator.control(failure_rate=0.0)
    assert run("orchestrate", "--operator", "admin").code == 0
    shared = show(run, case_no)["shared_materials"][0]
    assert shared["status"] == "fetched" and shared["reference"] and len(shared["digest"]) == 64
    assert show(run, case_no)["status"] == "issued"
    assert simulator.snapshot()["documents"] == 1
