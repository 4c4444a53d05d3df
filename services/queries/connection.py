"""The read side's connection: sqlite3 or psycopg straight, no SQLAlchemy (reads answer fast).

Reading a case must answer in well under half a second, and importing SQLAlchemy and SQLModel
alone costs more than that on a small machine; so reads use sqlite3 or psycopg directly, with
plain SQL against the tables that `schemas` defines. Writes never come through here."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from approvals.calendar import WorkingCalendar
from approvals.errors import BadInput, Refused

_NAMED = re.compile(r"%\((\w+)\)s")

class Reader:
    """A DB-API connection (sqlite3 or psycopg) that answers `rows(sql, **params)` as dicts; SQL is written
    with `%(name)s` parameters for both. The read commands open one read-only; a unit of work lends its
    own (`services.db.raw`) for its hot statements."""

    def __init__(self, connection, sqlite: bool, errors: Callable[[str, Any, Exception], Exception] | None = None):
        self.connection = connection
        self.sqlite = sqlite
        self.errors = errors  # a unit of work's: a DB-API error raised as SQLAlchemy's, which its callers handle
        self._ahead: dict[Any, tuple[str, dict]] = {}
        self._early: dict[Any, list[dict]] = {}

    def ahead(self, key: Any, sql: str, **params: Any) -> None:
        """Ask a read now and have it answered with the next pipeline (`together`), so that it costs no round
        trip of its own on PostgreSQL; `early(key)` gives its rows. On SQLite, where a read costs no round
        trip, nothing is asked ahead: `early` answers None and the caller reads when it needs to."""
        if not self.sqlite:
            self._ahead[key] = (sql, params)

    def answer(self, key: Any, sql: str, **params: Any) -> list[dict]:
        """The rows of `sql`: as answered ahead if it was asked so (`ahead`), else read now."""
        self._ahead.pop(key, None)  # asked, but no pipeline went since: read now
        early = self._early.pop(key, None)
        return early if early is not None else self.rows(sql, **params)

    def cursor(self, sql: str, params: dict[str, Any]):
        """The DB-API cursor that ran `sql`, to fetch plain tuples from."""
        cursor = self.connection.cursor()
        with self._raising(sql, params):
            cursor.execute(self._dialect(sql), params)
        return cursor

    def rows(self, sql: str, **params: Any) -> list[dict]:
        cursor = self.cursor(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def many(self, sql: str, rows: list[dict]) -> None:
        """One statement for every row (psycopg sends them all before it waits for an answer)."""
        with self._raising(sql, rows):
            self.connection.cursor().executemany(self._dialect(sql), rows)

    @contextmanager
    def together(self) -> Iterator[None]:
        """Statements sent without waiting for each answer (psycopg's pipeline: one round trip for all of
        them, errors raised at the end of the block); on SQLite, in-process, nothing to save."""
        if self.sqlite:
            yield
            return
        asked, self._ahead = self._ahead, {}
        with self._raising("(pipeline)", None), self.connection.pipeline():
            cursors = {key: self.cursor(sql, params) for key, (sql, params) in asked.items()}
            yield
        for key, cursor in cursors.items():
            names = [d[0] for d in cursor.description]
            self._early[key] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @contextmanager
    def _raising(self, sql: str, params: Any) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            translated = self.errors(sql, params, exc) if self.errors else exc
            if translated is exc:
                raise
            raise translated from exc

    def stamp(self, value: datetime | None) -> Any:
        """An aware datetime as the UTC columns keep it (`schemas.types.UTCDateTime`): naive UTC, which
        SQLite holds as text with microseconds, as SQLAlchemy writes it."""
        if value is None:
            return None
        value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else value

    def _dialect(self, sql: str) -> str:
        return _for_sqlite(sql) if self.sqlite else sql

    def one(self, sql: str, **params: Any) -> dict | None:
        found = self.rows(sql, **params)
        return found[0] if found else None


@lru_cache(maxsize=512)
def _for_sqlite(sql: str) -> str:
    return _NAMED.sub(r":\1", sql)


@contextmanager
def reader(url: str) -> Iterator[Reader]:
    scheme, _, rest = url.partition("://")
    backend = scheme.split("+")[0]
    if backend == "sqlite":
        import sqlite3

        path = rest[1:] if rest.startswith("/") else rest
        try:
            # check_same_thread off: a web request may read in one worker thread and answer in another (one
            # thread at a time)
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, check_same_thread=False)
        except sqlite3.OperationalError:
            raise Refused(f"cannot open the database {path}: run `onevisit init` first") from None
        sqlite = True
    elif backend == "postgresql":
        import psycopg

        try:
            connection = psycopg.connect(f"postgresql://{rest}", autocommit=True)
        except psycopg.OperationalError as exc:
            raise Refused(f"cannot open the database: {str(exc).strip().splitlines()[0]}") from None
        sqlite = False
    else:
        raise BadInput(f"ONEVISIT_DATABASE_URL: unsupported database {scheme!r} (sqlite or postgresql)")
    try:
        read = Reader(connection, sqlite)
        table = read.one(
            "SELECT name FROM sqlite_master WHERE name = 'alembic_version'"
            if sqlite
            else "SELECT to_regclass('alembic_version') AS name"
        )
        if not table or not table["name"]:
            raise Refused("the database is not initialised: run `onevisit init` first")
        yield read
    finally:
        connection.close()


def calendar(read: Reader) -> WorkingCalendar:
    """The working-day calendar in force: the announced one plus administrators' overrides."""
    return WorkingCalendar(overrides(read))


def overrides(read: Reader) -> dict[date, bool]:
    """Administrators' overrides of the announced calendar: day -> working day or not."""
    return {day(r["day"]): bool(r["workday"]) for r in read.answer("overrides", OVERRIDES)}


OVERRIDES = "SELECT day, workday FROM calendar_override"

# --- value normalisation: SQLite hands back text, PostgreSQL typed values ---------------------


def utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def from_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value

def timestamp(read: Reader, moment: datetime):
    """A bind value comparable with a UTCDateTime column on either backend."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if read.sqlite else naive
