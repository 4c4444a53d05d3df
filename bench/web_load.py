"""Web load: N operators signed in at once, each opening its review queue and deciding, over HTTP.

Serves the app with uvicorn (one process, as `onevisit web` does) on a fresh SQLite file or PostgreSQL
database holding the built-in catalog, N reviewers of SAMR (one password, hashed once) and N × D filed
restaurant cases (made in-process, straight through the submit use case). Each operator, an httpx async
client of its own, signs in, then D times: opens its queue (GET /api/v1/tasks?limit=100) and approves one
task of it (POST /api/v1/tasks/ID/decisions; operator i takes the tasks whose id is i modulo N, so two
operators never race for one task), pausing `--think` seconds (on average) after each answer as a person
reading the queue and the file would; with `--think 0` every operator has a request in flight all the
time, so a request waits behind the other N − 1. Prints requests/s and p50/p95 per endpoint (sign-ins
apart: they all happen first); the last line is JSON.

    python bench/web_load.py --operators 50 --decisions 4 --think 2       # SQLite
    python bench/web_load.py --operators 50 --decisions 4                 # no pause at all
    python bench/web_load.py --operators 50 --decisions 4 --think 2 --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PASSWORD = "bench password 1"
NOW = "2026-03-02T09:00:00+08:00"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def prepare(url: str, operators: int, cases: int) -> None:
    """Schema, catalog, reviewers with one password, and the filed cases (their licences pending at SAMR)."""
    import random

    from approvals.deadlines import Clock
    from approvals.identifiers import USCC_ALPHABET, resident_id_check_char, uscc_check_char
    from schemas.case import ApplicationIn
    from schemas.staff import Operator
    from services import cases as case_use
    from services.access import _hasher
    from services.catalog import builtin_catalog_text, catalog_in_force, load_catalog
    from services.db import UnitOfWork, transact
    from services.migrate import upgrade
    from services.staff import staff_the_hall
    from services.workdays import calendar_for

    now = datetime.fromisoformat(NOW)
    upgrade(url)
    with UnitOfWork(url) as uow:
        load_catalog(uow.session, builtin_catalog_text(), source="builtin", actor="bench", now=now)
        staff_the_hall(uow.session, now, reviewer_suffixes=tuple(f"-{i}" for i in range(operators)))
        hashed = _hasher().hash(PASSWORD)
        for i in range(operators):
            uow.session.get(Operator, f"SAMR-reviewer-{i}").password_hash = hashed
        _, catalog = catalog_in_force(uow.session)
        uow.commit()
    matters = [m.matter for m in catalog.bundles["RESTAURANT"].matters if not m.optional]
    materials = list(catalog.materials_of(matters))
    rng = random.Random(7)
    for n in range(cases):
        body = "9135" + "".join(rng.choice("0123456789") for _ in range(4)) + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
        person = f"110105198{rng.randint(0, 9)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}{rng.randint(100, 999)}"
        application = ApplicationIn.model_validate({
            "request_id": f"web-load-{n}", "bundle": "RESTAURANT", "channel": "window",
            "applicant": {"name": f"压测餐饮{n}有限公司", "uscc": body + uscc_check_char(body),
                          "legal_representative": {"name": "张三", "id_number": person + resident_id_check_char(person)}},
            "materials": materials, "optional_matters": []})
        transact(url, lambda s, a=application: case_use.submit(s, a, actor="window-1",
                                                               clock=Clock(now, calendar_for(s))))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(url: str, home: Path):
    import httpx

    port = free_port()
    env = {**os.environ, "ONEVISIT_DATABASE_URL": url, "ONEVISIT_NOW": NOW, "ONEVISIT_HOME": str(home),
           "ONEVISIT_KEY_FILE": str(home / "secret.key")}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "web.app:create_app", "--host",
                                "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
                               cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/login", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit("bench: the web did not start")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(15)


async def operator(base: str, index: int, operators: int, decisions: int, timings: dict, errors: dict,
                   everyone_in: asyncio.Barrier, think: float) -> None:
    import random

    import httpx

    pause = random.Random(index)

    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        started = time.perf_counter()
        signed = await client.post("/api/v1/session", json={"username": f"SAMR-reviewer-{index}", "password": PASSWORD})
        timings["POST /session (sign-in, argon2)"].append(time.perf_counter() - started)
        signed.raise_for_status()
        client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        await everyone_in.wait()  # the morning's sign-ins are not the load measured below
        if index == 0:
            timings["_work_started"].append(time.perf_counter())
        await asyncio.sleep(think * pause.uniform(0, 1))  # people do not all click in the same millisecond
        for _ in range(decisions):
            started = time.perf_counter()
            queue = await client.get("/api/v1/tasks", params={"limit": 100})
            timings["GET /tasks (queue page)"].append(time.perf_counter() - started)
            if queue.status_code != 200:
                errors[f"queue {queue.status_code}"] += 1
                continue
            await asyncio.sleep(think * pause.uniform(0.5, 1.5))  # reading the queue, opening the file
            mine = [t for t in queue.json()["items"] if t["task_id"] % operators == index and t["status"] == "pending"]
            if not mine:
                errors["no task of mine on the page"] += 1
                continue
            started = time.perf_counter()
            decided = await client.post(f"/api/v1/tasks/{mine[0]['task_id']}/decisions", json={"action": "approve"})
            timings["POST /tasks/ID/decisions"].append(time.perf_counter() - started)
            if decided.status_code != 200:
                errors[f"decision {decided.status_code}"] += 1
            await asyncio.sleep(think * pause.uniform(0.5, 1.5))


async def load(base: str, operators: int, decisions: int, think: float) -> tuple[dict, dict, float]:
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    everyone_in = asyncio.Barrier(operators)
    await asyncio.gather(*(operator(base, i, operators, decisions, timings, errors, everyone_in, think)
                           for i in range(operators)))
    return timings, errors, time.perf_counter() - timings.pop("_work_started")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--decisions", type=int, default=4, help="queue opened and a task decided, per operator")
    parser.add_argument("--think", type=float, default=0.0, help="seconds an operator spends between two requests "
                        "(uniform in 0.5-1.5 times this; 0: each sends its next request as soon as it has the answer)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="run on a fresh PostgreSQL database (else SQLite)")
    options = parser.parse_args()
    backend = "postgresql" if options.postgres else "sqlite"
    import _embedded  # noqa: F401  (the web's process imports Prefect: its home a throwaway one, quiet logs)
    from _cases import bench_database

    with bench_database(options.postgres) as url, tempfile.TemporaryDirectory(prefix="onevisit-web-home-") as home:
        os.environ["ONEVISIT_KEY_FILE"] = str(Path(home) / "secret.key")
        os.environ["ONEVISIT_NOW"] = NOW
        set_up = time.perf_counter()
        prepare(url, options.operators, options.operators * options.decisions)
        print(f"{backend}: {options.operators} reviewers, {options.operators * options.decisions} cases filed "
              f"in {time.perf_counter() - set_up:.1f} s", flush=True)
        with served(url, Path(home)) as base:
            timings, errors, seconds = asyncio.run(load(base, options.operators, options.decisions, options.think))
    requests = sum(len(v) for name, v in timings.items() if not name.startswith("POST /session"))
    report = {"backend": backend, "operators": options.operators, "decisions_each": options.decisions,
              "think_seconds": options.think,
              "seconds": round(seconds, 2), "requests_per_second": round(requests / seconds, 1),
              "errors": dict(errors), "endpoints": {}}
    print(f"{requests} queue and decision requests in {seconds:.2f} s (after every sign-in): "
          f"{requests / seconds:.1f} requests/s; errors: {dict(errors) or 'none'}")
    for name, values in timings.items():
        p50, p95 = percentile(values, 0.5) * 1000, percentile(values, 0.95) * 1000
        report["endpoints"][name] = {"requests": len(values), "p50_ms": round(p50, 1), "p95_ms": round(p95, 1)}
        print(f"  {name:<34} {len(values):>5} requests  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
