"""A process killed with SIGKILL in the middle of a flow run: the case shows as stalled, reopen finishes it,
and nothing is decided, issued or delivered twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

from sqlalchemy import func, select

from schemas.case import Case, CaseEvent
from schemas.certificate import Certificate
from schemas.ledger import LedgerItem
from schemas.orchestration import FlowRunCase, FlowRunRecord, Notification, OutboxItem
from schemas.review import ReviewTask
from services.db import UnitOfWork

TEN_MINUTES_LATER = "2026-03-02T09:10:00+08:00"  # past the claim lease (300 s) of the killed run

# The child process: a real orchestration run whose delivery step hangs, as if the machine froze.
CHILD = textwrap.dedent("""
    import sys, time
    from services import outbox
    outbox.deliver_results = lambda *args: time.sleep(600)
    from flows.orchestrate import OrchestrateInput, orchestrate
    orchestrate(OrchestrateInput(case_no=sys.argv[1]))
""")


def _snapshot(url: str, case_no: str) -> dict:
    with UnitOfWork(url, write=False) as uow:
        s = uow.session
        case_id = s.exec(select(Case.id).where(Case.case_no == case_no)).one()[0]

        def count(model, *where):
            return s.exec(select(func.count()).select_from(model).where(model.case_id == case_id, *where)).one()[0]

        return {
            "approved": count(ReviewTask, ReviewTask.status == "approved"),
            "certificates": count(Certificate),
            "delivered": count(Certificate, Certificate.delivered_at.is_not(None)),
            "issued_events": count(CaseEvent, CaseEvent.kind == "issued"),
            "decision_events": count(CaseEvent, CaseEvent.kind == "approved"),
            "delivered_events": count(CaseEvent, CaseEvent.kind == "results_delivered"),
            "issued_notices": count(Notification, Notification.kind == "issued"),
            "ledger": count(LedgerItem),
            "open_outbox": count(OutboxItem, OutboxItem.done_at.is_(None)),
        }


def _wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError("timed out waiting for the child flow run")


def test_killed_run_is_stalled_then_reopen_finishes_without_duplicates(env, run, application, tmp_path):
    case_no = run("submit", application("COMPANY_START"), "--json").json()["case_no"]
    while pending := [r for r in run("show", case_no, "--json").json()["reviews"] if r["status"] == "pending"]:
        for review in pending:
            assert run("decide", review["task_id"], "approve", "--operator", f"{review['agency']}-reviewer").code == 0
    assert run("show", case_no, "--json").json()["status"] == "issued"
    before = _snapshot(env.url, case_no)

    child_env = {**os.environ, "ONEVISIT_DATABASE_URL": env.url, "PREFECT_HOME": str(tmp_path / "prefect")}
    child = subprocess.Popen([sys.executable, "-c", CHILD, case_no], env=child_env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def delivery_in_flight() -> bool:
            with UnitOfWork(env.url, write=False) as uow:
                return uow.session.exec(
                    select(func.count()).select_from(OutboxItem).join(Case, Case.id == OutboxItem.case_id)
                    .where(Case.case_no == case_no, OutboxItem.kind == "deliver_results",
                           OutboxItem.claimed_by.is_not(None), OutboxItem.done_at.is_(None))
                ).one()[0] == 1

        _wait_for(delivery_in_flight)
        time.sleep(1.0)  # let the parallel dispatch and notice tasks finish their transactions
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the run and its embedded Prefect server, mid-flight
        child.wait(timeout=30)

    with UnitOfWork(env.url, write=False) as uow:
        killed = uow.session.exec(
            select(FlowRunRecord).join(FlowRunCase, FlowRunCase.flow_run_id == FlowRunRecord.id)
            .join(Case, Case.id == FlowRunCase.case_id).where(Case.case_no == case_no)
        ).scalars().all()
    assert [r.state for r in killed] == ["RUNNING"]
    assert _snapshot(env.url, case_no)["delivered"] == 0

    stalled = run("cases", "--stalled", "--json", now=TEN_MINUTES_LATER).json()
    mine = [c for c in stalled if c["case_no"] == case_no]
    assert mine and "crashed" in mine[0]["reason"] and killed[0].id in mine[0]["reason"]

    reopened = run("reopen", case_no, "--reason", "flow run killed mid-delivery", "--operator", "admin", "--json",
                   now=TEN_MINUTES_LATER)
    assert reopened.code == 0, reopened.err
    report = reopened.json()
    assert report["crashed_runs"] == [killed[0].id] and report["released"] >= 1

    after = _snapshot(env.url, case_no)
    assert after["approved"] == before["approved"]
    assert after["decision_events"] == before["decision_events"]
    assert after["certificates"] == before["certificates"] and after["issued_events"] == 1
    assert after["delivered"] == after["certificates"] and after["delivered_events"] == 1
    assert after["issued_notices"] == 1 and after["ledger"] == before["ledger"] and after["open_outbox"] == 0

    runs = {r["id"]: r["state"] for r in run("runs", case_no, "--json", now=TEN_MINUTES_LATER).json()}
    assert runs[killed[0].id] == "CRASHED" and "COMPLETED" in runs.values()
    stalled = run("cases", "--stalled", "--json", now=TEN_MINUTES_LATER).json()
    assert case_no not in {c["case_no"] for c in stalled}

    # Reopening a healthy case again changes nothing that was right.
    again = run("reopen", case_no, "--reason", "double-check", "--operator", "admin", "--json", now=TEN_MINUTES_LATER)
    assert again.code == 0 and json.loads(again.out)["requeued"] == 0
    assert _snapshot(env.url, case_no) == after
