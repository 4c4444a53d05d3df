"""A PostgreSQL database of a bench's own: made fresh with an admin URL, dropped afterwards (psycopg only)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


def fresh_postgres(admin_url: str) -> tuple[str, str]:
    """Create a database with a unique name on ADMIN_URL's server; its URL and its name."""
    import psycopg

    name = f"onevisit_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{admin_url.rsplit('/', 1)[0]}/{name}", name


def drop_postgres(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_postgres(admin_url: str) -> Iterator[str]:
    """The URL of a fresh database, dropped when the block ends (connections still open are cut)."""
    url, name = fresh_postgres(admin_url)
    try:
        yield url
    finally:
        drop_postgres(admin_url, name)
