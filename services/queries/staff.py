"""Who reads: the operator behind a command, operators and agents, mandates."""

from __future__ import annotations

from datetime import date

from approvals.errors import BadInput, Refused
from approvals.identifiers import mask_phone
from approvals.permissions import TOKEN_ACTS, Act, Actor, Role, TokenScope, check
from services.queries.connection import Reader, day, from_json, utc


TOKEN_PREFIX = "token:"  # a system acting with its token is `token:NAME` (an operator id never has a colon)


def operator(read: Reader, operator_id: str | None) -> Actor:
    """The operator behind a command; reading too needs an enabled one."""
    if not operator_id:
        raise BadInput("--operator is required (or set ONEVISIT_OPERATOR)")
    if operator_id.startswith(TOKEN_PREFIX):
        return _system(read, operator_id)
    found = read.answer(("operator", operator_id), _OPERATOR, i=operator_id)
    row = found[0] if found else None
    if row is None:
        raise Refused(f"unknown operator {operator_id!r} (an administrator adds it: onevisit operator add)")
    return Actor(row["id"], Role(row["role"]), row["agency"], bool(row["enabled"]))


_OPERATOR = "SELECT id, role, agency, enabled FROM operator WHERE id = %(i)s"


def ask_ahead(read: Reader, operator_id: str | None) -> None:
    """Have the operator read with the action's first pipeline (see Reader.ahead)."""
    if operator_id and not operator_id.startswith(TOKEN_PREFIX):
        read.ahead(("operator", operator_id), _OPERATOR, i=operator_id)


def _system(read: Reader, identity: str) -> Actor:
    """A system acting with its token: its scopes say what it may do; a revoked token may do nothing."""
    row = read.one("SELECT scopes, agency, revoked_at FROM api_token WHERE name = %(n)s",
                   n=identity.removeprefix(TOKEN_PREFIX))
    if row is None:
        raise Refused(f"unknown token {identity!r}")
    return system_actor(identity, row)


def system_actor(identity: str, row: dict) -> Actor:
    """A token's row (`scopes`, `agency`, `revoked_at`) as the actor it lets in."""
    acts = frozenset(TOKEN_ACTS[TokenScope(s)] for s in from_json(row["scopes"]))
    return Actor(identity, Role.SYSTEM, row["agency"], row["revoked_at"] is None, acts)


def require(read: Reader, operator_id: str | None, act: Act = Act.READ) -> Actor:
    who = operator(read, operator_id)
    check(who, act)
    return who


def list_operators(read: Reader, *, unmasked: bool = False) -> list[dict]:
    return [
        {"id": r["id"], "role": r["role"], "agency": r["agency"], "name": r["name"],
         "phone": r["phone"] if unmasked else mask_phone(r["phone"]), "enabled": bool(r["enabled"]),
         "created_at": utc(r["created_at"]), "created_by": r["created_by"], "disabled_at": utc(r["disabled_at"])}
        for r in read.rows("SELECT * FROM operator ORDER BY role, id")
    ]


def list_mandates(read: Reader, today: date, *, agent: str | None) -> list[dict]:
    rows = read.rows("SELECT * FROM mandate" + (" WHERE agent = %(a)s" if agent else "") + " ORDER BY id", a=agent)
    return [
        {"id": r["id"], "agent": r["agent"], "applicant": r["uscc"], "scopes": from_json(r["scopes"]),
         "valid_until": day(r["valid_until"]),
         "status": "revoked" if r["revoked_at"] else "expired" if day(r["valid_until"]) < today else "valid",
         "granted_at": utc(r["granted_at"]), "granted_by": r["granted_by"], "revoked_at": utc(r["revoked_at"]),
         "revoked_by": r["revoked_by"], "revoke_reason": r["revoke_reason"]}
        for r in rows
    ]


def list_tokens(read: Reader) -> list[dict]:
    return [{"name": r["name"], "scopes": from_json(r["scopes"]), "agency": r["agency"],
             "created_at": utc(r["created_at"]), "created_by": r["created_by"], "revoked_at": utc(r["revoked_at"]),
             "revoked_by": r["revoked_by"]}
            for r in read.rows("SELECT * FROM api_token ORDER BY name")]
