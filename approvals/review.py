"""Parallel review (并联审批): task and case states, reviewers' decisions, and what follows them.

The rules work on plain snapshots of a case's tasks; the caller persists what they return.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from approvals.errors import BadInput, Refused


class CaseStatus(StrEnum):
    CORRECTION_REQUIRED = "correction_required"  # 补正: not accepted yet
    IN_REVIEW = "in_review"
    ISSUED = "issued"
    PARTIALLY_ISSUED = "partially_issued"  # an optional matter was denied
    DENIED = "denied"  # a required matter was denied
    AWAITING_MATERIALS = "awaiting_materials"  # 容缺: all approved, results withheld until the promise is kept
    SUSPENDED = "suspended"  # 容缺: the promise is past due; the grace period runs
    RETURNED = "returned"  # 退件: the grace period passed too; nothing issued
    REFUSED = "refused"  # 不予受理: refused at intake, with the reason and the legal notice
    WITHDRAWN = "withdrawn"  # 撤回: the applicant withdrew before issuance (or never answered a correction)


class TaskStatus(StrEnum):
    WAITING = "waiting"  # a prerequisite (先照后证) is not approved yet
    PENDING = "pending"
    SUPPLEMENT_REQUESTED = "supplement_requested"  # 补齐补正: waits for the applicant
    APPROVED = "approved"
    DENIED = "denied"
    CANCELLED = "cancelled"


class Action(StrEnum):
    APPROVE = "approve"
    DENY = "deny"
    SUPPLEMENT = "supplement"
    SPECIAL_START = "special-start"  # 特别程序: expert review, hearing, inspection, testing
    SPECIAL_END = "special-end"


OPEN_TASK = frozenset({TaskStatus.WAITING, TaskStatus.PENDING, TaskStatus.SUPPLEMENT_REQUESTED})
FINISHED_CASE = frozenset({CaseStatus.ISSUED, CaseStatus.PARTIALLY_ISSUED, CaseStatus.DENIED, CaseStatus.RETURNED,
                           CaseStatus.REFUSED, CaseStatus.WITHDRAWN})
_FAILED = frozenset({TaskStatus.DENIED, TaskStatus.CANCELLED})


@dataclass(frozen=True)
class TaskState:
    """What the rules need to know of one review task."""

    matter: str
    status: TaskStatus
    optional: bool = False
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """A reviewer's decision, checked: the task's next status and what it asks for."""

    action: Action
    status: TaskStatus
    reason: str | None
    materials: tuple[str, ...]


def check_decision(
    current: TaskStatus,
    action: Action,
    reason: str | None,
    materials: Sequence[str],
    in_special_procedure: bool = False,
) -> Decision:
    """Validate a decision against the task's state; raise BadInput or Refused.

    A special procedure stops the task's clock but not the task: the reviewer may still decide,
    which ends the procedure.
    """
    reason = (reason or "").strip() or None
    if action is Action.DENY and reason is None:
        raise BadInput("a denial needs --reason")
    if action is Action.SPECIAL_START and reason is None:
        raise BadInput("a special procedure needs --reason (expert review, hearing, inspection, testing)")
    if action is Action.SUPPLEMENT and not materials:
        raise BadInput("a supplement request needs at least one --material")
    if action is not Action.SUPPLEMENT and materials:
        raise BadInput("--material is only for a supplement request")
    allowed = {TaskStatus.PENDING}
    if action is Action.DENY:
        allowed.add(TaskStatus.SUPPLEMENT_REQUESTED)  # the applicant never supplied
    if current not in allowed:
        raise Refused(f"cannot {action.value} a task that is {current.value}")
    if action is Action.SPECIAL_START and in_special_procedure:
        raise Refused("a special procedure is already under way on this task")
    if action is Action.SPECIAL_END and not in_special_procedure:
        raise Refused("no special procedure is under way on this task")
    if action is Action.SUPPLEMENT and in_special_procedure:
        raise Refused("end the special procedure (special-end) before asking for a supplement")
    status = {
        Action.APPROVE: TaskStatus.APPROVED,
        Action.DENY: TaskStatus.DENIED,
        Action.SUPPLEMENT: TaskStatus.SUPPLEMENT_REQUESTED,
        Action.SPECIAL_START: TaskStatus.PENDING,
        Action.SPECIAL_END: TaskStatus.PENDING,
    }[action]
    return Decision(action, status, reason, tuple(dict.fromkeys(materials)))


def initial_status(depends_on: Iterable[str]) -> TaskStatus:
    return TaskStatus.WAITING if tuple(depends_on) else TaskStatus.PENDING


@dataclass(frozen=True)
class Settlement:
    """Where a case stands after a change: task statuses to write, and the case's status."""

    changes: dict[str, TaskStatus]  # matter -> new status, only for tasks that change
    case_status: CaseStatus
    certify: tuple[str, ...]  # matters whose certificates are issued now, all together


def settle(tasks: Sequence[TaskState], *, withhold: bool = False) -> Settlement:
    """Release dependents of approved prerequisites, cancel what can no longer matter, decide the case.

    A waiting task starts when all its prerequisites are approved and is cancelled when one of
    them failed. A failed required matter denies the case and cancels every open task. When
    every task is final, all approved matters are certified together (一个窗口出件), unless
    `withhold` (a 容缺 promise still open): then the case awaits the promised materials.
    """
    status = {t.matter: t.status for t in tasks}
    changed = True
    while changed:
        changed = False
        for t in tasks:
            if status[t.matter] is not TaskStatus.WAITING:
                continue
            deps = [status[d] for d in t.depends_on if d in status]
            if any(s in _FAILED for s in deps):
                status[t.matter] = TaskStatus.CANCELLED
                changed = True
            elif all(s is TaskStatus.APPROVED for s in deps):
                status[t.matter] = TaskStatus.PENDING
                changed = True

    certify: tuple[str, ...] = ()
    if any(not t.optional and status[t.matter] in _FAILED for t in tasks):
        case_status = CaseStatus.DENIED
        for matter, s in status.items():
            if s in OPEN_TASK:
                status[matter] = TaskStatus.CANCELLED
    elif any(s in OPEN_TASK for s in status.values()):
        case_status = CaseStatus.IN_REVIEW
    elif withhold:
        case_status = CaseStatus.AWAITING_MATERIALS
    else:
        certify = tuple(t.matter for t in tasks if status[t.matter] is TaskStatus.APPROVED)
        every = len(certify) == len(tasks)
        case_status = CaseStatus.ISSUED if every else CaseStatus.PARTIALLY_ISSUED

    changes = {t.matter: status[t.matter] for t in tasks if status[t.matter] is not t.status}
    return Settlement(changes, case_status, certify)
