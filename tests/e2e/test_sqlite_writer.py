"""SQLite has one writer at a time: a unit of work that writes waits its turn in short steps, and never
fails for a lock that is freed within SQLite's busy timeout. (PostgreSQL writers lock rows, not the
database: nothing of this applies there.)"""

from __future__ import annotations

import sqlite3
import threading
import time

from services.db import UnitOfWork, _take_the_writer


def _hold_the_writer(path: str, seconds: float, taken: threading.Event) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    taken.set()
    time.sleep(seconds)
    other.execute("ROLLBACK")
    other.close()


def test_the_writers_lock_is_taken_once_it_is_free_and_the_busy_timeout_is_put_back(tmp_path):
    path = str(tmp_path / "writer.db")
    taken = threading.Event()
    holder = threading.Thread(target=_hold_the_writer, args=(path, 0.3, taken))
    holder.start()
    taken.wait()
    mine = sqlite3.connect(path, isolation_level=None, timeout=30)

    assert _take_the_writer(mine, patience=0.05) is False  # still held: the caller falls back to SQLite's wait
    assert mine.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    assert _take_the_writer(mine, patience=5.0) is True  # freed after 0.3 s: taken, without an error
    assert mine.in_transaction
    assert mine.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    mine.execute("ROLLBACK")
    holder.join()


def test_a_unit_of_work_waits_for_a_writer_that_holds_the_database_longer_than_its_patience(tmp_path):
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'writer.db'}"
    with UnitOfWork(url) as uow:
        uow.session.execute(text("CREATE TABLE counter (n INTEGER)"))
        uow.commit()
    taken = threading.Event()
    holder = threading.Thread(target=_hold_the_writer, args=(str(tmp_path / "writer.db"), 1.5, taken))
    holder.start()
    taken.wait()

    with UnitOfWork(url) as uow:  # past the 1 s of short tries, SQLite's own busy wait takes over
        uow.session.execute(text("INSERT INTO counter VALUES (1)"))
        uow.commit()

    holder.join()
    with UnitOfWork(url, write=False) as uow:
        assert uow.session.execute(text("SELECT count(*) FROM counter")).scalar_one() == 1
