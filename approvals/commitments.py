"""Promises (承诺书): 容缺 promises to supply materials, 告知承诺 promises verified after issuance.

Pure rules for each promise's lifecycle; the service layer applies them and the sweep asks them
what is due today.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from approvals.calendar import CalendarUnknown, WorkingCalendar
from approvals.errors import BadInput, Refused


class CommitmentKind(StrEnum):
    DEFICIENCY = "deficiency"  # 容缺受理: secondary materials supplied later
    NOTIFICATION = "notification"  # 告知承诺: decided on the promise, verified later


class CommitmentStatus(StrEnum):
    OPEN = "open"
    FULFILLED = "fulfilled"  # deficiency: every promised material arrived
    BROKEN = "broken"  # deficiency: the grace period passed too; the case was returned
    VERIFIED = "verified"  # notification: the check passed
    FAILED = "failed"  # notification: the check failed; the certificate was revoked
    VOID = "void"  # nothing left to keep: the matter or the case was denied or returned


class PromiseStage(StrEnum):
    KEPT_OR_RUNNING = "running"
    SUSPEND = "suspend"  # past due: the case is suspended, the grace period runs
    RETURN = "return"  # past the grace period too: returned (退件), credit record


def deficiency_stage(calendar: WorkingCalendar, due: date | None, grace_days: int, today: date) -> PromiseStage:
    """Where an open 容缺 promise stands today."""
    if due is None or today <= due:
        return PromiseStage.KEPT_OR_RUNNING
    try:
        grace_ends = calendar.add_working_days(due, grace_days)
    except CalendarUnknown:
        return PromiseStage.SUSPEND  # the grace period cannot be counted: never return on a guess
    return PromiseStage.RETURN if today > grace_ends else PromiseStage.SUSPEND


SUSPENDABLE = frozenset({"in_review", "awaiting_materials"})
RETURNABLE = frozenset({"in_review", "awaiting_materials", "suspended"})


def check_verification(status: CommitmentStatus, passed: bool, reason: str | None, issued: bool) -> bool:
    """Whether a 告知承诺 verification changes anything: False when the same result is already recorded."""
    if not passed and not (reason or "").strip():
        raise BadInput("a failed verification needs --reason")
    if not issued:
        raise Refused("nothing is issued yet for this matter: verify after issuance")
    wanted = CommitmentStatus.VERIFIED if passed else CommitmentStatus.FAILED
    if status is wanted:
        return False
    if status is not CommitmentStatus.OPEN:
        raise Refused(f"this promise was already verified: {status.value}")
    return True
