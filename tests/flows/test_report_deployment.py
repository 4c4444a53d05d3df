"""The daily report deployed on a served Prefect server: a real `prefect server start` on loopback, `onevisit
serve` registering and running the deployments, the report run twice for one day through the Prefect API.

One report is written (four files, one record) and published once: its artifacts are read back through the
Prefect API.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path

import httpx

from tests.report_data import generate

PG_ADMIN_URL = os.environ.get("ONEVISIT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MONDAY = "2026-03-09T08:30:00+08:00"  # the daily report made then is about Friday 6 March


def test_the_daily_deployment_runs_publishes_artifacts_and_runs_twice_into_one_report(tmp_path):
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from sqlalchemy import create_engine, text

    from flows.local_stack import Stack, leftovers
    from tests.conftest import _initialise, _sqlite_database

    db = _initialise(_sqlite_database(tmp_path))
    made = generate(db.url, per_day=4, weeks=1)
    reports = tmp_path / "reports"
    stack = Stack(folder=tmp_path, admin_url=PG_ADMIN_URL)
    try:
        api = stack.start_server()
        onevisit = str(Path(sys.executable).with_name("onevisit"))
        stack.start_process(
            "serve", [onevisit, "serve"], ONEVISIT_DATABASE_URL=db.url, ONEVISIT_NOW=MONDAY,
            ONEVISIT_HOME=str(tmp_path / "home"), ONEVISIT_REPORTS_DIR=str(reports),
            ONEVISIT_ORCHESTRATE_EVERY_SECONDS="3600", ONEVISIT_SWEEP_EVERY_SECONDS="3600",
            ONEVISIT_POLL_EVERY_SECONDS="3600", ONEVISIT_ORCHESTRATE_LOOP_SECONDS="0", PREFECT_RUNNER_POLL_FREQUENCY="1")
        deadline = time.monotonic() + 180
        while httpx.post(f"{api}/deployments/filter", json={"deployments": {"name": {"any_": ["report-daily"]}}},
                         timeout=5).json() == []:
            assert time.monotonic() < deadline, stack.log("serve")[-3000:]
            assert stack.processes[-1][1].poll() is None, stack.log("serve")[-3000:]
            time.sleep(1)

        with temporary_settings({PREFECT_API_URL: api}):
            runs = [run_deployment("onevisit-report/report-daily", timeout=240, poll_interval=1) for _ in range(2)]
            assert [r.state.type.value for r in runs] == ["COMPLETED", "COMPLETED"], stack.log("serve")[-3000:]
            with get_client(sync_client=True) as client:
                key = "daily-report-2026-03-06"
                found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
                tables = client.read_artifacts(artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=[f"{key}-agencies", f"{key}-ranking"])))
    finally:
        stack.stop()
        assert leftovers(stack.marker) == []

    written = sorted(p.name for p in (reports / "daily").iterdir())
    assert written == [f"daily-2026-03-06.{ext}" for ext in ("json", "md", "pdf", "xlsx")]
    assert len(found) == 1 and found[0].type == "markdown" and found[0].flow_run_id == runs[0].id
    markdown = (reports / "daily" / "daily-2026-03-06.md").read_text("utf-8")
    assert found[0].data == markdown and markdown.startswith("# 每日调度 2026-03-06")
    assert sorted(t.type for t in tables) == ["table", "table"]
    engine = create_engine(db.url)
    with engine.connect() as connection:
        issued = connection.execute(text("SELECT kind, period_start, flow_run_id FROM report_issue")).all()
    engine.dispose()
    assert [(k, str(d)[:10], r) for k, d, r in issued] == [("daily", "2026-03-06", str(runs[0].id))]
    hall = markdown.split("## 大厅总体", 1)[1].split("##", 1)[0].strip().splitlines()
    assert hall[2].startswith(f"| {len(made.submitted[date(2026, 3, 6)])} |")  # received that Friday
