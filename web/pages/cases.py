"""A case as the hall reads it: the case page, the receipt (受理回执), the correction notice (补正一次性告知书),
supplements, and the hand-over of the results at the window (出件)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from approvals.errors import OnevisitError
from web.i18n import N_
from web.pages.common import (
    HallOperator,
    PageError,
    acting,
    catalog_names,
    problem_of,
    reading,
    remaining_days,
    render,
)
from web.pages.session import signed_in

router = APIRouter(prefix="/hall")


def load_case(request: Request, operator: HallOperator, case_no: str):
    """The case (identifiers masked), the catalog's names and the working days left of each clock."""
    from services.queries.cases import show_case

    with reading(request) as (read, clock):
        case = show_case(read, case_no, clock.calendar, clock.today, request.app.state.settings.tz,
                         agent=operator.id if operator.role == "agent" else None)
        names = catalog_names(read)
        left = {r.task_id: remaining_days(clock.calendar, r.due_date, clock.today) for r in case.reviews}
        case_left = remaining_days(clock.calendar, case.due_date, clock.today)
    return case, names, left, case_left


def case_ratings(request: Request, case_no: str) -> list[dict]:
    """The case's 好差评, comments masked as everywhere else."""
    from approvals.identifiers import mask_text
    from services.queries.ratings import ratings

    with reading(request) as (read, _clock):
        found = ratings(read, case_no=case_no, tz=request.app.state.settings.tz)
    return [{**r, "comment": mask_text(r["comment"]) if r["comment"] else None} for r in found]


def _page(request, operator, case_no, template, *, error=None, status=200, **extra):
    try:
        case, names, left, case_left = load_case(request, operator, case_no)
    except OnevisitError as exc:
        problem = problem_of(exc)
        raise PageError(problem["status"], problem["title"], problem["detail"]) from None
    if template == "case.html":
        from approvals.ratings import RATABLE

        extra["ratings"] = case_ratings(request, case_no)
        extra["ratable"] = case.status in RATABLE  # a case is rated once it has ended, however it ended
    awaited = sorted({m for r in case.reviews if r.status == "supplement_requested" for m in r.requested_materials}
                     | {m for p in case.commitments if p.kind == "deficiency" and p.status == "open"
                        for m in (p.materials or [])})
    return render(request, template, status_code=status, operator=operator, case=case, names=names, left=left,
                  case_left=case_left, awaited=awaited, error=error, window=request.app.state.settings, **extra)


@router.get("/cases/{case_no}")
def case_page(case_no: str, request: Request, operator: HallOperator = Depends(signed_in)):
    return _page(request, operator, case_no, "case.html")


@router.get("/cases/{case_no}/receipt")
def receipt(case_no: str, request: Request, operator: HallOperator = Depends(signed_in)):
    return _page(request, operator, case_no, "receipt.html")


@router.get("/cases/{case_no}/correction-notice")
def correction_notice(case_no: str, request: Request, operator: HallOperator = Depends(signed_in)):
    return _page(request, operator, case_no, "correction_notice.html")


@router.post("/cases/{case_no}/supplement")
async def supplement(case_no: str, request: Request, operator: HallOperator = Depends(signed_in)):
    from services import cases

    form = await request.form()
    materials = form.getlist("materials")
    try:
        result = acting(request, lambda session, clock: cases.supplement(session, case_no, materials,
                                                                          actor=operator.id, clock=clock))
    except OnevisitError as exc:
        problem = problem_of(exc)
        return _page(request, operator, case_no, "case.html", error=problem, status=problem["status"])
    if result.status != "correction_required" and not result.still_missing and "correction" in (form.get("from") or ""):
        return RedirectResponse(f"/hall/cases/{case_no}/receipt", status_code=303)
    return RedirectResponse(f"/hall/cases/{case_no}", status_code=303)


@router.post("/cases/{case_no}/refuse")
async def refuse(case_no: str, request: Request, operator: HallOperator = Depends(signed_in)):
    """不予受理 at the window, in writing, with the reason (the legal notice goes to the applicant)."""
    from services import endings

    return await _end(request, operator, case_no, endings.refuse)


@router.post("/cases/{case_no}/withdraw")
async def withdraw(case_no: str, request: Request, operator: HallOperator = Depends(signed_in)):
    """撤回: the applicant withdraws before issuance; whatever runs stops."""
    from services import endings

    return await _end(request, operator, case_no, endings.withdraw)


async def _end(request: Request, operator: HallOperator, case_no: str, ending):
    form = await request.form()
    reason = (form.get("reason") or "").strip() or None
    try:
        acting(request, lambda session, clock: ending(session, case_no, reason=reason, operator=operator.id,
                                                       clock=clock))
    except OnevisitError as exc:
        problem = problem_of(exc)
        return _page(request, operator, case_no, "case.html", error=problem, status=problem["status"])
    return RedirectResponse(f"/hall/cases/{case_no}", status_code=303)


@router.get("/cases/{case_no}/handover")
def handover(case_no: str, request: Request, operator: HallOperator = Depends(signed_in)):
    if operator.role not in ("window", "admin", "supervisor", "agent"):
        raise PageError(403, N_("Only the window hands over results"))
    return _page(request, operator, case_no, "handover.html")


@router.post("/cases/{case_no}/handover")
def hand_over(case_no: str, request: Request, operator: HallOperator = Depends(signed_in)):
    """出件: the clerk records that the applicant received every result, as `onevisit collect` does."""
    from services import delivery

    try:
        acting(request, lambda session, clock: delivery.collect(session, case_no, operator=operator.id, clock=clock))
    except OnevisitError as exc:
        problem = problem_of(exc)
        return _page(request, operator, case_no, "handover.html", error=problem, status=problem["status"])
    return RedirectResponse(f"/hall/cases/{case_no}/handover", status_code=303)


def _window_rating(request: Request, operator: HallOperator, case_no: str) -> dict:
    from services.queries.ratings import rating_form

    if operator.role not in ("window", "admin"):
        raise PageError(403, N_("Only the window takes the applicant's rating"))
    try:
        with reading(request) as (read, _clock):
            return rating_form(read, case_no, "window")
    except OnevisitError as exc:
        problem = problem_of(exc)
        raise PageError(problem["status"], problem["title"], problem["detail"]) from None


@router.get("/cases/{case_no}/rating")
def window_rating(case_no: str, request: Request, operator: HallOperator = Depends(signed_in)):
    """好差评 at the window: the applicant rates the case on the clerk's screen (or a pad facing the counter)."""
    form = _window_rating(request, operator, case_no)
    return render(request, "rate.html", operator=operator, form=form, error=None, done=False, at_window=True)


@router.post("/cases/{case_no}/rating")
async def rate_at_the_window(case_no: str, request: Request, operator: HallOperator = Depends(signed_in)):
    from services import ratings
    from web.pages.rate import bad_form, rating_given

    form = _window_rating(request, operator, case_no)
    settings = request.app.state.settings
    try:
        given = rating_given(form, await request.form())
        acting(request, lambda session, clock: ratings.rate(
            session, case_no, given, clock=clock, callback_days=settings.rating_callback_days,
            fix_days=settings.rating_fix_days, operator=operator.id))
    except (OnevisitError, ValueError) as exc:
        problem = problem_of(exc if isinstance(exc, OnevisitError) else bad_form(exc))
        return render(request, "rate.html", status_code=problem["status"], operator=operator, form=form,
                      error=problem, done=False, at_window=True)
    return RedirectResponse(f"/hall/cases/{case_no}#ratings", status_code=303)


@router.get("/cases")
def case_list(request: Request, status: str | None = None, operator: HallOperator = Depends(signed_in)):
    """Every case, oldest first (an agent: its own), filtered by status."""
    from services.queries.cases import list_cases

    with reading(request) as (read, clock):
        try:
            cases = list_cases(read, clock.calendar, clock.today, status=status or None,
                               tz=request.app.state.settings.tz,
                               agent=operator.id if operator.role == "agent" else None)
        except OnevisitError as exc:
            problem = problem_of(exc)
            raise PageError(problem["status"], problem["title"], problem["detail"]) from None
        names = catalog_names(read)
    return render(request, "cases.html", operator=operator, cases=cases, names=names, status=status)
