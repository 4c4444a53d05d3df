"""The review desk (后台审批): my agency's queue, key projects and the reddest first; a task and its decision."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from approvals.errors import OnevisitError
from web.pages.cases import load_case
from web.i18n import N_
from web.pages.common import (
    HallOperator,
    PageError,
    acting,
    catalog_names,
    catalog_of,
    problem_of,
    reading,
    remaining_days,
    render,
)
from web.pages.session import signed_in

router = APIRouter(prefix="/hall")

ACTIONS = ("approve", "deny", "supplement", "special-start", "special-end")


AGENCY_DESK = ("reviewer", "head")  # an agency's reviewers and its head (负责人: signs off, approves extensions)


def _reviewer(operator: HallOperator) -> None:
    if operator.role not in AGENCY_DESK:
        raise PageError(403, N_("Only an agency's reviewers work at the review desk"))


@router.get("/review")
def queue(request: Request, operator: HallOperator = Depends(signed_in)):
    _reviewer(operator)
    from services.queries.tasks import list_tasks

    with reading(request) as (read, clock):
        tasks = list_tasks(read, clock.calendar, clock.today, agency=operator.agency, status=None)
        left = {t.task_id: remaining_days(clock.calendar, t.due_date, clock.today) for t in tasks}
        names = catalog_names(read)
    return render(request, "review_queue.html", operator=operator, tasks=tasks, left=left, names=names)


def _task_case(request: Request, operator: HallOperator, task_id: int):
    """The task's case, for a reviewer of the task's own agency only (another agency's task: 403)."""
    with reading(request) as (read, _clock):
        row = read.one("SELECT t.agency, c.case_no FROM review_task t JOIN case_file c ON c.id = t.case_id "
                       "WHERE t.id = %(t)s", t=task_id) if 0 < task_id < 2**31 else None
    if row is None:
        raise PageError(404, N_("No such review task"))
    if row["agency"] != operator.agency:
        raise PageError(403, N_("This task belongs to another agency"))
    case, names, left, case_left = load_case(request, operator, row["case_no"])
    task = next(r for r in case.reviews if r.task_id == task_id)
    return case, task, names, left, case_left


def _task_page(request, operator, task_id, *, error=None, status=200):
    _reviewer(operator)
    case, task, names, left, case_left = _task_case(request, operator, task_id)
    with reading(request) as (read, _clock):
        catalog = catalog_of(read)
    matter = catalog.matters.get(task.matter)
    materials = [m.code for m in matter.materials] if matter else []
    return render(request, "review_task.html", status_code=status, operator=operator, case=case, task=task,
                  names=names, left=left, case_left=case_left, materials=materials, error=error,
                  window=request.app.state.settings)


@router.get("/review/tasks/{task_id}")
def task_page(task_id: int, request: Request, operator: HallOperator = Depends(signed_in)):
    return _task_page(request, operator, task_id)


@router.post("/review/tasks/{task_id}/extension")
async def ask_extension(task_id: int, request: Request, operator: HallOperator = Depends(signed_in)):
    """延期: the task's reviewer asks, with the reason the applicant will be told; a supervisor or the
    agency's head decides."""
    _reviewer(operator)
    from services import extensions

    _task_case(request, operator, task_id)
    form = await request.form()
    reason = (form.get("reason") or "").strip() or None
    try:
        acting(request, lambda session, clock: extensions.ask(session, task_id, reason=reason, operator=operator.id,
                                                               clock=clock))
    except OnevisitError as exc:
        problem = problem_of(exc)
        return _task_page(request, operator, task_id, error=problem, status=problem["status"])
    return RedirectResponse(f"/hall/review/tasks/{task_id}?decided=1", status_code=303)


@router.post("/review/tasks/{task_id}/extension/decision")
async def decide_extension(task_id: int, request: Request, operator: HallOperator = Depends(signed_in)):
    """A supervisor, or the head of the task's agency, approves the extension (the limits move) or refuses it."""
    from services import extensions

    form = await request.form()
    note = (form.get("note") or "").strip() or None
    approve = form.get("decision") == "approve"
    try:
        result = acting(request, lambda session, clock: extensions.decide(session, task_id, approve=approve, note=note,
                                                                           operator=operator.id, clock=clock))
    except OnevisitError as exc:
        problem = problem_of(exc)
        raise PageError(problem["status"], problem["title"], problem["detail"]) from None
    return RedirectResponse(f"/hall/cases/{result.case_no}", status_code=303)


@router.post("/review/tasks/{task_id}")
async def decide(task_id: int, request: Request, operator: HallOperator = Depends(signed_in)):
    _reviewer(operator)
    from approvals.review import Action
    from services import cases

    _task_case(request, operator, task_id)  # another agency's task: 403 before anything is tried
    form = await request.form()
    action = form.get("action")
    if action not in ACTIONS:
        return _task_page(request, operator, task_id, status=400,
                          error={"title": N_("Choose an action"), "detail": None})
    reason = (form.get("reason") or "").strip() or None
    materials = form.getlist("materials")
    try:
        acting(request, lambda session, clock: cases.decide(session, task_id, Action(action), operator=operator.id,
                                                             reason=reason, materials=materials, clock=clock))
    except OnevisitError as exc:
        problem = problem_of(exc)
        return _task_page(request, operator, task_id, error=problem, status=problem["status"])
    return RedirectResponse(f"/hall/review/tasks/{task_id}?decided=1", status_code=303)
