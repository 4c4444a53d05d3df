"""The outward half of a case, carried out by flows: claim queued work, do it once, record the run.

Every function here is one short transaction and safe to repeat: a second delivery of the same
item finds it done and changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, insert, or_, update
from sqlmodel import Session, select

from schemas.case import Case
from schemas.certificate import Certificate
from schemas.orchestration import FlowRunCase, FlowRunRecord, Notification, OutboxItem
from schemas.review import ReviewTask
from services import staff
from services.records import enqueue, record
from services.settings import get_settings
from services.db import is_sqlite


OUTBOX, CASES = OutboxItem.__table__, Case.__table__
SLICE = 10_000  # ids per IN list: SQLite takes at most 32,766 bound values a statement


class WorkItem(BaseModel):
    """One claimed outbox row, as a flow's task receives it."""

    id: int
    key: str
    kind: str
    case_no: str
    task_id: int | None
    payload: dict


class ItemOutcome(BaseModel):
    id: int
    kind: str
    case_no: str
    done: bool  # False when another run had already done it
    detail: str


def pending_count(session: Session, now: datetime, lease_seconds: int) -> int:
    return session.execute(select(func.count()).select_from(_claimable(now, lease_seconds).subquery())).scalar_one()


def claim(
    session: Session, run_id: str, now: datetime, *, lease_seconds: int, limit: int, case_no: str | None = None,
    kinds: list[str] | None = None,
) -> list[WorkItem]:
    """Take up to `limit` queued items for this run; items of a run that vanished are taken again.

    Plain rows and one UPDATE per slice of ids: a run claims thousands of items at once."""
    query = _claimable(now, lease_seconds).order_by(OUTBOX.c.id).limit(limit)
    if case_no is not None:
        query = query.where(CASES.c.case_no == case_no)
    if kinds is not None:
        query = query.where(OUTBOX.c.kind.in_(kinds))
    if not is_sqlite(session.get_bind()):
        query = query.with_for_update(of=OUTBOX, skip_locked=True)
    rows = session.execute(query).all()
    cases = {row.case_id: row.case_no for row in rows}
    items = [WorkItem(id=row.id, key=row.key, kind=row.kind, case_no=row.case_no, task_id=row.task_id,
                      payload=row.payload) for row in rows]
    ids = [row.id for row in rows]
    for first in range(0, len(ids), SLICE):
        session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids[first:first + SLICE]))
                        .values(claimed_by=run_id, claimed_at=now, attempts=OUTBOX.c.attempts + 1))
    if case_no is not None and not cases:  # a run asked to look at one case acted on it, even finding nothing
        case_id = session.exec(select(Case.id).where(Case.case_no == case_no)).first()
        if case_id is not None:
            cases[case_id] = case_no
    linked = set(session.exec(select(FlowRunCase.case_id).where(FlowRunCase.flow_run_id == run_id)))
    new = [{"flow_run_id": run_id, "case_id": c} for c in cases if c not in linked]
    if new:
        session.execute(insert(FlowRunCase.__table__), new)
    return items


def _claimable(now: datetime, lease_seconds: int):
    stale = now - timedelta(seconds=lease_seconds)
    return (
        select(OUTBOX.c.id, OUTBOX.c.key, OUTBOX.c.kind, OUTBOX.c.case_id, OUTBOX.c.task_id, OUTBOX.c.payload,
               CASES.c.case_no)
        .join(CASES, CASES.c.id == OUTBOX.c.case_id)
        .where(OUTBOX.c.done_at.is_(None), OUTBOX.c.incident_at.is_(None))  # an incident waits for reopen
        .where(or_(OUTBOX.c.claimed_at.is_(None), OUTBOX.c.claimed_at < stale))
    )


def release(session: Session, item_id: int, error: str) -> None:
    """A failed item goes back to the queue for the next run, with its error kept."""
    item = session.get(OutboxItem, item_id)
    if item is not None and item.done_at is None:
        item.claimed_by, item.claimed_at, item.last_error = None, None, error[:2000]


def finish(session: Session, item_id: int, now: datetime) -> tuple[OutboxItem, Case] | None:
    """Mark an item done (row-locked); None when some run had already done it."""
    item = session.exec(select(OutboxItem).where(OutboxItem.id == item_id).with_for_update()).one()
    if item.done_at is not None:
        return None
    item.done_at = now
    return item, session.get(Case, item.case_id)


def dispatch_review(session: Session, item: WorkItem, run_id: str, now: datetime) -> ItemOutcome:
    """Hand a review task to its agency's queue (agencies with their own systems come later)."""
    found = finish(session, item.id, now)
    if found is None:
        return ItemOutcome(id=item.id, kind=item.kind, case_no=item.case_no, done=False, detail="already dispatched")
    _, case = found
    task = session.get(ReviewTask, item.task_id)
    if task.dispatched_at is None:
        task.dispatched_at = now
        record(session, case, now, "dispatched", "system", f"task {task.id} {task.matter} to {task.agency}", run_id)
    return ItemOutcome(id=item.id, kind=item.kind, case_no=item.case_no, done=True, detail=f"{task.matter} -> {task.agency}")


def deliver_results(session: Session, item: WorkItem, run_id: str, now: datetime) -> ItemOutcome:
    """出件: the case's certificates go out together, with one notice to the applicant."""
    found = finish(session, item.id, now)
    if found is None:
        return ItemOutcome(id=item.id, kind=item.kind, case_no=item.case_no, done=False, detail="already delivered")
    _, case = found
    certificates = session.exec(
        select(Certificate).where(Certificate.case_id == case.id, Certificate.delivered_at.is_(None))
    ).all()
    for certificate in certificates:
        certificate.delivered_at = now
    numbers = ", ".join(c.number for c in certificates)
    if certificates:
        record(session, case, now, "results_delivered", "system", numbers, run_id)
    _notify(session, case, f"notify:case:{case.id}:issued", "issued",
            f"your {case.bundle} results are ready at the window: {numbers}", now, run_id)
    return ItemOutcome(id=item.id, kind=item.kind, case_no=item.case_no, done=True, detail=numbers)


_MESSAGES = {
    "accepted": "your application {case_no} is accepted; promised by {due_date}",
    "correction_requested": "your application {case_no} needs, all at once: {missing}",
    "supplement_requested": "case {case_no}: {matter} asks for {materials}",
    "denied": "case {case_no} was denied",
    "suspended": "case {case_no} is suspended: the promised {materials} were due {due_date}; supply them within "
                 "the grace period",
    "returned": "case {case_no} is returned (退件): the promised {materials} never arrived",
    "revoked": "certificate {number} ({matter}) is revoked: {reason}",
}


def send_notice(session: Session, item: WorkItem, run_id: str, now: datetime) -> ItemOutcome:
    found = finish(session, item.id, now)
    if found is None:
        return ItemOutcome(id=item.id, kind=item.kind, case_no=item.case_no, done=False, detail="already sent")
    _, case = found
    kind = item.payload.get("kind", "notice")
    fields = {k: ", ".join(v) if isinstance(v, list) else v for k, v in item.payload.items()}
    text = _MESSAGES.get(kind, kind).format_map({"case_no": case.case_no, "due_date": "-", **fields})
    _notify(session, case, item.key, kind, text, now, run_id)
    return ItemOutcome(id=item.id, kind=item.kind, case_no=item.case_no, done=True, detail=kind)


def _notify(session: Session, case: Case, key: str, kind: str, message: str, now: datetime, run_id: str) -> None:
    """帮代办: while a mandate routes results to the case's agent, the agent gets the notice."""
    if session.exec(select(Notification.id).where(Notification.key == key)).first() is not None:
        return
    to = staff.recipient(session, case, now.date())
    session.add(Notification(key=key, case_id=case.id, recipient=to.agent or case.uscc, kind=kind,
                             message=f"{to.to}: {message}", sent_at=now, flow_run_id=run_id))
    record(session, case, now, "notified", "system", f"{kind} to {to.to}", run_id)
    if get_settings().notify_gateway_url:  # out through the gateway, once, keyed on the notification
        enqueue(session, case, now, f"gateway:{key}", "gateway_notice", payload={"notification": key})


# --- flow-run records: what `onevisit runs CASE_NO` lists without asking Prefect --------------


def start_run(session: Session, run_id: str, flow_name: str, name: str, now: datetime) -> None:
    run = session.get(FlowRunRecord, run_id)
    if run is None:
        session.add(FlowRunRecord(id=run_id, flow_name=flow_name, name=name, state="RUNNING", started_at=now))
    else:  # a retried run: same id, runs again
        run.state, run.ended_at, run.message = "RUNNING", None, None


def link_run(session: Session, run_id: str, case_id: int) -> None:
    if session.get(FlowRunCase, (run_id, case_id)) is None:
        session.add(FlowRunCase(flow_run_id=run_id, case_id=case_id))


def end_run(session: Session, run_id: str, state: str, now: datetime, *, name: str | None = None,
            message: str | None = None) -> None:
    run = session.get(FlowRunRecord, run_id)
    if run is not None:
        run.state, run.ended_at, run.message = state, now, message
        if name:
            run.name = name
