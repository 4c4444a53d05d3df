"""Engines and the unit of work: every human action is one short transaction, committed once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from approvals.errors import BadInput


@lru_cache(maxsize=8)
def engine_for(url: str, *, write: bool = True) -> Engine:
    """One engine per URL. On SQLite a writer begins IMMEDIATE, so two writers queue instead of deadlocking."""
    try:
        parsed = make_url(url)
    except Exception:
        raise BadInput(f"ONEVISIT_DATABASE_URL is not a database URL: {url!r}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise BadInput(f"ONEVISIT_DATABASE_URL: unsupported database {parsed.drivername!r} (sqlite or postgresql)")
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
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
    def _begin(conn):
        # Straight to sqlite3: through SQLAlchemy's execution path this statement cost 60 us, a third of
        # an empty unit of work, paid by every action. A failure (the lock not had in time) still raises
        # as SQLAlchemy's OperationalError, which the CLI's and the flows' retries know.
        try:
            conn.connection.dbapi_connection.execute(begin)
        except conn.dialect.loaded_dbapi.Error as error:
            raise _as_sqlalchemy_error(conn.dialect)(begin, None, error) from error

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def raw(session: Session):
    """A `services.reads.Reader` on the DB-API connection of the session's transaction.

    For the hot reads of every action that need no ORM object (the operator, the calendar): through
    sqlite3 or psycopg a statement costs microseconds, through SQLAlchemy tens of them. What the session
    holds unwritten is flushed first, as the ORM's own queries would (unless autoflush is off)."""
    from services.reads import Reader

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
    from services.reads import reader

    with reader(url):
        pass
