"""Processes clean up after themselves: whatever `serve`, `orchestrate` and `reopen` start (Prefect's embedded
server) ends with them, on SIGTERM and on SIGKILL; and `reopen` leaves the claims of a live run alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from schemas.case import Case
from schemas.orchestration import FlowRunCase, FlowRunRecord, OutboxItem
from services.db import UnitOfWork
from tests.support import approve_all

# The command as the console script runs it, with the notices' step hanging as if the machine froze, so
# `orchestrate` and `reopen` are still running (their Prefect server up) when they are killed.
CHILD = textwrap.dedent("""
    import sys, time
    from services import outbox
    outbox.send_notices = lambda *args: time.sleep(600)
    import cli
    cli.main(sys.argv[1:])
""")


def _process_tree(pid: int) -> set[int]:
    """`pid` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, todo = set(), [pid]
    while todo:
        tree.add(current := todo.pop())
        todo += children.get(current, [])
    return tree


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent's wait is missing


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out: {what}")


@pytest.mark.parametrize("command", ["serve", "orchestrate", "reopen"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_nothing_a_command_started_outlives_it(sqlite_env, run, application, tmp_path, command, sig):
    case_no = run("submit", application("COMPANY_START"), "--json").json()["case_no"]  # queues its notices
    args = {"serve": ["serve"], "orchestrate": ["orchestrate"],
            "reopen": ["reopen", case_no, "--reason", "test", "--operator", "admin"]}[command]
    child = subprocess.Popen([sys.executable, "-c", CHILD, *args], start_new_session=True,
                             env={**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"),
                                  "ONEVISIT_OPERATOR": "admin"},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Up and running: its Prefect server is a process of its own below it
        _wait(lambda: len(_process_tree(child.pid)) > 1, 120, f"{command} starting Prefect's server")
        time.sleep(1.0)
        started = _process_tree(child.pid) - {child.pid}
        child.send_signal(sig)
        child.wait(timeout=30)
        _wait(lambda: not any(_alive(pid) for pid in started), 20,
              f"{command} killed with {sig.name} left {sorted(p for p in started if _alive(p))}")
    finally:
        for pid in _process_tree(child.pid):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        child.wait(timeout=10)


def test_reopen_leaves_the_claims_of_a_live_run_alone(env, run, application):
    case_no = run("submit", application("COMPANY_START"), "--json").json()["case_no"]
    approve_all(run, case_no)  # issued: its delivery is queued
    live = str(uuid.uuid4())
    now = datetime.fromisoformat(os.environ["ONEVISIT_NOW"])
    with UnitOfWork(env.url) as uow:  # a run that claimed the case's work a moment ago and is still at it
        uow.session.add(FlowRunRecord(id=live, flow_name="onevisit-orchestrate", name="live", state="RUNNING",
                                      started_at=now))
        case_id = uow.session.exec(select(Case.id).where(Case.case_no == case_no)).one()[0]
        items = uow.session.exec(select(OutboxItem).where(OutboxItem.case_id == case_id,
                                                          OutboxItem.done_at.is_(None))).scalars().all()
        assert items
        for item in items:
            item.claimed_by, item.claimed_at = live, now
        uow.session.add(FlowRunCase(flow_run_id=live, case_id=case_id))
        uow.commit()

    a_minute_later = (now + timedelta(minutes=1)).isoformat()
    reopened = run("reopen", case_no, "--reason", "impatient", "--operator", "admin", "--json", now=a_minute_later)
    assert reopened.code == 0, reopened.err
    assert reopened.json()["released"] == 0 and reopened.json()["crashed_runs"] == []
    with UnitOfWork(env.url, write=False) as uow:
        held = uow.session.exec(select(OutboxItem.claimed_by, OutboxItem.done_at)
                                .where(OutboxItem.id.in_([i.id for i in items]))).all()
    assert held and all(by == live and done is None for by, done in held)  # nobody else did its work

    # Past the lease the run has stopped reporting: it is crashed, and its claims are freed and carried out.
    later = (now + timedelta(minutes=10)).isoformat()
    reopened = run("reopen", case_no, "--reason", "the run is gone", "--operator", "admin", "--json", now=later)
    assert reopened.code == 0, reopened.err
    assert reopened.json()["crashed_runs"] == [live] and reopened.json()["released"] == len(items)
    with UnitOfWork(env.url, write=False) as uow:
        done = uow.session.exec(select(OutboxItem.done_at).where(OutboxItem.id.in_([i.id for i in items]))).all()
    assert all(d is not None for (d,) in done)


def test_the_sweep_takes_prefects_word_that_a_run_crashed_without_waiting_for_the_lease(sqlite_env, run):
    from prefect import flow, get_client
    from prefect.states import Crashed

    @flow(name="onevisit-test-crashed")
    def crashed_elsewhere() -> None:
        pass

    with get_client(sync_client=True) as client:  # a run Prefect knows crashed (its process was killed)
        crashed = client.create_flow_run(crashed_elsewhere, state=Crashed(message="process killed"))
    now = datetime.fromisoformat(os.environ["ONEVISIT_NOW"])
    with UnitOfWork(sqlite_env.url) as uow:  # it started a moment ago: well within the claim lease
        uow.session.add(FlowRunRecord(id=str(crashed.id), flow_name="onevisit-orchestrate", name="crashed",
                                      state="RUNNING", started_at=now - timedelta(seconds=5)))
        uow.commit()
    assert run("sweep", "--operator", "admin").code == 0
    with UnitOfWork(sqlite_env.url, write=False) as uow:
        record = uow.session.get(FlowRunRecord, str(crashed.id))
        assert (record.state, record.message) == ("CRASHED", "found by the sweep: Prefect says Crashed")
