"""Statutory extension (延期, 行政许可法 §42): +10 working days once, asked by the reviewer and
approved by a supervisor or the agency's head before the task is decided."""

from __future__ import annotations

from approvals.errors import BadInput, Refused
from approvals.review import OPEN_TASK, TaskStatus

EXTENSION_DAYS = 10  # the licensing law's rule for a single agency


def check_request(task: TaskStatus, earlier: str | None, reason: str | None) -> str:
    """The reason, cleaned; refused when the task is decided or already had (or asked for) its one extension."""
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("an extension needs --reason (it is told to the applicant)")
    if task not in OPEN_TASK or task is TaskStatus.WAITING:
        raise Refused(f"the task is {task.value}: only a running task can be extended")
    if earlier is not None:
        raise Refused(f"the task's extension was already asked for ({earlier}): a limit is extended once")
    return reason


def check_decision(task: TaskStatus, status: str | None, approve: bool, note: str | None) -> str | None:
    """Refused unless an extension is waiting for a decision on a task still open; a refusal needs a note."""
    if status is None:
        raise Refused("no extension was asked for on this task")
    if status != "requested":
        raise Refused(f"the extension was {status} already")
    if task not in OPEN_TASK:
        raise Refused(f"the task is {task.value}: too late to extend it")
    note = (note or "").strip() or None
    if not approve and note is None:
        raise BadInput("refusing an extension needs --reason")
    return note
