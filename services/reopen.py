"""Reopen a stalled case from the CLI: put it back on its feet from what is persisted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from approvals.casefile import CaseFile
from approvals.deadlines import Clock
from approvals.errors import BadInput, Refused
from approvals.permissions import Act, Role
from approvals.review import OPEN_TASK, TaskStatus
from schemas.certificate import Certificate
from schemas.ledger import LedgerItem
from schemas.orchestration import FlowRunCase, FlowRunRecord, OutboxItem
from services import remote, staff
from services.case_repository import cases
from services.catalog import catalog_version
from services.records import is_queued

@dataclass(frozen=True)
class ReopenResult:
    case_no: str
    status: str
    requeued: int  # outward work queued again because it was missing
    released: int  # claims of silent runs freed for the next run
    crashed_runs: list[str]


def reopen(
    session: Session,
    case_no: str,
    *,
    reason: str,
    operator: str,
    reassign: tuple[int, str] | None,
    clock: Clock,
    lease_seconds: int,
) -> ReopenResult:
    """Put a stalled case back on its feet from what is persisted; what was already right stays as it is."""
    staff.authorise(session, operator, Act.ADMINISTER)
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("--reason is required")
    case = cases(session).get(case_no)
    task = None
    if reassign is not None:  # checked before anything is written
        task_id, to = reassign
        task = next((t for t in case.tasks if t.id == task_id), None)
        if task is None:
            raise Refused(f"task {task_id} is not a task of case {case.case_no}")
        if task.status not in OPEN_TASK:
            raise Refused(f"task {task_id} is {task.status}: only an open task can be reassigned")
        if not to.strip():
            raise BadInput("--to needs an operator id")
        taker = staff.actor(session, to.strip())
        if taker.role is not Role.REVIEWER or taker.agency != task.agency or not taker.enabled:
            raise Refused(f"{to.strip()} is not an enabled reviewer of {task.agency}: task {task.id} stays "
                          f"with {task.assignee or task.agency}")
    case.last_acted_at = clock.now
    case.record(clock.now, "reopened", operator, reason)
    if task is not None:
        case.reassign(task, reassign[1].strip(), operator, clock)
        for item in session.exec(select(LedgerItem).where(LedgerItem.task_id == task.id,
                                                         LedgerItem.status != "closed")):
            item.assigned_to = task.assignee

    case.settle(catalog_version(session, case.catalog_version), operator, clock)
    requeued = remote.clear_incidents(session, case)  # retries spent over HTTP: try again
    for task in case.tasks:
        if task.status is TaskStatus.PENDING and task.dispatched_at is None:
            requeued += _enqueue_missing(session, case, clock, f"dispatch:task:{task.id}", "dispatch_review", task.id)
    undelivered = session.exec(
        select(Certificate.id).where(Certificate.case_id == case.id, Certificate.delivered_at.is_(None))
    ).first()
    if undelivered is not None:
        requeued += _enqueue_missing(session, case, clock, f"deliver:case:{case.id}", "deliver_results", None)

    stale = clock.now - timedelta(seconds=lease_seconds)
    crashed = []
    for run in session.exec(
        select(FlowRunRecord).join(FlowRunCase, FlowRunCase.flow_run_id == FlowRunRecord.id)
        .where(FlowRunCase.case_id == case.id, FlowRunRecord.state == "RUNNING", FlowRunRecord.started_at < stale)
    ):
        run.state, run.ended_at, run.message = "CRASHED", clock.now, f"stopped reporting; found by reopen ({operator})"
        crashed.append(run.id)
    released = 0
    for item in session.exec(select(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.done_at.is_(None),
                                                      OutboxItem.claimed_by.is_not(None))):
        if _alive(session, item.claimed_by) and item.claimed_at >= stale:
            continue  # a live run is carrying it out: freed now, it would be done twice
        item.claimed_by = item.claimed_at = None
        released += 1
    if requeued or released or crashed:
        case.record(clock.now, "requeued", "system",
               f"{requeued} queued again, {released} claims freed, crashed runs: {', '.join(crashed) or 'none'}")
    return ReopenResult(case.case_no, case.status, requeued, released, crashed)


def _alive(session: Session, run_id: str) -> bool:
    run = session.get(FlowRunRecord, run_id)
    return run is not None and run.state == "RUNNING"


def _enqueue_missing(session: Session, case: CaseFile, clock: Clock, key: str, kind: str, task_id: int | None) -> int:
    if key in case.outward or is_queued(session, key):  # queued before, or just now by the settling
        return 0
    case.queue(clock.now, key, kind, task_id=task_id)
    return 1
