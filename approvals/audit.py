"""The timeline's hash chain: each event carries the hash of the one before it in its case.

An edited row no longer matches its own hash; a deleted row breaks the next row's link (or, for
the last one, the head kept on the case row); an inserted row has no valid hash and breaks the
sequence. The writer and `audit verify` share `event_hash`, so both hash exactly the same text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

GENESIS = "0" * 64


def event_hash(prev: str, case_id: int, seq: int, at: datetime, kind: str, actor: str, detail: str,
               flow_run_id: str | None) -> str:
    body = json.dumps(
        [prev, case_id, seq, at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"), kind, actor, detail, flow_run_id],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Link:
    """One stored event, as read back."""

    id: int
    case_id: int
    seq: int | None
    at: datetime
    kind: str
    actor: str
    detail: str
    flow_run_id: str | None
    prev_hash: str | None
    hash: str | None


@dataclass(frozen=True)
class Break:
    case_id: int
    event_id: int | None
    seq: int | None
    problem: str


def check_chain(case_id: int, links: Iterable[Link], head_seq: int, head_hash: str) -> Break | None:
    """The first broken link of one case's chain (events in seq order, then id), or None."""
    prev, expected_seq = GENESIS, 1
    for link in links:
        if link.seq != expected_seq:
            what = "missing" if link.seq is not None and link.seq > expected_seq else "out of sequence"
            return Break(case_id, link.id, link.seq,
                         f"event {expected_seq} is {what} (found seq {link.seq} at event id {link.id})")
        if link.prev_hash != prev:
            return Break(case_id, link.id, link.seq, "does not link to the event before it (deleted or inserted row)")
        if link.hash != event_hash(prev, case_id, link.seq, link.at, link.kind, link.actor, link.detail,
                                   link.flow_run_id):
            return Break(case_id, link.id, link.seq, "its content does not match its hash (edited row)")
        prev, expected_seq = link.hash, expected_seq + 1
    if expected_seq - 1 != head_seq or prev != (head_hash or GENESIS):
        return Break(case_id, None, expected_seq - 1,
                     f"the chain ends at event {expected_seq - 1} but the case recorded {head_seq} (rows deleted)")
    return None
