"""Sign-in for people: the session cookie (signed), CSRF tokens, the sign-in use case and the API's session
routes (the sign-in page and its form are web/pages/signin.py).

The cookie holds `session-id.last-seen.mac`: HMAC-SHA256 under a key derived from the installation's
secret, so it cannot be forged or have its time moved. Each request checks the session row (signing out
or disabling the operator ends it at once) and the idle time; the last-seen time is renewed at most once
a minute. CSRF: a form post, or any write that carries the session cookie, must send the token bound to
the session (HMAC of its id), in the `csrf_token` field or the `X-CSRF-Token` header. Before signing in,
the sign-in form is bound the same way to a random pre-session cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from approvals.permissions import Actor, Role
from web.errors import BadCsrf, NotSignedIn

SESSION_COOKIE = "ov_session"
PRE_COOKIE = "ov_pre"
CSRF_FIELD, CSRF_HEADER = "csrf_token", "x-csrf-token"
RENEW_AFTER_SECONDS = 60
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_POSTABLE = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")  # cross-site without asking

@dataclass(frozen=True)
class Keys:
    session: bytes
    csrf: bytes

    @classmethod
    def of(cls, settings) -> Keys:
        from services.installation import purpose_key

        return cls(purpose_key(settings, b"web session"), purpose_key(settings, b"web csrf"))


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def seal(keys: Keys, session_id: str, seen: int) -> str:
    return f"{session_id}.{seen}.{_mac(keys.session, f'{session_id}.{seen}')}"


def unseal(keys: Keys, value: str | None) -> tuple[str, int] | None:
    """The session id and last-seen time of a cookie, if its MAC is right."""
    parts = (value or "").split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    session_id, seen, mac = parts
    if not hmac.compare_digest(mac, _mac(keys.session, f"{session_id}.{seen}")):
        return None
    return session_id, int(seen)


def csrf_token(request: Request) -> str:
    """The token a form (or a signed-in script) sends back: bound to the session, or before sign-in to the
    pre-session cookie (made here when missing; `web.app` sets it on the response)."""
    keys: Keys = request.app.state.keys
    found = unseal(keys, request.cookies.get(SESSION_COOKIE))
    if found:
        return _mac(keys.csrf, "session:" + found[0])[:40]
    pre = request.cookies.get(PRE_COOKIE) or getattr(request.state, "new_pre", None)
    if not pre:
        pre = request.state.new_pre = secrets.token_hex(16)
    return _mac(keys.csrf, "pre:" + pre)[:40]


async def csrf_protected(request: Request) -> None:
    """Every app route depends on this: writes that a browser could be tricked into sending need the token."""
    if request.method not in UNSAFE:
        return
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if SESSION_COOKIE not in request.cookies and content_type not in _POSTABLE:
        return  # a token in a header, or JSON without cookies: no browser sends that across sites unasked
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and content_type in _POSTABLE[:2]:
        sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token(request)):
        raise BadCsrf("CSRF token missing or wrong: reload the page and try again")


def signed_in(request: Request, read) -> Actor:
    """The operator behind the session cookie: 401 if there is none, it ended, sat idle too long, or the
    operator is disabled."""
    settings = request.app.state.settings
    found = unseal(request.app.state.keys, request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise NotSignedIn("not signed in")
    session_id, seen = found
    now = int(time.time())
    if now - seen > settings.session_idle_seconds:
        raise NotSignedIn("signed out after inactivity: sign in again")
    row = read.one("SELECT s.ended_at, o.id, o.role, o.agency, o.enabled FROM web_session s "
                   "JOIN operator o ON o.id = s.operator_id WHERE s.id = %(s)s", s=session_id)
    if row is None or row["ended_at"] is not None:
        raise NotSignedIn("this session has ended: sign in again")
    if not row["enabled"]:
        raise NotSignedIn(f"operator {row['id']} is disabled")
    if now - seen >= RENEW_AFTER_SECONDS:
        request.state.renew_cookie = seal(request.app.state.keys, session_id, now)
    request.state.session_id = session_id
    return Actor(row["id"], Role(row["role"]), row["agency"], True)


def session_operator_id(request: Request) -> str | None:
    """The signed-in operator's id for a page (None sends the browser to the sign-in page)."""
    from services.queries.connection import reader

    if SESSION_COOKIE not in request.cookies:
        return None
    with reader(request.app.state.settings.url) as read:
        try:
            return signed_in(request, read).id
        except NotSignedIn:
            return None


def set_session_cookie(response: Response, request: Request, value: str) -> None:
    response.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                        path="/", max_age=request.app.state.settings.session_idle_seconds)


# --- the sign-in page and the JSON session ---------------------------------------------------


def _remote(request: Request) -> str | None:
    return request.client.host if request.client else None


def safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/hall"


def sign_in(request: Request, username: str, password: str):
    from services import access
    from services.db import transact

    from services.queries.connection import reader

    url = request.app.state.settings.url
    with reader(url) as read:
        checked = access.check_password(read, username, password)  # slow on purpose, outside the transaction
    return transact(url, lambda s: access.sign_in(s, checked, now=access.real_now(), remote=_remote(request)))


def end_session(request: Request) -> None:
    from services import access
    from services.db import transact

    found = unseal(request.app.state.keys, request.cookies.get(SESSION_COOKIE))
    if found:
        transact(request.app.state.settings.url, lambda s: access.sign_out(s, found[0], now=access.real_now()))


class SignInIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


api_router = APIRouter(prefix="/session", tags=["session"])


@api_router.post("")
def api_sign_in(body: SignInIn, request: Request, response: Response) -> dict:
    """Sign in (scripts and single-page clients): sets the session cookie; send `csrf_token` back as the
    `X-CSRF-Token` header on every write."""
    result = sign_in(request, body.username, body.password)
    if result.session_id is None:
        raise NotSignedIn(result.problem)
    sealed = seal(request.app.state.keys, result.session_id, int(time.time()))
    set_session_cookie(response, request, sealed)
    return {"operator": body.username.strip(),
            "csrf_token": _mac(request.app.state.keys.csrf, "session:" + result.session_id)[:40]}


@api_router.delete("")
def api_sign_out(request: Request, response: Response) -> dict:
    end_session(request)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return {"signed_out": True}
