"""What one human action costs, and what the clerks alone can do: no `serve`, no flow run beside them.

Submits N cases of the bench bundle (`PARALLEL5`, see lifecycle.py) and approves their 5 reviews, one unit
of work and one commit per action through the engine's public Python API, and prints the median time of
a submission and of a decision. `--clerks K` splits the cases among K processes that run at once (the
window and the reviewers of a busy hall) and prints the cases per second they managed together.
Dispatches and deliveries stay queued: this measures the clerks' side only (lifecycle.py measures
whole cases).

    python bench/actions.py --cases 300                       # SQLite file in a temp folder
    python bench/actions.py --cases 300 --postgres postgresql://postgres@127.0.0.1:5432/postgres
    python bench/actions.py --cases 300 --clerks 2 [--postgres ADMIN_URL]

The last line is JSON: {"cases", "clerks", "submit_ms", "decide_ms", "seconds", "cases_per_s", "backend"}.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _cases import applications, bench_database, prepare, queue  # noqa: E402
from _rounds import run_clerks  # noqa: E402


def clerk(url: str, cases: int, tag: str) -> dict:
    """Submit `cases` applications, then approve every review of them; the times of each action."""
    from approvals.deadlines import Clock
    from approvals.review import Action
    from services import cases as use_cases
    from services.db import UnitOfWork
    from services.settings import get_settings
    from services.workdays import calendar_for

    settings = get_settings()
    source = list(applications(cases, tag))  # validated before the clock starts
    print("ready", flush=True)
    sys.stdin.readline()  # every clerk starts at once
    submits, decides, numbers = [], [], []
    for application in source:
        start = time.perf_counter()
        with UnitOfWork(url) as uow:
            clock = Clock(settings.current_time(), calendar_for(uow.session))
            numbers.append(use_cases.submit(uow.session, application, actor="window-1", clock=clock).case_no)
            uow.commit()
        submits.append(time.perf_counter() - start)
    for task_id, agency in queue(url, numbers):
        start = time.perf_counter()
        with UnitOfWork(url) as uow:
            clock = Clock(settings.current_time(), calendar_for(uow.session))
            use_cases.decide(uow.session, task_id, Action.APPROVE, operator=f"{agency}-reviewer", reason=None,
                             materials=(), clock=clock)
            uow.commit()
        decides.append(time.perf_counter() - start)
    return {"submit": submits, "decide": decides}


def run(url: str, cases: int, clerks: int) -> dict:
    os.environ["ONEVISIT_DATABASE_URL"] = url
    prepare(url)
    share = cases // clerks
    seconds, times = run_clerks(__file__, url, share, clerks)
    return {"cases": share * clerks, "clerks": clerks,
            "submit_ms": round(statistics.median(t for c in times for t in c["submit"]) * 1000, 2),
            "decide_ms": round(statistics.median(t for c in times for t in c["decide"]) * 1000, 2),
            "seconds": round(seconds, 3), "cases_per_s": round(share * clerks / seconds, 1),
            "backend": url.split(":", 1)[0].split("+")[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--clerks", type=int, default=1, help="processes acting at once, each on its share")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="create a fresh PostgreSQL database, drop it after")
    parser.add_argument("--clerk", metavar="URL", help=argparse.SUPPRESS)  # one clerk process
    options = parser.parse_args()
    if options.clerk:
        os.environ["ONEVISIT_DATABASE_URL"] = options.clerk
        print(json.dumps(clerk(options.clerk, options.cases, uuid.uuid4().hex[:8])), flush=True)
        return
    with bench_database(options.postgres) as url:
        result = run(url, options.cases, options.clerks)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
