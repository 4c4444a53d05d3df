"""The web served for real: uvicorn on a loopback port, started by the test, on SQLite and PostgreSQL.

`web` serves the session database (conftest's `database`, both backends) with the clock pinned to Monday;
`client(...)` is an httpx client signed in as an operator of the test county (passwords set directly).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import httpx
import pytest

PASSWORD = "correct horse battery"


@dataclass
class Served:
    url: str
    database: object

    def client(self, operator: str | None = None, password: str = PASSWORD) -> httpx.Client:
        """A client; signed in as `operator` when given (its `X-CSRF-Token` header set for writes)."""
        client = httpx.Client(base_url=self.url, timeout=30)
        if operator is not None:
            key = (self.url, operator, password)
            if key not in _SESSIONS:  # an argon2 check costs a noticeable fraction of a second: sign in once
                set_password(self.database.url, operator)
                answer = httpx.post(f"{self.url}/api/v1/session", json={"username": operator, "password": password})
                assert answer.status_code == 200, answer.text
                _SESSIONS[key] = (dict(answer.cookies), answer.json()["csrf_token"])
            cookies, csrf = _SESSIONS[key]
            client.cookies.update(cookies)
            client.headers["X-CSRF-Token"] = csrf
        return client

    def token(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {token}"})


_PASSWORDS_SET: set[tuple[str, str]] = set()
_SESSIONS: dict[tuple[str, str, str], tuple[dict, str]] = {}  # signed in once a test session (tests sign out only their own operators)


def set_password(url: str, operator: str) -> None:
    """Straight in the database, as `onevisit operator password` would (once per database and operator)."""
    if (url, operator) in _PASSWORDS_SET:
        return
    from services.access import _hasher
    from services.db import UnitOfWork
    from schemas.staff import Operator

    with UnitOfWork(url) as uow:
        row = uow.session.get(Operator, operator)
        row.password_hash, row.failed_sign_ins, row.locked_until = _hasher().hash(PASSWORD), 0, None
        uow.commit()
    _PASSWORDS_SET.add((url, operator))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def _servers():
    """One uvicorn per database for the whole session (started on first use), stopped at the end."""
    running: dict[str, tuple] = {}
    yield running
    for server, thread, _ in running.values():
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def web(env, _servers) -> Served:
    import uvicorn

    from services.settings import get_settings
    from web.app import create_app

    if env.url not in _servers:
        port = _free_port()
        settings = get_settings()
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                               log_level="warning", access_log=False))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        _servers[env.url] = (server, thread, f"http://127.0.0.1:{port}")
    return Served(_servers[env.url][2], env)
