"""Review tasks: my agency's queue, one task, a decision; and the receiver of agencies' own systems."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from approvals.errors import Forbidden, NotFound
from approvals.permissions import Act, Role, bound_agency, check, check_task_read
from approvals.review import Action
from schemas.inputs import AgencyDecisionIn, DecisionIn
from web.api.responses import out, page
from web.deps import CurrentOperator, read_clock, reading, write

router = APIRouter(tags=["review tasks"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


@router.get("/tasks")
def queue(who: CurrentOperator, request: Request, agency: str | None = None, status: str | None = None,
          limit: Limit = 100, offset: Offset = 0):
    """A work queue (open tasks unless `status`): key projects, then red, yellow, green, then due date.
    A reviewer's queue is its own agency's."""
    from services.queries.tasks import list_tasks

    check(who, Act.READ)
    if who.role is Role.AGENT:
        raise Forbidden(f"agent {who.id} reads its own cases only")
    own = bound_agency(who)
    if own is not None:
        if agency not in (None, own):
            check_task_read(who, agency)
        agency = own
    with reading(request) as read:
        clock = read_clock(request, read)
        rows = list_tasks(read, clock.calendar, clock.today, agency=agency, status=status)
    return page(request, rows, limit, offset)


@router.get("/tasks/{task_id}")
def task(task_id: int, who: CurrentOperator, request: Request):
    """One task, as its queue shows it (a reviewer: its own agency's only)."""
    from services.queries.tasks import one_task

    check(who, Act.READ)
    if who.role is Role.AGENT:
        raise Forbidden(f"agent {who.id} reads its own cases only")
    with reading(request) as read:
        clock = read_clock(request, read)
        row = one_task(read, clock.calendar, clock.today, task_id)
    check_task_read(who, row.agency)
    return out(request, row)


@router.post("/tasks/{task_id}/decisions")
def decide(task_id: int, body: DecisionIn, who: CurrentOperator, request: Request):
    """A reviewer's decision (approve, deny, supplement, special-start, special-end); what follows (release,
    issuance) is done before this answers."""
    return out(request, _decide(request, task_id, body, who.id))


def _decide(request: Request, task_id: int, body: DecisionIn, identity: str) -> dict:
    from services import cases

    result = write(request, lambda s, clock: cases.decide(s, task_id, Action(body.action), operator=identity,
                                                          reason=body.reason, materials=body.materials, clock=clock))
    return result.__dict__


@router.post("/agencies/{agency}/decisions", tags=["agency systems"])
def agency_callback(agency: str, body: AgencyDecisionIn, who: CurrentOperator, request: Request):
    """An agency's own review system posts a decision (beside the engine's polling), with a token bound to
    that agency; the task must be that agency's."""
    from services.queries.tasks import task_agency

    if who.role is not Role.SYSTEM or who.agency != agency:
        raise Forbidden(f"{who.id} does not speak for {agency}: use a token bound to it")
    with reading(request) as read:
        if task_agency(read, body.task_id) != agency:
            raise NotFound(f"no review task {body.task_id} of {agency}")
    return out(request, _decide(request, body.task_id, body, who.id))
