"""Sign-off chains (签批: 初审 → 审核 → 签发): who may act on a task's current step, and recording each
signature. A task whose matter declares no steps is decided at once by one reviewer, as always."""

from __future__ import annotations

from sqlmodel import Session

from approvals.deadlines import Clock
from approvals.permissions import Actor
from approvals.review import Action
from approvals.signoff import Step, check_signer, is_last
from schemas.review import SignOff
from services.catalog import catalog_version
from services.db import raw
from services.records import record


def check(session: Session, case, task, who: Actor) -> tuple[tuple[Step, ...], Step | None]:
    """The matter's steps and the one `who` would sign now; refused (before anything is written) when
    `who` lacks the step's role, signed an earlier step, or the task is bound to someone else."""
    steps = catalog_version(session, case.catalog_version).matters[task.matter].steps
    signers = [r["operator"] for r in raw(session).rows(
        "SELECT operator FROM sign_off WHERE task_id = %(t)s", t=task.id)] if steps else []
    return steps, check_signer(steps, task.step, signers, who, task.assignee)


def sign(session: Session, case, task, steps: tuple[Step, ...], step: Step | None, action: Action, operator: str,
         clock: Clock) -> bool:
    """Record a signature of `step` (approve or deny); True when the decision now waits for a later step."""
    if step is None or action not in (Action.APPROVE, Action.DENY):
        return False
    session.add(SignOff(task_id=task.id, case_id=case.id, step=task.step, name=step.name, operator=operator,
                        action=action.value, signed_at=clock.now))
    record(session, case, clock.now, "signed", operator,
           f"task {task.id} {task.matter}: {step.name} ({task.step + 1}/{len(steps)}) {action.value}")
    held = action is Action.APPROVE and not is_last(steps, task.step)
    task.step += 1
    if task.assignee == operator:  # the binding (reopen --reassign) was for this step
        task.assignee = None
    task.updated_at = case.last_acted_at = clock.now
    return held
