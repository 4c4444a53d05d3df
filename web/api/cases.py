"""Applications (办件): submit, supplement, the green channel, verification, show, list, flow runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from approvals.errors import Forbidden, NotFound
from approvals.permissions import Act, Role, bound_agency, check
from schemas.inputs import KeyProjectIn, SubmitIn, SupplementIn, VerifyIn
from web.api.responses import out, page
from web.deps import CurrentOperator, read_clock, reading, write

router = APIRouter(prefix="/applications", tags=["applications"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


@router.post("", status_code=201)
def submit(body: SubmitIn, who: CurrentOperator, request: Request):
    """File an application for a bundle (一窗受理; the provincial platform: `"channel": "online"`).
    The same `request_id` returns the existing case (200) instead of a new one (201)."""
    from services import cases

    result = write(request, lambda s, clock: cases.submit(s, body, actor=who.id, clock=clock), retry_on_conflict=True)
    return out(request, result, 201 if result.created else 200)


@router.get("")
def list_cases(who: CurrentOperator, request: Request, status: str | None = None, agent: str | None = None,
               limit: Limit = 100, offset: Offset = 0):
    """Cases, oldest first (an agent: its own worklist, key projects and open cases first)."""
    from services.queries.cases import list_cases as rows_of

    check(who, Act.READ)
    if who.role is Role.AGENT:
        agent = who.id
    with reading(request) as read:
        clock = read_clock(request, read)
        rows = rows_of(read, clock.calendar, clock.today, status=status, tz=clock.now.tzinfo, agent=agent)
        rows = _visible(read, who, rows)
    return page(request, rows, limit, offset)


def _visible(read, who, rows):
    """A reviewer (or an agency's system) lists the cases its agency has a task in."""
    agency = bound_agency(who)
    if agency is None:
        return rows
    ids = {r["case_no"] for r in read.rows("SELECT DISTINCT c.case_no FROM case_file c JOIN review_task t "
                                           "ON t.case_id = c.id WHERE t.agency = %(a)s", a=agency)}
    return [r for r in rows if r.case_no in ids]


def readable_case(read, who, case_no: str) -> None:
    """Refuse a reviewer a case its agency has no task in, as if it did not exist (ids are not told)."""
    check(who, Act.READ)
    agency = bound_agency(who)
    if agency is not None and read.one("SELECT 1 AS x FROM review_task t JOIN case_file c ON c.id = t.case_id "
                                       "WHERE c.case_no = %(n)s AND t.agency = %(a)s", n=case_no, a=agency) is None:
        raise NotFound(f"no case {case_no} with a task of {agency}")


@router.get("/{case_no}")
def show(case_no: str, who: CurrentOperator, request: Request, unmasked: bool = False):
    """One case: reviews, certificates, promises, timeline; identifiers masked unless an administrator asks."""
    from services.queries.cases import show_case

    if unmasked:
        check(who, Act.UNMASK)
    with reading(request) as read:
        readable_case(read, who, case_no)
        clock = read_clock(request, read)
        case = show_case(read, case_no, clock.calendar, clock.today, clock.now.tzinfo, unmasked=unmasked,
                         agent=who.id if who.role is Role.AGENT else None)
    return out(request, case, unmasked=unmasked)


@router.post("/{case_no}/supplements")
def supplement(case_no: str, body: SupplementIn, who: CurrentOperator, request: Request):
    """Materials supplied: completes a correction (补正) or resumes a review waiting for them (补齐补正)."""
    from services import cases

    result = write(request, lambda s, clock: cases.supplement(s, case_no, body.materials, actor=who.id, clock=clock))
    return out(request, result.__dict__)


@router.post("/{case_no}/key-project")
def key_project(case_no: str, body: KeyProjectIn, who: CurrentOperator, request: Request):
    """Put a case on the green channel (重点项目)."""
    from services import cases

    result = write(request, lambda s, clock: cases.mark_key_project(s, case_no, body.leader, actor=who.id,
                                                                    clock=clock))
    return out(request, result.__dict__)


@router.post("/{case_no}/verifications")
def verify(case_no: str, body: VerifyIn, who: CurrentOperator, request: Request):
    """The check of a 告知承诺 (the matter's agency): failed revokes that certificate."""
    from services import commitments

    result = write(request, lambda s, clock: commitments.verify(s, case_no, body.matter, passed=body.passed,
                                                                reason=body.reason, operator=who.id, clock=clock))
    return out(request, result.__dict__)


@router.get("/{case_no}/runs")
def runs(case_no: str, who: CurrentOperator, request: Request):
    """The flow runs that acted on the case."""
    from services.queries.cases import list_runs

    with reading(request) as read:
        readable_case(read, who, case_no)
        if who.role is Role.AGENT:
            raise Forbidden(f"agent {who.id} reads its own cases, not their flow runs")
        return out(request, list_runs(read, case_no))
