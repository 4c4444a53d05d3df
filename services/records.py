"""What every unit of work leaves behind: timeline events chained under their case's head, outward work
queued once per key, and savepoints for the items of a batch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import bindparam, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from approvals.audit import GENESIS, event_hash
from approvals.errors import Refused
from schemas.case import Case
from schemas.orchestration import OutboxItem
from schemas.staff import EventChain
from services import audit as _audit  # noqa: F401  (its flush listener notes the system chain's changes)
from services.db import raw
from services.queries.connection import utc

CHAIN = EventChain.__table__


_HEADS = (select(CHAIN.c.case_id, CHAIN.c.seq, CHAIN.c.hash, CHAIN.c.at).where(CHAIN.c.case_id.in_(bindparam("ids", expanding=True)))
          .order_by(CHAIN.c.case_id).with_for_update())


def record(session: Session, case: Case, at: datetime, kind: str, actor: str, detail: str = "",
           flow_run_id: str | None = None) -> None:
    """Append one event to the case's timeline, chained to the one before it (approvals.audit)."""
    record_many(session, [{"case_id": case.id, "at": at, "kind": kind, "actor": actor, "detail": detail,
                           "flow_run_id": flow_run_id}])


def record_many(session: Session, events: list[dict]) -> None:
    """Append events (dicts of case_id, at, kind, actor, detail, flow_run_id), each in its case's sequence.

    The events, their keyed hashes (the last of each case with the case's state) and the new heads are
    written together just before the transaction commits (one INSERT for all events). No event is recorded
    earlier than its case's last one: a person's act on a clock behind it is refused; the engine's, or a
    clock a moment behind (another machine's), is recorded at the last event's time.
    """
    heads = lock_heads(session, [e["case_id"] for e in events])
    pending = session.info.setdefault("chain_events", [])
    for e in events:
        head = heads[e["case_id"]]
        row = {"flow_run_id": None, "detail": "", **e, "seq": head.seq + 1}
        if head.at is not None and row["at"] < head.at:
            if row["actor"] != "system" and (head.at - row["at"]).total_seconds() > _SKEW_SECONDS:
                raise Refused(f"the clock reads {row['at'].isoformat()}, before the case's last event "
                              f"({head.at.isoformat()}): nothing is recorded earlier than what came before")
            row["at"] = head.at
        head.seq, head.at = row["seq"], row["at"]
        pending.append(row)


_SKEW_SECONDS = 60  # two machines' clocks may disagree by this much


def lock_heads(session: Session, case_ids) -> dict:
    """Lock the timeline heads of these cases, those not locked yet in this transaction, in case-id order,
    and keep them in the session; returns every head the session holds.

    Lock order, so that two writers never wait on each other in a circle: a use case locks its case, then
    the case's head (services.case_repository), then the rows it changes; a flow's batch step locks the heads of all its
    cases at once, then the rows it changes. Nobody takes a head while holding a row it changes."""
    heads = session.info.setdefault("chain_heads", {})
    unknown = sorted(set(case_ids) - heads.keys())
    if not unknown:
        return heads
    for case_id, seq, digest, at in session.execute(_HEADS, {"ids": unknown}):
        heads[case_id] = _Head(seq, digest, stored=seq, at=utc(at))
    for case_id in unknown:
        heads.setdefault(case_id, _Head(0, GENESIS, stored=None))
    return heads


class _Head:
    """A case's chain head as this transaction moves it: the last seq given out and its time; `hash` is the
    last written event's (events are hashed at commit); `stored` is the seq in event_chain (None: no row)."""

    __slots__ = ("seq", "hash", "stored", "at")

    def __init__(self, seq: int, digest: str, stored: int | None, at: datetime | None = None):
        self.seq, self.hash, self.stored, self.at = seq, digest, stored, at


def adopt_head(session: Session, case_id: int, row: tuple | None) -> None:
    """A case's timeline head read (and locked) by its loader (`(case_id, seq, hash, at)`, or None: no row)."""
    heads = session.info.setdefault("chain_heads", {})
    if case_id not in heads:
        heads[case_id] = _Head(row[1], row[2], stored=row[1], at=utc(row[3])) if row else _Head(0, GENESIS, stored=None)


def new_chain(session: Session, case_id: int) -> None:
    """A case created in this transaction starts its timeline from the genesis hash: no head to look up."""
    session.info.setdefault("chain_heads", {})[case_id] = _Head(0, GENESIS, stored=None)


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A SAVEPOINT for one item of a batch: if what runs inside fails, or writing what it queued fails
    when the savepoint is released, the rows it wrote and the timeline events and outbox rows it queued
    (kept in the session, see record_many and enqueue) are undone together, and it re-raises."""
    info = session.info
    events, queued = list(info.get("chain_events", [])), dict(info.get("outbox", {}))
    heads = info.setdefault("chain_heads", {})
    saved = {c: (h.seq, h.hash, h.stored, h.at) for c, h in heads.items()}
    repository = info.get("cases")  # services.case_repository, if a case was loaded yet
    held = repository.holding() if repository is not None else set()
    nested = session.begin_nested()
    try:
        yield
        nested.commit()  # releasing it writes what was queued (before_commit fires for a savepoint too)
    except BaseException:
        nested.rollback()
        info["chain_events"], info["outbox"] = events, queued
        if info.get("cases") is not None:
            info["cases"].let_go(held)  # cases first loaded inside: read again if asked for
        for case_id in list(heads):
            if case_id in saved:
                heads[case_id].seq, heads[case_id].hash, heads[case_id].stored, heads[case_id].at = saved[case_id]
            else:  # first locked inside the savepoint: its lock went with it
                del heads[case_id]
        raise


@event.listens_for(Session, "before_commit")
def _write_chain(session) -> None:
    """What the transaction queued goes out with it: outbox rows (one statement, a key already there is
    left alone), timeline events (one statement) hashed with the audit key, the last of each case carrying
    the case's state (services.audit), the chain heads they moved, and the system chain's events."""
    repository = session.info.get("cases")  # services.case_repository: the cases it holds, and their lines
    rows = repository.flush() if repository is not None else None
    if session.new or session.dirty or session.deleted:
        if rows is not None and rows.new_cases:
            with session.no_autoflush:  # the ORM's rows may refer to a case filed now: it goes first
                rows.send_new_cases(raw(session))
        session.flush()  # rows the ORM holds go first, and audited rows are noted (services.audit)
    queued = session.info.pop("outbox", None)
    pending = session.info.pop("chain_events", None)
    if not (rows or queued or pending or session.info.get("audited")):
        return
    db = raw(session)  # every action ends here: straight over the DB-API, in one round trip on PostgreSQL
    heads = session.info.get("chain_heads", {}) if pending else {}
    if pending:
        _hash_events(db, heads, pending, rows.states if rows is not None else {})
    new = [{"case_id": c, "seq": h.seq, "hash": h.hash, "at": db.stamp(h.at)} for c, h in heads.items()
           if h.stored is None]
    moved = [{"case_id": c, "seq": h.seq, "hash": h.hash, "at": db.stamp(h.at)} for c, h in heads.items()
             if h.stored is not None and h.stored != h.seq]
    with db.together():
        if rows:
            rows.send(db)
        if queued:
            db.many(_OUTBOX_ROWS, [{**row, "payload": json.dumps(row["payload"]),
                                    "created_at": db.stamp(row["created_at"])} for row in queued.values()])
        if pending:
            db.many(_EVENT_ROWS, [{**row, "at": db.stamp(row["at"])} for row in pending])
        if new:
            db.many("INSERT INTO event_chain (case_id, seq, hash, at) VALUES (%(case_id)s, %(seq)s, %(hash)s, %(at)s)",
                    new)
        if moved:
            db.many("UPDATE event_chain SET seq = %(seq)s, hash = %(hash)s, at = %(at)s WHERE case_id = %(case_id)s",
                    moved)
        if not (db.sqlite or session.in_nested_transaction() or session.info.get("audited")):
            db.cursor("COMMIT", {})  # sent with the rest, one round trip; the session's COMMIT finds nothing left to do
    if rows:
        rows.done()
    for head in heads.values():
        head.stored = head.seq
    if session.info.get("audited"):
        from services.audit import write_system_events

        write_system_events(session, db, pending[-1]["at"] if pending else _now())


def _hash_events(db, heads: dict, pending: list[dict], known: dict[int, str]) -> None:
    """Chain the pending events after their heads, with the audit key; the last event of each case carries
    the case's state as this transaction leaves it (`known`: the states of the cases the repository held)."""
    from services.audit import audit_key, case_states

    key = audit_key()
    states = {**case_states(db, {e["case_id"] for e in pending} - known.keys()), **known}
    last = {e["case_id"]: index for index, e in enumerate(pending)}
    for index, row in enumerate(pending):
        head = heads[row["case_id"]]
        row["state"] = states.get(row["case_id"]) if last[row["case_id"]] == index else None
        row["prev_hash"] = head.hash
        row["hash"] = head.hash = event_hash(key, head.hash, row["case_id"], row["seq"], row["at"], row["kind"],
                                             row["actor"], row["detail"], row["flow_run_id"], row["state"])


def _now() -> datetime:
    from datetime import UTC

    return datetime.now(UTC)


_OUTBOX_ROWS = ('INSERT INTO outbox_item ("key", kind, case_id, task_id, payload, created_at, attempts) '
                "VALUES (%(key)s, %(kind)s, %(case_id)s, %(task_id)s, %(payload)s, %(created_at)s, %(attempts)s) "
                'ON CONFLICT ("key") DO NOTHING')  # a key already queued is left alone
_EVENT_ROWS = ("INSERT INTO case_event (case_id, at, kind, actor, detail, flow_run_id, seq, prev_hash, hash, state) "
               "VALUES (%(case_id)s, %(at)s, %(kind)s, %(actor)s, %(detail)s, %(flow_run_id)s, %(seq)s, "
               "%(prev_hash)s, %(hash)s, %(state)s)")


@event.listens_for(Session, "after_transaction_end")
def _forget_heads(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction: its locks are gone, so is what they guarded
        session.info.pop("chain_heads", None)
        session.info.pop("cases", None)
        session.info.pop("chain_events", None)
        session.info.pop("outbox", None)
        session.info.pop("audited", None)
        session.info.pop("actor", None)


def enqueue(session: Session, case: Case, now: datetime, key: str, kind: str, *,
            task_id: int | None = None, payload: dict | None = None) -> None:
    """Queue outward work for the flows, once per key: written when the transaction commits, together
    with the rest of what it queued, and left alone if an item with that key is already there."""
    queued = session.info.setdefault("outbox", {})
    if key not in queued:
        queued[key] = {"key": key, "kind": kind, "case_id": case.id, "task_id": task_id, "payload": payload or {},
                       "created_at": now, "attempts": 0}


def is_queued(session: Session, key: str) -> bool:
    """Whether outward work with this key is queued: by this transaction (not written yet) or before."""
    return key in session.info.get("outbox", {}) or session.exec(
        select(OutboxItem.id).where(OutboxItem.key == key)).first() is not None


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
