"""Reports on a generated month: the time to build one period's report and to render each format.

Generates the report tests' data set (tests/report_data.py: about 250 cases over four weeks, through the
use cases) in a scratch SQLite file, then builds the weekly bulletin and the monthly report N times each
and prints the medians (build = the read and the figures; then md, json, xlsx, pdf).

    python bench/reports.py --rounds 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-day", type=int, default=12, help="cases filed a working day")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="onevisit-bench-reports-"))
    os.environ.setdefault("PREFECT_HOME", str(folder / "prefect"))
    try:
        from approvals.reports import ReportKind, period_of
        from services.queries.connection import reader
        from services.queries.reports import build_report
        from services.reporting.files import render
        from tests.conftest import _initialise, _sqlite_database
        from tests.report_data import generate

        db = _initialise(_sqlite_database(folder))
        started = time.perf_counter()
        made = generate(db.url, per_day=args.per_day)
        cases = sum(len(v) for v in made.submitted.values())
        print(f"generated {cases} cases, {len(made.decided)} decisions in {time.perf_counter() - started:.1f} s")
        for kind, day in ((ReportKind.WEEKLY, date(2026, 3, 18)), (ReportKind.MONTHLY, date(2026, 3, 18))):
            timings: dict[str, list[float]] = {"build": [], "md": [], "json": [], "xlsx": [], "pdf": []}
            for _ in range(args.rounds):
                t = time.perf_counter()
                with reader(db.url) as read:
                    report = build_report(read, period_of(kind, day), ZoneInfo("Asia/Shanghai"))
                timings["build"].append(time.perf_counter() - t)
                for fmt in ("md", "json", "xlsx", "pdf"):
                    t = time.perf_counter()
                    render(report, fmt)
                    timings[fmt].append(time.perf_counter() - t)
            print(f"{kind.value:8s} " + "  ".join(f"{k} {statistics.median(v) * 1000:.0f} ms"
                                                   for k, v in timings.items()) + f"  (medians of {args.rounds})")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
