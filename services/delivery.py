"""出件 at the window: results handed over to an applicant who chose pick-up, one more visit to the hall."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from approvals.deadlines import Clock
from approvals.errors import Refused
from approvals.permissions import Act
from approvals.review import CaseStatus
from services import staff
from services.case_repository import cases

_ISSUED = (CaseStatus.ISSUED, CaseStatus.PARTIALLY_ISSUED)


@dataclass(frozen=True)
class CollectResult:
    case_no: str
    collected_at: datetime
    visits: int
    changed: bool  # False: handed over before; nothing changed


def collect(session: Session, case_no: str, *, operator: str, clock: Clock) -> CollectResult:
    """A window clerk hands the results over (领取); the same hand-over again changes nothing."""
    staff.authorise(session, operator, Act.COLLECT)
    case = cases(session).get(case_no)
    if case.collected_at is not None:
        return CollectResult(case.case_no, case.collected_at, case.visits, False)
    if case.status not in _ISSUED:
        raise Refused(f"case {case.case_no} is {case.status}: no results to hand over")
    if case.delivery_mode != "pickup":
        raise Refused(f"case {case.case_no}'s results go by {case.delivery_mode}, not over the counter")
    case.collected_at = case.updated_at = case.last_acted_at = clock.now
    case.visits += 1
    case.record(clock.now, "collected", operator, f"results handed over at the window (visit {case.visits})")
    return CollectResult(case.case_no, clock.now, case.visits, True)
