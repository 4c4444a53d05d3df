"""The installation's identity and secret.

The row in `installation` names this database among all onevisit databases (flow runs are tagged with it)
and says whether it honours the test clock. The secret lives outside the database, in a key file: whoever
can write the database cannot forge what is keyed with it (the audit chain, session cookies, rating tokens).
Derive a key per purpose: `purpose_key(settings, b"audit")`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime

from sqlmodel import Session, select

from approvals.errors import BadInput
from schemas.installation import Installation
from services.settings import Settings


class KeyFileError(BadInput):
    """The key file exists but cannot be read as a key."""


def current_installation(session: Session) -> Installation | None:
    return session.exec(select(Installation)).first()


def ensure_installation(session: Session, now: datetime, *, test_clock: bool = False) -> Installation:
    """The installation row, made on first call; `test_clock` is set only when the row is made (a
    production database cannot be turned into a test one afterwards). The caller commits."""
    found = current_installation(session)
    if found is not None:
        return found
    made = Installation(installation_id=secrets.token_hex(16), test_clock=test_clock, created_at=now)
    session.add(made)
    session.flush()
    return made


def secret_key(settings: Settings) -> bytes:
    """The installation's 32-byte secret, read from the key file, made (mode 0600) when there is none."""
    path = settings.secret_path
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = secrets.token_hex(32)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made meanwhile by another process: read theirs
            return secret_key(settings)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(text + "\n")
    except (OSError, UnicodeDecodeError) as error:
        raise KeyFileError(f"cannot read the key file {path}: {error}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise KeyFileError(f"the key file {path} does not hold a 64-hex-digit key")
    return key


def purpose_key(settings: Settings, purpose: bytes) -> bytes:
    """A key for one purpose (b"audit", b"session", b"rating"), so no two uses share a key."""
    return hmac.new(secret_key(settings), purpose, hashlib.sha256).digest()
