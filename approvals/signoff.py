"""Sign-off chains (签批): a matter's decision passes 初审 → 审核 → 签发, each step by another person.

Pure rules: who may sign the current step of a task, and whether the signature decides the task.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from approvals.errors import Forbidden
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
    takes its next reviewer's act from that reviewer only. A head signs only a step of a chain. Returns the
    step being signed, or None."""
    if not steps:
        if actor.role is Role.HEAD:
            raise Forbidden(f"operator {actor.id} (head) signs a step of a sign-off chain; this task has none: "
                            "its agency's reviewers decide it")
        step = None
    elif signed >= len(steps):  # every step signed: the task is decided, and its state refuses more
        return None
    else:
        step = steps[signed]
        if actor.role is not step.role:
            raise Forbidden(f"operator {actor.id} ({actor.role.value}) may not sign step {signed + 1} of "
                            f"{len(steps)} ({step.name}): only a {step.role.value}")
        if actor.id in signers:
            raise Forbidden(f"operator {actor.id} signed an earlier step of this task; step {signed + 1} "
                            f"({step.name}) needs someone else")
    if assignee and actor.role is Role.REVIEWER and actor.id != assignee:
        raise Forbidden(f"the task is bound to {assignee} (reassigned): only {assignee} acts on it now")
    return step


def is_last(steps: Sequence[Step], signed: int) -> bool:
    """Whether the step at `signed` is the chain's last (a task without a chain decides at once)."""
    return not steps or signed >= len(steps) - 1
