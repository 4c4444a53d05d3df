"""Sign-off chains (签批: 初审 → 审核 → 签发): who may act on a task's current step, and recording each
signature. A task whose matter declares no steps is decided at once by one reviewer, as always."""

from __future__ import annotations

from sqlmodel import Session

from approvals.permissions import Actor
from approvals.signoff import Step, check_signer
from services.catalog import catalog_version
from services.db import raw


def check(session: Session, case, task, who: Actor) -> tuple[tuple[Step, ...], Step | None]:
    """The matter's steps and the one `who` would sign now; refused (before anything is written) when
    `who` lacks the step's role, signed an earlier step, or the task is bound to someone else."""
    steps = catalog_version(session, case.catalog_version).matters[task.matter].steps
    signers = [r["operator"] for r in raw(session).rows(
        "SELECT operator FROM sign_off WHERE task_id = %(t)s", t=task.id)] if steps else []
    return steps, check_signer(steps, task.step, signers, who, task.assignee)
