"""The simulator over real loopback HTTP, how faults are sorted, and bad input around remote agencies."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import yaml

from services import remote_http
from services.catalog import builtin_catalog_text
from simulator.catalog import remote_catalog
from simulator.server import Simulator


@pytest.fixture
def simulator():
    sim = Simulator(["SAMR", "FIRE"], seed=1, hang_seconds=0.4).start()
    yield sim
    sim.stop()


@pytest.fixture
def http():
    with remote_http.client(timeout=0.2, concurrency=4) as client:
        yield client


def _request(http, sim, key="k-1"):
    return remote_http.dispatch_review(http, f"{sim.url}/agencies/SAMR", key, {"task_id": 1, "case_no": "OV1"})


@pytest.mark.parametrize("fault, says", [("5xx", "HTTP 503"), ("reset", "RemoteProtocolError"),
                                         ("timeout", "timeout"), ("malformed", "malformed ticket")])
def test_each_fault_kind_is_transient(simulator, http, fault, says):
    simulator.control(failure_rate=1.0, faults=[fault])
    with pytest.raises(remote_http.Transient, match=says):
        _request(http, simulator)
    simulator.control(failure_rate=0.0)
    ticket = _request(http, simulator)
    records = simulator.snapshot()
    assert list(records["reviews"]) == ["k-1"] and records["reviews"]["k-1"]["ticket"] == ticket.ticket
    # timeout and malformed: the agency acted before the answer was lost, so the retry was a replay
    assert records["reviews"]["k-1"]["replays"] == (1 if fault in ("timeout", "malformed") else 0)
    assert records["faults"] == {fault: 1}


def test_connection_refused_is_transient_and_a_4xx_is_permanent(simulator, http):
    simulator.stop()
    with pytest.raises(remote_http.Transient, match="ConnectError"):
        _request(http, simulator)
    simulator.start()
    simulator.control(refuse_agencies=["SAMR"])
    with pytest.raises(remote_http.Permanent, match="HTTP 422"):
        _request(http, simulator)
    with pytest.raises(remote_http.Permanent, match="HTTP 404"):
        remote_http.poll_review(http, f"{simulator.url}/agencies/SAMR", "no-such-ticket")
    assert simulator.snapshot()["refused"] == {"k-1": 1}


def test_a_denial_is_data_and_a_document_comes_with_its_digest(simulator, http):
    simulator.control(approve_rate=0.0)
    ticket = _request(http, simulator)
    decision = remote_http.poll_review(http, f"{simulator.url}/agencies/SAMR", ticket.ticket)
    assert decision.status == "denied" and "simulated" in decision.reason
    document = remote_http.fetch_document(http, f"{simulator.url}/sharing/licence_registry", "USCC1", "LICENCE")
    assert document.reference == "licence_registry:LICENCE:USCC1" and len(document.digest) == 64
    simulator.control(unknown_to_sharing=["USCC2"])
    with pytest.raises(remote_http.Permanent, match="HTTP 404"):
        remote_http.fetch_document(http, f"{simulator.url}/sharing/licence_registry", "USCC2", "LICENCE")


def test_bounded_concurrency_keeps_each_result_in_its_place(simulator):
    simulator.control(latency_ms=20)
    seen: list = []

    def call(http, n):
        seen.append(http)
        if n == 5:
            raise remote_http.Permanent("refused before sending")
        return _request(http, simulator, key=f"k-{n}").ticket

    results = remote_http.each(call, range(12), concurrency=4, timeout=1.0)
    records = simulator.snapshot()["reviews"]
    assert results[:5] + results[6:] == [records[f"k-{n}"]["ticket"] for n in range(12) if n != 5]
    assert isinstance(results[5], remote_http.Permanent) and "k-5" not in records
    # a client (one kept-alive connection) per worker thread, at most four, all closed afterwards
    clients = {id(h): h for h in seen}.values()
    assert 1 < len(clients) <= 4 and all(h.is_closed for h in clients)
    assert remote_http.each(call, [], concurrency=4, timeout=1.0) == []


def test_down_means_down_a_request_in_flight_is_cut_and_not_acted_on(simulator):
    with remote_http.client(timeout=30) as kept_alive:
        _request(kept_alive, simulator)  # this client now holds a kept-alive connection
        simulator.control(latency_ms=60_000)
        failed: list[str] = []

        def in_flight() -> None:
            with remote_http.client(timeout=30) as http:
                try:
                    _request(http, simulator, key="k-late")
                except remote_http.Transient as exc:
                    failed.append(str(exc))

        thread = threading.Thread(target=in_flight)
        thread.start()
        deadline = time.monotonic() + 30
        while not simulator.server.server_state.tasks:  # the request has reached the simulator
            assert time.monotonic() < deadline, "the request never reached the simulator"
            time.sleep(0.01)
        simulator.stop()  # returns once the server's thread is done: no sleeping request waited on
        thread.join()
        assert failed and "RemoteProtocolError" in failed[0]  # cut, not answered
        assert "k-late" not in simulator.snapshot()["reviews"]  # and the work was not done
        with pytest.raises(remote_http.Transient, match="ConnectError"):  # the kept-alive one was cut too
            _request(kept_alive, simulator, key="k-after")


def test_simulate_serves_in_the_foreground_until_interrupted(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    catalog = tmp_path / "remote.yaml"
    served = subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", "simulate", "agencies", "--port",
                               str(port), "--write-catalog", str(catalog)], stdout=subprocess.PIPE, text=True)
    try:
        assert "Ctrl+C stops" in "".join(served.stdout.readline() for _ in range(5))  # bound, about to serve
        simulator, ticket = Simulator([], port=port), None  # that one only for its url
        with remote_http.client(timeout=5) as http:
            for _ in range(500):  # serving starts just after the lines are printed
                try:
                    ticket = _request(http, simulator)
                    break
                except remote_http.Transient:
                    time.sleep(0.01)
            assert ticket is not None and ticket.ticket == "SAMR-000001"
        assert f"http://127.0.0.1:{port}/agencies/FIRE" in catalog.read_text("utf-8")
        served.send_signal(signal.SIGINT)
        assert served.wait(timeout=30) == 0 and served.stdout.read().strip() == "stopped"
    finally:
        served.kill()
        served.wait()


def test_simulate_refuses_bad_input(run, tmp_path):
    for args, says in [(["--port", "0"], "--port"), (["--port", "18080", "--failure-rate", "1.5"], "--failure-rate"),
                       (["--port", "18080", "--approve-rate", "-1"], "--approve-rate"),
                       (["--port", "18080", "--latency-ms", "-5"], "--latency-ms"),
                       (["--port", "18080", "--catalog", str(tmp_path / "none.yaml")], "cannot read catalog")]:
        result = run("simulate", "agencies", *args)
        assert result.code == 2 and says in result.err and len(result.err.strip().splitlines()) == 1


def test_a_catalog_with_a_bad_endpoint_or_two_sources_for_one_material_is_refused(env, run, tmp_path):
    version = run("catalog", "list", "--json").json()["version"]
    document = yaml.safe_load(remote_catalog(builtin_catalog_text(), "http://127.0.0.1:9"))
    next(a for a in document["agencies"] if a["code"] == "FIRE")["endpoint"] = "ftp://fire"
    bad = tmp_path / "bad-endpoint.yaml"
    bad.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    result = run("catalog", "load", bad, "--operator", "admin")
    assert result.code == 2 and "agencies.FIRE.endpoint" in result.err

    document = yaml.safe_load(remote_catalog(builtin_catalog_text(), "http://127.0.0.1:9"))
    lease = next(m for m in document["matters"][0]["materials"] if m["code"] == "LEASE")
    lease["shared_from"] = "lease_registry"  # in one matter only: LEASE is one material everywhere
    two = tmp_path / "two-sources.yaml"
    two.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    result = run("catalog", "load", two, "--operator", "admin")
    assert result.code == 2 and "LEASE.shared_from" in result.err
    assert run("catalog", "list", "--json").json()["version"] == version  # nothing written
