"""Served on a Prefect server, the runs are worth reading: an idle `serve` makes a handful of runs (not one every
10 s), and each run that acted on a case is named after it, tagged with the installation and the case, and
publishes an artifact; checked through the Prefect API."""

from __future__ import annotations

import sys
import time

from tests.support import approve_all, show

LOOP_SECONDS = 20  # each orchestrate-loop run lasts this long here (900 s by default)
IDLE_SECONDS = 40  # the idle window watched here; the report quotes a 10-minute one


def _runs(client):
    """Flow runs carrying the tag that have started (the scheduler also keeps future runs, SCHEDULED)."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStartTime

    return client.read_flow_runs(flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(is_null_=False)),
                                 limit=200)


def test_idle_serve_makes_a_handful_of_runs_and_each_run_is_named_tagged_and_published(sqlite_env, run, application,
                                                                                      stack):
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from services.db import UnitOfWork
    from services.installation import current_installation

    with UnitOfWork(sqlite_env.url, write=False) as uow:
        installation = current_installation(uow.session).installation_id
    api = stack.start_server()  # the scheduler looks ahead every 60 s, as deployed
    stack.start_process("serve", [sys.executable, "-c", "import cli; cli.main(['serve'])"],
                        ONEVISIT_ORCHESTRATE_LOOP_SECONDS=str(LOOP_SECONDS), PREFECT_API_URL=api)

    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        deadline = time.monotonic() + 180
        while not _runs(client):  # serve is up: its first runs started
            assert time.monotonic() < deadline, stack.log("serve")[-3000:]
            time.sleep(1)
        time.sleep(IDLE_SECONDS)
        idle = _runs(client)
        # A loop run every LOOP_SECONDS and the sweep; the interval deployments made ~6 runs a minute
        assert len(idle) <= IDLE_SECONDS // LOOP_SECONDS + 3, [(r.name, r.start_time) for r in idle]
        time.sleep(5)  # a run that has just started names itself in its first moments
        assert {client.read_flow_run(r.id).name.split(" ")[0] for r in idle} <= {"orchestrate-loop", "sweep"}

        case_no = run("submit", application("COMPANY_START"), "--json").json()["case_no"]
        approve_all(run, case_no)  # issued: delivery and notices are queued for the loop
        deadline = time.monotonic() + 120
        while not all(c["delivered_at"] for c in show(run, case_no)["certificates"]):
            assert time.monotonic() < deadline, stack.log("serve")[-3000:]
            time.sleep(1)
        acted = []
        while not acted:  # the loop run that carried it out has ended (it publishes on its way out)
            acted = [r for r in run("runs", case_no, "--json").json() if r["state"] == "COMPLETED"]
            assert time.monotonic() < deadline + LOOP_SECONDS * 2, stack.log("serve")[-3000:]
            time.sleep(1)

        for record in acted:
            flow_run = client.read_flow_run(record["id"])
            assert case_no in flow_run.name and flow_run.name == record["name"]
            assert {f"installation:{installation}", f"case:{case_no}"} <= set(flow_run.tags)
            artifacts = client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run.id])))
            kinds = {a.type for a in artifacts}
            assert kinds == {"markdown", "table"}, kinds
            table = next(a for a in artifacts if a.type == "table")
            assert case_no in str(table.data) and installation in str(table.data)
