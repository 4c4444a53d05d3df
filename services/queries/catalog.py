"""The catalog in force and the calendar's overrides, as stored."""

from __future__ import annotations

from approvals.errors import Refused
from services.queries.connection import Reader, day, from_json, utc


def catalog_document(read: Reader) -> tuple[int, dict]:
    """The catalog in force: its version and its document (parsed once a process for each digest: a
    loaded version never changes, and the document is read by every queue page)."""
    row = read.one("SELECT id, digest FROM catalog_version ORDER BY id DESC LIMIT 1")
    if row is None:
        raise Refused("no catalog is loaded: run `onevisit catalog load FILE` (or `onevisit init`)")
    document = _PARSED.get(row["digest"])
    if document is None:
        stored = read.one("SELECT document FROM catalog_version WHERE id = %(i)s", i=row["id"])["document"]
        document = from_json(stored)
        if len(_PARSED) >= 16:
            _PARSED.clear()
        _PARSED[row["digest"]] = document
    return row["id"], document


_PARSED: dict[str, dict] = {}  # digest -> document; callers read it, never change it


def catalog_names(read: Reader) -> dict[str, str]:
    """Chinese names of the catalog in force, by code: agencies, matters, materials, bundles."""
    _, document = catalog_document(read)
    names = {a["code"]: a["name"] for a in document.get("agencies", [])}
    for matter in document.get("matters", []):
        names[matter["code"]] = matter["name"]
        names.update((m["code"], m["name"]) for m in matter.get("materials", []))
    names.update((b["code"], b["name"]) for b in document.get("bundles", []))
    return names


def calendar_overrides(read: Reader) -> list[dict]:
    """The overrides in force, each with its `history`: the earlier settings of its day, oldest first."""
    earlier: dict = {}
    for r in read.rows("SELECT day, workday, reason, set_by, set_at FROM calendar_override_change ORDER BY id"):
        earlier.setdefault(day(r["day"]), []).append(
            {"workday": bool(r["workday"]), "reason": r["reason"], "set_by": r["set_by"], "set_at": utc(r["set_at"])})
    return [{"day": day(r["day"]), "workday": bool(r["workday"]), "reason": r["reason"], "set_by": r["set_by"],
             "history": earlier.get(day(r["day"]), [])[:-1]}
            for r in read.rows("SELECT day, workday, reason, set_by FROM calendar_override ORDER BY day")]


def catalog_view(read: Reader) -> dict:
    """The catalog in force as people read it: agencies, and each bundle with its matters spelt out."""
    version, document = catalog_document(read)
    matters = {m["code"]: m for m in document["matters"]}
    bundles = [
        {
            "code": b["code"],
            "name": b["name"],
            "promised_days": b["promised_days"],
            "matters": [
                {"matter": entry["matter"], "optional": entry["optional"]}
                | {k: v for k, v in matters[entry["matter"]].items() if k != "code"}
                for entry in b["matters"]
            ],
        }
        for b in document["bundles"]
    ]
    return {"version": version, "agencies": document["agencies"], "bundles": bundles}
