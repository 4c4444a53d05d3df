"""`onevisit serve` on the embedded API: its rounds, and the memory a long-lived process gives back."""

from __future__ import annotations

import gc
import time
import weakref

import pytest

from flows.orchestrate import collect_only_what_the_batch_makes, long_lived_heap_parked
from flows.serving import serve_once


class _Node:
    pass


@pytest.fixture
def collector_off():
    """Automatic collections off for the test, so only the collections under test free anything."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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


def test_a_park_inside_a_parked_heap_leaves_the_outer_park_in_place(collector_off):
    with long_lived_heap_parked():
        with long_lived_heap_parked() as collect:  # the orchestrate loop, run by a `serve` that parked
            collect()
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_a_long_lived_process_frees_the_cycles_each_run_leaves_and_keeps_its_heap_parked(collector_off):
    before = _Node()
    with long_lived_heap_parked() as collect:
        assert gc.get_freeze_count() > 0
        assert not any(o is before for o in gc.get_objects())  # parked: no collection walks it again
        left = _Node()
        left.itself = left  # a cycle, as a run's states and futures leave behind
        gone = weakref.ref(left)
        del left
        with collect_only_what_the_batch_makes():  # a batch inside leaves the parked heap parked
            pass
        assert gc.get_freeze_count() > 0 and gone() is not None
        collect()
        assert gone() is None
    assert gc.get_freeze_count() == 0  # given back on the way out
    assert any(o is before for o in gc.get_objects())


def test_a_batch_on_its_own_parks_the_heap_only_while_it_runs(collector_off):
    assert gc.get_freeze_count() == 0
    with collect_only_what_the_batch_makes():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
