"""The signed-in operator of a page: the sign-in's session names them, the operator table says who they are."""

from __future__ import annotations

from fastapi import Request

from web.pages.common import HallOperator, SignInNeeded, catalog_names, reading


def session_operator_id(request: Request) -> str | None:
    """The operator id the sign-in's session cookie carries (None: not signed in, ended, idle, disabled)."""
    from web.auth import session_operator_id as from_cookie

    return from_cookie(request)


def signed_in(request: Request) -> HallOperator:
    """The enabled operator at this desk; otherwise the browser goes to the sign-in page."""
    operator_id = session_operator_id(request)
    if operator_id is None:
        raise SignInNeeded()
    return operator_named(request, operator_id)


def operator_named(request: Request, operator_id: str) -> HallOperator:
    with reading(request) as (read, _clock):
        row = read.one("SELECT id, role, agency, name, enabled FROM operator WHERE id = %(i)s", i=operator_id)
        if row is None or not row["enabled"]:
            raise SignInNeeded()
        agency_name = catalog_names(read).agencies.get(row["agency"]) if row["agency"] else None
    operator = HallOperator(row["id"], row["role"], row["agency"], row["name"], agency_name)
    request.state.hall_operator = operator
    return operator
