"""The test clock (ONEVISIT_NOW) is honoured only by a database that says it is a test or demo database.

`onevisit init --test-clock` marks a database so when it is made (`installation.test_clock`, shown by
`onevisit info`); anywhere else a set ONEVISIT_NOW is refused in one line (exit 2) before anything is read
or written, so nobody backdates a filing under an expired mandate or dates a decision 1900.
"""

from __future__ import annotations

from approvals.errors import BadInput
from services.settings import Settings

REFUSAL = ("ONEVISIT_NOW (the test clock) is honoured only by a test or demo database (made with "
           "`onevisit init --test-clock`); this one is not: unset ONEVISIT_NOW")


def require_honoured(settings: Settings, read) -> None:
    """Refuse a set test clock unless the database behind `read` (services.queries.connection) is a test one."""
    if settings.now is None:
        return
    if read.one("SELECT name FROM sqlite_master WHERE name = 'installation'" if read.sqlite
                else "SELECT to_regclass('installation') AS name") in (None, {"name": None}):
        raise BadInput(REFUSAL)
    row = read.one("SELECT test_clock FROM installation ORDER BY id LIMIT 1")
    if row is None or not row["test_clock"]:
        raise BadInput(REFUSAL)
