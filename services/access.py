"""Who comes in over the network: passwords and sign-in (people), sessions, tokens (systems).

Passwords are hashed with argon2id (pwdlib); a token has 256 random bits, so its SHA-256 is enough to keep
and is cheap to look up on every request. Sign-in time is real time (time.time), never the test clock:
locks and idle sessions are about people waiting, not about the calendar the cases run on.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlmodel import Session, select

from approvals import permissions
from approvals.errors import BadInput, NotFound, Refused
from approvals.permissions import Act
from schemas.access import ApiToken, SignInAttempt, WebSession
from schemas.staff import Operator
from services.catalog import catalog_in_force
from services.queries.staff import TOKEN_PREFIX
from services.staff import authorise

FAILURES_BEFORE_LOCK = 5
MIN_PASSWORD_LENGTH = 10
_TOKEN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@lru_cache(maxsize=1)
def _hasher():
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    # argon2id at OWASP's first recommended setting (19 MiB, 2 passes, 1 lane): a quarter of pwdlib's default
    # cost, so that a hall's morning sign-ins do not queue on a small server; hashes made with other
    # settings still verify (they carry theirs)
    return PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19_456, parallelism=1),))


def real_now() -> datetime:
    return datetime.now(UTC)


# --- passwords -----------------------------------------------------------------------------


def set_password(session: Session, operator_id: str, password: str, *, by: str, now: datetime) -> None:
    """An administrator sets an operator's password (`operator password ID`); it also lifts a lock."""
    authorise(session, by, Act.ADMINISTER)
    row = session.get(Operator, operator_id)
    if row is None:
        raise NotFound(f"no operator {operator_id!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    row.password_hash = _hasher().hash(password)
    row.failed_sign_ins, row.locked_until = 0, None


# --- sign-in --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    """What a sign-in came to: a session id, or why not (said the same way for every wrong name or password)."""

    session_id: str | None
    problem: str | None = None
    locked: bool = False


_WRONG = "wrong username or password"


@dataclass(frozen=True)
class PasswordCheck:
    """What checking a password outside any transaction found (argon2 takes a good fraction of a second
    on purpose: no write lock is held meanwhile)."""

    username: str
    known: bool  # an enabled operator with a password
    matches: bool


def check_password(read, username: str, password: str) -> PasswordCheck:
    """Read the operator's hash and check the password against it (`read`: a services.queries Reader)."""
    username = username.strip()[:64]
    row = read.one("SELECT password_hash, enabled FROM operator WHERE id = %(i)s", i=username) if username else None
    if row is None or row["password_hash"] is None or not row["enabled"]:
        _hasher().verify(password, _dummy_hash())  # the same work as a real check: names are not told apart
        return PasswordCheck(username, False, False)
    return PasswordCheck(username, True, _hasher().verify(password, row["password_hash"]))


def sign_in(session: Session, checked: PasswordCheck, *, now: datetime, remote: str | None) -> SignIn:
    """Record a sign-in whose password was checked: a session, or a failure counted; the fifth failure in a
    row locks the account for `sign_in_lock_seconds`; while locked even the right password is refused.
    Every attempt is recorded. The caller commits whatever the outcome (the failure counts)."""
    from services.settings import get_settings

    username = checked.username
    row = session.get(Operator, username) if checked.known else None
    if row is None or not row.enabled:
        _attempt(session, username, now, "unknown", remote)
        return SignIn(None, _WRONG)
    if row.locked_until is not None and row.locked_until > now:
        _attempt(session, username, now, "refused", remote)
        return SignIn(None, f"account locked after {FAILURES_BEFORE_LOCK} failed sign-ins; try again after "
                            f"{row.locked_until.astimezone(get_settings().tz):%H:%M}", locked=True)
    if not checked.matches:
        row.failed_sign_ins += 1
        if row.failed_sign_ins >= FAILURES_BEFORE_LOCK:
            row.locked_until = now + timedelta(seconds=get_settings().sign_in_lock_seconds)
            row.failed_sign_ins = 0
            _attempt(session, username, now, "locked", remote)
            return SignIn(None, f"account locked after {FAILURES_BEFORE_LOCK} failed sign-ins", locked=True)
        _attempt(session, username, now, "failed", remote)
        return SignIn(None, _WRONG)
    row.failed_sign_ins, row.locked_until = 0, None
    _attempt(session, username, now, "ok", remote)
    web = WebSession(id=secrets.token_hex(32), operator_id=row.id, created_at=now)
    session.add(web)
    return SignIn(web.id)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_hex(16))


def _attempt(session: Session, username: str, now: datetime, outcome: str, remote: str | None) -> None:
    session.add(SignInAttempt(username=username, at=now, outcome=outcome, remote=(remote or "")[:64] or None))


def sign_out(session: Session, session_id: str, *, now: datetime) -> None:
    row = session.get(WebSession, session_id)
    if row is not None and row.ended_at is None:
        row.ended_at = now


# --- tokens for systems ---------------------------------------------------------------------


@dataclass(frozen=True)
class NewToken:
    name: str
    token: str  # shown once, never stored
    scopes: list[str]
    agency: str | None


def create_token(session: Session, name: str, scopes: str, *, agency: str | None, by: str,
                 now: datetime) -> NewToken:
    authorise(session, by, Act.ADMINISTER)
    if not _TOKEN_NAME.match(name or ""):
        raise BadInput(f"{name!r} is not a token name (letters, digits, '.', '_', '-'; at most 64)")
    parsed = permissions.parse_token_scopes(scopes, agency)
    if agency is not None:
        _, catalog = catalog_in_force(session)
        if agency not in catalog.agencies:
            raise BadInput(f"unknown agency {agency!r} (known: {', '.join(sorted(catalog.agencies))})")
    if session.exec(select(ApiToken).where(ApiToken.name == name)).first() is not None:
        raise Refused(f"token {name!r} already exists")
    token = "ov_" + secrets.token_urlsafe(32)
    ordered = sorted(s.value for s in parsed)
    session.add(ApiToken(name=name, digest=token_digest(token), scopes=ordered, agency=agency, created_at=now,
                         created_by=by))
    return NewToken(name, token, ordered, agency)


def revoke_token(session: Session, name: str, *, by: str, now: datetime) -> bool:
    """Revoked at once: the next request with it is refused. False if it was revoked already."""
    authorise(session, by, Act.ADMINISTER)
    row = session.exec(select(ApiToken).where(ApiToken.name == name)).first()
    if row is None:
        raise NotFound(f"no token {name!r}")
    if row.revoked_at is not None:
        return False
    row.revoked_at, row.revoked_by = now, by
    return True


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_identity(name: str) -> str:
    return TOKEN_PREFIX + name

