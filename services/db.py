"""Engines and the unit of work: every human action is one short transaction, committed once."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError, OperationalError
from sqlmodel import Session
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_incrementing

from approvals.errors import BadInput

T = TypeVar("T")


def engine_for(url: str, *, write: bool = True) -> Engine:
    """One engine per URL (and, on SQLite, per kind of transaction): a writer begins IMMEDIATE, so two
    writers queue instead of deadlocking."""
    return _engine(url, write)


@lru_cache(maxsize=8)
def _engine(url: str, write: bool) -> Engine:  # keyed on both, however the caller spells them
    try:
        parsed = make_url(url)
    except Exception:
        raise BadInput(f"ONEVISIT_DATABASE_URL is not a database URL: {url!r}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise BadInput(f"ONEVISIT_DATABASE_URL: unsupported database {parsed.drivername!r} (sqlite or postgresql)")
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(parsed)
        _ping_when_idle(engine)
        return engine
    if parsed.database:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})
    begin = "BEGIN IMMEDIATE" if write else "BEGIN"

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # SQLAlchemy's recipe for SQLite (its documentation, "Serializable isolation")
        conn.exec_driver_sql(begin)

    return engine


# A pooled PostgreSQL connection idle this long is pinged before it is lent again.
IDLE_BEFORE_PING_SECONDS = 2.0


def _ping_when_idle(engine: Engine) -> None:
    """Lend a pooled connection only if the server still has it, as `pool_pre_ping` would, but ping only one
    that sat idle in the pool: a busy process has its connection back within milliseconds. `pool_pre_ping`
    makes a decision 3 round trips instead of 2 and a submission 4 instead of 3 (`bench/round_trips.py`);
    whole cases, 5 alternating pairs: 77.1 against 72.7 cases/s (medians), pair by pair 0.87-1.06 of this
    (docs/benchmarks.md, fourth session). A connection the server drops
    while a busy process holds it in the pool fails that process's next statement as a disconnect, which
    renews the whole pool; the flows retry such a failure, and a CLI command always starts afresh."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _still_there(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("idle_since")  # none yet: a connection just made
        if since is None or time.monotonic() - since < IDLE_BEFORE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:  # e.g. "terminating connection due to administrator command"
            raise DisconnectionError(f"the pooled connection failed its ping: {error}") from error
        if not alive:
            raise DisconnectionError("the pooled connection was closed by the server")  # the pool makes a new one


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def raw(session: Session):
    """A `services.queries.connection.Reader` on the DB-API connection of the session's transaction.

    For the hot reads of every action that need no ORM object (the operator, the calendar): through
    sqlite3 or psycopg a statement costs microseconds, through SQLAlchemy tens of them. What the session
    holds unwritten is flushed first, as the ORM's own queries would (unless autoflush is off)."""
    from services.queries.connection import Reader

    if session.autoflush:
        session.flush()  # nothing to do (and next to no time) when nothing changed
    reader = session.info.get("reader")
    if reader is None:  # one a transaction: asking the session for its connection costs more than a statement
        connection = session.connection()
        reader = session.info["reader"] = Reader(connection.connection.driver_connection,
                                                 connection.dialect.name == "sqlite",
                                                 _as_sqlalchemy_error(connection.dialect))
    return reader


def _as_sqlalchemy_error(dialect):
    """A DB-API error as SQLAlchemy would have raised it (IntegrityError, OperationalError with the driver's
    error as `orig`), so that a statement over the DB-API fails the way one through the session does: the
    CLI's retries and error messages and the flows' retry conditions know SQLAlchemy's exceptions."""
    from sqlalchemy.exc import DBAPIError

    base = dialect.loaded_dbapi.Error

    def translate(sql: str, params, error: Exception) -> Exception:
        if not isinstance(error, base):
            return error
        return DBAPIError.instance(sql, params, error, base, dialect=dialect)

    return translate


@event.listens_for(Session, "after_transaction_end")
def _forget_reader(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction: its connection goes back to the pool
        session.info.pop("reader", None)


def transact(url: str, use_case: Callable[[Session], T], *, retry_on_conflict: bool = False) -> T:
    """Run one use case in one unit of work and commit it. Run again only what the database refused as a
    whole: a transaction PostgreSQL broke off (deadlock 40P01, serialisation failure 40001: nothing of it was
    written) up to three more times with a short growing pause, and, when asked, a race lost on a unique key
    once (e.g. two windows filing the same request_id: the second run finds the first's case)."""
    for attempt in Retrying(retry=retry_if_exception(_run_again(retry_on_conflict)), stop=stop_after_attempt(4),
                            wait=wait_incrementing(start=0.05, increment=0.05), reraise=True):
        with attempt:
            with UnitOfWork(url) as uow:
                result = use_case(uow.session)
                uow.commit()
    return result


def _run_again(retry_on_conflict: bool) -> Callable[[BaseException], bool]:
    conflicts = 0

    def should(error: BaseException) -> bool:
        nonlocal conflicts
        if isinstance(error, IntegrityError):
            conflicts += 1
            return retry_on_conflict and conflicts == 1
        return isinstance(error, OperationalError) and getattr(error.orig, "sqlstate", None) in _BROKEN_OFF

    return should


_BROKEN_OFF = {"40P01", "40001"}  # deadlock, serialisation failure


class UnitOfWork:
    """`with UnitOfWork(url) as uow: ...; uow.commit()`; leaving without commit rolls back."""

    def __init__(self, url: str, *, write: bool = True):
        self.engine = engine_for(url, write=write)
        self.session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        self.session = Session(self.engine, expire_on_commit=False)
        return self

    def __exit__(self, *exc) -> None:
        assert self.session is not None
        self.session.close()  # rolls back what was not committed; loaded objects stay readable

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()




def require_schema(url: str) -> None:
    """Refuse politely when `onevisit init` has not been run, without creating anything."""
    from services.queries.connection import reader

    with reader(url):
        pass
