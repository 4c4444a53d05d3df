"""Plain rows for the most frequent writes, a decision and a submission: read and written over the DB-API.

Through the ORM, most of a decision's time went to loading the case and its tasks as table models and
flushing them back (three quarters of it on SQLite). Here a row is a plain object with one attribute per
column, under the table model's names and with the same Python values, so the clocks and the settling of
a case work on either. It is read with one statement and written back with one UPDATE of the columns that
changed. Values cross with the columns' own SQLAlchemy types (their bind and result processors), so what
is stored is exactly what the ORM would store.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, ClassVar

from sqlalchemy import JSON, Date, DateTime, Dialect, Table
from sqlalchemy.dialects.sqlite import DATE as SQLITE_DATE, DATETIME as SQLITE_DATETIME
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, SQLModel

from schemas.types import UTCDateTime
from services.db import raw


class Row:
    """A row as it was read, its columns as attributes (an unknown attribute is an error, as on the model)."""

    MODEL: ClassVar[type[SQLModel]]
    COLUMNS: ClassVar[tuple[str, ...]]
    _NAMES: ClassVar[frozenset[str]]
    _JSON: ClassVar[tuple[int, ...]]  # positions of the JSON columns (lists, changed in place or not)

    def __init__(self, values):
        state = self.__dict__  # one C-level update: a decision builds a row per task
        state.update(zip(self.COLUMNS, values))
        state["_read"] = self._snapshot(values)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._NAMES:
            raise AttributeError(f"{type(self).__name__} has no column {name!r}")
        self.__dict__[name] = value

    def values(self) -> tuple:
        return tuple(map(self.__dict__.__getitem__, self.COLUMNS))

    def changes(self) -> dict[str, Any]:
        """The columns whose value differs from what was read (or last written)."""
        now, then = self.values(), self._read
        if now == then:  # most rows a decision reads stay as they were
            return {}
        return {name: value for name, value, was in zip(self.COLUMNS, now, then) if value != was}

    def _written(self) -> None:
        self.__dict__["_read"] = self._snapshot(self.values())

    @classmethod
    def _snapshot(cls, values) -> tuple:
        # JSON values are copied: a list changed in place is a change too.
        copied = list(values)
        for index in cls._JSON:
            copied[index] = copy(copied[index])
        return tuple(copied)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.__dict__.get('id', '?')}>"


@lru_cache(maxsize=None)
def row_class(model: type[SQLModel]) -> type[Row]:
    table = _table(model)
    columns = tuple(column.key for column in table.c)
    json = tuple(index for index, column in enumerate(table.c) if isinstance(column.type, JSON))
    return type(f"{model.__name__}Row", (Row,), {"MODEL": model, "COLUMNS": columns, "_NAMES": frozenset(columns),
                                                  "_JSON": json})


def load(session: Session, model: type[SQLModel], tail: str, **params: Any) -> list[Row]:
    """`SELECT <every column of model> <tail>` in the session's transaction, as rows of the model.

    `tail` is the rest of the statement ("FROM ... WHERE ..."), with `%(name)s` parameters."""
    table, dialect = _table(model), _dialect(session)
    names, _, results = _codec(table, dialect)
    cursor = raw(session).cursor(f"SELECT {names} {tail}", params)
    cls = row_class(model)
    found = []
    for values in cursor.fetchall():
        if results:
            values = list(values)
            for index, process in results:
                values[index] = process(values[index])
        found.append(cls(values))
    return found


def insert(session: Session, model: type[SQLModel], values: list[dict[str, Any]], match: str) -> list[Row]:
    """INSERT rows of the model in one statement; returns them as rows, with their ids. A column not given
    takes the model's default. `match`: a column whose values are unique among these rows (the ids come
    back keyed on it, whatever order the database returns them in)."""
    if not values:
        return []
    table, dialect = _table(model), _dialect(session)
    _, binds, _ = _codec(table, dialect)
    quote = dialect.identifier_preparer.quote
    plain, factories = _defaults(model)
    full = [{**plain, **{name: make() for name, make in factories.items() if name not in row}, **row} for row in values]
    names = [column.key for column in table.c if column.key != "id"]
    params: dict[str, Any] = {}
    tuples = []
    for index, row in enumerate(full):
        for name in names:
            value = row[name]
            params[f"{name}_{index}"] = binds[name](value) if binds.get(name) else value
        tuples.append("(" + ", ".join(f"%({name}_{index})s" for name in names) + ")")
    sql = (f"INSERT INTO {table.name} ({', '.join(quote(name) for name in names)}) VALUES {', '.join(tuples)} "
           f"RETURNING {quote(match)}, id")
    ids = dict(raw(session).cursor(sql, params).fetchall())
    cls = row_class(model)
    return [cls(tuple(ids[row[match]] if name == "id" else row[name] for name in cls.COLUMNS)) for row in full]


def save(session: Session, rows: Iterable[Row]) -> None:
    """Write each row's changed columns back (one UPDATE a row, one round trip on PostgreSQL for all), and
    let go of any table model of the same row the session holds, so that it is read again if asked for."""
    dialect = _dialect(session)
    writes = []
    for row in rows:
        changed = row.changes()
        if not changed:
            continue
        table = _table(row.MODEL)
        _, binds, _ = _codec(table, dialect)
        values = {name: binds[name](value) if binds.get(name) else value for name, value in changed.items()}
        writes.append((_update_sql(table, dialect, tuple(changed)), {**values, "id": row.id}, row))
    if not writes:
        return
    db = raw(session)
    with db.together():
        for sql, values, _ in writes:
            db.many(sql, [values])
    for _, _, row in writes:
        row._written()
        held = session.identity_map.get(identity_key(row.MODEL, row.id))
        if held is not None:
            session.expire(held)


def _table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined,return-value]


@lru_cache(maxsize=None)
def _defaults(model: type[SQLModel]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model's defaults: plain values, and factories called for each row."""
    plain, factories = {}, {}
    for name, field in model.model_fields.items():
        if field.default_factory is not None:
            factories[name] = field.default_factory
        elif not field.is_required():
            plain[name] = field.default
    return plain, factories


def _dialect(session: Session) -> Dialect:
    return session.get_bind().dialect


@lru_cache(maxsize=1024)
def _update_sql(table: Table, dialect: Dialect, names: tuple[str, ...]) -> str:
    quote = dialect.identifier_preparer.quote
    return f"UPDATE {table.name} SET {', '.join(f'{quote(name)} = %({name})s' for name in names)} WHERE id = %(id)s"


@lru_cache(maxsize=None)
def _codec(table: Table, dialect: Dialect) -> tuple[str, dict, list]:
    """The select list, each column's bind processor, and (by position) the result processors that are not None."""
    quote = dialect.identifier_preparer.quote
    names = ", ".join(f"{table.name}.{quote(column.name)}" for column in table.c)
    binds = {column.key: column.type.dialect_impl(dialect).bind_processor(dialect) for column in table.c}
    results = [(index, process) for index, column in enumerate(table.c)
               if (process := _result_processor(column.type, dialect)) is not None]
    return names, binds, results


def _result_processor(type_, dialect: Dialect):
    """The column's own result processor; on SQLite, for dates and times stored in SQLAlchemy's default
    format (ISO 8601), the C parser `fromisoformat`, which reads the same values several times faster than
    SQLAlchemy's regular expression (a decision reads some thirty of them), and a new empty list for an
    empty JSON list."""
    impl = type_.dialect_impl(dialect)
    if dialect.name == "sqlite":
        stored = getattr(impl, "_storage_format", None)
        if isinstance(type_, UTCDateTime) and stored == SQLITE_DATETIME._storage_format:
            return lambda value: None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)
        if type(type_) is DateTime and stored == SQLITE_DATETIME._storage_format:
            return lambda value: None if value is None else datetime.fromisoformat(value)
        if type(type_) is Date and stored == SQLITE_DATE._storage_format:
            return lambda value: None if value is None else date.fromisoformat(value)
        if isinstance(type_, JSON):  # most lists a decision reads are empty: no trip through the JSON decoder
            decode = impl.result_processor(dialect, None)
            return lambda value: [] if value == "[]" else decode(value)
    return impl.result_processor(dialect, None)
