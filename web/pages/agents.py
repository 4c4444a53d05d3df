"""Agents (帮代办): an agent's worklist, the cases under its mandates, and the mandates themselves."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from web.i18n import N_
from web.pages.common import HallOperator, PageError, catalog_names, reading, render
from web.pages.session import signed_in

router = APIRouter(prefix="/hall")


@router.get("/agent")
def worklist(request: Request, operator: HallOperator = Depends(signed_in)):
    if operator.role != "agent":
        raise PageError(403, N_("Only agents have a worklist"))
    from services.queries.cases import list_cases
    from services.queries.staff import list_mandates

    with reading(request) as (read, clock):
        cases = list_cases(read, clock.calendar, clock.today, status=None, tz=request.app.state.settings.tz,
                           agent=operator.id)
        mandates = list_mandates(read, clock.today, agent=operator.id)
        names = catalog_names(read)
    return render(request, "agent.html", operator=operator, cases=cases, mandates=mandates, names=names)
