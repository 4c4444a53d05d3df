"""The audit over the whole state (approvals.audit): the key, the states the chains record, the system chain's
writer, and verification (chains, replay of the recorded states against the rows, case numbers, checkpoints).

Case events are hashed when their transaction commits (services.records); the last one of each case carries
the case's state. Changes of consequence outside cases are caught as the ORM flushes them (operators, roles,
mandates, calendar overrides, credit records, catalog loads) and written to the system chain at commit, each
with the row as it was left and who did it (the operator the use case authorised, else `system`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event, inspect
from sqlmodel import Session

from approvals import audit as chains
from approvals.errors import BadInput
from schemas.calendar import CalendarOverride
from schemas.catalog import CatalogVersion
from schemas.commitment import CreditRecord
from schemas.staff import Mandate, Operator

# The audited tables (approvals.audit.SUBJECTS says which of their columns are of consequence)
AUDITED = {Operator: "operator", Mandate: "mandate", CalendarOverride: "calendar_override",
           CreditRecord: "credit_record", CatalogVersion: "catalog_version"}


@lru_cache(maxsize=4)
def _key(path: str) -> bytes:
    from services.installation import purpose_key
    from services.settings import get_settings

    return purpose_key(get_settings(), b"audit")


def audit_key() -> bytes:
    """The audit chains' key, derived from the installation's secret (outside the database)."""
    from services.settings import get_settings

    return _key(str(get_settings().secret_path))


# --- states ---------------------------------------------------------------------------------------


def case_states(read, case_ids) -> dict[int, str]:
    """Each case's state as its timeline records it (JSON): status, tasks' statuses and deciders,
    certificates, promises. One statement for all the cases."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    found: dict[int, dict] = {}
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        marks = ", ".join(f"%(c{n})s" for n in range(len(part)))
        params = {f"c{n}": case_id for n, case_id in enumerate(part)}
        rows = read.cursor(
            f"SELECT 0, id, '', status, NULL FROM case_file WHERE id IN ({marks}) "
            f"UNION ALL SELECT 1, case_id, CAST(id AS VARCHAR(40)), status, decided_by FROM review_task "
            f"WHERE case_id IN ({marks}) "
            f"UNION ALL SELECT 2, case_id, number, status, NULL FROM certificate WHERE case_id IN ({marks}) "
            f"UNION ALL SELECT 3, case_id, CAST(id AS VARCHAR(40)), status, NULL FROM commitment "
            f"WHERE case_id IN ({marks})", params).fetchall()
        for kind, case_id, key, status, by in rows:
            state = found.setdefault(case_id, {"status": None, "tasks": {}, "certificates": {}, "promises": {}})
            if kind == 0:
                state["status"] = status
            else:
                table = ("tasks", "certificates", "promises")[kind - 1]
                state[table][str(key)] = f"{status} by {by}" if by else status
    return {case_id: json.dumps(state, sort_keys=True, ensure_ascii=False) for case_id, state in found.items()}


# --- the system chain's writer ------------------------------------------------------------------------


@event.listens_for(Session, "before_flush")
def _catch_changes(session, flush_context, instances) -> None:
    """Audited rows the ORM is about to write (added, changed or deleted) are noted for the commit."""
    noted = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        if type(obj) not in AUDITED or (obj in session.dirty and not session.is_modified(obj)):
            continue
        noted = noted if noted is not None else session.info.setdefault("audited", {})
        noted[id(obj)] = (obj, obj in session.deleted)


def write_system_events(session: Session, db, now: datetime) -> None:
    """At commit: one system event per audited row this transaction changed, chained after the head."""
    noted = session.info.pop("audited", None)
    if not noted:
        return
    actor = session.info.get("actor") or "system"
    events = []
    for obj, deleted in noted.values():
        table = AUDITED[type(obj)]
        key_column, columns = chains.SUBJECTS[table]
        identity = inspect(obj).identity
        key = getattr(obj, key_column, None) if not identity else identity[0]
        if key is None:
            continue
        subject = f"{table}:{chains.plain(key)}"
        gone = deleted or inspect(obj).was_deleted
        events.append((subject, "removed" if gone else "changed", "null" if gone else chains.row_state(columns, obj)))
    if not events:
        return
    head = db.one("SELECT seq, hash FROM audit_head WHERE id = 1" + ("" if db.sqlite else " FOR UPDATE"))
    seq, prev = (head["seq"], head["hash"]) if head else (0, chains.GENESIS)
    key = audit_key()
    rows = []
    for subject, kind, state in sorted(events):
        seq += 1
        digest = chains.system_hash(key, prev, seq, now, kind, actor, subject, state)
        rows.append({"seq": seq, "at": db.stamp(now), "kind": kind, "actor": actor, "subject": subject,
                     "state": state, "prev_hash": prev, "hash": digest})
        prev = digest
    db.many("INSERT INTO audit_event (seq, at, kind, actor, subject, state, prev_hash, hash) VALUES "
            "(%(seq)s, %(at)s, %(kind)s, %(actor)s, %(subject)s, %(state)s, %(prev_hash)s, %(hash)s)", rows)
    if head is None:
        db.many("INSERT INTO audit_head (id, seq, hash) VALUES (1, %(seq)s, %(hash)s)", [{"seq": seq, "hash": prev}])
    else:
        db.many("UPDATE audit_head SET seq = %(seq)s, hash = %(hash)s WHERE id = 1", [{"seq": seq, "hash": prev}])


def current_subjects(read) -> dict[str, str]:
    """Every audited row now, as the system chain would record it."""
    found = {}
    for table, (key_column, columns) in chains.SUBJECTS.items():
        for row in read.rows(f"SELECT {key_column}, {', '.join(columns)} FROM {table}"):
            found[f"{table}:{chains.plain(row[key_column])}"] = chains.row_state(columns, row)
    return found


# --- verification ---------------------------------------------------------------------------------


def verify(read, key: bytes, *, against: dict | None = None, limit: int = 50) -> dict:
    """Every chain checked, every recorded state replayed against the rows, case numbers counted, and the
    heads of a checkpoint found again. Returns {"ok", "cases", "events", "system_events", "problems"}."""
    from services.queries.connection import utc

    problems: list[dict] = []

    def problem(where: str, what: str, event_id=None) -> None:
        if len(problems) < limit:
            problems.append({"row": where, "event_id": event_id, "problem": what})

    cases = {r["id"]: r for r in read.rows("SELECT id, case_no, submitted_at FROM case_file")}
    heads = {r["case_id"]: (r["seq"], r["hash"]) for r in read.rows("SELECT case_id, seq, hash FROM event_chain")}
    states = case_states(read, cases)
    by_case: dict[int, list[chains.Link]] = {case_id: [] for case_id in cases}
    count = 0
    cursor = read.cursor("SELECT id, case_id, seq, at, kind, actor, detail, flow_run_id, prev_hash, hash, state "
                         "FROM case_event ORDER BY case_id, seq, id", {})
    for row in cursor.fetchall():
        count += 1
        if row[1] not in by_case:
            problem(f"case_event {row[0]}", "belongs to no case (its case was deleted)", row[0])
            continue
        at = row[3] if isinstance(row[3], str) else utc(row[3])  # SQLite's text is hashed as it is
        by_case[row[1]].append(chains.Link(row[0], row[1], row[2], at, *row[4:]))
    for case_id in sorted(by_case):
        links, case_no = by_case[case_id], cases[case_id]["case_no"]
        broken = chains.check_chain(key, case_id, links, *heads.get(case_id, (0, None)))
        if broken is not None:
            problem(f"case {case_no}", f"event seq {broken.seq}: {broken.problem}", broken.event_id)
            continue
        recorded = next((link.state for link in reversed(links) if link.state is not None), None)
        if recorded is not None:
            for difference in chains.state_differences(json.loads(recorded), json.loads(states[case_id])):
                problem(f"case {case_no}", difference)
    _check_numbers(read, cases, problem)
    system = _check_system(read, key, problem)
    if against is not None:
        _check_checkpoint(read, against, cases, by_case, problem)
    return {"ok": not problems, "cases": len(cases), "events": count, "system_events": system, "problems": problems}


def _check_numbers(read, cases: dict, problem) -> None:
    """Case numbers run 1, 2, 3... each day up to the day's counter: a gap is a deleted case."""
    by_day: dict[str, set[int]] = {}
    for r in cases.values():
        number = r["case_no"]
        if len(number) == 16 and number[2:].isdigit():
            by_day.setdefault(number[2:10], set()).add(int(number[10:]))
    counters = {str(r["day"]).replace("-", "")[:8]: r["last"] for r in read.rows("SELECT day, last FROM case_number_day")}
    for day, last in counters.items():
        missing = sorted(set(range(1, last + 1)) - by_day.get(day, set()))
        if missing:
            shown = ", ".join(f"OV{day}{n:06d}" for n in missing[:5]) + (" ..." if len(missing) > 5 else "")
            problem(f"case {shown}", f"{len(missing)} case number(s) of {day} handed out but no case has them "
                                     "(deleted cases)")


def _check_system(read, key: bytes, problem) -> int:
    rows = read.rows("SELECT id, seq, at, kind, actor, subject, state, prev_hash, hash FROM audit_event ORDER BY seq, id")
    head = read.one("SELECT seq, hash FROM audit_head WHERE id = 1") or {"seq": 0, "hash": chains.GENESIS}
    from services.queries.connection import utc

    prev, last_state = chains.GENESIS, {}
    for expected, r in enumerate(rows, 1):
        if r["seq"] != expected or r["prev_hash"] != prev:
            problem(f"audit_event {r['id']}", f"system chain broken at seq {expected} (row deleted or inserted)", r["id"])
            return len(rows)
        if r["hash"] != chains.system_hash(key, prev, r["seq"], utc(r["at"]), r["kind"], r["actor"], r["subject"],
                                           r["state"]):
            problem(f"audit_event {r['id']}", "its content does not match its keyed hash (edited row, or a chain "
                                              "written without the key)", r["id"])
            return len(rows)
        prev, last_state[r["subject"]] = r["hash"], r["state"]
    if (head["seq"], head["hash"]) != (len(rows), prev):
        problem("audit_head", f"the system chain ends at {len(rows)} but its head says {head['seq']} (rows deleted)")
        return len(rows)
    current = current_subjects(read)
    for subject in sorted(set(current) | {s for s, v in last_state.items() if v != "null"}):
        was, now = last_state.get(subject), current.get(subject)
        if now is None:
            problem(subject.replace(":", " ", 1), f"gone, but the system chain left it {was}")
        elif was is None or was == "null":
            problem(subject.replace(":", " ", 1), f"{now} that no event explains")
        elif was != now:
            problem(subject.replace(":", " ", 1), f"{now}, but the system chain left it {was}")
    return len(rows)


# --- checkpoints -------------------------------------------------------------------------------------


def checkpoint(read, key: bytes, now: datetime) -> dict:
    """Every chain's head now, and the case numbers handed out, sealed with the key: kept elsewhere, it
    catches a tail cut off with its head, or whole chains rewritten, after it was taken."""
    installation = read.one("SELECT installation_id FROM installation") or {}
    document = {
        "installation": installation.get("installation_id"),
        "at": now.astimezone(UTC).isoformat(),
        "cases": {r["case_no"]: [r["seq"], r["hash"]] for r in read.rows(
            "SELECT c.case_no, h.seq, h.hash FROM event_chain h JOIN case_file c ON c.id = h.case_id ORDER BY c.id")},
        "system": list((read.one("SELECT seq, hash FROM audit_head WHERE id = 1") or {"seq": 0, "hash": chains.GENESIS}).values()),
    }
    return {**document, "seal": chains.seal(key, document)}


def write_checkpoint(url: str, directory: Path, now: datetime) -> Path:
    """A checkpoint file in `directory` (ONEVISIT_CHECKPOINT_DIR), named for when it was taken: the sweep's
    periodic one. Keep the directory off the database's machine, or copy it away."""
    from services.queries.connection import reader

    with reader(url) as read:
        document = checkpoint(read, audit_key(), now)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"checkpoint-{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}.json"
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    return path


def read_checkpoint(path: Path, key: bytes) -> dict:
    from services.files import read_text_file

    try:
        document = json.loads(read_text_file(path, "checkpoint", 512 * 1024 * 1024))
    except ValueError:
        raise BadInput(f"checkpoint {path} is not JSON") from None
    if not isinstance(document, dict) or "seal" not in document:
        raise BadInput(f"checkpoint {path} is not a checkpoint (no seal)")
    seal = document.pop("seal")
    if seal != chains.seal(key, document):
        raise BadInput(f"checkpoint {path} does not match its seal: edited, or made with another installation's key")
    return document


def _check_checkpoint(read, document: dict, cases: dict, by_case: dict, problem) -> None:
    numbers = {r["case_no"]: r["id"] for r in cases.values()}
    for case_no, (seq, digest) in document.get("cases", {}).items():
        case_id = numbers.get(case_no)
        if case_id is None:
            problem(f"case {case_no}", f"in the checkpoint of {document['at']}, gone now (deleted case)")
            continue
        found = next((link.hash for link in by_case[case_id] if link.seq == seq), None)
        if seq and found != digest:
            problem(f"case {case_no}", f"event seq {seq} of the checkpoint of {document['at']} is "
                                       + ("gone (the tail was cut off)" if found is None else "not the same (the chain was rewritten)"))
    seq, digest = document.get("system", [0, chains.GENESIS])
    if seq:
        found = read.one("SELECT hash FROM audit_event WHERE seq = %(s)s", s=seq)
        if found is None or found["hash"] != digest:
            problem("audit_event", f"system event seq {seq} of the checkpoint of {document['at']} is "
                                   + ("gone" if found is None else "not the same (the chain was rewritten)"))
