"""The cases' repository: loads a case aggregate (`approvals.casefile`) under lock and saves what changed.

One per unit of work (`cases(session)`). Loading takes the case's row lock, its timeline's head, and its
tasks, open stops, promises and certificates in one round trip on PostgreSQL (a pipeline: each statement
starts after the lock was had, so it reads what the previous holder committed). Saving is not the caller's
business: when the unit of work commits, every case it loaded or added is compared with what was read and
only the changes are written, in one round trip, with the case's timeline lines and outward work.

Inside, rows cross over the DB-API with each column's own SQLAlchemy type (`services.case_columns`), so
what is stored is exactly what the ORM would store; nothing outside the two modules sees how.
"""

from __future__ import annotations

import json
from functools import lru_cache
from itertools import groupby
from typing import Any

from sqlalchemy import Dialect
from sqlmodel import Session

from approvals.case_parts import Certificate as CertificatePart
from approvals.case_parts import Promise, Stop, Task
from approvals.casefile import CaseFile
from approvals.errors import NotFound
from schemas.commitment import CreditRecord
from services.case_columns import STORED, bind_value, codec, column_fields, insert_of, snapshot, update_sql
from services.db import raw
from services.records import adopt_head, enqueue, new_chain, record_many

_HEAD = "head"  # the case's timeline head, loaded (and locked) with it

_WHICH = {  # the case a load is keyed on, as a scalar subquery every statement of the load can use
    "case_no": "(SELECT id FROM case_file WHERE case_no = %(key)s)",
    "task_id": "(SELECT case_id FROM review_task WHERE id = %(key)s)",
    "case_id": "%(key)s",
}


def cases(session: Session) -> CaseRepository:
    """The unit of work's repository of cases."""
    repository = session.info.get("cases")
    if repository is None:
        repository = session.info["cases"] = CaseRepository(session)
    return repository


class CaseRepository:
    def __init__(self, session: Session):
        self.session = session
        self._held: dict[int, CaseFile] = {}
        self._read: dict[int, tuple] = {}  # id(part) -> its values as read or last written
        self._next_ids: dict[str, int] = {}
        self.dialect = session.get_bind().dialect

    # --- loading ------------------------------------------------------------------------------------

    def get(self, case_no: str) -> CaseFile:
        found = self._load("case_no", case_no)
        if found is None:
            raise NotFound(f"no case {case_no}")
        return found

    def by_id(self, case_id: int) -> CaseFile:
        found = self._load("case_id", case_id)
        if found is None:
            raise NotFound(f"no case {case_id}")
        return found

    def of_task(self, task_id: int) -> CaseFile:
        found = self._load("task_id", task_id) if 0 < task_id < 2**31 else None
        if found is None:
            raise NotFound(f"no review task {task_id}")
        return found

    def _load(self, by: str, key: Any) -> CaseFile | None:
        for held in self._held.values():  # loaded already in this unit of work: the same object
            if (by == "case_no" and held.case_no == key) or (by == "case_id" and held.id == key) or (
                    by == "task_id" and any(t.id == key for t in held.tasks)):
                return held
        db = raw(self.session)
        if db.sqlite:  # in-process, a statement at a time: the case first, then only what it can have
            found = db.cursor(_select(CaseFile, by, self.dialect), {"key": key}).fetchall()
            if not found:
                return None
            case = self._part(CaseFile, found[0])
            parts = [Task, Promise] + [Stop] * (case.stops_open > 0) + [CertificatePart] * (case.finished_at is not None)
            rows = {kind: db.cursor(_select(kind, "case_id", self.dialect), {"key": case.id}).fetchall()
                    for kind in (_HEAD, *parts)}
        else:  # one round trip: each statement of the pipeline starts after the lock before it was had
            kinds = (CaseFile, _HEAD, Task, Promise, Stop, CertificatePart)
            with db.together():
                cursors = {kind: db.cursor(_select(kind, by, self.dialect), {"key": key}) for kind in kinds}
            rows = {kind: cursor.fetchall() for kind, cursor in cursors.items()}
            if not rows[CaseFile]:
                return None
            case = self._part(CaseFile, rows[CaseFile][0])
        adopt_head(self.session, case.id, rows[_HEAD][0] if rows[_HEAD] else None)
        case.tasks = [self._part(Task, values) for values in rows[Task]]
        case.promises = [self._part(Promise, values) for values in rows[Promise]]
        case.stops = [self._part(Stop, values) for values in rows.get(Stop, ())]
        case.certificates = [self._part(CertificatePart, values) for values in rows.get(CertificatePart, ())]
        self._held[case.id] = case
        return case

    def _part(self, kind: type, values) -> Any:
        _, _, results = codec(kind, self.dialect)
        values = list(values)
        for index, process in results:
            values[index] = process(values[index])
        part = kind(*values)
        self._read[id(part)] = snapshot(part)
        return part

    def holding(self) -> set[int]:
        return set(self._held)

    def let_go(self, kept: set[int]) -> None:
        """Forget the cases loaded since `holding()` said `kept` (a savepoint rolled back their rows)."""
        for case_id in set(self._held) - kept:
            del self._held[case_id]

    # --- new cases and tasks ------------------------------------------------------------------------

    def numbers_for_a_new_case(self, today, tasks: int) -> tuple[str, int, list[int]]:
        """A new case's number (`OV{day}{n}`: the day's next, 1, 2, 3... with no gap on either database: the
        day's counter row stays locked until the submission commits, and one rolled back gives its number
        back), its id, and ids for the tasks it opens: one round trip on PostgreSQL."""
        db = raw(self.session)
        if db.sqlite:
            number = db.one(_NEXT_NUMBER, day=today.isoformat())["last"]
            case_id, task_ids = self.reserve("case_file", 1)[0], self.reserve("review_task", tasks)
        else:
            with db.together():
                asked = [db.cursor(_NEXT_NUMBER, {"day": today.isoformat()}),
                         db.cursor(_NEXTVAL.format(table="case_file"), {"count": 1}),
                         db.cursor(_NEXTVAL.format(table="review_task"), {"count": tasks})]
            (number,), (case_id,) = asked[0].fetchone(), asked[1].fetchone()
            task_ids = [row[0] for row in asked[2].fetchall()]
        return f"OV{today:%Y%m%d}{number:06d}", case_id, task_ids

    def add(self, case: CaseFile) -> None:
        """A case filed in this unit of work (its id from `numbers_for_a_new_case`): written with the rest."""
        new_chain(self.session, case.id)
        self._held[case.id] = case

    def reserve(self, table: str, count: int) -> list[int]:
        """Ids for new rows of `table` (its sequence on PostgreSQL; on SQLite, whose writers queue, the next
        free ones), so that a new case's timeline and outward work can name its tasks before they are written."""
        if count == 0:
            return []
        db = raw(self.session)
        if db.sqlite:
            start = self._next_ids.get(table)
            if start is None:
                start = db.one(f"SELECT coalesce(max(id), 0) + 1 AS n FROM {table}")["n"]
            self._next_ids[table] = start + count
            return list(range(start, start + count))
        return [row[0] for row in db.cursor(_NEXTVAL.format(table=table), {"count": count}).fetchall()]

    # --- saving -------------------------------------------------------------------------------------

    def flush(self) -> Pending:
        """Hand over what changed in every case held: its timeline lines and outward work go to the unit of
        work's queues (services.records), its rows to the returned `Pending`, which the commit sends with
        them in one round trip. Nothing is read, except ids for new promises (their ids are in the state)."""
        dialect = self.dialect
        pending = Pending(self)
        for case in self._held.values():
            fresh = [p for p in case.promises if p.id is None]
            for promise, promise_id in zip(fresh, self.reserve("commitment", len(fresh))):
                promise.id = promise_id
            if id(case) in self._read:
                pending.writes.extend(self._changes(case, dialect))
            else:
                pending.inserts.append((case, *insert_of(case, dialect)))
                pending.new_cases += 1
            for parts in (case.tasks, case.stops, case.promises, case.certificates, case.shared):
                for part in parts:
                    if id(part) in self._read:
                        pending.writes.extend(self._changes(part, dialect))
                    else:
                        pending.inserts.append((part, *insert_of(part, dialect)))
            pending.signatures.extend(
                {"task_id": s.task_id, "case_id": case.id, "step": s.step, "name": s.name, "operator": s.operator,
                 "action": str(s.action), "signed_at": s.signed_at} for s in case.signatures)
            pending.closings.extend({"at": c.at, "actor": c.actor, "note": c.note, "task_id": c.task_id}
                                    for c in case.ledger_closings)
            for entry in case.credit_entries:  # audited: through the ORM, whose flush the system chain watches
                self.session.add(CreditRecord(uscc=case.uscc, commitment_id=entry.promise.id, case_id=case.id,
                                              kind=entry.kind, reason=entry.reason, created_at=entry.at))
            for item in case.outward.values():
                enqueue(self.session, case, item.at, item.key, item.kind, task_id=item.task_id,
                        payload=item.payload)
            if case.happened:
                record_many(self.session, [{"case_id": case.id, "at": h.at, "kind": h.kind,
                                            "actor": h.actor, "detail": h.detail, "flow_run_id": h.flow_run_id}
                                           for h in case.happened])
                pending.states[case.id] = state_of(case)
            case.happened, case.outward, case.signatures, case.ledger_closings, case.credit_entries = [], {}, [], [], []
        return pending

    def _changes(self, part, dialect: Dialect) -> list[tuple[str, dict]]:
        now, then = snapshot(part), self._read[id(part)]
        if now == then:
            return []
        names = column_fields(type(part))
        changed = {name: value for name, value, was in zip(names, now, then) if value != was}
        model = STORED[type(part)][0]
        _, binds, _ = codec(type(part), dialect)
        values = {name: bind_value(binds, name, value) for name, value in changed.items()}
        self._read[id(part)] = now
        return [(update_sql(model.__table__, dialect, tuple(changed)), {**values, "id": part.id})]


class Pending:
    """The rows a flush left to write: `send(db)` inside the commit's round trip, then `done()`."""

    def __init__(self, repository: CaseRepository):
        self.repository = repository
        self.writes: list[tuple[str, dict]] = []
        self.inserts: list[tuple[Any, str, dict]] = []
        self.signatures: list[dict] = []
        self.closings: list[dict] = []
        self.states: dict[int, str] = {}
        self.new_cases = 0  # the first inserts: cases filed in this unit of work
        self._cursors: list = []

    def __bool__(self) -> bool:
        return bool(self.writes or self.inserts or self.signatures or self.closings)

    def send_new_cases(self, db) -> None:
        """Write the cases filed in this unit of work now, ahead of rows the ORM adds that refer to them."""
        self._insert(db, self.inserts[:self.new_cases])
        self.inserts, self.new_cases = self.inserts[self.new_cases:], 0

    def send(self, db) -> None:
        self._insert(db, self.inserts)
        for sql, values in self.writes:
            db.many(sql, [values])
        if self.signatures:
            db.many(_SIGNATURES, [{**row, "signed_at": db.stamp(row["signed_at"])} for row in self.signatures])
        if self.closings:
            db.many(_CLOSINGS, [{**row, "at": db.stamp(row["at"])} for row in self.closings])

    def _insert(self, db, inserts: list) -> None:
        """Rows with their ids given (a case, its tasks): one statement for those of a kind; the others one by
        one, each returning its id."""
        for sql, group in groupby(inserts, key=lambda insert: insert[1]):
            group = list(group)
            if group[0][0].id is None:
                self._cursors += [(part, db.cursor(sql, values)) for part, sql, values in group]
            else:
                db.many(sql, [values for _, _, values in group])
                self._cursors += [(part, None) for part, _, _ in group]

    def done(self) -> None:
        """New rows take the ids the database gave them; what was written is what was read from now on."""
        for part, cursor in self._cursors:
            if cursor is not None:
                part.id = cursor.fetchone()[0]
            self.repository._read[id(part)] = snapshot(part)


_SIGNATURES = ("INSERT INTO sign_off (task_id, case_id, step, name, operator, action, signed_at) "
               "VALUES (%(task_id)s, %(case_id)s, %(step)s, %(name)s, %(operator)s, %(action)s, %(signed_at)s)")
_CLOSINGS = ("UPDATE ledger_item SET status = 'closed', closed_at = %(at)s, closed_by = %(actor)s, "
             "closing_note = %(note)s WHERE task_id = %(task_id)s AND status <> 'closed'")


_NEXTVAL = "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %(count)s)"
_NEXT_NUMBER = ("INSERT INTO case_number_day (day, last) VALUES (%(day)s, 1) "
                "ON CONFLICT (day) DO UPDATE SET last = case_number_day.last + 1 RETURNING last")


@lru_cache(maxsize=None)
def _select(kind: type | str, by: str, dialect: Dialect) -> str:
    """The statement that reads (and on PostgreSQL locks) one kind of the case's rows, keyed `by`."""
    which, postgres = _WHICH[by], dialect.name == "postgresql"
    if kind is _HEAD:
        return f"SELECT case_id, seq, hash, at FROM event_chain WHERE case_id = {which}" + (" FOR UPDATE" * postgres)
    columns = codec(kind, dialect)[0]
    if kind is CaseFile:
        return f"SELECT {columns} FROM case_file WHERE id = {which}" + (" FOR NO KEY UPDATE" * postgres)
    table = STORED[kind][0].__table__.name
    only_open = " AND ended_at IS NULL" if kind is Stop else ""
    return f"SELECT {columns} FROM {table} WHERE case_id = {which}{only_open} ORDER BY id"


def state_of(case: CaseFile) -> str:
    """The case as its timeline's last line of a unit of work records it (see services.audit.case_states)."""
    state = {"status": str(case.status),
             "tasks": {str(t.id): f"{t.status} by {t.decided_by}" if t.decided_by else str(t.status) for t in case.tasks},
             "certificates": {c.number: c.status for c in case.certificates},
             "promises": {str(p.id): str(p.status) for p in case.promises}}
    return json.dumps(state, sort_keys=True, ensure_ascii=False)
