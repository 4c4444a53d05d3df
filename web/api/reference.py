"""What everyone reads: the catalog in force and the working-day calendar."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request

from approvals.permissions import Act, check
from web.api.responses import out
from web.deps import CurrentOperator, reading

router = APIRouter(tags=["catalog and calendar"])


@router.get("/catalog")
def catalog(who: CurrentOperator, request: Request):
    """Agencies, bundles, their matters and materials (names in Chinese), as in force."""
    from services.queries.catalog import catalog_view

    check(who, Act.READ)
    with reading(request) as read:
        return out(request, catalog_view(read))


@router.get("/calendar/{year}")
def calendar(who: CurrentOperator, request: Request, year: int = Path(ge=2000, le=2100)):
    """A year's working days per month, holidays, make-up workdays (调休), overrides; whether it is announced."""
    from dataclasses import asdict

    from approvals.calendar import year_view
    from services.queries.catalog import calendar_overrides
    from services.queries.connection import calendar as calendar_in_force

    check(who, Act.READ)
    with reading(request) as read:
        return out(request, asdict(year_view(calendar_in_force(read), calendar_overrides(read), year)))
