"""Answers from the agencies' own review systems (inbound): a polled decision goes through the same use case
as a reviewer's click. The outbound side (dispatching, polling over HTTP) is services/remote.py and
services/remote_http.py; this module sits above both and above the case use cases it calls.
"""

from __future__ import annotations

from sqlmodel import Session

from approvals.deadlines import Clock
from approvals.errors import OnevisitError
from approvals.review import Action, TaskStatus
from schemas.case import Case
from schemas.review import ReviewTask
from services.cases import decide
from services.records import record
from services.remote import TicketPoll, remote_operator
from services.remote_http import Permanent, RemoteDecision, Transient


def apply_decision(session: Session, poll: TicketPoll, result, clock: Clock, run_id: str, *, final: bool) -> str:
    """A polled answer: a decision goes through the same use case as a reviewer's ("approved",
    "denied"); "pending" waits for the next poll; a fault is "retry" or, when final, "incident"."""
    task = session.get(ReviewTask, poll.task_id)
    if task.status != TaskStatus.PENDING or task.remote_incident is not None:
        return "already"
    if isinstance(result, Transient | Permanent):
        if not (isinstance(result, Permanent) or final):
            return "retry"
        task.remote_incident = f"polling ticket {poll.ticket} of {poll.agency}: {result}"[:2000]
        record(session, session.get(Case, task.case_id), clock.now, "incident", "system",
               f"task {task.id} {task.matter}: {task.remote_incident}", run_id)
        return "incident"
    decision: RemoteDecision = result
    if decision.status == "pending":
        return "pending"
    action = Action.APPROVE if decision.status == "approved" else Action.DENY
    reason = decision.reason or (None if action is Action.APPROVE else f"denied by {poll.agency}'s system")
    try:
        decide(session, task.id, action, operator=remote_operator(poll.agency), reason=reason, materials=(),
               clock=clock, by_agency_system=True)
    except OnevisitError:  # e.g. the case is suspended: the decision is pulled again next time
        return "pending"
    return decision.status
