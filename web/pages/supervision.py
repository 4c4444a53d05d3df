"""Supervision (督查): overdue and stalled cases, the ledger (交办, 督查, 销号), each case's clock, the sweep; and the
leader's page (包联领导): the key projects he follows and the ledger items that name him."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from approvals.errors import OnevisitError
from web.i18n import N_
from web.pages.common import HallOperator, PageError, acting, catalog_names, problem_of, reading, remaining_days, render
from web.pages.session import signed_in

router = APIRouter(prefix="/hall")

SUPERVISORS = ("supervisor", "admin")


def _supervisor(operator: HallOperator) -> None:
    if operator.role not in SUPERVISORS:
        raise PageError(403, N_("Only supervisors and administrators supervise"))


def _page(request: Request, operator: HallOperator, *, error=None, done=None, status=200):
    from services.queries.cases import overdue_cases, stalled_cases
    from services.queries.supervision import ledger

    settings = request.app.state.settings
    with reading(request) as (read, clock):
        overdue = overdue_cases(read, clock.calendar, clock.today, settings.tz)
        try:
            stalled = stalled_cases(read, clock.calendar, clock.now, after_days=settings.stalled_after_days,
                                    lease_seconds=settings.claim_lease_seconds)
        except OnevisitError as exc:  # the calendar cannot count back: say so, show the rest
            stalled, error = [], error or problem_of(exc)
        items = ledger(read, open_only=False)
        names = catalog_names(read)
        left = {c.case_no: remaining_days(clock.calendar, c.due_date, clock.today) for c in [*overdue, *stalled]}
    from services.ledger import HAND_KINDS

    return render(request, "supervision.html", status_code=status, operator=operator, overdue=overdue,
                  stalled=stalled, ledger=items, names=names, left=left, error=error, done=done,
                  hand_kinds=HAND_KINDS, today=clock.today)


@router.get("/supervision")
def supervision(request: Request, operator: HallOperator = Depends(signed_in)):
    _supervisor(operator)
    return _page(request, operator)


def sweep_now(session, clock, *, operator: str, escalate_after_days: int):
    """The sweep by hand (supervisors, administrators): lights and the ledger, as the scheduled one does."""
    from approvals.permissions import Act
    from services import staff, sweep

    staff.authorise(session, operator, Act.SWEEP)
    return sweep.sweep(session, clock, escalate_after_days=escalate_after_days)


@router.post("/supervision/sweep")
def sweep(request: Request, operator: HallOperator = Depends(signed_in)):
    _supervisor(operator)
    after = request.app.state.settings.escalate_after_days
    try:
        report = acting(request, lambda session, clock: sweep_now(session, clock, operator=operator.id,
                                                                   escalate_after_days=after))
    except OnevisitError as exc:
        problem = problem_of(exc)
        return _page(request, operator, error=problem, status=problem["status"])
    return RedirectResponse(f"/hall/supervision?opened={report.ledger_opened}&red={report.tasks_red}",
                            status_code=303)


@router.post("/supervision/ledger/{item_id}/close")
async def close_ledger_item(item_id: int, request: Request, operator: HallOperator = Depends(signed_in)):
    """销号: the supervisor crosses an item off, saying how it was resolved (as `onevisit ledger close`)."""
    from services.ledger import close_item

    _supervisor(operator)
    note = str((await request.form()).get("note") or "")
    try:
        acting(request, lambda session, clock: close_item(session, item_id, note=note, actor=operator.id, clock=clock))
    except OnevisitError as exc:
        problem = problem_of(exc)
        return _page(request, operator, error=problem, status=problem["status"])
    return RedirectResponse(f"/hall/supervision?closed={item_id}#ledger", status_code=303)


@router.post("/supervision/ledger")
async def add_ledger_item(request: Request, operator: HallOperator = Depends(signed_in)):
    """交办 by hand: a problem, duty or task assigned to an agency, due on a day (as `onevisit ledger add`)."""
    from datetime import date

    from approvals.errors import BadInput
    from services.ledger import add_item

    _supervisor(operator)
    form = await request.form()
    field = {name: str(form.get(name) or "").strip() for name in ("kind", "title", "agency", "due", "case_no", "leader")}
    try:
        try:
            due = date.fromisoformat(field["due"])
        except ValueError:
            raise BadInput(f"{field['due']!r} is not a date (YYYY-MM-DD)") from None
        item = acting(request, lambda session, clock: add_item(
            session, kind=field["kind"], title=field["title"], agency=field["agency"], due=due,
            case_no=field["case_no"] or None, leader=field["leader"] or None, actor=operator.id, clock=clock))
    except OnevisitError as exc:
        problem = problem_of(exc)
        return _page(request, operator, error=problem, status=problem["status"])
    return RedirectResponse(f"/hall/supervision?added={item.id}#ledger", status_code=303)


@router.get("/leader")
def leader_page(request: Request, operator: HallOperator = Depends(signed_in)):
    """The key projects a leader follows (五个一: cases, issued, running, red) and the ledger items naming him."""
    from datetime import datetime, time, timedelta

    from services.queries.projects import project_progress
    from services.queries.supervision import ledger

    if operator.role != "leader":
        raise PageError(403, N_("Only leaders follow key projects here"))
    settings = request.app.state.settings
    with reading(request) as (read, clock):
        end = datetime.combine(clock.today + timedelta(days=1), time(), settings.tz)
        projects = project_progress(read, clock.calendar, clock.today, end, settings.tz, leader=operator.id)
        # a hand-entered ledger item names its leader as typed: by name (王副县长) or by account
        items = {item.id: item for who in dict.fromkeys(filter(None, (operator.name, operator.id)))
                 for item in ledger(read, open_only=False, leader=who)}
        names = catalog_names(read)
    return render(request, "leader.html", operator=operator, projects=projects,
                  ledger=[items[i] for i in sorted(items)], names=names)
