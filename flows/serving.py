"""Running the flows: once until idle (`onevisit orchestrate`), or continuously (`onevisit serve`).

On the embedded API (no PREFECT_API_URL) there is no scheduler, so `serve` is a loop that starts
a flow run only when work is queued (or, with ONEVISIT_ORCHESTRATE_LOOP_SECONDS, keeps one long flow
run looking for work a few times a second). Given a Prefect server, `serve` registers deployments
with schedules and serves them in this process; `serve --pool NAME` registers them on a process
work pool instead and runs a worker for it, and any number of machines can do either.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flows.orchestrate import (FLOW_NAME, LoopInput, OrchestrateInput, OrchestrateReport,
                               orchestrate, orchestrate_loop)
from flows.sweep import sweep
from flows.remote import PollInput, poll_agencies
from flows.reports import report_deployments
from services import outbox, remote
from services.db import UnitOfWork
from services.settings import get_settings


def queued_work() -> int:
    settings = get_settings()
    with UnitOfWork(settings.url, write=False) as uow:
        return outbox.pending_count(uow.session, settings.current_time(), settings.claim_lease_seconds)


def awaited_decisions(case_no: str | None = None) -> int:
    """Review tasks whose decision is awaited from an agency's own system."""
    settings = get_settings()
    with UnitOfWork(settings.url, write=False) as uow:
        return len(remote.open_tickets(uow.session, 1, case_no))


def run_until_idle(case_no: str | None = None, max_runs: int = 100, always: bool = False,
                   progress: Callable[[str], None] = lambda done: None,
                   occasion: str = "orchestrate") -> list[OrchestrateReport]:
    """One flow run per batch, while work is queued (nothing queued: no run at all, unless `always`).

    When the queue is empty and agencies' systems hold open tickets, their decisions are pulled once
    (a poll run); decisions queue new work (releases, deliveries, notices), which is then carried out,
    and the next poll waits for that.
    """
    reports: list[OrchestrateReport] = []
    polled = False
    while len(reports) < max_runs:
        if queued_work() or (always and not reports):
            report = orchestrate(OrchestrateInput(case_no=case_no, occasion=occasion))
            reports.append(report)
            progress(f"{len(reports)} flow runs, {sum(r.done for r in reports)} items done")
            polled = polled and report.claimed == 0
            if report.claimed:
                continue
        if polled or not awaited_decisions(case_no):
            break
        polled = True
        progress("pulling agencies' decisions")
        poll_agencies(PollInput(case_no=case_no))
    return reports


def deployments(work_pool: str | None = None) -> list:
    """Every flow as a deployment with its schedule. By default one long orchestrate-loop run at a time
    (ONEVISIT_ORCHESTRATE_LOOP_SECONDS, 900 s) carries out queued work and pulls agencies' decisions when
    some are awaited, and the sweep runs every M s: an idle installation makes a few runs an hour, not a run
    every 10 s. With ONEVISIT_ORCHESTRATE_LOOP_SECONDS=0, orchestration runs every N s and the pull of
    agencies' decisions every P s instead (a Prefect server has only its schedules). The daily report and the
    weekly bulletin are deployed either way, every morning (flows.reports)."""
    from prefect.deployments.runner import EntrypointType

    settings = get_settings()
    # On a pool, a worker imports the flow by module (the installed package), whatever its working directory.
    pool = {"work_pool_name": work_pool, "entrypoint_type": EntrypointType.MODULE_PATH} if work_pool else {}
    swept = sweep.to_deployment(name="sweep", interval=settings.sweep_every_seconds, tags=["onevisit"], **pool)
    seconds = settings.served_loop_seconds
    if not seconds:
        return [
            orchestrate.to_deployment(name="orchestrate", interval=settings.orchestrate_every_seconds,
                                      tags=["onevisit"], **pool),
            swept,
            poll_agencies.to_deployment(name="poll-agencies", interval=settings.poll_every_seconds,
                                        tags=["onevisit"], **pool),
            *report_deployments(**pool),
        ]
    from datetime import datetime, timedelta, timezone

    from prefect.schedules import Interval

    # Anchored a few seconds ahead, so the first loop starts now rather than one whole interval later.
    first = datetime.now(timezone.utc) + timedelta(seconds=5)
    looping = LoopInput(seconds=seconds, poll_agencies_every=settings.poll_every_seconds)
    return [swept, orchestrate_loop.to_deployment(
        name="orchestrate-loop", schedule=Interval(timedelta(seconds=seconds), anchor_date=first),
        tags=["onevisit"], parameters={"request": looping.model_dump()}, **pool), *report_deployments(**pool)]


def register_on_pool(work_pool: str) -> list[str]:
    """Create the process work pool if missing and (re)register every deployment on it; idempotent.

    A worker runs each flow run as a process that imports the flow from the installed package, so every
    worker machine needs onevisit installed (same version): the deployments carry no code.
    """
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=work_pool, type="process"))
        except ObjectAlreadyExists:
            pass
    ids = []
    for deployment in deployments(work_pool):
        ids.append(deployment.apply(work_pool_name=work_pool))
        if deployment.name == "orchestrate-loop":
            _start_loop_unless_running(ids[-1])
    return [str(i) for i in ids]


def _start_loop_unless_running(deployment_id) -> None:
    """The scheduler only creates runs ahead of now: the first loop would wait a whole interval. Start one
    now unless one is already pending or running (another machine's `serve --pool` may have)."""
    from prefect import get_client
    from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterId, FlowRunFilter,
                                                FlowRunFilterState, FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        live = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
                any_=[StateType.PENDING, StateType.RUNNING]))), limit=1)
        if not live:
            client.create_flow_run_from_deployment(deployment_id)


def serve_forever(work_pool: str | None = None) -> None:
    from prefect.settings import PREFECT_API_URL

    settings = get_settings()
    if work_pool:
        if not PREFECT_API_URL.value():
            raise SystemExit("serve --pool needs a Prefect server: set PREFECT_API_URL")
        register_on_pool(work_pool)
        print(f"deployments registered on work pool {work_pool!r}; starting a worker (Ctrl+C stops)", flush=True)
        import subprocess

        from flows.lifeline import command

        raise SystemExit(subprocess.call(command("prefect", "worker", "start", "--pool", work_pool, "--type", "process")))
    if PREFECT_API_URL.value():
        from prefect import serve

        looking = (f"in one long flow run at a time ({settings.served_loop_seconds}s)" if settings.served_loop_seconds
                   else f"every {settings.orchestrate_every_seconds}s")
        print(f"serving {FLOW_NAME} on {PREFECT_API_URL.value()}: looking for work {looking}, sweeping every "
              f"{settings.sweep_every_seconds}s", flush=True)
        served = deployments()
        for deployment in served:  # the first loop now, not one whole interval later (see register_on_pool)
            if deployment.name == "orchestrate-loop":
                _start_loop_unless_running(deployment.apply())
        serve(*served)
        return
    looking = (f"in one long flow run at a time, up to {settings.orchestrate_loop_seconds}s"
               if settings.orchestrate_loop_seconds else f"every {settings.orchestrate_every_seconds}s")
    print(f"serving {FLOW_NAME} on the embedded API: looking for work {looking}, sweeping every "
          f"{settings.sweep_every_seconds}s (Ctrl+C stops)", flush=True)
    next_sweep = time.monotonic()
    try:
        while True:
            _, next_sweep = serve_once(next_sweep)
            if not settings.orchestrate_loop_seconds:  # a loop has just been looking for work all along
                time.sleep(settings.orchestrate_every_seconds)
    except KeyboardInterrupt:
        print("stopped")


def serve_once(next_sweep: float) -> tuple[bool, float]:
    """One round of `serve` on the embedded API: flow runs while work is queued, the sweep when it is due.
    Returns whether anything ran, and when the next sweep is due.

    With ONEVISIT_ORCHESTRATE_LOOP_SECONDS, the round starts with one long flow run (the orchestrate loop)
    that carries out work within a poll of its being queued, until the sweep is due or for that many
    seconds, whichever comes first; agencies' systems are polled after it, with whatever it left."""
    settings = get_settings()
    ran = False
    try:
        if settings.orchestrate_loop_seconds:
            seconds = min(settings.orchestrate_loop_seconds, max(next_sweep - time.monotonic(), 1.0))
            report = orchestrate_loop(LoopInput(seconds=seconds))
            ran = True
            print(f"loop run {report.flow_run_id}: {report.done} done for {len(report.cases)} cases", flush=True)
        for report in run_until_idle():
            ran = True
            print(f"flow run {report.flow_run_id}: {report.done} done for {len(report.cases)} cases", flush=True)
        if time.monotonic() >= next_sweep:
            ran = True
            next_sweep = time.monotonic() + settings.sweep_every_seconds
            swept = sweep()
            print(f"sweep: {swept.tasks_red} red, {swept.tasks_yellow} yellow, "
                  f"{swept.ledger_opened} ledger items opened", flush=True)
    except Exception as exc:  # a failed run is recorded (and listed as stalled); serving goes on
        ran = True
        print(f"flow run failed: {exc}", flush=True)
    return ran, next_sweep
