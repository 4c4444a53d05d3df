"""Administration: operators, agents and mandates, the calendar, the catalog, the audit chain, reopening a
stalled case, and each case's flow runs (with a link to the Prefect UI)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from approvals.errors import BadInput, OnevisitError
from web.i18n import N_
from web.pages.common import HallOperator, PageError, acting, catalog_names, problem_of, reading, render
from web.pages.session import signed_in

router = APIRouter(prefix="/hall/admin")


def administrator(operator: HallOperator = Depends(signed_in)) -> HallOperator:
    if operator.role != "admin":
        raise PageError(403, N_("Only administrators administer the hall"))
    return operator


def _staff_page(request: Request, operator: HallOperator, *, error=None, status=200):
    from services.queries.staff import list_mandates, list_operators

    with reading(request) as (read, clock):
        operators = list_operators(read)
        mandates = list_mandates(read, clock.today, agent=None)
        names = catalog_names(read)
    return render(request, "admin.html", status_code=status, operator=operator, operators=operators,
                  mandates=mandates, names=names, error=error, today=clock.today)


@router.get("")
def staff_page(request: Request, operator: HallOperator = Depends(administrator)):
    return _staff_page(request, operator)


async def _act(request: Request, operator: HallOperator, use_case, *, back: str = "/hall/admin", page=None):
    """Run an administrator's act from a form; a refusal is shown on the page it came from."""
    form = await request.form()
    try:
        acting(request, lambda session, clock: use_case(session, clock, form))
    except OnevisitError as exc:
        problem = problem_of(exc)
        return (page or _staff_page)(request, operator, error=problem, status=problem["status"])
    return RedirectResponse(f"{back}?done=1", status_code=303)


@router.post("/operators")
async def add_operator(request: Request, operator: HallOperator = Depends(administrator)):
    from services import staff

    def use_case(session, clock, form):
        role = form.get("role") or ""
        return staff.add_operator(session, (form.get("id") or "").strip(), role,
                                  agency=(form.get("agency") or None) if role in ("reviewer", "head") else None,
                                  name=(form.get("name") or "").strip(), phone=(form.get("phone") or "").strip() or None,
                                  by=operator.id, now=clock.now)

    return await _act(request, operator, use_case)


@router.post("/operators/{operator_id}/disable")
async def disable_operator(operator_id: str, request: Request, operator: HallOperator = Depends(administrator)):
    from services import staff

    return await _act(request, operator, lambda session, clock, form: staff.disable_operator(
        session, operator_id, by=operator.id, now=clock.now))


@router.post("/passwords")
async def set_password(request: Request, operator: HallOperator = Depends(administrator)):
    """A new password for an operator or agent (typed twice; the sign-in keeps only its hash)."""
    from services import access

    def use_case(session, clock, form):
        password = form.get("password") or ""
        if password != (form.get("again") or ""):
            raise BadInput("the two passwords differ")
        return access.set_password(session, form.get("who") or "", password, by=operator.id, now=clock.now)

    return await _act(request, operator, use_case)


@router.post("/agents")
async def add_agent(request: Request, operator: HallOperator = Depends(administrator)):
    from services import staff

    return await _act(request, operator, lambda session, clock, form: staff.add_agent(
        session, (form.get("id") or "").strip(), name=(form.get("name") or "").strip(),
        phone=(form.get("phone") or "").strip() or None, by=operator.id, now=clock.now))


@router.post("/mandates")
async def grant_mandate(request: Request, operator: HallOperator = Depends(administrator)):
    from services import staff

    def use_case(session, clock, form):
        return staff.grant_mandate(session, form.get("agent") or "", (form.get("uscc") or "").strip().upper(),
                                   ",".join(form.getlist("scopes")), _day(form.get("until")), by=operator.id,
                                   clock=clock)

    return await _act(request, operator, use_case)


@router.post("/mandates/{mandate_id}/revoke")
async def revoke_mandate(mandate_id: int, request: Request, operator: HallOperator = Depends(administrator)):
    from services import staff

    return await _act(request, operator, lambda session, clock, form: staff.revoke_mandate(
        session, mandate_id, reason=(form.get("reason") or "").strip() or "revoked at the hall", by=operator.id,
        now=clock.now))


def _day(text: str | None) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise BadInput(f"{text!r} is not a date (YYYY-MM-DD)") from None


# --- the calendar ------------------------------------------------------------------------------


def _calendar_page(request: Request, operator: HallOperator, *, year: int | None = None, error=None, status=200):
    from approvals.calendar import year_view
    from services.queries.catalog import calendar_overrides

    with reading(request) as (read, clock):
        year = year or clock.today.year
        try:
            view = year_view(clock.calendar, calendar_overrides(read), year)
        except OnevisitError as exc:
            raise PageError(400, N_("No such year"), str(exc)) from None
    return render(request, "admin_calendar.html", status_code=status, operator=operator, view=asdict(view),
                  year=year, error=error)



@router.get("/calendar")
def calendar_page(request: Request, year: int | None = None, operator: HallOperator = Depends(administrator)):
    return _calendar_page(request, operator, year=year)


@router.post("/calendar")
async def set_days(request: Request, operator: HallOperator = Depends(administrator)):
    """One day, or a year's announced holidays pasted as lines `YYYY-MM-DD holiday|workday`."""
    from services import workdays

    def use_case(session, clock, form):
        reason = (form.get("reason") or "").strip()
        days = _days(form.get("days") or "")
        return sum(workdays.set_day(session, day, workday, reason=reason, actor=operator.id, clock=clock)
                   for day, workday in days)

    return await _act(request, operator, use_case, back="/hall/admin/calendar", page=_calendar_page)


def _days(text: str) -> list[tuple[date, bool]]:
    days = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or parts[1] not in ("holiday", "workday"):
            raise BadInput(f"line {number}: write YYYY-MM-DD holiday or YYYY-MM-DD workday")
        days.append((_day(parts[0]), parts[1] == "workday"))
    if not days:
        raise BadInput("no day given")
    return days


# --- the catalog, the audit, reopening, flow runs ----------------------------------------------


def _catalog_page(request: Request, operator: HallOperator, *, error=None, status=200):
    from services.queries.catalog import catalog_document

    with reading(request) as (read, _clock):
        version, document = catalog_document(read)
        names = catalog_names(read)
    return render(request, "admin_catalog.html", status_code=status, operator=operator, version=version,
                  document=document, names=names, error=error)



@router.get("/catalog")
def catalog_page(request: Request, operator: HallOperator = Depends(administrator)):
    return _catalog_page(request, operator)


@router.post("/catalog")
async def load_catalog(request: Request, operator: HallOperator = Depends(administrator)):
    from approvals.permissions import Act
    from services import catalog, staff

    async def text_of(form) -> str:
        upload = form.get("file")
        if upload is not None and hasattr(upload, "read"):
            raw = await upload.read()
            if raw:
                try:
                    return raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise BadInput("the catalog file is not UTF-8 text") from None
        return form.get("text") or ""

    form = await request.form()
    try:
        text = await text_of(form)

        def use_case(session, clock):
            staff.authorise(session, operator.id, Act.ADMINISTER)
            return catalog.load_catalog(session, text, source="uploaded at the hall", actor=operator.id, now=clock.now)

        acting(request, use_case)
    except OnevisitError as exc:
        problem = problem_of(exc)
        return _catalog_page(request, operator, error=problem, status=problem["status"])
    return RedirectResponse("/hall/admin/catalog?done=1", status_code=303)


@router.get("/audit")
def audit_page(request: Request, operator: HallOperator = Depends(administrator)):
    from services.queries.supervision import audit

    with reading(request) as (read, _clock):
        report = audit(read)
    return render(request, "admin_audit.html", operator=operator, report=report)


def _reopen_page(request: Request, operator: HallOperator, *, error=None, status=200):
    from services.queries.cases import stalled_cases

    settings = request.app.state.settings
    with reading(request) as (read, clock):
        try:
            stalled = stalled_cases(read, clock.calendar, clock.now, after_days=settings.stalled_after_days,
                                    lease_seconds=settings.claim_lease_seconds)
        except OnevisitError as exc:
            stalled, error = [], error or problem_of(exc)
        names = catalog_names(read)
    return render(request, "admin_reopen.html", status_code=status, operator=operator, stalled=stalled, error=error,
                  names=names)


@router.get("/reopen")
def reopen_page(request: Request, operator: HallOperator = Depends(administrator)):
    return _reopen_page(request, operator)


@router.post("/reopen")
async def reopen(request: Request, operator: HallOperator = Depends(administrator)):
    """Settle the case from what is persisted and queue what is missing; the served flows do the rest."""
    from services.reopen import reopen as reopen_case

    lease = request.app.state.settings.claim_lease_seconds
    return await _act(request, operator, lambda session, clock, form: reopen_case(
        session, (form.get("case_no") or "").strip(), reason=form.get("reason") or "", operator=operator.id,
        reassign=None, clock=clock, lease_seconds=lease), back="/hall/admin/reopen", page=_reopen_page)


@router.get("/cases/{case_no}/runs")
def runs_page(case_no: str, request: Request, operator: HallOperator = Depends(administrator)):
    from services.queries.cases import list_runs

    with reading(request) as (read, _clock):
        try:
            runs = list_runs(read, case_no)
        except OnevisitError as exc:
            problem = problem_of(exc)
            raise PageError(problem["status"], problem["title"], problem["detail"]) from None
    return render(request, "admin_runs.html", operator=operator, case_no=case_no, runs=runs,
                  prefect_ui=prefect_ui_url())


def prefect_ui_url() -> str | None:
    """The Prefect UI this installation's runs are seen in (PREFECT_UI_URL), if one is set."""
    from prefect.settings import PREFECT_UI_URL

    url = PREFECT_UI_URL.value()
    return url.rstrip("/") if url else None
