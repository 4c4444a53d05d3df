"""Outward work done over HTTP: review requests to agencies' own systems, their decisions pulled
back, notices through the gateway, shared materials fetched late, and the incidents left when
retries are spent.

Each function is one step inside a unit of work the caller commits; the HTTP calls themselves are
made by the flows (services.remote_http) between these steps, never inside a transaction.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from approvals.casefile import CaseFile
from approvals.catalog import Catalog
from approvals.review import TaskStatus
from schemas.case import Case
from schemas.orchestration import Notification, OutboxItem
from schemas.review import ReviewTask
from schemas.sharing import SharedMaterial
from services.catalog import catalog_version
from services.outbox import WorkItem
from services.records import lock_heads, record, record_many
from services.remote_http import Permanent, SharedDocument, Transient

OUTBOX, TASKS, NOTICES = OutboxItem.__table__, ReviewTask.__table__, Notification.__table__
REMOTE_KINDS = ("gateway_notice", "fetch_shared")  # always over HTTP; dispatch_review only to agencies with an endpoint


class RemoteCall(BaseModel):
    """One HTTP call a flow makes for one claimed outbox item."""

    item_id: int
    key: str  # the idempotency key the other side sees
    kind: str  # dispatch_review | gateway_notice | fetch_shared
    case_no: str
    url: str | None  # the agency's endpoint, the gateway, the sharing service; None: nowhere configured
    body: dict


class TicketPoll(BaseModel):
    """An open review task whose decision is awaited from its agency's system."""

    task_id: int
    case_no: str
    agency: str
    endpoint: str
    ticket: str


def remote_operator(agency: str) -> str:
    """Who a decision pulled from an agency's system is recorded as (cases.decide, by_agency_system)."""
    return f"{agency}@system"


# --- planning: which claimed items go over HTTP ---------------------------------------------


def plan(session: Session, items: list[WorkItem], *, gateway: str | None, sharing: dict[str, str]) -> list[RemoteCall]:
    """The HTTP call for every item that needs one; items left out are done in the database alone."""
    calls = []
    catalogs: dict[int, Catalog] = {}
    task_ids = [i.task_id for i in items if i.kind == "dispatch_review"]
    tasks = {t.id: t for t in session.exec(select(ReviewTask).where(ReviewTask.id.in_(task_ids)))} if task_ids else {}
    cases = {c.id: c for c in session.exec(select(Case).where(Case.id.in_({t.case_id for t in tasks.values()})))} \
        if tasks else {}
    for item in items:
        if item.kind == "dispatch_review":
            task = tasks[item.task_id]
            case = cases[task.case_id]
            endpoint = _catalog(session, case.catalog_version, catalogs).endpoint_of(task.agency)
            if endpoint:
                calls.append(RemoteCall(item_id=item.id, key=item.key, kind=item.kind, case_no=item.case_no,
                                        url=endpoint, body=_review_body(case, task)))
        elif item.kind == "gateway_notice":
            notice = session.exec(select(Notification).where(Notification.key == item.payload["notification"])).one()
            calls.append(RemoteCall(item_id=item.id, key=notice.key, kind=item.kind, case_no=item.case_no,
                                    url=gateway, body={"case_no": item.case_no, "recipient": notice.recipient,
                                                       "kind": notice.kind, "message": notice.message}))
        elif item.kind == "fetch_shared":
            case = session.exec(select(Case).where(Case.case_no == item.case_no)).one()
            source = item.payload["source"]
            calls.append(RemoteCall(item_id=item.id, key=item.key, kind=item.kind, case_no=item.case_no,
                                    url=sharing.get(source), body={"uscc": case.uscc, "material": item.payload["material"],
                                                                   "source": source}))
    return calls


def _catalog(session: Session, version: int, seen: dict[int, Catalog]) -> Catalog:
    """The catalog a case was accepted under, read once per call site (the session keeps rows only weakly)."""
    if version not in seen:
        seen[version] = catalog_version(session, version)
    return seen[version]


def _review_body(case: Case, task: ReviewTask) -> dict:
    return {"case_no": case.case_no, "task_id": task.id, "matter": task.matter, "agency": task.agency,
            "applicant": {"name": case.applicant_name, "uscc": case.uscc}, "materials": case.provided_materials,
            "key_project": case.key_project}


# --- outcomes ------------------------------------------------------------------------------


def record_outcomes(session: Session, calls: list[RemoteCall], results: list, run_id: str, now: datetime, *,
                    final: bool) -> list[str]:
    """Keep what each call achieved: "done", "already" (another run did it), "incident" or "retry".

    A few statements for the whole chunk, the outbox rows locked, plain rows rather than ORM objects:
    recording thousands of calls must cost less than making them.
    """
    if not calls:
        return []
    ids = [c.item_id for c in calls]
    lock_heads(session, session.scalars(select(OUTBOX.c.case_id).where(OUTBOX.c.id.in_(ids))))  # heads first
    items = {row.id: row for row in session.execute(
        select(OUTBOX.c.id, OUTBOX.c.key, OUTBOX.c.case_id, OUTBOX.c.done_at).where(OUTBOX.c.id.in_(ids)).with_for_update())}
    task_ids = [c.body["task_id"] for c in calls if c.kind == "dispatch_review"]
    undispatched = set(session.scalars(select(TASKS.c.id).where(
        TASKS.c.id.in_(task_ids), TASKS.c.dispatched_at.is_(None)))) if task_ids else set()
    outcomes, done, errors, incidents, tickets, delivered, events = [], [], [], [], [], [], []
    for call, result in zip(calls, results, strict=True):
        item = items.get(call.item_id)
        if item is None or item.done_at is not None:
            outcomes.append("already")
        elif isinstance(result, Transient | Permanent):
            errors.append({"item": item.id, "error": str(result)[:2000]})
            if isinstance(result, Permanent) or final:
                incidents.append(item.id)
                events.append(_event(item.case_id, now, "incident", f"{item.key}: {str(result)[:2000]}", run_id))
                outcomes.append("incident")
            else:
                outcomes.append("retry")
        else:
            done.append(item.id)
            if call.kind == "dispatch_review":
                task_id = call.body["task_id"]
                if task_id in undispatched:
                    undispatched.discard(task_id)
                    tickets.append({"task": task_id, "ticket": result.ticket})
                    events.append(_event(item.case_id, now, "dispatched",
                                         f"task {task_id} {call.body['matter']} to {call.body['agency']}'s system: "
                                         f"ticket {result.ticket}", run_id))
            elif call.kind == "gateway_notice":
                delivered.append(call.key)
            elif call.kind == "fetch_shared":
                fetched(session, session.get(Case, item.case_id), call.body["material"], result, now, run_id)
            outcomes.append("done")
    if errors:
        session.execute(update(OUTBOX).where(OUTBOX.c.id == bindparam("item")).values(last_error=bindparam("error")),
                        errors)
    if incidents:
        session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(incidents))
                        .values(incident_at=now, claimed_by=None, claimed_at=None))
    if done:
        session.execute(update(OUTBOX).where(OUTBOX.c.id.in_(done)).values(done_at=now))
    if tickets:
        session.execute(update(TASKS).where(TASKS.c.id == bindparam("task"))
                        .values(dispatched_at=now, remote_ticket=bindparam("ticket")), tickets)
    if delivered:
        session.execute(update(NOTICES).where(NOTICES.c.key.in_(delivered), NOTICES.c.delivered_at.is_(None))
                        .values(delivered_at=now))
    record_many(session, events)
    return outcomes


def _event(case_id: int, at: datetime, kind: str, detail: str, run_id: str) -> dict:
    return {"case_id": case_id, "at": at, "kind": kind, "actor": "system", "detail": detail, "flow_run_id": run_id}


def fetched(session: Session, case: Case, material: str, document: SharedDocument, now: datetime,
            run_id: str | None) -> None:
    """数据共享: the material's reference and digest are kept with the case, once."""
    row = session.exec(select(SharedMaterial).where(SharedMaterial.case_id == case.id,
                                                    SharedMaterial.material == material)).one()
    if row.status == "fetched":
        return
    row.status, row.reference, row.digest, row.fetched_at, row.last_error = (
        "fetched", document.reference, document.digest, now, None)
    record(session, case, now, "shared_fetched", "system",
           f"{material} from {row.source}: {document.reference} (sha256 {document.digest[:12]}…)", run_id)


# --- decisions pulled from the agencies' systems ---------------------------------------------


def open_tickets(session: Session, limit: int, case_no: str | None = None) -> list[TicketPoll]:
    query = (select(ReviewTask, Case).join(Case, Case.id == ReviewTask.case_id)
             .where(ReviewTask.remote_ticket.is_not(None), ReviewTask.remote_incident.is_(None),
                    ReviewTask.status == TaskStatus.PENDING)
             .order_by(ReviewTask.id).limit(limit))
    if case_no is not None:
        query = query.where(Case.case_no == case_no)
    polls = []
    catalogs: dict[int, Catalog] = {}
    for task, case in session.exec(query):
        endpoint = _catalog(session, case.catalog_version, catalogs).endpoint_of(task.agency)
        if endpoint:
            polls.append(TicketPoll(task_id=task.id, case_no=case.case_no, agency=task.agency, endpoint=endpoint,
                                    ticket=task.remote_ticket))
    return polls


def case_ids(session: Session, task_ids: list[int]) -> list[int]:
    if not task_ids:
        return []
    return list(dict.fromkeys(session.exec(select(ReviewTask.case_id).where(ReviewTask.id.in_(task_ids)))))


# --- reopen ---------------------------------------------------------------------------------


def clear_incidents(session: Session, case: CaseFile) -> int:
    """Put a case's incidents back in play: parked items are queued again, polls resume."""
    cleared = 0
    for item in session.exec(select(OutboxItem).where(OutboxItem.case_id == case.id,
                                                      OutboxItem.incident_at.is_not(None),
                                                      OutboxItem.done_at.is_(None))):
        item.incident_at, item.claimed_by, item.claimed_at = None, None, None
        cleared += 1
    for task in case.tasks:
        if task.remote_incident is not None:
            task.remote_incident = None
            cleared += 1
    return cleared
