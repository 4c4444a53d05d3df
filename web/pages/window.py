"""The window (综合受理窗口): pick a bundle, one merged form, the receipt or the correction notice, supplements,
and the hand-over of the results (出件). Agents (帮代办) file through the same form, under their mandates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from approvals.errors import OnevisitError
from web.i18n import N_
from web.pages.common import (
    HallOperator,
    PageError,
    acting,
    catalog_names,
    catalog_of,
    problem_of,
    reading,
    render,
)
from web.pages.session import signed_in

router = APIRouter(prefix="/hall")

FILERS = ("window", "agent")  # who may file and supply (the rules say it again, and decide)


@dataclass(frozen=True)
class MaterialLine:
    """A line of the merged checklist: one material, however many matters need it (一次提交, 多方共用)."""

    code: str
    name: str
    core: bool
    matters: list[str]
    shared_from: str | None


def checklist(catalog, bundle) -> list[MaterialLine]:
    lines: dict[str, MaterialLine] = {}
    for code in bundle.matter_codes():
        for mat in catalog.matters[code].materials:
            line = lines.setdefault(mat.code, MaterialLine(mat.code, mat.name, mat.core, [], mat.shared_from))
            line.matters.append(code)
    return list(lines.values())


def _filer(operator: HallOperator) -> None:
    if operator.role not in FILERS:
        raise PageError(403, N_("Only window clerks and agents file applications"))


@router.get("/window")
def window(request: Request, operator: HallOperator = Depends(signed_in)):
    _filer(operator)
    from services.queries.cases import list_cases

    with reading(request) as (read, clock):
        catalog = catalog_of(read)
        names = catalog_names(read)
        waiting = [c for status in ("correction_required", "awaiting_materials", "in_review")
                   for c in list_cases(read, clock.calendar, clock.today, status=status, tz=request.app.state.settings.tz)
                   if operator.role != "agent" or c.agent == operator.id]
        issued = [c for status in ("issued", "partially_issued")  # over the counter, not handed over yet
                  for c in list_cases(read, clock.calendar, clock.today, status=status, tz=request.app.state.settings.tz)
                  if (operator.role != "agent" or c.agent == operator.id)
                  and c.delivery_mode == "pickup" and c.collected_at is None]
    return render(request, "window.html", operator=operator, bundles=list(catalog.bundles.values()), catalog=catalog,
                  names=names, waiting=waiting, issued=issued)


def _offer(catalog, kind: str, code: str):
    """What the form is for: a published bundle (一件事) or one matter alone (事项单办), as a bundle view."""
    if kind == "bundle" and code in catalog.bundles:
        return catalog.bundles[code]
    if kind == "matter" and code in catalog.matters:
        return catalog.single_matter(code)
    raise PageError(404, N_("No such bundle"))


@router.get("/window/apply/{bundle_code}")
def application_form(bundle_code: str, request: Request, operator: HallOperator = Depends(signed_in)):
    return _blank_form(request, operator, "bundle", bundle_code)


@router.get("/window/single")
def single_matter_form(request: Request, matter: str = "", operator: HallOperator = Depends(signed_in)):
    return _blank_form(request, operator, "matter", matter)


def _blank_form(request: Request, operator: HallOperator, kind: str, code: str):
    _filer(operator)
    with reading(request) as (read, _clock):
        catalog = catalog_of(read)
        names = catalog_names(read)
    return _form(request, operator, catalog, names, _offer(catalog, kind, code), values={}, error=None)


def _form(request, operator, catalog, names, offer, *, values: dict, error: dict | None, status: int = 200):
    action = f"/hall/window/single/{offer.code}" if offer.single else f"/hall/window/apply/{offer.code}"
    return render(request, "apply.html", status_code=status, operator=operator, bundle=offer, catalog=catalog,
                  names=names, lines=checklist(catalog, offer), values=values, error=error, action=action,
                  request_id=values.get("request_id") or f"hall-{uuid.uuid4().hex}")


@router.post("/window/apply/{bundle_code}")
async def file_application(bundle_code: str, request: Request, operator: HallOperator = Depends(signed_in)):
    return await _file(request, operator, "bundle", bundle_code)


@router.post("/window/single/{matter_code}")
async def file_single_matter(matter_code: str, request: Request, operator: HallOperator = Depends(signed_in)):
    return await _file(request, operator, "matter", matter_code)


async def _file(request: Request, operator: HallOperator, kind: str, code: str):
    """File the form: the receipt, or the correction notice listing everything missing at once."""
    _filer(operator)
    from schemas.case import ApplicationIn
    from services import cases

    form = await request.form()
    values = {key: form.getlist(key) if key in _LISTS else form.get(key) for key in form}
    with reading(request) as (read, _clock):
        catalog = catalog_of(read)
        names = catalog_names(read)
    offer = _offer(catalog, kind, code)
    optional = [m.matter for m in offer.matters if m.optional]
    chosen = [m for m in form.getlist("optional_matters") if m in optional]
    # The form lists every material of every matter; an optional matter left unticked takes its own materials
    # (and any promise on them) out of the application, as the clerk expects, rather than being refused.
    needed = set(catalog.materials_of([m.matter for m in offer.matters if not m.optional or m.matter in chosen]))
    left_out = set(catalog.materials_of([m for m in optional if m not in chosen])) - needed
    key_project = bool(form.get("key_project"))
    try:
        application = ApplicationIn(
            request_id=form.get("request_id") or None,
            **({"matter": offer.code} if offer.single else {"bundle": offer.code,
               "optional_matters": chosen}),
            channel="proxy" if operator.role == "agent" else "window",
            agent=operator.id if operator.role == "agent" else None,
            applicant={"name": (form.get("applicant_name") or "").strip(), "uscc": form.get("uscc") or "",
                       "legal_representative": {"name": (form.get("legal_rep_name") or "").strip(),
                                                "id_number": form.get("legal_rep_id") or "",
                                                "phone": (form.get("legal_rep_phone") or "").strip() or None}},
            materials=[m for m in form.getlist("materials") if m not in left_out],
            deficiency_promise=[m for m in form.getlist("promise") if m not in left_out],
            commitment_matters=[m for m in form.getlist("commitment") if m not in optional or m in chosen],
            key_project=key_project,
            leader=(form.get("leader") or "").strip() or None if key_project else None,
            delivery={"mode": form.get("delivery_mode") or "pickup",
                      "address": (form.get("delivery_address") or "").strip() or None},
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        detail = ".".join(str(p) for p in first["loc"]) + ": " + first["msg"]
        error = {"title": N_("The form has a problem"), "detail": detail}
        return _form(request, operator, catalog, names, offer, values=values, error=error, status=400)
    try:
        result = acting(request, lambda session, clock: cases.submit(session, application, actor=operator.id,
                                                                      clock=clock))
    except OnevisitError as exc:  # shown on the form, nothing written
        problem = problem_of(exc)
        return _form(request, operator, catalog, names, offer, values=values, error=problem,
                     status=problem["status"])
    page = "correction-notice" if result.status == "correction_required" else "receipt"
    return RedirectResponse(f"/hall/cases/{result.case_no}/{page}", status_code=303)


_LISTS = {"materials", "optional_matters", "promise", "commitment"}
