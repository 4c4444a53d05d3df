"""好差评 statistics over a large history: N ratings over three months, a fifth of them bad with their
rectification items, and the month's figures per agency, window and month (services/queries/ratings.py).

Loads rows straight into the tables (no use cases), then times `rating_statistics` for one month, the
read the `ratings --stats` command and the reports make, on a read-only connection as they do.

    python bench/ratings.py --ratings 100000                      # SQLite file and a scratch PostgreSQL database
    python bench/ratings.py --ratings 100000 --backend sqlite
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bench.lifecycle import bench_database  # noqa: E402
from schemas.case import Case  # noqa: E402
from schemas.rating import Rating, RatingItem, Rectification  # noqa: E402
from services.db import UnitOfWork, engine_for  # noqa: E402
from services.migrate import upgrade  # noqa: E402
from services.queries.connection import reader  # noqa: E402
from services.queries.ratings import rating_statistics  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
START = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)  # ratings spread over 90 days from here
AGENCIES = ("SAMR", "FIRE")
CHUNK = 5_000


def _level(n: int) -> int:
    """10 % 非常不满意, 10 % 不满意, 20 % 基本满意, 30 % 满意, 30 % 非常满意."""
    return (1, 2, 3, 3, 4, 4, 4, 5, 5, 5)[n % 10]


def load(url: str, count: int) -> float:
    from services.catalog import BUILTIN, builtin_catalog_text, load_catalog

    started = time.perf_counter()
    upgrade(url)
    with UnitOfWork(url) as uow:
        load_catalog(uow.session, builtin_catalog_text(), source=BUILTIN, actor="bench", now=START)
        uow.commit()
    engine = engine_for(url)
    for first in range(1, count + 1, CHUNK):
        numbers = range(first, min(first + CHUNK, count + 1))
        at = {n: START + timedelta(days=n % 90, minutes=n % 600) for n in numbers}
        cases = [{"id": n, "case_no": f"BENCH{n}", "request_digest": "x", "catalog_version": 1, "bundle": "RESTAURANT",
                  "channel": "window", "applicant_name": "bench", "uscc": "91350200MA2YJ1XR9G", "legal_rep_name": "b",
                  "legal_rep_id_number": "11010519491231002X", "key_project": False, "status": "issued",
                  "promised_days": 20, "matters": [], "commitment_matters": [], "required_materials": [],
                  "provided_materials": [], "submitted_at": at[n], "updated_at": at[n], "suspended_days": 0,
                  "stops_open": 0} for n in numbers]
        ratings = [{"id": n, "case_id": n, "channel": "window", "level": _level(n), "indicators": {},
                    "created_at": at[n], "operator": f"window-{n % 20}", "voided": n % 97 == 0} for n in numbers]
        items = [{"rating_id": n, "matter": None, "agency": a, "level": _level(n), "given": False}
                 for n in numbers for a in AGENCIES]
        owed = [{"rating_id": n, "case_id": n, "agency": a, "operator": f"{a}-reviewer",
                 "status": ("open", "called_back", "fixed", "explained")[n % 4], "opened_at": at[n],
                 "callback_due": at[n].date() + timedelta(days=1), "fix_due": at[n].date() + timedelta(days=21),
                 "called_back_at": at[n] + timedelta(days=n % 3) if n % 4 else None,
                 "closed_at": at[n] + timedelta(days=n % 30) if n % 4 >= 2 else None}
                for n in numbers if _level(n) <= 2 for a in AGENCIES]
        with engine.begin() as conn:
            conn.execute(insert(Case.__table__), cases)
            conn.execute(insert(Rating.__table__), ratings)
            conn.execute(insert(RatingItem.__table__), items)
            if owed:
                conn.execute(insert(Rectification.__table__), owed)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def measure(url: str, count: int, repeat: int) -> dict:
    load_seconds = load(url, count)
    month = (date(2026, 2, 1), date(2026, 2, 28))
    timings: dict[str, list[float]] = {"agency": [], "window": [], "month": []}
    rows = {}
    for _ in range(repeat):
        for by in timings:
            with reader(url) as read:  # as a command does: its own read-only connection
                started = time.perf_counter()
                rows[by] = rating_statistics(read, *month, by=by, tz="Asia/Shanghai")
                timings[by].append(time.perf_counter() - started)
    return {
        "backend": engine_for(url).dialect.name,
        "ratings": count,
        "in_month": sum(r["count"] + r["voided"] for r in rows["month"]),
        "load_s": round(load_seconds, 1),
        **{f"by_{by}_s": round(statistics.median(t), 3) for by, t in timings.items()},
        "runs": repeat,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=5, help="runs to take the median of")
    options = parser.parse_args()
    results = []
    for backend in ("sqlite", "postgresql"):
        if options.backend in (backend, "both"):
            with bench_database(PG_ADMIN if backend == "postgresql" else None) as url:
                results.append(measure(url, options.ratings, options.repeat))
    print(f"rating statistics for one month, median of {options.repeat} runs each")
    print(f"{'backend':<11} {'ratings':>9} {'in month':>9} {'by agency s':>12} {'by window s':>12} {'by month s':>11}")
    for r in results:
        print(f"{r['backend']:<11} {r['ratings']:>9,} {r['in_month']:>9,} {r['by_agency_s']:>12.3f} "
              f"{r['by_window_s']:>12.3f} {r['by_month_s']:>11.3f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
