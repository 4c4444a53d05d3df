"""`onevisit serve` on the embedded API: its rounds."""

from __future__ import annotations

import time

from flows.serving import serve_once


def test_one_serve_round_carries_out_queued_work_and_sweeps_when_due(env, run, application):
    case_no = run("submit", application("COMPANY_START"), "--json").json()["case_no"]

    ran, next_sweep = serve_once(next_sweep=0.0)

    assert ran and next_sweep > time.monotonic()
    shown = run("show", case_no, "--json").json()
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds.count("dispatched") == sum(r["status"] == "pending" for r in shown["reviews"]) > 0
    assert serve_once(next_sweep) == (False, next_sweep)  # nothing queued, no sweep due: no flow run at all


def test_with_the_loop_configured_a_serve_round_is_one_long_flow_run_that_carries_out_the_work(
        env, run, application, monkeypatch):
    from services.settings import get_settings

    monkeypatch.setenv("ONEVISIT_ORCHESTRATE_LOOP_SECONDS", "2")
    get_settings.cache_clear()
    case_no = run("submit", application("COMPANY_START"), "--json").json()["case_no"]
    far = time.monotonic() + 3600

    started = time.monotonic()
    ran, next_sweep = serve_once(next_sweep=far)

    assert ran and next_sweep == far  # the sweep was not due
    assert time.monotonic() - started >= 2.0  # the loop looked for work for its two seconds (however loaded we are)
    shown = run("show", case_no, "--json").json()
    kinds = [e["kind"] for e in shown["events"]]
    assert kinds.count("dispatched") == sum(r["status"] == "pending" for r in shown["reviews"]) > 0
    runs = run("runs", case_no, "--json").json()
    flows = {r["flow"] for r in runs}
    assert "onevisit-orchestrate-loop" in flows and "onevisit-orchestrate" not in flows  # no run per batch
    assert next(r for r in runs if r["flow"] == "onevisit-orchestrate-loop")["state"] == "COMPLETED"
