"""The scheduled sweep: lights, the supervision ledger, and flow runs that stopped reporting."""

from __future__ import annotations

from prefect import flow, get_client, task
from prefect.exceptions import ObjectNotFound
from prefect.runtime import flow_run

from approvals.deadlines import Clock
from services import commitments, outbox, sweep as sweeps
from services.db import UnitOfWork
from services.settings import get_settings
from services.workdays import calendar_for

FLOW_NAME = "onevisit-sweep"


@task(name="sweep-lights-and-ledger")
def sweep_lights_and_ledger(run_id: str) -> sweeps.SweepReport:
    settings = get_settings()
    with UnitOfWork(settings.url) as uow:
        clock = Clock(settings.current_time(), calendar_for(uow.session))
        report = sweeps.sweep(uow.session, clock, escalate_after_days=settings.escalate_after_days, run_id=run_id)
        sweeps.link_cases(uow.session, run_id, report.case_ids)
        uow.commit()
    return report


@task(name="sweep-promises")
def sweep_promises(run_id: str) -> commitments.PromiseSweep:
    """容缺 promises past due (suspend, then return) and 告知承诺 verifications past due (ledger)."""
    settings = get_settings()
    with UnitOfWork(settings.url) as uow:
        clock = Clock(settings.current_time(), calendar_for(uow.session))
        report = commitments.sweep_promises(uow.session, clock, run_id)
        sweeps.link_cases(uow.session, run_id, report.case_ids)
        uow.commit()
    return report


@task(name="find-silent-runs")
def find_silent_runs(run_id: str) -> list[str]:
    """Runs still RUNNING past the claim lease: ask Prefect how they ended; silence means crashed."""
    settings = get_settings()
    with UnitOfWork(settings.url, write=False) as uow:
        silent = [r.id for r in sweeps.silent_runs(uow.session, settings.current_time(), settings.claim_lease_seconds)]
    marked = []
    with get_client(sync_client=True) as client:
        for silent_id in silent:
            if silent_id == run_id:
                continue
            try:
                state = client.read_flow_run(silent_id).state
            except ObjectNotFound:  # unknown to this Prefect API: nobody will ever hear from it again
                state = None
            terminal = state is not None and state.is_final()
            verdict = state.type.value if terminal and not state.is_completed() else ("COMPLETED" if terminal else "CRASHED")
            with UnitOfWork(settings.url) as uow:
                sweeps.mark_run(uow.session, silent_id, verdict, settings.current_time(),
                                f"found by the sweep: {'Prefect says ' + state.name if terminal else 'stopped reporting'}")
                uow.commit()
            marked.append(silent_id)
    return marked


@flow(name=FLOW_NAME)
def sweep() -> sweeps.SweepReport:
    settings = get_settings()
    run_id = str(flow_run.id)
    with UnitOfWork(settings.url) as uow:
        outbox.start_run(uow.session, run_id, FLOW_NAME, FLOW_NAME, settings.current_time())
        uow.commit()
    try:
        promises = sweep_promises(run_id)
        report = sweep_lights_and_ledger(run_id)
        report.promises_suspended, report.promises_returned = promises.suspended, promises.returned
        report.verifications_overdue = promises.verification_overdue
        find_silent_runs(run_id)
    except Exception as exc:
        with UnitOfWork(settings.url) as uow:
            outbox.end_run(uow.session, run_id, "FAILED", settings.current_time(), message=str(exc)[:2000])
            uow.commit()
        raise
    with UnitOfWork(settings.url) as uow:
        outbox.end_run(uow.session, run_id, "COMPLETED", settings.current_time())
        uow.commit()
    return report
