"""Ending a case without a decision: refusal at intake (不予受理), withdrawal (撤回), and the sweep's
withdrawal of a correction request left unanswered.

Whatever was running stops: open tasks are cancelled, their clocks and ledger items closed, promises
void, outward work for the case that is still queued dropped, and the applicant gets the notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, select

from approvals.calendar import CalendarUnknown
from approvals.deadlines import Clock
from approvals.casefile import CaseFile
from approvals.endings import NOTICE, Ending, check_ending
from approvals.errors import Refused
from approvals.permissions import Act, Role, Scope
from approvals.review import CaseStatus
from schemas.case import Case
from schemas.orchestration import OutboxItem
from services import staff
from services.case_repository import cases

_DROPPED = ("dispatch_review", "fetch_shared")  # notices (and their gateway deliveries) still go out


@dataclass(frozen=True)
class EndResult:
    case_no: str
    status: str
    reason: str
    cancelled: list[int]  # tasks cancelled
    notice: str  # the legal wording on the notice


def refuse(session: Session, case_no: str, *, reason: str | None, operator: str, clock: Clock) -> EndResult:
    """不予受理: the window refuses a case it has not accepted, in writing, with the reason (§32)."""
    staff.authorise(session, operator, Act.REFUSE)
    return _end(session, cases(session).get(case_no), Ending.REFUSAL, reason, operator, clock)


def withdraw(session: Session, case_no: str, *, reason: str | None, operator: str, clock: Clock) -> EndResult:
    """撤回: the applicant withdraws at any stage before issuance (an agent, under a mandate to submit)."""
    who = staff.authorise(session, operator, Act.WITHDRAW)
    case = cases(session).get(case_no)
    if who.role is Role.AGENT:
        if case.agent != who.id:
            raise Refused(f"agent {who.id} did not file case {case.case_no}")
        staff.require_mandate(session, who.id, case.uscc, Scope.SUBMIT, clock.today, case.case_no)
    return _end(session, case, Ending.WITHDRAWAL, reason, operator, clock)


def _end(session: Session, case: CaseFile, ending: Ending, reason: str | None, actor: str, clock: Clock,
         run_id: str | None = None) -> EndResult:
    check_ending(case.status, ending, reason)  # before anything is dropped
    dropped = session.execute(  # reviews not dispatched yet, documents not fetched (or parked as incidents):
        update(OutboxItem).where(OutboxItem.case_id == case.id, OutboxItem.done_at.is_(None),  # nobody needs them
                                 OutboxItem.kind.in_(_DROPPED))
        .values(done_at=clock.now, claimed_by=None, claimed_at=None)
    ).rowcount
    cancelled = case.end(ending, reason, actor, clock, dropped=dropped, run_id=run_id)
    return EndResult(case.case_no, case.status, case.end_reason, cancelled, NOTICE[ending])


class LapseSweep(BaseModel):
    withdrawn: int = 0
    case_ids: list[int] = []


def sweep_unanswered_corrections(session: Session, clock: Clock, *, after_days: int,
                                 run_id: str | None = None) -> LapseSweep:
    """A correction request (补正) nobody answered within `after_days` working days: from the day after
    the last of them, the case is closed as withdrawn, with notice. The applicant's last act (submission
    or a partial supplement) starts the count."""
    report = LapseSweep()
    try:
        quiet_since = clock.calendar.subtract_working_days(clock.today, after_days)
    except CalendarUnknown:  # cannot count back from today: close nothing, guess nothing
        return report
    cutoff = datetime.combine(quiet_since, time(), clock.now.tzinfo)  # acted before that day: the days are up
    ids = session.exec(select(Case.id).where(Case.status == CaseStatus.CORRECTION_REQUIRED,
                                             Case.last_acted_at < cutoff).order_by(Case.id)).all()
    for case_id in ids:
        case = cases(session).by_id(case_id)  # read under the lock: materials may have arrived meanwhile
        if case.status is not CaseStatus.CORRECTION_REQUIRED or case.last_acted_at >= cutoff:
            continue
        _end(session, case, Ending.LAPSE, f"correction unanswered for {after_days} working days "
             f"(last act {case.last_acted_at.astimezone(clock.now.tzinfo).date()})", "system", clock, run_id)
        report.withdrawn += 1
        report.case_ids.append(case.id)
    return report
