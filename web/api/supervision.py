"""Supervision: the ledger (交办, 督查, 销号), stalled and overdue cases."""

from __future__ import annotations

from fastapi import APIRouter, Request

from approvals.permissions import Actor, check_staff_read
from web.api.responses import out
from web.deps import CurrentOperator, read_clock, reading, settings_of

router = APIRouter(tags=["supervision"])


def _staff_reads(who: Actor) -> None:
    check_staff_read(who)


@router.get("/ledger")
def ledger(who: CurrentOperator, request: Request, open: bool = False):
    """The supervision ledger."""
    from services.queries.supervision import ledger as rows

    _staff_reads(who)
    with reading(request) as read:
        return out(request, rows(read, open_only=open))


@router.get("/stalled")
def stalled(who: CurrentOperator, request: Request):
    """Unfinished cases nobody acted on for N working days, failed or crashed runs, incidents; with the reason."""
    from services.queries.cases import stalled_cases

    _staff_reads(who)
    settings = settings_of(request)
    with reading(request) as read:
        clock = read_clock(request, read)
        return out(request, stalled_cases(read, clock.calendar, clock.now, after_days=settings.stalled_after_days,
                                          lease_seconds=settings.claim_lease_seconds))


@router.get("/overdue")
def overdue(who: CurrentOperator, request: Request):
    """Cases with a red task or a red case clock, with the reason."""
    from services.queries.cases import overdue_cases

    _staff_reads(who)
    with reading(request) as read:
        clock = read_clock(request, read)
        return out(request, overdue_cases(read, clock.calendar, clock.today, clock.now.tzinfo))
