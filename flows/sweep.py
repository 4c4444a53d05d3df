"""The scheduled sweep: lights, the supervision ledger, and flow runs that stopped reporting."""

from __future__ import annotations

from prefect import flow, get_client, task
from prefect.exceptions import ObjectNotFound
from prefect.runtime import flow_run

from approvals.deadlines import Clock
from flows.publishing import cases_named, label, publish, record_crash
from services import commitments, endings, outbox, ratings, sweep as sweeps
from services.db import UnitOfWork
from services.settings import get_settings
from services.workdays import calendar_for

FLOW_NAME = "onevisit-sweep"


def _in_one_transaction(run_id: str, step):
    """Run one part of the sweep in a transaction of its own and link the run to the cases it changed."""
    settings = get_settings()
    with UnitOfWork(settings.url) as uow:
        clock = Clock(settings.current_time(), calendar_for(uow.session))
        report = step(uow.session, clock)
        sweeps.link_cases(uow.session, run_id, report.case_ids)
        uow.commit()
    return report


@task(name="sweep-lights-and-ledger")
def sweep_lights_and_ledger(run_id: str) -> sweeps.SweepReport:
    escalate = get_settings().escalate_after_days
    return _in_one_transaction(run_id, lambda session, clock: sweeps.sweep(
        session, clock, escalate_after_days=escalate, run_id=run_id))


@task(name="sweep-promises")
def sweep_promises(run_id: str) -> commitments.PromiseSweep:
    """容缺 promises past due (suspend, then return) and 告知承诺 verifications past due (ledger)."""
    return _in_one_transaction(run_id, lambda session, clock: commitments.sweep_promises(session, clock, run_id))


@task(name="sweep-rectifications")
def sweep_rectifications(run_id: str) -> ratings.RectificationSweep:
    """好差评: bad ratings' call-back and fix clocks lit, late ones on the ledger (交办)."""
    return _in_one_transaction(run_id, lambda session, clock: ratings.sweep_rectifications(session, clock, run_id))


@task(name="sweep-corrections")
def sweep_corrections(run_id: str) -> endings.LapseSweep:
    """Correction requests (补正) unanswered for ONEVISIT_CORRECTION_LAPSE_DAYS working days: withdrawn."""
    settings = get_settings()
    with UnitOfWork(settings.url) as uow:
        clock = Clock(settings.current_time(), calendar_for(uow.session))
        report = endings.sweep_unanswered_corrections(uow.session, clock, after_days=settings.correction_lapse_days,
                                                      run_id=run_id)
        sweeps.link_cases(uow.session, run_id, report.case_ids)
        uow.commit()
    return report


@task(name="find-silent-runs")
def find_silent_runs(run_id: str) -> list[str]:
    """Runs recorded RUNNING: Prefect's own state as soon as it is final (crashed, failed, cancelled, completed);
    past the claim lease with no final state in Prefect, silence means crashed."""
    settings = get_settings()
    now = settings.current_time()
    with UnitOfWork(settings.url, write=False) as uow:
        running = {r.id: r.started_at for r in sweeps.silent_runs(uow.session, now, 0)}
        stale = {r.id for r in sweeps.silent_runs(uow.session, now, settings.claim_lease_seconds)}
    marked = []
    with get_client(sync_client=True) as client:
        for silent_id in running:
            if silent_id == run_id:
                continue
            try:
                state = client.read_flow_run(silent_id).state
            except ObjectNotFound:  # unknown to this Prefect API: nobody will ever hear from it again
                state = None
            terminal = state is not None and state.is_final()
            if not terminal and silent_id not in stale:
                continue  # running, as far as Prefect knows, and within its lease
            verdict = state.type.value if terminal and not state.is_completed() else ("COMPLETED" if terminal else "CRASHED")
            with UnitOfWork(settings.url) as uow:
                sweeps.mark_run(uow.session, silent_id, verdict, settings.current_time(),
                                f"found by the sweep: {'Prefect says ' + state.name if terminal else 'stopped reporting'}")
                uow.commit()
            marked.append(silent_id)
    return marked


@task(name="export-audit-checkpoint")
def export_checkpoint() -> str | None:
    """The audit chains' heads, sealed, into ONEVISIT_CHECKPOINT_DIR (when set): periodic checkpoints."""
    from services.audit import write_checkpoint

    settings = get_settings()
    if settings.checkpoint_dir is None:
        return None
    return str(write_checkpoint(settings.url, settings.checkpoint_dir, settings.current_time()))


@flow(name=FLOW_NAME, on_crashed=[record_crash])
def sweep() -> sweeps.SweepReport:
    """Lights, promises, the ledger and silent runs; named for when it swept and what changed, with an artifact."""
    settings = get_settings()
    run_id = str(flow_run.id)
    swept_at = settings.current_time().astimezone(settings.tz)
    label(f"sweep {swept_at:%Y-%m-%d %H:%M}")
    with UnitOfWork(settings.url) as uow:
        outbox.start_run(uow.session, run_id, FLOW_NAME, FLOW_NAME, settings.current_time())
        uow.commit()
    try:
        promises = sweep_promises(run_id)
        rectifications = sweep_rectifications(run_id)  # before the ledger's 督查, which escalates its items too
        lapsed = sweep_corrections(run_id)
        report = sweep_lights_and_ledger(run_id)
        report.rectifications_yellow, report.rectifications_red = rectifications.yellow, rectifications.red
        report.promises_suspended, report.promises_returned = promises.suspended, promises.returned
        report.verifications_overdue = promises.verification_overdue
        report.corrections_withdrawn = lapsed.withdrawn
        find_silent_runs(run_id)
        export_checkpoint()
    except Exception as exc:
        with UnitOfWork(settings.url) as uow:
            outbox.end_run(uow.session, run_id, "FAILED", settings.current_time(), message=str(exc)[:2000])
            uow.commit()
        raise
    counts = (f"{report.tasks_red} red, {report.tasks_yellow} yellow, {report.tasks_green} green again, "
              f"{report.ledger_opened} ledger items opened")
    table = publish(run_id, f"**sweep {swept_at:%Y-%m-%d %H:%M}**: {counts}\n\n" + ", ".join(
        f"{field.replace('_', ' ')}: {value}" for field, value in report.model_dump(exclude={"case_ids"}).items()))
    cases = [row["case"] for row in table]
    name = f"sweep {swept_at:%Y-%m-%d %H:%M}: {counts}" + (f" · {cases_named(cases)}" if cases else "")
    with UnitOfWork(settings.url) as uow:
        outbox.end_run(uow.session, run_id, "COMPLETED", settings.current_time(), name=name)
        uow.commit()
    label(name, cases)
    return report
