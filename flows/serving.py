"""Running the flows: once until idle (`onevisit orchestrate`), or continuously (`onevisit serve`).

On the embedded API (no PREFECT_API_URL) there is no scheduler, so `serve` is a loop that starts
a flow run only when work is queued. Given a Prefect server, `serve` registers deployments
with schedules and serves them, and any number of machines can do the same.
"""

from __future__ import annotations

import time

from flows.orchestrate import FLOW_NAME, OrchestrateInput, OrchestrateReport, orchestrate
from services import outbox
from services.db import UnitOfWork
from services.settings import get_settings


def queued_work() -> int:
    settings = get_settings()
    with UnitOfWork(settings.url, write=False) as uow:
        return outbox.pending_count(uow.session, settings.current_time(), settings.claim_lease_seconds)


def run_until_idle(case_no: str | None = None, max_runs: int = 100) -> list[OrchestrateReport]:
    """One flow run per batch, while a full batch was found (nothing queued: no run at all)."""
    reports: list[OrchestrateReport] = []
    while len(reports) < max_runs and queued_work():
        report = orchestrate(OrchestrateInput(case_no=case_no))
        reports.append(report)
        if report.claimed == 0:
            break
    return reports


def serve_forever() -> None:
    from prefect.settings import PREFECT_API_URL

    settings = get_settings()
    if PREFECT_API_URL.value():
        from prefect import serve

        print(f"serving {FLOW_NAME} every {settings.orchestrate_every_seconds}s on {PREFECT_API_URL.value()}")
        serve(orchestrate.to_deployment(name="orchestrate", interval=settings.orchestrate_every_seconds,
                                        tags=["onevisit"]))
        return
    print(f"serving {FLOW_NAME} on the embedded API: looking for work every "
          f"{settings.orchestrate_every_seconds}s (Ctrl+C stops)", flush=True)
    try:
        while True:
            for report in run_until_idle():
                print(f"flow run {report.flow_run_id}: {report.done} done for {len(report.cases)} cases", flush=True)
            time.sleep(settings.orchestrate_every_seconds)
    except KeyboardInterrupt:
        print("stopped")
