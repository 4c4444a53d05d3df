"""The long-lived orchestration loop (served mode): one flow run carries out work queued while it runs."""

from __future__ import annotations

import threading
import time

from flows.orchestrate import LoopInput, orchestrate_loop
from flows.serving import deployments
from services.settings import get_settings


def _pending(run, case_no: str) -> list[dict]:
    return [r for r in run("show", case_no, "--json").json()["reviews"] if r["status"] == "pending"]


def test_one_loop_run_dispatches_and_delivers_work_queued_while_it_runs(env, run, application):
    first = run("submit", application("COMPANY_START"), "--json").json()["case_no"]
    result: dict = {}
    loop = threading.Thread(target=lambda: result.setdefault("report", orchestrate_loop(
        LoopInput(seconds=20, poll_seconds=0.1))))
    loop.start()
    try:
        deadline = time.monotonic() + 60
        while _pending(run, first) and time.monotonic() < deadline:  # approve as the loop dispatches
            for review in _pending(run, first):
                assert run("decide", review["task_id"], "approve", "--operator",
                           f"{review['agency']}-reviewer").code == 0
            time.sleep(0.2)
        while time.monotonic() < deadline:
            shown = run("show", first, "--json").json()
            if shown["certificates"] and all(c["delivered_at"] for c in shown["certificates"]):
                break
            time.sleep(0.2)
    finally:
        loop.join(timeout=120)
    shown = run("show", first, "--json").json()
    assert shown["status"] == "issued" and all(c["delivered_at"] for c in shown["certificates"])
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds.count("dispatched") == len(shown["reviews"]) and kinds.count("results_delivered") == 1
    report = result["report"]
    assert report.failed == 0 and first in report.cases
    runs = run("runs", first, "--json").json()
    assert report.flow_run_id in {r["id"] for r in runs}  # one run acted on the case from dispatch to delivery


def test_on_a_server_the_loop_replaces_the_interval_runs_unless_switched_off(monkeypatch):
    """No flow run every 10 s with nothing to do: one long loop run at a time, which also pulls agencies'
    decisions when some are awaited; ONEVISIT_ORCHESTRATE_LOOP_SECONDS=0 brings the interval runs back."""
    monkeypatch.delenv("ONEVISIT_ORCHESTRATE_LOOP_SECONDS", raising=False)
    monkeypatch.setenv("ONEVISIT_POLL_EVERY_SECONDS", "45")
    get_settings.cache_clear()
    looped = deployments("a-pool")
    assert [d.name for d in looped] == ["sweep", "orchestrate-loop", "report-daily", "report-weekly"]
    assert looped[1].parameters["request"]["seconds"] == 900 and looped[1].work_pool_name == "a-pool"
    assert looped[1].parameters["request"]["poll_agencies_every"] == 45
    monkeypatch.setenv("ONEVISIT_ORCHESTRATE_LOOP_SECONDS", "600")
    get_settings.cache_clear()
    assert deployments()[1].parameters["request"]["seconds"] == 600
    monkeypatch.setenv("ONEVISIT_ORCHESTRATE_LOOP_SECONDS", "0")
    get_settings.cache_clear()
    assert [d.name for d in deployments()] == ["orchestrate", "sweep", "poll-agencies", "report-daily", "report-weekly"]


def test_on_a_prefect_server_agencies_decisions_are_pulled_on_their_own_schedule(monkeypatch):
    """A Prefect server runs only what is scheduled: the pull of agencies' decisions is a deployment of its
    own (on the embedded API, `serve` pulls them whenever its queue is empty)."""
    from datetime import timedelta

    from flows.remote import POLL_FLOW_NAME

    monkeypatch.setenv("ONEVISIT_POLL_EVERY_SECONDS", "45")
    monkeypatch.setenv("ONEVISIT_ORCHESTRATE_LOOP_SECONDS", "0")  # interval runs (the loop pulls them itself)
    get_settings.cache_clear()
    pulled = next(d for d in deployments("a-pool") if d.name == "poll-agencies")
    assert pulled.flow_name == POLL_FLOW_NAME and pulled.work_pool_name == "a-pool"
    assert [s.schedule.interval for s in pulled.schedules] == [timedelta(seconds=45)]
