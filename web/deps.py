"""What every route depends on: the acting identity (a signed-in operator or a system's token), reading,
writing through one use case, and the clock.

The acting identity comes from the session or the token, never from the request body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from approvals.deadlines import Clock
from approvals.permissions import Actor
from web.auth import signed_in
from web.errors import NotSignedIn

T = TypeVar("T")


@contextmanager
def reading(request: Request):
    """The request's read connection: the one its identity was read through, else one of its own."""
    from services.queries.connection import reader

    read = getattr(request.state, "read", None)
    if read is not None:
        yield read
        return
    with reader(request.app.state.settings.url) as read:
        yield read


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _token_actor(read, token: str) -> Actor:
    from services.access import token_digest, token_identity
    from services.queries.staff import system_actor

    row = read.one("SELECT name, scopes, agency, revoked_at FROM api_token WHERE digest = %(d)s",
                   d=token_digest(token))
    if row is None:
        raise NotSignedIn("unknown token")
    if row["revoked_at"] is not None:
        raise NotSignedIn(f"token {row['name']} is revoked")
    return system_actor(token_identity(row["name"]), row)


def current_actor(request: Request) -> Iterator[Actor]:
    """The signed-in operator, or the system whose bearer token came with the request (401 otherwise).
    Reading needs an enabled one; each use case checks its own act again in its transaction. The read
    connection stays open for the route (`reading`): one connection a request."""
    from services.queries.connection import reader

    with reader(request.app.state.settings.url) as read:
        token = _bearer(request)
        who = _token_actor(read, token) if token else signed_in(request, read)
        request.state.read = read
        try:
            yield who
        finally:
            request.state.read = None


CurrentOperator = Annotated[Actor, Depends(current_actor)]


def settings_of(request: Request):
    return request.app.state.settings


def read_clock(request: Request, read) -> Clock:
    from services.queries.connection import calendar

    return Clock(settings_of(request).current_time(), calendar(read))


def write(request: Request, use_case: Callable[[Any, Clock], T], *, retry_on_conflict: bool = False) -> T:
    """Run one use case in one transaction, given the session and the clock (as the CLI does)."""
    from services.db import transact
    from services.workdays import calendar_for

    settings = settings_of(request)
    return transact(settings.url, lambda s: use_case(s, Clock(settings.current_time(), calendar_for(s))),
                    retry_on_conflict=retry_on_conflict)
