"""No HTTP request is made while a unit of work is open: not at the window (数据共享 at intake), not in the
flows (dispatch, polling, shared materials, notices). A slow sharing service holds no database lock."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from sqlalchemy import text

from services import db
from services.catalog import builtin_catalog_text
from simulator.catalog import agency_codes, gateway_url, remote_catalog, sharing_url
from simulator.server import Simulator
from tests.support import approve_all, show


@pytest.fixture
def open_units(monkeypatch):
    """Counts the units of work open in each thread and, for each HTTP request sent, how many the sending
    thread had open. (Flows run tasks side by side: another thread's transaction does not hold this one's
    request; remote_http.each's worker threads are started only by code holding no unit of work.)"""
    state = {"requests": []}
    local = threading.local()
    enter, leave, send = db.UnitOfWork.__enter__, db.UnitOfWork.__exit__, httpx.Client.send

    def counted_enter(self):
        local.open = getattr(local, "open", 0) + 1
        return enter(self)

    def counted_exit(self, *exc):
        try:
            return leave(self, *exc)
        finally:
            local.open -= 1

    def watched_send(self, request, *args, **kwargs):
        state["requests"].append((str(request.url), getattr(local, "open", 0)))
        return send(self, request, *args, **kwargs)

    monkeypatch.setattr(db.UnitOfWork, "__enter__", counted_enter)
    monkeypatch.setattr(db.UnitOfWork, "__exit__", counted_exit)
    monkeypatch.setattr(httpx.Client, "send", watched_send)
    return state


def _remote_county(sim: Simulator, run, monkeypatch, tmp_path, agencies: list[str]) -> None:
    monkeypatch.setenv("ONEVISIT_SHARING_SERVICES",
                       json.dumps({"licence_registry": sharing_url(sim.url, "licence_registry")}))
    monkeypatch.setenv("ONEVISIT_NOTIFY_GATEWAY_URL", gateway_url(sim.url))
    monkeypatch.setenv("ONEVISIT_HTTP_TIMEOUT_SECONDS", "3")
    path = tmp_path / "remote-catalog.yaml"
    path.write_text(remote_catalog(builtin_catalog_text(), sim.url, agencies=agencies), "utf-8")
    assert run("catalog", "load", path, "--operator", "admin").code == 0


def test_no_request_is_sent_while_a_unit_of_work_is_open(fresh_env, run, application, monkeypatch, tmp_path,
                                                         open_units):
    sim = Simulator(agency_codes(builtin_catalog_text()), seed=3).start()
    try:
        _remote_county(sim, run, monkeypatch, tmp_path, agencies=["SAMR", "FIRE"])
        filed = run("submit", application("RESTAURANT", omit=("SHAREHOLDER_ID",)), "--json")
        assert filed.code == 0, filed.err
        case_no = filed.json()["case_no"]
        assert show(run, case_no)["shared_materials"][0]["status"] == "fetched"  # at the window, after commit
        assert run("orchestrate", "--operator", "admin").code == 0  # dispatch and poll over HTTP
        approve_all(run, case_no)
        assert run("orchestrate", "--operator", "admin").code == 0  # results and notices over HTTP
        assert show(run, case_no)["status"] == "issued"
    finally:
        sim.stop()
    sent = {url.split("?")[0].rsplit("/", 2)[-2] for url, _ in open_units["requests"]}
    assert len(open_units["requests"]) >= 4 and len(sent) >= 2, open_units["requests"]
    assert [r for r in open_units["requests"] if r[1]] == [], "HTTP sent inside a unit of work"


def test_a_slow_sharing_service_does_not_hold_the_write_lock(fresh_env, run, application, monkeypatch, tmp_path):
    sim = Simulator(agency_codes(builtin_catalog_text()), seed=5).start()
    try:
        sim.control(latency_ms=1500)
        _remote_county(sim, run, monkeypatch, tmp_path, agencies=[])
        slow = application("RESTAURANT", omit=("SHAREHOLDER_ID",))
        done = {}
        window = threading.Thread(target=lambda: done.setdefault("filed", run("submit", slow, "--json")))
        window.start()
        time.sleep(0.6)  # the first submit is waiting for the registry now
        started = time.perf_counter()
        with db.UnitOfWork(fresh_env.url) as uow:  # SQLite: takes the database's write lock, or waits for it
            uow.session.execute(text("UPDATE operator SET role = role WHERE id = 'admin'"))
            uow.commit()
        waited = time.perf_counter() - started
        window.join(30)
    finally:
        sim.stop()
    assert done["filed"].code == 0, done["filed"].err
    assert waited < 1.0, f"a write waited {waited:.2f} s behind a submit that was fetching"
