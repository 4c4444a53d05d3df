"""Hand-entered supervision items (问题清单, 责任清单, 任务清单): entered and crossed off by supervisors.

They follow the automatic items' path: assigned (交办) when entered, lit by their due date like a task,
escalated (督查) to the agency's supervisor N working days after they turn red, closed (销号) by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from approvals.deadlines import Clock, Light, light
from approvals.errors import BadInput, NotFound, Refused
from approvals.permissions import Act
from schemas.ledger import LedgerItem
from services import staff
from services.catalog import catalog_in_force
from services.case_repository import cases

HAND_KINDS = ("problem", "duty", "task")  # 问题清单, 责任清单, 任务清单
KIND_NAMES = {"problem": "问题清单", "duty": "责任清单", "task": "任务清单"}


@dataclass(frozen=True)
class ItemResult:
    id: int
    kind: str
    agency: str
    status: str
    due: date
    light: Light | None
    assigned_to: str


def add_item(session: Session, *, kind: str, title: str, agency: str, due: date, case_no: str | None,
             leader: str | None, actor: str, clock: Clock) -> ItemResult:
    """A supervisor assigns an item to an agency (交办), due on a day; optionally about a case, followed by a leader."""
    staff.authorise(session, actor, Act.SWEEP)
    if kind not in HAND_KINDS:
        raise BadInput(f"unknown kind {kind!r} (one of: {', '.join(HAND_KINDS)})")
    title = title.strip()
    if not title or len(title) > 500:
        raise BadInput("--title is 1 to 500 characters")
    leader = (leader or "").strip() or None
    if leader is not None and len(leader) > 100:
        raise BadInput("--leader is at most 100 characters")
    _, catalog = catalog_in_force(session)
    if agency not in catalog.agencies:
        raise BadInput(f"unknown agency {agency!r} (known: {', '.join(sorted(catalog.agencies))})")
    if due < clock.today:
        raise BadInput(f"--due {due.isoformat()} is before today ({clock.today.isoformat()})")
    case = cases(session).get(case_no) if case_no is not None else None
    shade = light(clock.calendar, due, clock.today)
    item = LedgerItem(task_id=None, case_id=case.id if case else None, agency=agency, kind=kind, missed_due=due,
                      status="assigned", assigned_to=agency, opened_at=clock.now, opened_on=clock.today,
                      title=title, leader=leader, light=shade, created_by=actor)
    session.add(item)
    session.flush()
    if case is not None:
        case.record(clock.now, "ledger_assigned", actor,
               f"{KIND_NAMES[kind]} item {item.id} assigned to {agency}, due {due.isoformat()} (交办): {title}")
    return _result(item)


def close_item(session: Session, item_id: int, *, note: str, actor: str, clock: Clock) -> ItemResult:
    """A supervisor crosses an item off (销号), saying how it was resolved."""
    staff.authorise(session, actor, Act.SWEEP)
    note = note.strip()
    if not note or len(note) > 1000:
        raise BadInput("--note is 1 to 1000 characters")
    item = session.get(LedgerItem, item_id, with_for_update=True) if 0 < item_id < 2**31 else None
    if item is None:
        raise NotFound(f"no ledger item {item_id}")
    if item.status == "closed":
        raise Refused(f"ledger item {item_id} was closed on {item.closed_at.isoformat()} by {item.closed_by}")
    item.status, item.closed_at, item.closed_by, item.closing_note, item.light = (
        "closed", clock.now, actor, note, None)
    if item.case_id is not None:
        cases(session).by_id(item.case_id).record(clock.now, "ledger_closed", actor,
                                                  f"ledger item {item.id} closed (销号): {note}")
    return _result(item)


def _result(item: LedgerItem) -> ItemResult:
    return ItemResult(item.id, item.kind, item.agency, item.status, item.missed_due, item.light, item.assigned_to)
