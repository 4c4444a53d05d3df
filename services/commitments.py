"""Promises through their lifecycle: 容缺 (supply later) and 告知承诺 (verify later), with credit records.

Every step is keyed on the commitment's status, so the sweep or a verification run twice changes
nothing the second time: one suspension, one return, one revocation, one credit record.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import bindparam
from sqlmodel import Session, select

from approvals import intake
from approvals.catalog import Catalog
from approvals.commitments import (
    RETURNABLE,
    SUSPENDABLE,
    CommitmentKind,
    CommitmentStatus,
    PromiseStage,
    check_verification,
    deficiency_stage,
)
from approvals.deadlines import Clock, StopKind
from approvals.errors import BadInput, NotFound, Refused
from approvals.permissions import Act
from approvals.review import OPEN_TASK, CaseStatus, TaskStatus
from schemas.case import Case
from schemas.certificate import Certificate
from schemas.commitment import Commitment, CreditRecord
from schemas.ledger import LedgerItem
from schemas.review import ReviewTask
from services import staff
from services.catalog import catalog_version
from services.clocks import close_ledger, resume_clock, stop_clock
from services.db import raw
from services.records import enqueue_notice, insert_ignore, lock_case, lock_case_by_id, record, tasks_of


def has_open_credit_record(session: Session, uscc: str) -> bool:
    return session.exec(
        select(CreditRecord.id).where(CreditRecord.uscc == uscc, CreditRecord.status == "open")
    ).first() is not None


def sign_at_acceptance(session: Session, case: Case, catalog: Catalog, promised: tuple[str, ...], actor: str,
                       clock: Clock) -> None:
    """The promises signed when the case is accepted: one 容缺 promise for the promised materials, one
    告知承诺 per matter to be decided on the applicant's word (its verification date is set at issuance)."""
    bundle = catalog.bundle_of(case.bundle, case.single_matter)
    if promised:
        days = intake.promise_days(catalog, bundle, promised, case.matters)
        needing = [catalog.matters[m] for m in case.matters
                   if any(x.code in promised for x in catalog.matters[m].materials)]
        grace = min((m.grace_days for m in needing), default=15)
        due = _add(clock, days)
        session.add(Commitment(case_id=case.id, kind=CommitmentKind.DEFICIENCY.value, materials=list(promised),
                               status=CommitmentStatus.OPEN.value, signed_at=clock.now, due_date=due,
                               grace_days=grace))
        record(session, case, clock.now, "promise_signed", actor,
               f"容缺: {', '.join(promised)} by {due or 'an unknown date (no calendar)'}")
    for matter in case.commitment_matters:
        stands_in = [m for m in catalog.matters[matter].promisable  # 告知承诺 that replaces materials
                     if m not in case.required_materials and m not in case.provided_materials]
        session.add(Commitment(case_id=case.id, kind=CommitmentKind.NOTIFICATION.value, materials=stands_in,
                               matter=matter, status=CommitmentStatus.OPEN.value, signed_at=clock.now,
                               grace_days=catalog.matters[matter].grace_days))
        record(session, case, clock.now, "promise_signed", actor, f"告知承诺: {matter} decided on the applicant's promise"
               + (f", in place of {', '.join(stands_in)}" if stands_in else ""))


_OPEN_DEFICIENCY = select(Commitment).where(  # built once: every decision asks
    Commitment.case_id == bindparam("case_id"), Commitment.kind == CommitmentKind.DEFICIENCY.value,
    Commitment.status == CommitmentStatus.OPEN.value)


def open_deficiency(session: Session, case_id: int) -> Commitment | None:
    if CommitmentKind.DEFICIENCY.value not in open_kinds(session, case_id):
        return None
    return session.exec(_OPEN_DEFICIENCY, params={"case_id": case_id}).first()


def open_kinds(session: Session, case_id: int) -> set[str]:
    """The kinds of the case's open promises. Most cases have none, and every decision asks: one look over
    the DB-API spares loading them through the ORM."""
    rows = raw(session).rows("SELECT DISTINCT kind FROM commitment WHERE case_id = %(case_id)s AND status = %(open)s",
                             case_id=case_id, open=CommitmentStatus.OPEN.value)
    return {row["kind"] for row in rows}


def promised_awaited(session: Session, case: Case) -> list[str]:
    promise = open_deficiency(session, case.id)
    return [m for m in promise.materials if m not in case.provided_materials] if promise else []


def keep_promise(session: Session, case: Case, actor: str, clock: Clock) -> bool:
    """After materials arrive: a 容缺 promise with everything supplied is fulfilled, and a case
    suspended for it resumes. Returns True when the promise was fulfilled now."""
    promise = open_deficiency(session, case.id)
    if promise is None or any(m not in case.provided_materials for m in promise.materials):
        return False
    promise.status, promise.resolved_at, promise.resolved_by = CommitmentStatus.FULFILLED.value, clock.now, actor
    record(session, case, clock.now, "promise_kept", actor, f"容缺: {', '.join(promise.materials)} supplied")
    if case.status == CaseStatus.SUSPENDED.value:
        case.status, case.suspended_from = case.suspended_from or CaseStatus.IN_REVIEW.value, None
        for task in tasks_of(session, case.id):
            if task.stopped == StopKind.SUSPENDED.value:
                resume_clock(session, case, task, actor, clock)
        record(session, case, clock.now, "case_resumed", actor, "the promised materials arrived within the grace period")
    return True


def drop_unneeded(session: Session, case: Case, catalog: Catalog, tasks: list[ReviewTask], promise: Commitment,
                  clock: Clock) -> None:
    """The case's open 容缺 promise, if its outstanding materials only denied or cancelled matters needed,
    is void: nobody waits for them any more, so they neither withhold results nor break a promise."""
    live = [t.matter for t in tasks if t.status not in (TaskStatus.DENIED.value, TaskStatus.CANCELLED.value)]
    needed = {x.code for m in live for x in catalog.matters[m].materials}
    outstanding = [m for m in promise.materials if m not in case.provided_materials]
    if outstanding and not any(m in needed for m in outstanding):
        promise.status, promise.resolved_at = CommitmentStatus.VOID.value, clock.now
        promise.note = f"no longer needed: {', '.join(outstanding)} served only denied or cancelled matters"
        record(session, case, clock.now, "promise_void", "system", promise.note)


def on_issued(session: Session, case: Case, catalog: Catalog, certified: list[str], clock: Clock) -> None:
    """告知承诺 verification windows start at issuance; promises on matters not issued are void."""
    if CommitmentKind.NOTIFICATION.value not in open_kinds(session, case.id):
        return
    for promise in session.exec(
        select(Commitment).where(Commitment.case_id == case.id, Commitment.kind == CommitmentKind.NOTIFICATION.value,
                                 Commitment.status == CommitmentStatus.OPEN.value)
    ):
        if promise.matter in certified:
            promise.due_date = _add(clock, catalog.matters[promise.matter].verify_days)
        else:
            promise.status, promise.resolved_at, promise.note = CommitmentStatus.VOID.value, clock.now, "not issued"


def void_open(session: Session, case: Case, clock: Clock, note: str) -> None:
    if not open_kinds(session, case.id):
        return
    for promise in session.exec(
        select(Commitment).where(Commitment.case_id == case.id, Commitment.status == CommitmentStatus.OPEN.value)
    ):
        promise.status, promise.resolved_at, promise.note = CommitmentStatus.VOID.value, clock.now, note


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
    """Record the check of a 告知承诺. Failed: the certificate is revoked (who, when, why), the applicant
    notified, a credit record written; the case's other certificates stay valid."""
    case = lock_case(session, case_no)
    if matter not in case.matters:
        raise BadInput(f"--matter {matter!r} is not a matter of case {case_no} ({', '.join(case.matters)})")
    staff.authorise(session, operator, Act.VERIFY,
                    agency=catalog_version(session, case.catalog_version).matters[matter].agency)
    promise = session.exec(
        select(Commitment).where(Commitment.case_id == case.id, Commitment.kind == CommitmentKind.NOTIFICATION.value,
                                 Commitment.matter == matter)
    ).first()
    if promise is None:
        raise NotFound(f"case {case_no} has no 告知承诺 for matter {matter}")
    if promise.status == CommitmentStatus.VOID.value:
        raise Refused(f"the 告知承诺 for {matter} is void ({promise.note}): nothing to verify")
    certificate = session.exec(
        select(Certificate).where(Certificate.case_id == case.id, Certificate.matter == matter)
    ).first()
    if not check_verification(CommitmentStatus(promise.status), passed, reason, issued=certificate is not None):
        return VerifyResult(case.case_no, matter, promise.status, False, None)
    reason = (reason or "").strip() or None
    promise.resolved_at, promise.resolved_by, promise.note = clock.now, operator, reason
    case.last_acted_at = clock.now
    task = session.get(ReviewTask, certificate.task_id)
    close_ledger(session, task, operator, clock, "verification recorded")
    if passed:
        promise.status = CommitmentStatus.VERIFIED.value
        record(session, case, clock.now, "promise_verified", operator, f"告知承诺 {matter}: passed")
        return VerifyResult(case.case_no, matter, promise.status, True, None)
    promise.status = CommitmentStatus.FAILED.value
    certificate.status = "revoked"
    certificate.revoked_at, certificate.revoked_by, certificate.revoke_reason = clock.now, operator, reason
    record(session, case, clock.now, "certificate_revoked", operator, f"{certificate.number}: {reason}")
    _credit_record(session, case, promise, "false_commitment", f"告知承诺 {matter} failed verification: {reason}", clock)
    enqueue_notice(session, case, clock.now, "revoked", {"matter": matter, "number": certificate.number,
                                                         "reason": reason}, unique=matter)
    return VerifyResult(case.case_no, matter, promise.status, True, certificate.number)


# --- the sweep's part: promises past due --------------------------------------------------------


class PromiseSweep(BaseModel):
    suspended: int = 0
    returned: int = 0
    verification_overdue: int = 0
    case_ids: list[int] = []


def _open_past_due(session: Session, kind: CommitmentKind, today) -> list[Commitment]:
    """In case-id order: the sweep locks their cases one by one in the order flows lock them (by id)."""
    return list(session.exec(select(Commitment).where(Commitment.kind == kind.value,
                                                      Commitment.status == CommitmentStatus.OPEN.value,
                                                      Commitment.due_date < today)
                             .order_by(Commitment.case_id, Commitment.id)))


def sweep_promises(session: Session, clock: Clock, run_id: str | None = None) -> PromiseSweep:
    """容缺 promises past due suspend their case, then return it after the grace period; 告知承诺
    verifications past due open a ledger item for the agency (its failure, not the applicant's)."""
    report = PromiseSweep()
    touched: set[int] = set()
    for promise in _open_past_due(session, CommitmentKind.DEFICIENCY, clock.today):
        case = lock_case_by_id(session, promise.case_id)
        session.refresh(promise)  # read again under the case lock: a supplement may have kept it meanwhile
        if promise.status != CommitmentStatus.OPEN.value:
            continue
        stage = deficiency_stage(clock.calendar, promise.due_date, promise.grace_days, clock.today)
        if stage is PromiseStage.RETURN and case.status in RETURNABLE:
            _return(session, case, promise, clock, run_id)
            report.returned += 1
            touched.add(case.id)
        elif stage is PromiseStage.SUSPEND and case.status in SUSPENDABLE:
            _suspend(session, case, promise, clock, run_id)
            report.suspended += 1
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


def _suspend(session: Session, case: Case, promise: Commitment, clock: Clock, run_id: str | None) -> None:
    case.suspended_from, case.status = case.status, CaseStatus.SUSPENDED.value
    case.light = None
    for task in tasks_of(session, case.id):
        if task.status == TaskStatus.PENDING.value and not task.stopped:
            stop_clock(session, case, task, StopKind.SUSPENDED, "case suspended: promise past due", "system", clock)
    record(session, case, clock.now, "case_suspended", "system",
           f"容缺 promise due {promise.due_date} not kept: {', '.join(promised_awaited(session, case))}", run_id)
    enqueue_notice(session, case, clock.now, "suspended", {"materials": promised_awaited(session, case),
                                                           "due_date": str(promise.due_date)})


def _return(session: Session, case: Case, promise: Commitment, clock: Clock, run_id: str | None) -> None:
    """退件: open tasks cancelled, the promise broken, nothing issued, a credit record written."""
    for task in tasks_of(session, case.id):
        if task.status in {s.value for s in OPEN_TASK}:
            resume_clock(session, case, task, "system", clock)
            task.status, task.light, task.updated_at = TaskStatus.CANCELLED.value, None, clock.now
            close_ledger(session, task, "system", clock, "case returned")
    promise.status, promise.resolved_at, promise.resolved_by = CommitmentStatus.BROKEN.value, clock.now, "system"
    void_open(session, case, clock, "case returned")
    case.status, case.suspended_from, case.light = CaseStatus.RETURNED.value, None, None
    case.finished_at = case.updated_at = clock.now
    record(session, case, clock.now, "case_returned", "system",
           f"容缺 promise broken: grace of {promise.grace_days} working days passed (退件)", run_id)
    _credit_record(session, case, promise, "broken_promise",
                   f"容缺 promise of {', '.join(promise.materials)} due {promise.due_date} broken", clock)
    enqueue_notice(session, case, clock.now, "returned", {"materials": promise.materials})


def _credit_record(session: Session, case: Case, promise: Commitment, kind: str, reason: str, clock: Clock) -> None:
    if session.exec(select(CreditRecord.id).where(CreditRecord.commitment_id == promise.id)).first() is None:
        session.add(CreditRecord(uscc=case.uscc, commitment_id=promise.id, case_id=case.id, kind=kind, reason=reason,
                                 created_at=clock.now))
        record(session, case, clock.now, "credit_record", "system", f"{case.uscc}: {reason}")


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


def _add(clock: Clock, days: int):
    from approvals.deadlines import due_date

    return due_date(clock.calendar, clock.today, days)
