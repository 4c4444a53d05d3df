"""Statutory extension (延期, 行政许可法 §42): a reviewer asks, a supervisor or the agency's head decides;
an approved extension adds 10 working days to the task's limits (and the case's clock), once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from approvals import extension as rules
from approvals.deadlines import Clock
from approvals.permissions import Act
from schemas.review import Extension
from services import staff
from services.case_repository import cases


@dataclass(frozen=True)
class ExtensionResult:
    task_id: int
    matter: str
    case_no: str
    status: str  # requested | approved | refused
    days: int
    due_date: str | None  # the task's due date now


def ask(session: Session, task_id: int, *, reason: str | None, operator: str, clock: Clock) -> ExtensionResult:
    """The task's reviewer asks for the extension, with the reason the applicant will be told."""
    case, task = _locked(session, task_id)
    staff.authorise(session, operator, Act.ASK_EXTENSION, agency=task.agency)
    earlier = session.exec(select(Extension).where(Extension.task_id == task.id)).first()
    reason = rules.check_request(task.status, earlier.status if earlier else None, reason)
    session.add(Extension(task_id=task.id, case_id=case.id, days=rules.EXTENSION_DAYS, reason=reason,
                          status="requested", requested_by=operator, requested_at=clock.now))
    case.last_acted_at = clock.now
    case.record(clock.now, "extension_requested", operator,
                f"task {task.id} {task.matter}: +{rules.EXTENSION_DAYS} working days: {reason}")
    return ExtensionResult(task.id, task.matter, case.case_no, "requested", rules.EXTENSION_DAYS, _iso(task.due_date))


def decide(session: Session, task_id: int, *, approve: bool, note: str | None, operator: str,
           clock: Clock) -> ExtensionResult:
    """A supervisor, or the head of the task's agency, approves (the limits move) or refuses."""
    case, task = _locked(session, task_id)
    staff.authorise(session, operator, Act.APPROVE_EXTENSION, agency=task.agency)
    asked = session.exec(select(Extension).where(Extension.task_id == task.id)).first()
    note = rules.check_decision(task.status, asked.status if asked else None, approve, note)
    asked.status, asked.decided_by, asked.decided_at, asked.note = (
        "approved" if approve else "refused", operator, clock.now, note)
    case.last_acted_at = clock.now
    if approve:
        already = session.exec(select(Extension.id).where(Extension.case_id == case.id, Extension.status == "approved",
                                                          Extension.id != asked.id)).first()
        case.extend(task, asked.days, already is None, clock)  # the case's clock moves with its first, once
        case.record(clock.now, "extension_approved", operator,
                    f"task {task.id} {task.matter}: +{asked.days} working days, due {task.due_date or 'unknown'}")
        case.notify(clock.now, "extended", {"matter": task.matter, "days": asked.days,
                                            "due_date": _iso(task.due_date), "reason": asked.reason},
                    unique=f"task{task.id}")
    else:
        case.record(clock.now, "extension_refused", operator, f"task {task.id} {task.matter}: {note}")
    return ExtensionResult(task.id, task.matter, case.case_no, asked.status, asked.days, _iso(task.due_date))


def _locked(session: Session, task_id: int):
    case = cases(session).of_task(task_id)
    return case, case.task(task_id)


def _iso(day) -> str | None:
    return day.isoformat() if day is not None else None
