"""The sweep over a large backlog: N open review tasks, of which 1 % change light today.

Loads the backlog with set-based SQL (no ORM), then times one sweep pass (lights, ledger items,
timeline events, one commit) and a second pass the same day, which must change nothing.

    python bench/sweep.py --tasks 1000000                 # SQLite file and a scratch PostgreSQL database
    python bench/sweep.py --tasks 1000000 --backend sqlite
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Date, DateTime, bindparam, text  # noqa: E402

from approvals.calendar import WorkingCalendar  # noqa: E402
from approvals.deadlines import Clock  # noqa: E402
from services.db import UnitOfWork, engine_for  # noqa: E402
from services.migrate import drop_append_only_guard, upgrade  # noqa: E402
from services.sweep import sweep  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TODAY = date(2026, 3, 11)  # a Wednesday
TASKS_PER_CASE = 5


def series(dialect: str, n: int) -> tuple[str, str]:
    """(prefix, FROM clause) yielding integers 1..n as column `n`."""
    if dialect == "postgresql":
        return "", f"FROM generate_series(1, {n}) AS s(n)"
    return f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n}) ", "FROM s"


def load(url: str, tasks: int) -> float:
    """Cases and review tasks: 0.5 % due yesterday (yellow → red), 0.5 % due within the yellow band
    (green → yellow), 1 % already red, the rest green and far from due."""
    calendar = WorkingCalendar()
    started = time.perf_counter()
    engine = engine_for(url)
    dialect = engine.dialect.name
    cases = tasks // TASKS_PER_CASE
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    concat = "||"
    cast_text = "CAST(n AS TEXT)" if dialect == "sqlite" else "n::text"
    dates = {
        "d_started": date(2026, 3, 2),
        "d_past": calendar.previous_working_day(TODAY),
        "d_band": calendar.next_working_day(TODAY),
        "d_old": date(2026, 3, 3),
        "d_far": calendar.add_working_days(TODAY, 15),
    }
    binds = [bindparam(k, v, type_=Date) for k, v in dates.items()] + [bindparam("now", now.replace(tzinfo=None),
                                                                                  type_=DateTime)]
    def sql(statement: str):
        return text(statement).bindparams(*[b for b in binds if f":{b.key}" in statement])

    with engine.begin() as conn:
        prefix, source = series(dialect, cases)
        conn.execute(sql(
            f"{prefix}INSERT INTO case_file (case_no, request_digest, catalog_version, bundle, channel, applicant_name, "
            "uscc, legal_rep_name, legal_rep_id_number, key_project, status, promised_days, matters, "
            "required_materials, provided_materials, submitted_at, accepted_at, due_date, light, suspended_days, "
            "stops_open, last_acted_at, updated_at) "
            f"SELECT 'BENCH' {concat} {cast_text}, 'x', 1, 'BENCH', 'window', 'bench', '91350200MA2YJ1XR9G', 'bench', "
            "'11010519491231002X', false, 'in_review', 20, '[]', '[]', '[]', :now, :now, :d_far, 'green', 0, 0, :now, :now "
            f"{source}"
        ))
        prefix, source = series(dialect, tasks)
        conn.execute(sql(
            f"{prefix}INSERT INTO review_task (case_id, matter, agency, optional, depends_on, status, promised_days, "
            "statutory_days, started_on, due_date, requested_materials, updated_at, light, supplement_days, special_days) "
            f"SELECT (n - 1) / {TASKS_PER_CASE} + 1, 'M' {concat} CAST(n % {TASKS_PER_CASE} AS TEXT), 'AG', false, '[]', "
            "'pending', 5, 20, :d_started, "
            "CASE WHEN n % 200 = 0 THEN :d_past WHEN n % 200 = 1 THEN :d_band WHEN n % 200 IN (2, 3) THEN :d_old "
            "ELSE :d_far END, '[]', :now, "
            "CASE WHEN n % 200 = 0 THEN 'yellow' WHEN n % 200 IN (2, 3) THEN 'red' ELSE 'green' END, 0, 0 "
            f"{source}"
        ))
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def reset(url: str) -> None:
    """Put the backlog back as loaded, so the next pass has the same 1 % to change."""
    drop_append_only_guard(url)  # the bench's own database: its timeline is wiped between passes
    with engine_for(url).begin() as conn:
        conn.execute(text("DELETE FROM event_chain"))
        conn.execute(text("UPDATE review_task SET light = 'yellow' WHERE id % 200 = 0"))
        conn.execute(text("UPDATE review_task SET light = 'green' WHERE id % 200 = 1"))
        conn.execute(text("DELETE FROM ledger_item"))
        conn.execute(text("DELETE FROM case_event"))


def one_pass(url: str, clock: Clock):
    started = time.perf_counter()
    with UnitOfWork(url) as uow:
        report = sweep(uow.session, clock, escalate_after_days=2)
        uow.commit()
    return time.perf_counter() - started, report


def measure(url: str, tasks: int, repeat: int) -> dict:
    upgrade(url)
    load_seconds = load(url, tasks)
    clock = Clock(datetime(2026, 3, 11, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), WorkingCalendar())
    timings, again = [], []
    for attempt in range(repeat):
        if attempt:
            reset(url)
        elapsed, first = one_pass(url, clock)
        timings.append(elapsed)
        elapsed, second = one_pass(url, clock)  # the same day again: nothing to do
        again.append(elapsed)
    changed = first.tasks_red + first.tasks_yellow + first.tasks_green
    return {
        "backend": engine_for(url).dialect.name,
        "open_tasks": tasks,
        "changed": changed,
        "ledger_opened": first.ledger_opened,
        "load_s": round(load_seconds, 1),
        "sweep_s": round(statistics.median(timings), 3),
        "second_sweep_s": round(statistics.median(again), 3),
        "second_sweep_changed": second.tasks_red + second.tasks_yellow + second.tasks_green + second.ledger_opened,
        "runs": repeat,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3, help="passes to take the median of")
    options = parser.parse_args()

    results = []
    if options.backend in ("sqlite", "both"):
        folder = Path(tempfile.mkdtemp(prefix="onevisit-bench-sweep-"))
        results.append(measure(f"sqlite:///{folder / 'sweep.db'}", options.tasks, options.repeat))
    if options.backend in ("postgresql", "both"):
        import psycopg

        name = f"onevisit_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        try:
            results.append(measure(url, options.tasks, options.repeat))
        finally:
            engine_for(url).dispose()
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    print(f"sweep, median of {options.repeat} passes each")
    print(f"{'backend':<11} {'open tasks':>10} {'changed':>8} {'ledger':>7} {'sweep s':>8} {'again s':>8}  target 2 s")
    for r in results:
        verdict = "ok" if r["sweep_s"] <= 2.0 else "SLOW"
        print(f"{r['backend']:<11} {r['open_tasks']:>10,} {r['changed']:>8,} {r['ledger_opened']:>7,} "
              f"{r['sweep_s']:>8.3f} {r['second_sweep_s']:>8.3f}  {verdict}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
