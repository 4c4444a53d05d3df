"""Latency in served mode: the last decision of a case recorded → its certificates issued and delivered.

Starts what the README's scale-out section describes, on this machine: a Prefect server on loopback
backed by a fresh PostgreSQL database, a process work pool with the deployments `onevisit serve --pool`
registers (ONEVISIT_ORCHESTRATE_LOOP_SECONDS on: one long flow run polls the queue), one worker, and
onevisit on a fresh PostgreSQL database with the bench catalog (PARALLEL5). It submits N cases, waits
until their reviews are dispatched, approves four of each case's five matters, then the last one case
after case at a steady pace, as reviewers would. Certificates are issued inside the deciding
transaction (issued − decided is 0 by construction); delivery (出件: the certificates handed to the
window, the applicant notified) is the flow's work, so the figure is decided → delivered. Everything
it started is stopped and both databases dropped. Last line is JSON.

    python bench/latency.py --cases 1000 --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres", metavar="ADMIN_URL")
    parser.add_argument("--rate", type=float, default=20.0, help="last decisions per second")
    parser.add_argument("--loop-seconds", type=int, default=900, help="ONEVISIT_ORCHESTRATE_LOOP_SECONDS")
    options = parser.parse_args()

    from flows.local_stack import Stack, create_database, drop_database

    folder = Path(tempfile.mkdtemp(prefix="onevisit-latency-"))
    stack = Stack(folder=folder, admin_url=options.postgres)
    url, name = create_database(options.postgres, "onevisit_latency")
    try:
        result = measure(stack, url, options)
    finally:
        stack.stop()
        from services.db import engine_for

        engine_for(url).dispose()
        engine_for(url, write=False).dispose()
        drop_database(options.postgres, name)
    print(json.dumps(result))


def measure(stack, url: str, options) -> dict:
    import _embedded  # noqa: F401  (the worker and flow runs started below: Prefect's home a throwaway one)
    from _cases import applications, prepare
    from sqlalchemy import func
    from sqlmodel import select

    from approvals.deadlines import Clock
    from approvals.review import Action
    from schemas.case import Case
    from schemas.certificate import Certificate
    from schemas.review import ReviewTask
    from services import cases as use_cases
    from services.db import UnitOfWork
    from services.settings import get_settings
    from services.workdays import calendar_for

    os.environ.update(ONEVISIT_DATABASE_URL=url, ONEVISIT_ORCHESTRATE_LOOP_SECONDS=str(options.loop_seconds),
                      ONEVISIT_ORCHESTRATE_EVERY_SECONDS="60")
    get_settings.cache_clear()
    settings = get_settings()
    prepare(url)
    stack.start_server(PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="5")
    from prefect.settings import PREFECT_API_URL, temporary_settings

    pool = f"onevisit-latency-{uuid.uuid4().hex[:6]}"
    with temporary_settings({PREFECT_API_URL: stack.api_url}):
        from flows.serving import register_on_pool

        register_on_pool(pool)
    stack.start_worker(pool, "worker-1", cwd=ROOT, ONEVISIT_DATABASE_URL=url,
                       ONEVISIT_ORCHESTRATE_LOOP_SECONDS=str(options.loop_seconds), PREFECT_WORKER_QUERY_SECONDS="2")

    def decide(task_id: int, agency: str) -> None:
        with UnitOfWork(url) as uow:
            clock = Clock(settings.current_time(), calendar_for(uow.session))
            use_cases.decide(uow.session, task_id, Action.APPROVE, operator=f"{agency}-reviewer", reason=None,
                             materials=(), clock=clock)
            uow.commit()

    for application in applications(options.cases, uuid.uuid4().hex[:8]):
        with UnitOfWork(url) as uow:
            clock = Clock(settings.current_time(), calendar_for(uow.session))
            use_cases.submit(uow.session, application, actor="window-1", clock=clock)
            uow.commit()
    wait_until(url, lambda s: s.exec(select(func.count()).select_from(ReviewTask)
                                     .where(ReviewTask.dispatched_at.is_(None))).one() == 0, 600, "dispatch")
    with UnitOfWork(url, write=False) as uow:
        rows = uow.session.exec(select(ReviewTask.case_id, ReviewTask.id, ReviewTask.agency).order_by(ReviewTask.id)).all()
    by_case: dict[int, list[tuple[int, str]]] = {}
    for case_id, task_id, agency in rows:
        by_case.setdefault(case_id, []).append((task_id, agency))
    for tasks in by_case.values():
        for task_id, agency in tasks[:-1]:
            decide(task_id, agency)
    pace = 1.0 / options.rate
    start = time.perf_counter()
    for index, tasks in enumerate(by_case.values()):
        time.sleep(max(0.0, start + index * pace - time.perf_counter()))
        decide(*tasks[-1])
    wait_until(url, lambda s: s.exec(select(func.count()).select_from(Certificate)
                                     .where(Certificate.delivered_at.is_(None))).one() == 0, 600, "delivery")
    with UnitOfWork(url, write=False) as uow:
        pairs = uow.session.exec(select(Case.finished_at, func.min(Certificate.delivered_at), func.min(Certificate.issued_at))
                                 .join(Certificate, Certificate.case_id == Case.id).group_by(Case.id)).all()
    latencies = [(delivered - finished).total_seconds() for finished, delivered, _ in pairs]
    issued = [(issued_at - finished).total_seconds() for finished, _, issued_at in pairs]
    return {"cases": len(latencies), "issued_p95_s": round(percentile(issued, 0.95), 3),
            "delivered_p50_s": round(statistics.median(latencies), 3),
            "delivered_p95_s": round(percentile(latencies, 0.95), 3),
            "delivered_max_s": round(max(latencies), 3), "rate_per_s": options.rate,
            "loop_seconds": options.loop_seconds}


def wait_until(url: str, predicate, timeout: float, what: str) -> None:
    from services.db import UnitOfWork

    deadline = time.monotonic() + timeout
    while True:
        with UnitOfWork(url, write=False) as uow:
            if predicate(uow.session):
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.2)


if __name__ == "__main__":
    main()
