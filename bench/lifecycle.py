"""Throughput of whole cases: submitted, five reviews approved in parallel, certificates issued and delivered.

Each case goes through the engine's public Python API (the `services` use cases, one unit of work and
one real commit per action, operators as at the window: `window-1` submits, `AGENCY-reviewer` decides)
and through the orchestration as deployed on the embedded default: `onevisit serve` in a process of its
own, with one long `onevisit-orchestrate-loop` flow run at a time carrying out work as it is queued
(ONEVISIT_ORCHESTRATE_LOOP_SECONDS=300; `--loop-seconds 0`: an `onevisit-orchestrate` flow run whenever
`serve` finds work queued, looking every second; `--inline`: this process runs
the flow itself between waves instead, as `onevisit orchestrate` would, and the clerks wait for it).
Cases go in waves: a wave is decided once its reviews have been dispatched (the bench's agencies review in
the hall's own queues, so that is at acceptance; an agency with its own system would wait for `serve`),
while the next wave is submitted. The bundle is `PARALLEL5` from `bench/parallel5_catalog.yaml`: five matters,
no prerequisites. The database is ONEVISIT_DATABASE_URL (default: a fresh SQLite file in a temp
folder); the bench catalog is loaded into it, so give it a database of its own, or `--postgres
ADMIN_URL` to create a fresh PostgreSQL database and drop it afterwards.

    python bench/lifecycle.py --cases 1000                  # one round; last line is JSON
    python bench/lifecycle.py --cases 1000 --spiff --rounds 3   # beside SpiffWorkflow, medians of 3

`--spiff` runs, in each round right after onevisit's, the same cases in SpiffWorkflow twice
(`bench/spiff_lifecycle.py`): in memory, and durable, its state committed to the same kind of database
after every step (a SQLite file, or a fresh PostgreSQL database with `--postgres`); it prints both
ratios, onevisit's cases per second over each, per round and as medians.

The last line is JSON: {"cases": N, "seconds": s, "cases_per_s": x, "peak_rss_mb": m, ...}; the clock
starts once `serve` has started Prefect's embedded API, and stops when every certificate is delivered.
`peak_rss_mb` is this process's; `serve_peak_rss_mb` the serving process's (with its flow runs). With
`--spiff`, also "spiff_cases_per_s" and "ratio" (in memory), "spiff_durable_cases_per_s" and "ratio_durable".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import _embedded  # noqa: E402,F401  (Prefect's embedded API in a throwaway home, quiet logs)
from _cases import applications, bench_database, decide_one, prepare, queue, submit_one  # noqa: E402
from _rounds import medians_beside_spiff, spiff_peers  # noqa: E402
from _serving import start_serving, stop_serving, wait_until  # noqa: E402


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_round(url: str, cases: int, wave: int, inline: bool = False, folder: Path | None = None,
              loop_seconds: int = 300) -> dict:
    """Submit waves of cases and approve every review; the orchestration notifies and delivers.

    As deployed on the embedded default (the default here): `onevisit serve` runs in a process of its own
    beside the window and the reviewers, who never wait on a flow run; a wave is decided once its reviews
    have been dispatched, while the next wave is being submitted. `inline`: this process runs the flow
    itself between waves (`run_until_idle`, as `onevisit orchestrate` does), so the clerks wait for it.
    """
    from services.settings import get_settings

    os.environ["ONEVISIT_DATABASE_URL"] = url
    get_settings.cache_clear()
    settings = get_settings()
    prepare(url)
    if inline:
        from flows.serving import run_until_idle

        run_until_idle(always=True)  # the embedded Prefect API starts once, before the clock
        served = None
    else:
        logs = None if folder else tempfile.TemporaryDirectory(prefix="onevisit-bench-serve-")  # serve's log
        served = start_serving(folder or Path(logs.name), loop_seconds)
    tag = uuid.uuid4().hex[:8]
    flow_runs = 0
    phases = dict.fromkeys(("submit", "decide", "flows" if inline else "waiting_for_flows"), 0.0)
    waiting = "flows" if inline else "waiting_for_flows"
    start = mark = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[phase] += now - mark
        mark = now

    def submit_wave(count: int) -> list[str]:
        numbers = []
        for application in (next(source) for _ in range(count)):
            numbers.append(submit_one(url, application, settings))
        lap("submit")
        return numbers

    def decide_wave(numbers: list[str]) -> None:
        for task_id, agency in queue(url, numbers):  # the agencies' queues
            decide_one(url, task_id, agency, settings)
        lap("decide")

    source = applications(cases, tag)
    try:
        previous: list[str] = []
        for first in range(0, cases, wave):
            numbers = submit_wave(min(wave, cases - first))
            if inline:
                flow_runs += len(run_until_idle())  # the acceptance notices
                lap(waiting)
                decide_wave(numbers)
                flow_runs += len(run_until_idle())  # deliver-results and the issued notices
                lap(waiting)
                continue
            if previous:  # dispatched at acceptance here (over HTTP by `serve`, for an agency's own system)
                wait_until(lambda: not undispatched(url, previous), "the previous wave's dispatch")
                lap(waiting)
                decide_wave(previous)
            previous = numbers
        if previous:
            wait_until(lambda: not undispatched(url, previous), "the last wave's dispatch")
            lap(waiting)
            decide_wave(previous)
            wait_until(lambda: finished(url, cases), "the deliveries")
            lap(waiting)
        seconds = time.perf_counter() - start
    finally:
        if served is not None:
            stop_serving(served)
            if logs is not None:
                logs.cleanup()
    check(url, cases)
    result = {"cases": cases, "seconds": round(seconds, 3), "cases_per_s": round(cases / seconds, 1),
              "peak_rss_mb": peak_rss_mb(), "mode": "inline" if inline else "served",
              "phase_seconds": {k: round(v, 2) for k, v in phases.items()},
              "backend": url.split(":", 1)[0].split("+")[0]}
    if inline:
        result["flow_runs"] = flow_runs
    else:
        result["serve_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    return result


def undispatched(url: str, numbers: list[str]) -> int:
    """Dispatches of these cases' reviews still queued."""
    from sqlalchemy import func
    from sqlmodel import select

    from schemas.case import Case
    from schemas.orchestration import OutboxItem
    from services.db import UnitOfWork

    with UnitOfWork(url, write=False) as uow:
        return uow.session.exec(
            select(func.count()).select_from(OutboxItem).join(Case, Case.id == OutboxItem.case_id)
            .where(Case.case_no.in_(numbers), OutboxItem.kind == "dispatch_review", OutboxItem.done_at.is_(None))
        ).one()


def finished(url: str, cases: int) -> bool:
    """Every certificate delivered and nothing left queued."""
    from sqlalchemy import func
    from sqlmodel import select

    from schemas.certificate import Certificate
    from schemas.orchestration import OutboxItem
    from services.db import UnitOfWork

    with UnitOfWork(url, write=False) as uow:
        s = uow.session
        delivered = s.exec(select(func.count()).select_from(Certificate)
                           .where(Certificate.delivered_at.is_not(None))).one()
        queued = s.exec(select(func.count()).select_from(OutboxItem).where(OutboxItem.done_at.is_(None))).one()
    return delivered == 5 * cases and queued == 0


def check(url: str, cases: int) -> None:
    """Every case issued once, five certificates each, all delivered, nothing left queued."""
    from sqlalchemy import func
    from sqlmodel import select

    from schemas.case import Case
    from schemas.certificate import Certificate
    from schemas.orchestration import OutboxItem
    from services.db import UnitOfWork

    with UnitOfWork(url, write=False) as uow:
        s = uow.session
        issued = s.exec(select(func.count()).select_from(Case).where(Case.status == "issued")).one()
        certificates = s.exec(select(func.count()).select_from(Certificate)).one()
        delivered = s.exec(select(func.count()).select_from(Certificate).where(Certificate.delivered_at.is_not(None))).one()
        queued = s.exec(select(func.count()).select_from(OutboxItem).where(OutboxItem.done_at.is_(None))).one()
    if (issued, certificates, delivered, queued) != (cases, 5 * cases, 5 * cases, 0):
        raise SystemExit(f"bench run is wrong: {issued} issued, {certificates} certificates, {delivered} delivered, "
                         f"{queued} queued for {cases} cases")


def one_round(options) -> dict:
    if options.postgres:
        with bench_database(options.postgres) as url:
            return run_round(url, options.cases, options.wave, options.inline, loop_seconds=options.loop_seconds)
    url = os.environ.get("ONEVISIT_DATABASE_URL")
    if url:
        return run_round(url, options.cases, options.wave, options.inline, loop_seconds=options.loop_seconds)
    with tempfile.TemporaryDirectory(prefix="onevisit-bench-") as folder:
        return run_round(f"sqlite:///{folder}/bench.db", options.cases, options.wave, options.inline, Path(folder),
                         options.loop_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--wave", type=int, default=500, help="cases submitted before their reviews are decided")
    parser.add_argument("--inline", action="store_true",
                        help="run the flow in this process between waves instead of beside it (`onevisit serve`)")
    parser.add_argument("--loop-seconds", type=int, default=300,
                        help="ONEVISIT_ORCHESTRATE_LOOP_SECONDS for `serve` (0: a flow run per batch found)")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="create a fresh PostgreSQL database, drop it after")
    parser.add_argument("--spiff", action="store_true",
                        help="also run SpiffWorkflow in memory and durable (bench/spiff_lifecycle.py); both ratios")
    parser.add_argument("--rounds", type=int, default=1, help="rounds (each in its own process); medians printed")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of one round to FILE")
    options = parser.parse_args()
    if options.profile:
        import cProfile

        cProfile.runctx("print(json.dumps(one_round(options)))", globals(), {"options": options, "json": json},
                        options.profile)
        return
    if options.rounds == 1 and not options.spiff:
        print(json.dumps(one_round(options)))
        return
    own = [__file__, "--cases", str(options.cases), "--wave", str(options.wave), "--loop-seconds",
           str(options.loop_seconds)] + (["--inline"] if options.inline else []) + (
        ["--postgres", options.postgres] if options.postgres else [])
    peers = spiff_peers(options.cases, options.wave, options.postgres) if options.spiff else {}
    print(json.dumps(medians_beside_spiff(own, peers, options.rounds, quiet=options.json)))


if __name__ == "__main__":
    main()
