"""Sign-off chains (签批): a matter's decision passes 初审 → 审核 → 签发, each step by another person.

Pure rules: who may sign the current step of a task, and whether the signature decides the task.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from approvals.errors import Refused
from approvals.permissions import Actor, Role


@dataclass(frozen=True)
class Step:
    """One step of a matter's chain: its name (初审) and the role that signs it (reviewer or head)."""

    name: str
    role: Role = Role.REVIEWER


def check_signer(steps: Sequence[Step], signed: int, signers: Sequence[str], actor: Actor,
                 assignee: str | None) -> Step | None:
    """Refuse `actor` acting on a task at step `signed` of `steps` (None: the task has no chain).

    A task without a chain is decided by a reviewer. On a chain, each step is signed by the step's role
    and by someone who signed no earlier step of it. A task bound to a named reviewer (`reopen --reassign`)
    takes its next reviewer's act from that reviewer only. Returns the step being signed, or None."""
    step = steps[signed] if steps else None
    role = step.role if step else Role.REVIEWER
    if actor.role is not role:
        where = f"step {signed + 1} of {len(steps)} ({step.name})" if step else "this task"
        raise Refused(f"operator {actor.id} ({actor.role.value}) may not act on {where}: only a {role.value}")
    if actor.id in signers:
        raise Refused(f"operator {actor.id} signed an earlier step of this task; step {signed + 1} "
                      f"({step.name if step else ''}) needs someone else")
    if assignee and role is Role.REVIEWER and actor.id != assignee:
        raise Refused(f"the task is bound to {assignee} (reassigned): only {assignee} acts on it now")
    return step


def is_last(steps: Sequence[Step], signed: int) -> bool:
    """Whether the step at `signed` is the chain's last (a task without a chain decides at once)."""
    return not steps or signed >= len(steps) - 1
