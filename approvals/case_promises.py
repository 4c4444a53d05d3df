"""The case aggregate's promises (承诺): 容缺 (materials supplied later) and 告知承诺 (decided on the
applicant's word, verified after issuance), from signature to kept, void, broken or failed."""

from __future__ import annotations

from approvals import deadlines, intake
from approvals.case_parts import CreditEntry, Promise
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
from approvals.review import CaseStatus, TaskStatus


class CasePromises:
    """The promise rules of `approvals.casefile.CaseFile` (its attributes: promises, tasks, status...)."""

    def open_deficiency(self) -> Promise | None:
        return next((p for p in self.promises if p.kind == CommitmentKind.DEFICIENCY
                     and p.status == CommitmentStatus.OPEN), None)

    def promised_awaited(self) -> list[str]:
        promise = self.open_deficiency()
        return [m for m in promise.materials if m not in self.provided_materials] if promise else []

    def sign_promises(self, catalog: Catalog, promised: tuple[str, ...], actor: str, clock: Clock) -> None:
        """The promises signed at acceptance: one 容缺 promise for the promised materials, one 告知承诺 per
        matter decided on the applicant's word (its verification date is set at issuance)."""
        bundle = catalog.bundle_of(self.bundle, self.single_matter)
        if promised:
            days = intake.promise_days(catalog, bundle, promised, self.matters)
            needing = [catalog.matters[m] for m in self.matters
                       if any(x.code in promised for x in catalog.matters[m].materials)]
            due = deadlines.due_date(clock.calendar, clock.today, days)
            self.promises.append(Promise(self.id, CommitmentKind.DEFICIENCY, list(promised), CommitmentStatus.OPEN,
                                         clock.now, due_date=due,
                                         grace_days=min((m.grace_days for m in needing), default=15)))
            self.record(clock.now, "promise_signed", actor, f"容缺: {', '.join(promised)} by {due or 'an unknown date (no calendar)'}")
        for matter in self.commitment_matters:
            stands_in = [m for m in catalog.matters[matter].promisable  # 告知承诺 that replaces materials
                         if m not in self.required_materials and m not in self.provided_materials]
            self.promises.append(Promise(self.id, CommitmentKind.NOTIFICATION, stands_in, CommitmentStatus.OPEN,
                                         clock.now, matter=matter, grace_days=catalog.matters[matter].grace_days))
            self.record(clock.now, "promise_signed", actor, f"告知承诺: {matter} decided on the applicant's promise"
                        + (f", in place of {', '.join(stands_in)}" if stands_in else ""))


    def drop_unneeded(self, catalog: Catalog, promise: Promise, clock: Clock) -> None:
        """The open 容缺 promise, if its outstanding materials only denied or cancelled matters needed, is
        void: nobody waits for them any more, so they neither withhold results nor break a promise."""
        live = [t.matter for t in self.tasks if t.status not in (TaskStatus.DENIED, TaskStatus.CANCELLED)]
        needed = {x.code for m in live for x in catalog.matters[m].materials}
        outstanding = [m for m in promise.materials if m not in self.provided_materials]
        if outstanding and not any(m in needed for m in outstanding):
            promise.status, promise.resolved_at = CommitmentStatus.VOID, clock.now
            promise.note = f"no longer needed: {', '.join(outstanding)} served only denied or cancelled matters"
            self.record(clock.now, "promise_void", "system", promise.note)

    def void_promises(self, clock: Clock, note: str) -> None:
        for promise in self.promises:
            if promise.status == CommitmentStatus.OPEN:
                promise.status, promise.resolved_at, promise.note = CommitmentStatus.VOID, clock.now, note

    def keep_promise(self, actor: str, clock: Clock) -> bool:
        """After materials arrive: a 容缺 promise with everything supplied is fulfilled, and a case suspended
        for it resumes. True when the promise was fulfilled now."""
        promise = self.open_deficiency()
        if promise is None or any(m not in self.provided_materials for m in promise.materials):
            return False
        promise.status, promise.resolved_at, promise.resolved_by = CommitmentStatus.FULFILLED, clock.now, actor
        self.record(clock.now, "promise_kept", actor, f"容缺: {', '.join(promise.materials)} supplied")
        if self.status is CaseStatus.SUSPENDED:
            self.status, self.suspended_from = self.suspended_from or CaseStatus.IN_REVIEW, None
            for task in self.tasks:
                if task.stopped is StopKind.SUSPENDED:
                    self.resume_clock(task, actor, clock)
            self.record(clock.now, "case_resumed", actor, "the promised materials arrived within the grace period")
        return True


    def verify(self, matter: str, passed: bool, reason: str | None, operator: str, clock: Clock) -> tuple[bool, str | None]:
        """Record the check of a 告知承诺. Failed: the certificate is revoked (who, when, why), the applicant
        notified, a credit record written; the case's other certificates stay valid. Returns whether anything
        changed and the number revoked now."""
        if matter not in self.matters:
            raise BadInput(f"--matter {matter!r} is not a matter of case {self.case_no} ({', '.join(self.matters)})")
        promise = next((p for p in self.promises if p.kind == CommitmentKind.NOTIFICATION and p.matter == matter), None)
        if promise is None:
            raise NotFound(f"case {self.case_no} has no 告知承诺 for matter {matter}")
        if promise.status == CommitmentStatus.VOID:
            raise Refused(f"the 告知承诺 for {matter} is void ({promise.note}): nothing to verify")
        certificate = next((c for c in self.certificates if c.matter == matter), None)
        if not check_verification(promise.status, passed, reason, issued=certificate is not None):
            return False, None
        reason = (reason or "").strip() or None
        promise.resolved_at, promise.resolved_by, promise.note = clock.now, operator, reason
        self.last_acted_at = clock.now
        self.close_ledger(self.task(certificate.task_id), operator, clock, "verification recorded")
        if passed:
            promise.status = CommitmentStatus.VERIFIED
            self.record(clock.now, "promise_verified", operator, f"告知承诺 {matter}: passed")
            return True, None
        promise.status = CommitmentStatus.FAILED
        certificate.status = "revoked"
        certificate.revoked_at, certificate.revoked_by, certificate.revoke_reason = clock.now, operator, reason
        self.record(clock.now, "certificate_revoked", operator, f"{certificate.number}: {reason}")
        self._credit(promise, "false_commitment", f"告知承诺 {matter} failed verification: {reason}", clock)
        self.notify(clock.now, "revoked", {"matter": matter, "number": certificate.number, "reason": reason},
                    unique=matter)
        return True, certificate.number

    def overdue_promise(self, clock: Clock, run_id: str | None = None) -> str | None:
        """The open 容缺 promise past due: suspend the case, or after the grace period return it (退件).
        Returns what happened ("suspended", "returned"), or None."""
        promise = self.open_deficiency()
        if promise is None or promise.due_date is None or promise.due_date >= clock.today:
            return None
        stage = deficiency_stage(clock.calendar, promise.due_date, promise.grace_days, clock.today)
        if stage is PromiseStage.RETURN and self.status in RETURNABLE:
            self._return(promise, clock, run_id)
            return "returned"
        if stage is PromiseStage.SUSPEND and self.status in SUSPENDABLE:
            self._suspend(promise, clock, run_id)
            return "suspended"
        return None

    def _suspend(self, promise: Promise, clock: Clock, run_id: str | None) -> None:
        self.suspended_from, self.status, self.light = self.status, CaseStatus.SUSPENDED, None
        for task in self.tasks:
            if task.status is TaskStatus.PENDING and not task.stopped:
                self.stop_clock(task, StopKind.SUSPENDED, "case suspended: promise past due", "system", clock)
        self.record(clock.now, "case_suspended", "system",
                    f"容缺 promise due {promise.due_date} not kept: {', '.join(self.promised_awaited())}", run_id)
        self.notify(clock.now, "suspended", {"materials": self.promised_awaited(), "due_date": str(promise.due_date)})

    def _return(self, promise: Promise, clock: Clock, run_id: str | None) -> None:
        """退件: open tasks cancelled, the promise broken, nothing issued, a credit record written."""
        self.cancel_open_tasks("system", clock, "case returned")
        promise.status, promise.resolved_at, promise.resolved_by = CommitmentStatus.BROKEN, clock.now, "system"
        self.void_promises(clock, "case returned")
        self.status, self.suspended_from, self.light = CaseStatus.RETURNED, None, None
        self.finished_at = self.updated_at = clock.now
        self.record(clock.now, "case_returned", "system",
                    f"容缺 promise broken: grace of {promise.grace_days} working days passed (退件)", run_id)
        self._credit(promise, "broken_promise",
                     f"容缺 promise of {', '.join(promise.materials)} due {promise.due_date} broken", clock)
        self.notify(clock.now, "returned", {"materials": promise.materials})

    def _credit(self, promise: Promise, kind: str, reason: str, clock: Clock) -> None:
        """A credit record against the applicant, once per promise (the repository keeps it once)."""
        self.credit_entries.append(CreditEntry(promise, kind, reason, clock.now))
        self.record(clock.now, "credit_record", "system", f"{self.uscc}: {reason}")
