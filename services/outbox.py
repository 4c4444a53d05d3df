"""The outward half of a case, carried out by flows: claim queued work, do it once, record the run.

Every function here is one short transaction and safe to repeat: a second delivery of the same
item finds it done and changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import Row, func, insert, or_, update
from sqlmodel import Session, select

from schemas.case import Case
from schemas.certificate import Certificate
from schemas.orchestration import FlowRunCase, FlowRunRecord, Notification, OutboxItem
from schemas.review import ReviewTask
from services import staff
from services.records import enqueue, lock_heads, record_many
from services.settings import get_settings
from services.db import is_sqlite


OUTBOX, CASES, TASKS = OutboxItem.__table__, Case.__table__, ReviewTask.__table__
CERTIFICATES, NOTICES = Certificate.__table__, Notification.__table__
SLICE = 10_000  # ids per IN list: SQLite takes at most 32,766 bound values a statement


class WorkItem(BaseModel):
    """One claimed outbox row, as a flow's task receives it."""

    id: int
    key: str
    kind: str
    case_id: int
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
    items = [WorkItem(id=row.id, key=row.key, kind=row.kind, case_id=row.case_id, case_no=row.case_no,
                      task_id=row.task_id,
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


def finish(session: Session, items: list[WorkItem], now: datetime) -> dict[int, int]:
    """Mark items done, row-locked, in one UPDATE per slice: {item id: case id} of those this call
    finished; an item missing from it had already been done by some run.

    The timeline heads of the items' cases are locked first, before any row (see records.lock_heads)."""
    lock_heads(session, [item.case_id for item in items])
    ids = [item.id for item in items]
    fresh: dict[int, int] = {}
    for first in range(0, len(ids), SLICE):
        done = session.execute(
            update(OUTBOX).where(OUTBOX.c.id.in_(ids[first:first + SLICE]), OUTBOX.c.done_at.is_(None))
            .values(done_at=now).returning(OUTBOX.c.id, OUTBOX.c.case_id)
        )
        fresh.update((item_id, case_id) for item_id, case_id in done)
    return fresh


def dispatch_reviews(session: Session, items: list[WorkItem], run_id: str, now: datetime) -> list[ItemOutcome]:
    """Hand review tasks to their agencies' queues (agencies with their own systems go over HTTP instead)."""
    fresh = finish(session, items, now)
    tasks = {row.id: row for row in _rows(session, select(TASKS.c.id, TASKS.c.case_id, TASKS.c.matter,
                                                          TASKS.c.agency, TASKS.c.dispatched_at)
                                          .order_by(TASKS.c.id), TASKS.c.id,
                                          [item.task_id for item in items if item.id in fresh])}
    waiting = [task for task in tasks.values() if task.dispatched_at is None]
    _update(session, TASKS, [task.id for task in waiting], dispatched_at=now)
    record_many(session, [{"case_id": task.case_id, "at": now, "kind": "dispatched", "actor": "system",
                           "detail": f"task {task.id} {task.matter} to {task.agency}", "flow_run_id": run_id}
                          for task in waiting])
    return [ItemOutcome(id=item.id, kind=item.kind, case_no=item.case_no, done=True,
                        detail=f"{tasks[item.task_id].matter} -> {tasks[item.task_id].agency}")
            if item.id in fresh else _already(item, "already dispatched") for item in items]


def deliver_results(session: Session, items: list[WorkItem], run_id: str, now: datetime) -> list[ItemOutcome]:
    """出件: each case's certificates go out together, with one notice to the applicant."""
    fresh = finish(session, items, now)
    cases = _cases(session, fresh.values())
    numbers: dict[int, list[str]] = {case_id: [] for case_id in cases}
    undelivered = _rows(session, select(CERTIFICATES.c.id, CERTIFICATES.c.case_id, CERTIFICATES.c.number)
                        .where(CERTIFICATES.c.delivered_at.is_(None)), CERTIFICATES.c.case_id, list(cases))
    for certificate in sorted(undelivered):
        numbers[certificate.case_id].append(certificate.number)
    _update(session, CERTIFICATES, [c.id for c in undelivered], delivered_at=now)
    record_many(session, [{"case_id": case_id, "at": now, "kind": "results_delivered", "actor": "system",
                           "detail": ", ".join(issued), "flow_run_id": run_id}
                          for case_id, issued in numbers.items() if issued])
    _notify(session, [(cases[case_id], f"notify:case:{case_id}:issued", "issued",
                       f"your {cases[case_id].bundle} results {_how(cases[case_id])}: {', '.join(issued)}")
                      for case_id, issued in numbers.items()], now, run_id)
    return [ItemOutcome(id=item.id, kind=item.kind, case_no=item.case_no, done=True,
                        detail=", ".join(numbers[fresh[item.id]]))
            if item.id in fresh else _already(item, "already delivered") for item in items]


def _how(case) -> str:
    """出件: how the results leave, as the applicant chose."""
    if case.delivery_mode == "post":
        return f"are posted to {case.delivery_address}"
    if case.delivery_mode == "electronic":
        return "are sent electronically (电子证照)" + (f" to {case.delivery_address}" if case.delivery_address else "")
    return "are ready at the window"


_MESSAGES = {
    "accepted": "your application {case_no} is accepted; promised by {due_date}",
    "correction_requested": "your application {case_no} needs, all at once: {missing}",
    "supplement_requested": "case {case_no}: {matter} asks for {materials}",
    "denied": "case {case_no} was denied",
    "suspended": "case {case_no} is suspended: the promised {materials} were due {due_date}; supply them within "
                 "the grace period",
    "returned": "case {case_no} is returned (退件): the promised {materials} never arrived",
    "revoked": "certificate {number} ({matter}) is revoked: {reason}",
    "refused": "不予受理通知书 case {case_no} ({date}): {reason}. {notice}",
    "withdrawn": "case {case_no} is withdrawn (撤回, {date}): {reason}. {notice}",
    "extended": "case {case_no}: the time limit of {matter} is extended by {days} working days to {due_date} "
                "(延期, 行政许可法 §42): {reason}",
}


def send_notices(session: Session, items: list[WorkItem], run_id: str, now: datetime) -> list[ItemOutcome]:
    fresh = finish(session, items, now)
    cases = _cases(session, fresh.values())
    notices = []
    for item in items:
        if item.id in fresh:
            case = cases[fresh[item.id]]
            kind = item.payload.get("kind", "notice")
            fields = {k: ", ".join(v) if isinstance(v, list) else v for k, v in item.payload.items()}
            notices.append((case, item.key, kind,
                            _MESSAGES.get(kind, kind).format_map({"case_no": case.case_no, "due_date": "-", **fields})))
    _notify(session, notices, now, run_id)
    return [ItemOutcome(id=item.id, kind=item.kind, case_no=item.case_no, done=True,
                        detail=item.payload.get("kind", "notice"))
            if item.id in fresh else _already(item, "already sent") for item in items]


def _notify(session: Session, notices: list[tuple], now: datetime, run_id: str) -> None:
    """Notices (case row, key, kind, message), each sent once by key. 帮代办: while a mandate routes
    results to the case's agent, the agent gets the notice."""
    sent = {row.key for row in _rows(session, select(NOTICES.c.key), NOTICES.c.key, [n[1] for n in notices])}
    rows, events = [], []
    invite = _rating_invitation(now)
    for case, key, kind, message in notices:
        if key in sent:
            continue
        sent.add(key)
        if kind in _RESULTS:
            message = f"{message}; {invite(case.case_no)}"
        to = staff.recipient(session, case, now.date())
        rows.append({"key": key, "case_id": case.id, "recipient": to.agent or case.uscc, "kind": kind,
                     "message": f"{to.to}: {message}", "sent_at": now, "flow_run_id": run_id})
        events.append({"case_id": case.id, "at": now, "kind": "notified", "actor": "system",
                       "detail": f"{kind} to {to.to}", "flow_run_id": run_id})
        if get_settings().notify_gateway_url:  # out through the gateway, once, keyed on the notification
            enqueue(session, case, now, f"gateway:{key}", "gateway_notice", payload={"notification": key})
    if rows:
        session.execute(insert(NOTICES), rows)
    record_many(session, events)


_RESULTS = ("issued", "denied", "returned", "refused", "withdrawn")  # the case has ended: it may be rated (好差评)


def _rating_invitation(now: datetime):
    """The line a results notice ends with: the link to rate the case online, a signed single-use token."""
    from services.ratings import link_for, rating_key

    settings, keys = get_settings(), []

    def invite(case_no: str) -> str:
        if not keys:  # the key file is read once a batch, and only if a notice needs it
            keys.append(rating_key(settings))
        _, link = link_for(settings, case_no, now.astimezone(settings.tz).date(), keys[0])
        return f"rate the service (好差评): {link}"

    return invite


def _already(item: WorkItem, detail: str) -> ItemOutcome:
    return ItemOutcome(id=item.id, kind=item.kind, case_no=item.case_no, done=False, detail=detail)


def _cases(session: Session, case_ids) -> dict[int, Row]:
    """What a notice says of each case, by id."""
    query = select(CASES.c.id, CASES.c.case_no, CASES.c.bundle, CASES.c.uscc, CASES.c.applicant_name, CASES.c.agent,
                   CASES.c.delivery_mode, CASES.c.delivery_address)
    return {row.id: row for row in _rows(session, query, CASES.c.id, list(dict.fromkeys(case_ids)))}


def _rows(session: Session, query, column, values: list) -> list[Row]:
    """`query` WHERE column IN values, a slice of values at a time."""
    return [row for first in range(0, len(values), SLICE)
            for row in session.execute(query.where(column.in_(values[first:first + SLICE])))]


def _update(session: Session, table, ids: list[int], **values) -> None:
    for first in range(0, len(ids), SLICE):
        session.execute(update(table).where(table.c.id.in_(ids[first:first + SLICE])).values(**values))


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
