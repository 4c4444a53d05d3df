"""Dispatch 1,000 cases to 5 remote agencies answering in 50 ms: parallel against one by one.

Files N cases of a bundle of 5 matters, each owned by an agency whose own system is the simulator
(on loopback, with the given latency), then times one orchestration run that sends every review
request (N x 5) and records every ticket. The sequential reference is N x 5 x latency. Between
rounds the dispatch is undone (tickets forgotten, outbox queued again) and the simulator's
records cleared, so every round sends the same requests.

    python bench/remote_dispatch.py                       # 1,000 cases, 50 ms, SQLite, 3 rounds
    python bench/remote_dispatch.py --database-url postgresql://postgres@127.0.0.1:5432/DB
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import _embedded  # noqa: E402,F401  (Prefect's embedded API in a throwaway home, quiet logs)

AGENCIES = ["AG1", "AG2", "AG3", "AG4", "AG5"]


def catalog_text(base_url: str) -> str:
    agencies = "\n".join(f"  - {{code: {a}, name: 机关{a[-1]}, endpoint: {base_url}/agencies/{a}}}" for a in AGENCIES)
    matters = "\n".join(
        f"  - {{code: M{n}, name: 事项{n}, agency: {a}, promised_days: 5, statutory_days: 20, "
        f"materials: [{{code: FORM, name: 申请表}}]}}" for n, a in enumerate(AGENCIES, 1))
    bundle = ", ".join(f"{{matter: M{n}}}" for n in range(1, len(AGENCIES) + 1))
    return f"agencies:\n{agencies}\nmatters:\n{matters}\nbundles:\n  - {{code: BENCH, name: 基准, promised_days: 5, " \
           f"matters: [{bundle}]}}\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(base: str) -> None:
    import httpx

    for _ in range(200):
        try:
            httpx.get(f"{base}/_records", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"the simulator did not come up at {base}")


def file_cases(url: str, count: int) -> None:
    from approvals.deadlines import Clock
    from approvals.identifiers import resident_id_check_char, uscc_check_char
    from schemas.case import ApplicationIn
    from services.cases import submit
    from services.db import UnitOfWork
    from services.settings import get_settings
    from services.workdays import calendar_for

    person = "11010519800101" + "123"
    person += resident_id_check_char(person)
    for start in range(0, count, 100):
        with UnitOfWork(url) as uow:
            clock = Clock(get_settings().current_time(), calendar_for(uow.session))
            for n in range(start, min(start + 100, count)):
                body = f"91350200MA{n:07d}"
                application = ApplicationIn(
                    request_id=f"bench-{n}", bundle="BENCH", materials=["FORM"],
                    applicant={"name": f"企业{n}", "uscc": body + uscc_check_char(body),
                               "legal_representative": {"name": "张三", "id_number": person}})
                submit(uow.session, application, actor="window-1", clock=clock)
            uow.commit()


def undo_dispatch(url: str) -> None:
    from sqlalchemy import text

    from services.db import engine_for
    from services.migrate import drop_append_only_guard

    drop_append_only_guard(url)  # the bench's own database: the round's timeline rows are taken back
    with engine_for(url).begin() as conn:
        conn.execute(text("UPDATE outbox_item SET done_at = NULL, claimed_by = NULL, claimed_at = NULL "
                          "WHERE kind = 'dispatch_review'"))
        conn.execute(text("UPDATE review_task SET dispatched_at = NULL, remote_ticket = NULL"))
        conn.execute(text("DELETE FROM case_event WHERE kind = 'dispatched'"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--rounds", type=int, default=3, help="rounds to take the median of")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    options = parser.parse_args()

    import httpx

    # The agencies' systems run in a process of their own, as they would: their CPU is not ours.
    port = free_port()
    folder = tempfile.mkdtemp(prefix="onevisit-bench-remote-")  # the catalog and the SQLite file, removed at exit
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    catalog_file = Path(folder) / "agencies.yaml"
    catalog_file.write_text(catalog_text(f"http://127.0.0.1:{port}"), "utf-8")
    simulator = subprocess.Popen([sys.executable, "-c", "import cli; cli.main()", "simulate", "agencies",
                                  "--port", str(port), "--latency-ms", str(options.latency_ms),
                                  "--catalog", str(catalog_file)], cwd=ROOT, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for(base)
    url = options.database_url or f"sqlite:///{folder}/bench.db"
    os.environ["ONEVISIT_DATABASE_URL"] = url
    os.environ.setdefault("ONEVISIT_NOW", "2026-03-02T09:00:00+08:00")
    os.environ.setdefault("ONEVISIT_BATCH_SIZE", str(options.cases * len(AGENCIES)))

    from flows.orchestrate import OrchestrateInput, orchestrate
    from services.catalog import load_catalog
    from services.db import UnitOfWork
    from services.migrate import upgrade
    from services.settings import get_settings
    from services.staff import staff_the_hall

    upgrade(url)
    with UnitOfWork(url) as uow:
        load_catalog(uow.session, catalog_file.read_text("utf-8"), source="bench", actor="bench",
                     now=get_settings().current_time())
        uow.commit()
    with UnitOfWork(url) as uow:
        staff_the_hall(uow.session, get_settings().current_time())  # window-1 files the cases
        uow.commit()
    started = time.perf_counter()
    file_cases(url, options.cases)
    print(f"filed {options.cases} cases in {time.perf_counter() - started:.1f} s; "
          f"settings: concurrency {get_settings().http_concurrency} per chunk")
    orchestrate(OrchestrateInput(kinds=["none"]))  # start Prefect's embedded server before timing

    requests = options.cases * len(AGENCIES)
    timings = []
    for round_no in range(options.rounds):
        if round_no:
            undo_dispatch(url)
        before = httpx.get(f"{base}/_records").json()["reviews"]
        started = time.perf_counter()
        report = orchestrate(OrchestrateInput(kinds=["dispatch_review"]))
        timings.append(time.perf_counter() - started)
        received = httpx.get(f"{base}/_records").json()["reviews"]
        assert report.done == requests and len(received) == requests, (report, len(received))
        replays = sum(r["replays"] for r in received.values()) - sum(r["replays"] for r in before.values())
        assert replays == (requests if round_no else 0)  # a round again: the same keys, the same tickets
        print(f"round {round_no + 1}: {requests} review requests sent and tickets recorded in {timings[-1]:.2f} s "
              f"(one flow run)")
    simulator.terminate()
    simulator.wait()

    sequential = requests * options.latency_ms / 1000
    median = statistics.median(timings)
    print(f"dispatch {options.cases} cases x {len(AGENCIES)} agencies at {options.latency_ms:.0f} ms: "
          f"median {median:.2f} s; one by one {sequential:.0f} s; {sequential / median:.1f}x faster (target 20x)")
    print(json.dumps({"backend": url.split(":", 1)[0], "cases": options.cases, "requests": requests,
                      "latency_ms": options.latency_ms, "median_s": round(median, 2),
                      "sequential_s": round(sequential, 1), "ratio": round(sequential / median, 1),
                      "rounds": [round(t, 2) for t in timings]}))


if __name__ == "__main__":
    main()
