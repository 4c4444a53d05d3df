"""How the case aggregate's parts are stored: each part's table, and its columns over the DB-API.

Rows cross with each column's own SQLAlchemy type (its bind and result processors), so what the case
repository (`services.case_repository`) stores is exactly what the ORM would store.
"""

from __future__ import annotations

from dataclasses import fields
from enum import StrEnum
from functools import lru_cache
from operator import attrgetter
from typing import Any

from sqlalchemy import JSON, Dialect, Table
from sqlmodel import SQLModel

from approvals.case_parts import Certificate as CertificatePart
from approvals.case_parts import Promise, SharedRequest, Stop, Task
from approvals.casefile import CaseFile
from approvals.commitments import CommitmentKind, CommitmentStatus
from approvals.deadlines import StopKind
from approvals.review import CaseStatus, TaskStatus
from schemas.case import Case
from schemas.certificate import Certificate
from schemas.clock import ClockStop
from schemas.commitment import Commitment
from schemas.review import ReviewTask
from schemas.sharing import SharedMaterial

# What each part of the aggregate is stored as, and which of its fields are enums.
STORED: dict[type, tuple[type[SQLModel], dict[str, type[StrEnum]]]] = {
    CaseFile: (Case, {"status": CaseStatus, "suspended_from": CaseStatus}),
    Task: (ReviewTask, {"status": TaskStatus, "stopped": StopKind}),
    Stop: (ClockStop, {"kind": StopKind}),
    Promise: (Commitment, {"kind": CommitmentKind, "status": CommitmentStatus}),
    CertificatePart: (Certificate, {}),
    SharedRequest: (SharedMaterial, {}),
}


@lru_cache(maxsize=None)
def column_fields(kind: type) -> tuple[str, ...]:
    """The part's fields that are columns: the first ones, so that a row builds it positionally."""
    model = STORED[kind][0]
    columns = {column.key for column in model.__table__.c}
    names = [f.name for f in fields(kind)]
    stored = tuple(name for name in names if name in columns)
    assert names[:len(stored)] == list(stored), f"{kind.__name__}: its columns come first"
    return stored


@lru_cache(maxsize=None)
def _reading(kind: type) -> tuple[Any, tuple[int, ...]]:
    """How to take a part's column values at once, and which of them are lists (JSON columns)."""
    table = STORED[kind][0].__table__
    names = column_fields(kind)
    return attrgetter(*names), tuple(i for i, name in enumerate(names) if isinstance(table.c[name].type, JSON))


def snapshot(part) -> tuple:
    """The part's column values; lists are copied, so that a list changed in place is a change too."""
    get, lists = _reading(type(part))
    values = get(part)
    if not lists:
        return values
    copied = list(values)
    for index in lists:
        if copied[index] is not None:
            copied[index] = list(copied[index])
    return tuple(copied)


def bind_value(binds: dict, name: str, value: Any) -> Any:
    if isinstance(value, StrEnum):
        value = value.value
    process = binds.get(name)
    return process(value) if process else value


def insert_of(part, dialect: Dialect) -> tuple[str, dict]:
    """The INSERT of a new part: with its id when it has one (given ahead), else returning the one it gets."""
    sql, names = _insert_sql(type(part), dialect, part.id is not None)
    _, binds, _ = codec(type(part), dialect)
    return sql, {name: bind_value(binds, name, getattr(part, name)) for name in names}


@lru_cache(maxsize=None)
def _insert_sql(kind: type, dialect: Dialect, with_id: bool) -> tuple[str, tuple[str, ...]]:
    names = tuple(name for name in column_fields(kind) if with_id or name != "id")
    quote = dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {STORED[kind][0].__table__.name} ({', '.join(quote(n) for n in names)}) "
           f"VALUES ({', '.join(f'%({n})s' for n in names)})")
    return sql if with_id else sql + " RETURNING id", names


@lru_cache(maxsize=1024)
def update_sql(table: Table, dialect: Dialect, names: tuple[str, ...]) -> str:
    quote = dialect.identifier_preparer.quote
    return f"UPDATE {table.name} SET {', '.join(f'{quote(name)} = %({name})s' for name in names)} WHERE id = %(id)s"


@lru_cache(maxsize=None)
def codec(kind: type, dialect: Dialect) -> tuple[str, dict, list]:
    """The part's select list, each column's bind processor, and (by position) its result processors:
    the column type's own, then the enum the aggregate holds."""
    model, enums = STORED[kind]
    table = model.__table__
    columns = [table.c[name] for name in column_fields(kind)]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(f"{table.name}.{quote(column.name)}" for column in columns)
    binds = {column.key: column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns}
    results = []
    for index, column in enumerate(columns):
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        enum = enums.get(column.key)
        if enum is not None:
            process = _as_enum(enum, process)
        if process is not None:
            results.append((index, process))
    return names, binds, results


def _as_enum(enum: type[StrEnum], process):
    def read(value):
        value = process(value) if process else value
        return None if value is None else enum(value)
    return read
