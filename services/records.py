"""The shared moves of every use case: lock a case, list its tasks, write its timeline, queue outward work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from approvals.errors import NotFound
from schemas.case import Case, CaseEvent
from schemas.orchestration import OutboxItem
from schemas.review import ReviewTask


def lock_case(session: Session, case_no: str) -> Case:
    """The case row, locked for this transaction (SELECT ... FOR UPDATE; SQLite writers queue anyway)."""
    case = session.exec(select(Case).where(Case.case_no == case_no).with_for_update()).first()
    if case is None:
        raise NotFound(f"no case {case_no}")
    return case


def lock_case_by_id(session: Session, case_id: int) -> Case:
    case = session.exec(select(Case).where(Case.id == case_id).with_for_update()).one()
    return case


def tasks_of(session: Session, case_id: int) -> list[ReviewTask]:
    return list(session.exec(select(ReviewTask).where(ReviewTask.case_id == case_id).order_by(ReviewTask.id)))


def record(session: Session, case: Case, at: datetime, kind: str, actor: str, detail: str = "",
           flow_run_id: str | None = None) -> None:
    session.add(CaseEvent(case_id=case.id, at=at, kind=kind, actor=actor, detail=detail, flow_run_id=flow_run_id))


def enqueue(session: Session, case: Case, now: datetime, key: str, kind: str, *,
            task_id: int | None = None, payload: dict | None = None) -> None:
    """Queue outward work for the flows, once per key."""
    # Look among this transaction's own unflushed rows first, then in the database without flushing:
    # a flush per queued item was most of what a submit cost.
    if any(isinstance(o, OutboxItem) and o.key == key for o in session.new):
        return
    with session.no_autoflush:
        exists = session.exec(select(OutboxItem.id).where(OutboxItem.key == key)).first() is not None
    if not exists:
        session.add(OutboxItem(key=key, kind=kind, case_id=case.id, task_id=task_id,
                               payload=payload or {}, created_at=now))


def enqueue_notice(session: Session, case: Case, now: datetime, kind: str, payload: dict,
                   unique: str = "") -> None:
    key = f"notify:case:{case.id}:{kind}" + (f":{unique}" if unique else "")
    enqueue(session, case, now, key, "notify", payload={"kind": kind, **payload})


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def insert_ignore(session: Session, table, keys: list[str]):
    """INSERT ... ON CONFLICT (keys) DO NOTHING, on SQLite and PostgreSQL alike: keyed writes never duplicate."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(index_elements=keys)
