"""The catalog in force and the calendar's overrides, as stored."""

from __future__ import annotations

from approvals.errors import Refused
from services.queries.connection import Reader, day, from_json


def catalog_document(read: Reader) -> tuple[int, dict]:
    row = read.one("SELECT id, document FROM catalog_version ORDER BY id DESC LIMIT 1")
    if row is None:
        raise Refused("no catalog is loaded: run `onevisit catalog load FILE` (or `onevisit init`)")
    return row["id"], from_json(row["document"])


def calendar_overrides(read: Reader) -> list[dict]:
    return [{"day": day(r["day"]), "workday": bool(r["workday"]), "reason": r["reason"], "set_by": r["set_by"]}
            for r in read.rows("SELECT day, workday, reason, set_by FROM calendar_override ORDER BY day")]
