"""The audit chains: each event carries the keyed hash (HMAC-SHA256) of the one before it.

A case's timeline is one chain; everything of consequence outside a case (operators, roles, mandates,
calendar overrides, credit records, catalog loads) is the system chain. The key lives outside the database
(the installation's key file), so whoever can write the database cannot forge a consistent chain: an edited
row no longer matches its hash, a deleted or inserted row breaks the next link, a whole chain rewritten
without the key matches nothing. A tail cut off together with the head is caught against a checkpoint
(`audit checkpoint`). The last event a transaction writes for a case carries the case's state as it left it
(statuses, decisions, certificates, promises), so a row changed with no event to explain it shows.
The writer and `audit verify` share these functions, so both hash exactly the same text.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64


def _stamp(at: datetime | str) -> str:
    """UTC to the microsecond; a time as SQLite keeps it (`2026-03-02 01:00:00.000000`, naive UTC) is taken
    as it is, which spares `audit verify` parsing a hundred thousand of them."""
    if isinstance(at, str) and len(at) == 26:
        return f"{at[:10]}T{at[11:]}"
    if isinstance(at, str):
        at = datetime.fromisoformat(at).replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _mac(key: bytes, body: list) -> str:
    """The HMAC of the fields, each length-prefixed (None as `~`), so no two lists of fields read the same."""
    text = "".join("~" if part is None else f"{len(str(part))}:{part}|" for part in body)
    return hmac.digest(key, text.encode(), "sha256").hex()  # one C call (hmac.new builds two hash objects)


def event_hash(key: bytes, prev: str, case_id: int, seq: int, at: datetime | str, kind: str, actor: str, detail: str,
               flow_run_id: str | None, state: str | None = None) -> str:
    """A case event's link."""
    return _mac(key, [prev, case_id, seq, _stamp(at), kind, actor, detail, flow_run_id, state])


def system_hash(key: bytes, prev: str, seq: int, at: datetime, kind: str, actor: str, subject: str,
                state: str) -> str:
    """A system event's link."""
    return _mac(key, [prev, seq, _stamp(at), kind, actor, subject, state])


def seal(key: bytes, document: dict) -> str:
    """The keyed digest of a checkpoint's content, so a checkpoint file cannot be edited to fit."""
    return _mac(key, ["checkpoint", json.dumps(document, sort_keys=True, ensure_ascii=False)])


# What of each audited table's rows is of consequence: table -> (key column, columns). Sign-in counters, phone
# numbers and the like change without consequence and are left out.
SUBJECTS = {
    "operator": ("id", ("role", "agency", "enabled")),
    "mandate": ("id", ("agent", "uscc", "scopes", "valid_until", "revoked_at")),
    "calendar_override": ("day", ("workday",)),
    "credit_record": ("id", ("uscc", "kind", "status")),
    "catalog_version": ("id", ("digest",)),
}


def plain(value) -> object:
    """A column's value as the system chain records it (the same from the ORM, sqlite3 and psycopg)."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).strftime("%Y-%m-%dT%H:%M:%S")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value[:1] == "[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def row_state(columns: tuple[str, ...], row) -> str:
    """An audited row's state (JSON, keys sorted); `row` is a mapping or an object with the columns."""
    get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name))
    state = {}
    for name in columns:
        value = get(name)
        if name == "revoked_at":
            name, value = "revoked", value is not None
        elif name in ("enabled", "workday"):
            value = bool(value)
        state[name] = plain(value)
    return json.dumps(state, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Link:
    """One stored case event, as read back."""

    id: int
    case_id: int
    seq: int | None
    at: datetime | str  # as the database gave it (approvals.audit._stamp)
    kind: str
    actor: str
    detail: str
    flow_run_id: str | None
    prev_hash: str | None
    hash: str | None
    state: str | None = None


@dataclass(frozen=True)
class Break:
    case_id: int
    event_id: int | None
    seq: int | None
    problem: str


def check_chain(key: bytes, case_id: int, links: Iterable[Link], head_seq: int, head_hash: str) -> Break | None:
    """The first broken link of one case's chain (events in seq order, then id), or None."""
    prev, expected_seq = GENESIS, 1
    for link in links:
        if link.seq != expected_seq:
            what = "missing" if link.seq is not None and link.seq > expected_seq else "out of sequence"
            return Break(case_id, link.id, link.seq,
                         f"event {expected_seq} is {what} (found seq {link.seq} at event id {link.id})")
        if link.prev_hash != prev:
            return Break(case_id, link.id, link.seq, "does not link to the event before it (deleted or inserted row)")
        if link.hash != event_hash(key, prev, case_id, link.seq, link.at, link.kind, link.actor, link.detail,
                                   link.flow_run_id, link.state):
            return Break(case_id, link.id, link.seq, "its content does not match its keyed hash (edited row, or "
                                                     "a chain written without the key)")
        prev, expected_seq = link.hash, expected_seq + 1
    if expected_seq - 1 != head_seq or prev != (head_hash or GENESIS):
        return Break(case_id, None, expected_seq - 1,
                     f"the chain ends at event {expected_seq - 1} but the case recorded {head_seq} (rows deleted)")
    return None


def state_differences(recorded: dict, current: dict) -> list[str]:
    """What in a case's rows now differs from the state its last event recorded, naming each row."""
    found = []
    if recorded.get("status") != current.get("status"):
        found.append(f"case_file: status {current.get('status')!r}, but the timeline left it "
                     f"{recorded.get('status')!r}")
    for table, label in (("tasks", "review_task"), ("certificates", "certificate"), ("promises", "commitment")):
        was, now = recorded.get(table, {}), current.get(table, {})
        for key in sorted(set(was) | set(now), key=str):
            if key not in was:
                found.append(f"{label} {key}: {now[key]} that no event explains")
            elif key not in now:
                found.append(f"{label} {key}: gone, but the timeline left it {was[key]}")
            elif was[key] != now[key]:
                found.append(f"{label} {key}: {now[key]}, but the timeline left it {was[key]}")
    return found
