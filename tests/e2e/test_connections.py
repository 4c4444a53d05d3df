"""Pooled PostgreSQL connections: pinged before they are lent again only after sitting idle."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

import services.db as db
from services.db import UnitOfWork, engine_for, raw
from tests.conftest import PG_ADMIN_URL, _drop_pg, _pg_database


@pytest.fixture
def pg_url():
    database, name = _pg_database()
    yield database.url
    engine_for(database.url).dispose()
    _drop_pg(name)


def _backend(url: str) -> int:
    """The server process behind the connection a unit of work is lent."""
    with UnitOfWork(url) as uow:
        pid = raw(uow.session).one("SELECT pg_backend_pid() AS pid")["pid"]
        uow.commit()
    return pid


def _terminate(pid: int) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):  # gone from the server's list once it has exited
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                return
            time.sleep(0.05)
    raise AssertionError(f"backend {pid} did not exit")


def test_an_idle_pooled_connection_the_server_dropped_is_replaced_before_it_is_lent(pg_url, monkeypatch):
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 0.0)
    first = _backend(pg_url)
    _terminate(first)
    second = _backend(pg_url)  # pinged, found closed, replaced: the unit of work never sees it
    assert second != first
    assert _backend(pg_url) == second  # the new connection is pooled in turn


def test_a_connection_back_in_the_pool_moments_ago_is_lent_without_a_ping(pg_url, monkeypatch):
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 3600.0)
    first = _backend(pg_url)
    _terminate(first)
    with pytest.raises(OperationalError):  # not pinged: the first statement finds it closed
        _backend(pg_url)
    assert _backend(pg_url) != first  # the disconnect renewed the pool: the next unit of work works


def test_one_engine_a_url_however_it_is_asked_for(tmp_path):
    """Writers of one database share one pool whether they name `write` or not; readers have their own."""
    url = f"sqlite:///{tmp_path / 'one.db'}"
    writer = engine_for(url)
    try:
        assert engine_for(url, write=True) is writer and engine_for(url=url, write=True) is writer
        assert engine_for(url, write=False) is not writer
    finally:
        writer.dispose()
        engine_for(url, write=False).dispose()
