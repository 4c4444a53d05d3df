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
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import _embedded  # noqa: E402,F401  (Prefect's embedded API in a throwaway home, quiet logs)
from _postgres import scratch_postgres  # noqa: E402

CATALOG = ROOT / "bench" / "parallel5_catalog.yaml"
BUNDLE = "PARALLEL5"
MATERIALS = ["ID_LEGAL_REP", "LEASE"]


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def applications(count: int, tag: str):
    from approvals.identifiers import resident_id_check_char, uscc_check_char
    from schemas.case import ApplicationIn

    for seq in range(count):
        uscc = f"91350200MA{seq % 10_000_000:07d}"
        id_body = f"35020319850101{seq % 1000:03d}"
        yield ApplicationIn.model_validate({
            "request_id": f"bench-{tag}-{seq}",
            "bundle": BUNDLE,
            "channel": "window",
            "applicant": {"name": f"基准测试企业{seq}", "uscc": uscc + uscc_check_char(uscc),
                          "legal_representative": {"name": "测试", "id_number": id_body + resident_id_check_char(id_body)}},
            "materials": MATERIALS,
        })


def prepare(url: str) -> None:
    from datetime import datetime, timezone

    from services.catalog import load_catalog
    from services.db import UnitOfWork
    from services.migrate import upgrade
    from services.staff import staff_the_hall

    upgrade(url)
    with UnitOfWork(url) as uow:
        load_catalog(uow.session, CATALOG.read_text("utf-8"), source=str(CATALOG.name), actor="admin",
                     now=datetime.now(timezone.utc))
        uow.commit()
    with UnitOfWork(url) as uow:
        staff_the_hall(uow.session, datetime.now(timezone.utc))  # window-1 and {AGENCY}-reviewer
        uow.commit()


def run_round(url: str, cases: int, wave: int, inline: bool = False, folder: Path | None = None,
              loop_seconds: int = 300) -> dict:
    """Submit waves of cases and approve every review; the orchestration notifies and delivers.

    As deployed on the embedded default (the default here): `onevisit serve` runs in a process of its own
    beside the window and the reviewers, who never wait on a flow run; a wave is decided once its reviews
    have been dispatched, while the next wave is being submitted. `inline`: this process runs the flow
    itself between waves (`run_until_idle`, as `onevisit orchestrate` does), so the clerks wait for it.
    """
    from approvals.deadlines import Clock
    from approvals.review import Action
    from services import cases as use_cases
    from services.db import UnitOfWork
    from services.settings import get_settings
    from services.workdays import calendar_for

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
            with UnitOfWork(url) as uow:
                clock = Clock(settings.current_time(), calendar_for(uow.session))
                numbers.append(use_cases.submit(uow.session, application, actor="window-1", clock=clock).case_no)
                uow.commit()
        lap("submit")
        return numbers

    def decide_wave(numbers: list[str]) -> None:
        for task_id, agency in queue(url, numbers):  # the agencies' queues
            with UnitOfWork(url) as uow:
                clock = Clock(settings.current_time(), calendar_for(uow.session))
                use_cases.decide(uow.session, task_id, Action.APPROVE, operator=f"{agency}-reviewer", reason=None,
                                 materials=(), clock=clock)
                uow.commit()
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


def queue(url: str, numbers: list[str]) -> list[tuple[int, str]]:
    """The pending review tasks of these cases, with their agencies, in task order."""
    from sqlmodel import select

    from schemas.case import Case
    from schemas.review import ReviewTask
    from services.db import UnitOfWork

    with UnitOfWork(url, write=False) as uow:
        return list(uow.session.exec(
            select(ReviewTask.id, ReviewTask.agency).join(Case, Case.id == ReviewTask.case_id)
            .where(Case.case_no.in_(numbers), ReviewTask.status == "pending").order_by(ReviewTask.id)
        ).all())


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


def wait_until(condition, what: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(0.02)


def start_serving(folder: Path, loop_seconds: int) -> subprocess.Popen:
    """`onevisit serve` on the embedded default, in a process group of its own: one long flow run at a time
    looking for work 4 times a second (`loop_seconds` 0: a flow run whenever work is found, looking every
    second); returns once its first sweep (a flow run, which starts Prefect's embedded API) is done."""
    log_path = folder / "serve.log"
    log = open(log_path, "w")
    served = subprocess.Popen([sys.executable, "-c", "import cli; cli.main(['serve'])"], cwd=ROOT,
                              env={**os.environ, "ONEVISIT_ORCHESTRATE_EVERY_SECONDS": "1",
                                   "ONEVISIT_ORCHESTRATE_LOOP_SECONDS": str(loop_seconds)},
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    deadline = time.monotonic() + 180
    while "sweep:" not in log_path.read_text(errors="replace"):
        if served.poll() is not None or time.monotonic() > deadline:
            stop_serving(served)
            raise SystemExit(f"onevisit serve did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return served


def stop_serving(served: subprocess.Popen) -> None:
    """SIGTERM the whole group (serve and the embedded Prefect server it started); SIGKILL what is left."""
    import signal

    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(served.pid, sig)
        except ProcessLookupError:
            break
        try:
            served.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


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


@contextmanager
def bench_database(admin_url: str | None) -> Iterator[str]:
    """A database of the bench's own: a fresh PostgreSQL database made with ADMIN_URL (the engines on it
    disposed and the database dropped afterwards), or a SQLite file in a temp folder."""
    if not admin_url:
        with tempfile.TemporaryDirectory(prefix="onevisit-bench-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    with scratch_postgres(admin_url) as url:
        try:
            yield url
        finally:
            from services.db import engine_for

            engine_for(url).dispose()
            engine_for(url, write=False).dispose()


def run_clerks(script: str, url: str, share: int, clerks: int) -> tuple[float, list[dict]]:
    """`python SCRIPT --clerk URL --cases SHARE` in K processes that start acting at once (each prints
    "ready", waits for a line, acts, prints one JSON line); the seconds until the last was done, and what
    each printed."""
    processes = [subprocess.Popen([sys.executable, script, "--clerk", url, "--cases", str(share)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(clerks)]
    for process in processes:
        if process.stdout.readline().strip() != "ready":
            raise SystemExit("bench: a clerk did not start")
    start = time.perf_counter()
    for process in processes:
        process.stdin.write("\n")
        process.stdin.flush()
    outputs = [json.loads(process.stdout.readline()) for process in processes]
    seconds = time.perf_counter() - start
    for process in processes:
        process.wait()
    return seconds, outputs


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


def spiff_peers(cases: int, wave: int, admin_url: str | None) -> dict[str, list[str]]:
    """The command lines of SpiffWorkflow's two runs of the same cases, for `child`: in memory, and durable on
    the same kind of database as ours (a fresh PostgreSQL database with ADMIN_URL, else a SQLite file)."""
    spiff = [str(ROOT / "bench" / "spiff_lifecycle.py"), "--cases", str(cases), "--wave", str(wave)]
    return {"memory": spiff, "durable": spiff + (["--postgres", admin_url] if admin_url else ["--durable"])}


def child(args: list[str]) -> dict:
    """A round in a process of its own, so peak memory is that round's."""
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


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
    peers = spiff_peers(options.cases, options.wave, options.postgres)
    rows = []
    for index in range(options.rounds):
        ours = child(own)
        theirs = {name: child(args) for name, args in peers.items()} if options.spiff else {}
        ratios = {name: round(ours["cases_per_s"] / peer["cases_per_s"], 2) for name, peer in theirs.items()}
        rows.append((ours, theirs, ratios))
        if not options.json:
            memory = f"{ours['peak_rss_mb']} MB" + (f", serve {ours['serve_peak_rss_mb']} MB"
                                                    if "serve_peak_rss_mb" in ours else "")
            print(f"round {index + 1}: onevisit {ours['cases_per_s']} cases/s ({ours['seconds']} s, {memory}; "
                  f"{ours['phase_seconds']})" + "".join(
                      f"; spiffworkflow {peer['store']} {peer['cases_per_s']} cases/s, ratio {ratios[name]}"
                      for name, peer in theirs.items()), flush=True)
    result = {
        "cases": options.cases,
        "seconds": statistics.median(r[0]["seconds"] for r in rows),
        "cases_per_s": statistics.median(r[0]["cases_per_s"] for r in rows),
        "peak_rss_mb": statistics.median(r[0]["peak_rss_mb"] for r in rows),
        "backend": rows[0][0]["backend"],
        "mode": rows[0][0]["mode"],
        "rounds": options.rounds,
    }
    if "serve_peak_rss_mb" in rows[0][0]:
        result["serve_peak_rss_mb"] = statistics.median(r[0]["serve_peak_rss_mb"] for r in rows)
    if options.spiff:  # medians of each round's figure and ratio (the ratio of medians may differ)
        result["spiff_cases_per_s"] = statistics.median(r[1]["memory"]["cases_per_s"] for r in rows)
        result["ratio"] = statistics.median(r[2]["memory"] for r in rows)
        result["spiff_durable_cases_per_s"] = statistics.median(r[1]["durable"]["cases_per_s"] for r in rows)
        result["ratio_durable"] = statistics.median(r[2]["durable"] for r in rows)
        if not options.json:
            print(f"median of {options.rounds}: onevisit {result['cases_per_s']} cases/s; spiffworkflow in memory "
                  f"{result['spiff_cases_per_s']}, ratio {result['ratio']}; durable "
                  f"{rows[0][1]['durable']['store']} {result['spiff_durable_cases_per_s']}, "
                  f"ratio {result['ratio_durable']}", flush=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
