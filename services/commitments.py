"""Promises through their lifecycle: 容缺 (supply later) and 告知承诺 (verify later), with credit records.

Every step is keyed on the commitment's status, so the sweep or a verification run twice changes
nothing the second time: one suspension, one return, one revocation, one credit record.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel
from sqlmodel import Session, select

from approvals.commitments import (
    CommitmentKind,
    CommitmentStatus,
)
from approvals.deadlines import Clock
from approvals.errors import BadInput, Refused
from approvals.permissions import Act
from schemas.case import Case
from schemas.commitment import Commitment, CreditRecord
from schemas.ledger import LedgerItem
from schemas.review import ReviewTask
from services import staff
from services.case_repository import cases
from services.catalog import catalog_version
from services.records import insert_ignore, record


def has_open_credit_record(session: Session, uscc: str) -> bool:
    return session.exec(
        select(CreditRecord.id).where(CreditRecord.uscc == uscc, CreditRecord.status == "open")
    ).first() is not None


# --- 告知承诺: verification -----------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    case_no: str
    matter: str
    status: str
    changed: bool
    revoked: str | None  # the certificate number revoked now


def verify(session: Session, case_no: str, matter: str, *, passed: bool, reason: str | None, operator: str,
           clock: Clock) -> VerifyResult:
    """Record the check of a 告知承诺 (approvals.case_promises): passed, or failed and the certificate revoked."""
    case = cases(session).get(case_no)
    if matter not in case.matters:
        raise BadInput(f"--matter {matter!r} is not a matter of case {case_no} ({', '.join(case.matters)})")
    staff.authorise(session, operator, Act.VERIFY,
                    agency=catalog_version(session, case.catalog_version).matters[matter].agency)
    changed, revoked = case.verify(matter, passed, reason, operator, clock)
    promise = next(p for p in case.promises if p.kind == CommitmentKind.NOTIFICATION and p.matter == matter)
    return VerifyResult(case.case_no, matter, promise.status, changed, revoked)


# --- the sweep's part: promises past due --------------------------------------------------------


class PromiseSweep(BaseModel):
    suspended: int = 0
    returned: int = 0
    verification_overdue: int = 0
    case_ids: list[int] = []


def _open_past_due(session: Session, kind: CommitmentKind, today) -> list[Commitment]:
    """In case-id order: the sweep locks their cases one by one in the order flows lock them (by id)."""
    return list(session.exec(select(Commitment).where(Commitment.kind == kind,
                                                      Commitment.status == CommitmentStatus.OPEN,
                                                      Commitment.due_date < today)
                             .order_by(Commitment.case_id, Commitment.id)))


def sweep_promises(session: Session, clock: Clock, run_id: str | None = None) -> PromiseSweep:
    """容缺 promises past due suspend their case, then return it after the grace period; 告知承诺
    verifications past due open a ledger item for the agency (its failure, not the applicant's)."""
    report = PromiseSweep()
    touched: set[int] = set()
    for case_id in dict.fromkeys(p.case_id for p in _open_past_due(session, CommitmentKind.DEFICIENCY, clock.today)):
        case = cases(session).by_id(case_id)  # read under the case's lock: a supplement may have kept it meanwhile
        happened = case.overdue_promise(clock, run_id)
        if happened == "returned":
            report.returned += 1
        elif happened == "suspended":
            report.suspended += 1
        if happened:
            touched.add(case.id)

    for promise in _open_past_due(session, CommitmentKind.NOTIFICATION, clock.today):
        task = session.exec(select(ReviewTask).where(ReviewTask.case_id == promise.case_id,
                                                     ReviewTask.matter == promise.matter)).one()
        opened = session.execute(
            insert_ignore(session, LedgerItem.__table__, ["task_id", "missed_due"]).returning(LedgerItem.__table__.c.id),
            [{"task_id": task.id, "case_id": promise.case_id, "agency": task.agency, "kind": "verification",
              "missed_due": promise.due_date, "status": "assigned", "assigned_to": task.assignee or task.agency,
              "opened_at": clock.now, "opened_on": clock.today}],
        ).all()
        if not opened:
            continue
        case = session.get(Case, promise.case_id)
        record(session, case, clock.now, "ledger_assigned", "system",
               f"告知承诺 {promise.matter}: verification due {promise.due_date} not done (交办 to {task.agency})", run_id)
        report.verification_overdue += 1
        touched.add(case.id)
    report.case_ids = sorted(touched)
    return report


# --- credit records ----------------------------------------------------------------------------


def repair_credit(session: Session, uscc: str, *, reason: str, operator: str, clock: Clock) -> int:
    """信用修复: an administrator closes the applicant's open records. Returns how many."""
    from approvals.identifiers import uscc_problem

    staff.authorise(session, operator, Act.ADMINISTER)
    uscc = uscc.strip().upper()
    problem = uscc_problem(uscc)
    if problem:
        raise BadInput(f"{uscc!r} is not a valid unified social credit code: {problem}")
    if not (reason or "").strip():
        raise BadInput("--reason is required")
    records = session.exec(select(CreditRecord).where(CreditRecord.uscc == uscc, CreditRecord.status == "open")).all()
    if not records:
        raise Refused(f"{uscc} has no open credit record")
    for item in records:
        item.status, item.repaired_at, item.repaired_by, item.repair_reason = "repaired", clock.now, operator, reason.strip()
    return len(records)
