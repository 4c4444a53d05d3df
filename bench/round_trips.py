"""Every statement and round trip one whole case sends to PostgreSQL, use case by use case.

On a fresh PostgreSQL database (`--postgres ADMIN_URL`, dropped afterwards), with the bench's catalog and
staff (_cases.py): a submission at the window, the first and the last of its five approvals, and the
orchestration's work for them as `serve`'s loop does it (claim_work, then carry_out per chunk; no Prefect),
after warming up (connections made, statements prepared). psycopg is the one driver under SQLAlchemy and
the DB-API reads, so it is watched there: a statement outside a pipeline is a round trip, a pipeline
block is one (executemany outside one makes its own), a commit is one, and psycopg's implicit `BEGIN`
before a transaction's first statement is one unless it is queued in a pipeline. The durable
SpiffWorkflow peer (spiff_lifecycle.py) makes 1 for a submission and 2 for an approval.

    python bench/round_trips.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    python bench/round_trips.py --postgres ADMIN_URL --statements   # and each statement, with its caller
    python bench/round_trips.py --postgres ADMIN_URL --cases 50     # the orchestration's batch of 50 cases

The last line is JSON: {use case: round trips}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import _embedded  # noqa: E402,F401  (Prefect in a throwaway home: the flows module imports it)
from _cases import applications, bench_database, decide_one, prepare, queue, submit_one  # noqa: E402

PLUMBING = ("services/db.py", "services/queries/connection.py", "services/rows.py")


class Watch:
    """What psycopg sends while `on`: (round trips it costs, statement, the project's code that sent it)."""

    def __init__(self) -> None:
        self.on = False
        self.sent: list[tuple[int, str, str]] = []

    def note(self, trips: int, sql: str) -> None:
        if self.on:
            self.sent.append((trips, " ".join(sql.split()), _caller()))

    def install(self) -> None:
        import psycopg
        from psycopg import pq

        cursor, connection = psycopg.Cursor, psycopg.Connection
        execute, executemany, commit, pipeline = cursor.execute, cursor.executemany, connection.commit, connection.pipeline
        watch = self

        def begins(conn) -> None:
            if not conn.autocommit and conn.pgconn.transaction_status == pq.TransactionStatus.IDLE:
                watch.note(0 if conn._pipeline else 1, "BEGIN (psycopg's, implicit)")

        def watched_execute(self, query, params=None, **kw):
            begins(self.connection)
            text = query.decode() if isinstance(query, bytes) else str(query)
            watch.note(0 if self.connection._pipeline else 1, text)
            return execute(self, query, params, **kw)

        def watched_executemany(self, query, params_seq, **kw):
            begins(self.connection)
            params_seq = list(params_seq)
            text = query.decode() if isinstance(query, bytes) else str(query)
            watch.note(0 if self.connection._pipeline else 1, f"{text} -- x{len(params_seq)} rows")
            return executemany(self, query, params_seq, **kw)

        def watched_commit(self):
            if self.pgconn.transaction_status != pq.TransactionStatus.IDLE:
                watch.note(1, "COMMIT")
            return commit(self)

        @contextmanager
        def watched_pipeline(self):
            outer = self._pipeline is None
            with pipeline(self) as p:
                yield p
            if outer:
                watch.note(1, "-- pipeline sync (what it queued above)")

        cursor.execute, cursor.executemany = watched_execute, watched_executemany
        connection.commit, connection.pipeline = watched_commit, watched_pipeline

    def run(self, action: Callable[[], object]) -> tuple[object, list[tuple[int, str, str]]]:
        self.sent, self.on = [], True
        try:
            return action(), self.sent
        finally:
            self.on = False


def _caller() -> str:
    """The innermost three frames of the project's own code (no driver, no plumbing), innermost first."""
    frames = [f for f in traceback.extract_stack()[:-3]
              if f.filename.startswith(str(ROOT)) and "/.venv/" not in f.filename and not f.filename.endswith(__file__)]
    mine = [f for f in frames if not f.filename.endswith(PLUMBING)] or frames[-1:]
    return " < ".join(f"{Path(f.filename).parent.name}/{Path(f.filename).stem}.{f.name}" for f in reversed(mine[-3:]))


def measure(url: str, cases: int, statements: bool) -> dict[str, int]:
    os.environ["ONEVISIT_DATABASE_URL"] = url
    os.environ.setdefault("ONEVISIT_BATCH_SIZE", "10000")
    from services.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    prepare(url)
    from flows import orchestrate as flow

    source = applications(cases + 10, uuid.uuid4().hex[:8])
    run_id = str(uuid.uuid4())

    def submit() -> str:
        return submit_one(url, next(source), settings)

    def decide(task_id: int, agency: str) -> None:
        decide_one(url, task_id, agency, settings)

    def orchestrate() -> None:  # one poll of serve's loop that finds work (flows.orchestrate.orchestrate_loop)
        items = flow.claim_work.fn(run_id, flow.OrchestrateInput(limit=settings.batch_size))
        assert not (flow.plan_remote(items) if items else []), "the bench's agencies review in the hall"
        for chunk in flow._chunks(items):
            flow.carry_out.fn(flow._what(chunk), chunk, run_id, "")

    def whole_cases(count: int) -> list[str]:
        numbers = [submit() for _ in range(count)]
        orchestrate()
        for task_id, agency in queue(url, numbers):
            decide(task_id, agency)
        orchestrate()
        return numbers

    for _ in range(6):  # psycopg prepares a statement at its fifth run
        whole_cases(1)
    watch = Watch()
    watch.install()
    report: dict[str, int] = {}

    def show(name: str, action: Callable[[], object]):
        result, sent = watch.run(action)
        report[name] = sum(trips for trips, _, _ in sent)
        if statements:
            print(f"\n{name}: {report[name]} round trips")
            for trips, sql, caller in sent:
                print(f"  {'*' if trips else ' '} {sql[:150]}\n        {caller}")
        return result

    numbers = [show("submit", submit)] + [submit() for _ in range(cases - 1)]
    show(f"orchestrate after submit ({cases} cases)", orchestrate)
    tasks = queue(url, numbers)
    for index, (task_id, agency) in enumerate(tasks):
        if index in (0, 4):
            show("decide (first of 5)" if index == 0 else "decide (last of 5: issues)", lambda: decide(task_id, agency))
        else:
            decide(task_id, agency)
    show(f"orchestrate after decide ({cases} cases)", orchestrate)
    show("orchestrate finding nothing", orchestrate)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="ADMIN_URL", required=True,
                        help="create a fresh PostgreSQL database, drop it after")
    parser.add_argument("--cases", type=int, default=1, help="cases in the orchestration's batches")
    parser.add_argument("--statements", action="store_true", help="print every statement and its caller")
    options = parser.parse_args()
    with bench_database(options.postgres) as url:
        report = measure(url, options.cases, options.statements)
    if not options.statements:
        for name, trips in report.items():
            print(f"{name:42s} {trips:3d} round trips")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
