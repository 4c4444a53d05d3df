"""The rules' enums in the tables (schemas.types.RuleEnum), on SQLite and PostgreSQL: a row gives its members
back, a wrong value is refused before anything is written, and the stored schema is the one the migrations
made (no database enum type, no migration)."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import StatementError
from sqlmodel import SQLModel, select, text

import schemas.tables  # noqa: F401  (every table on the metadata)
from approvals.permissions import Role
from schemas.staff import Operator
from schemas.types import RuleEnum
from services.db import UnitOfWork, engine_for


def _operator(role) -> Operator:
    return Operator(id=f"enum-{uuid.uuid4().hex[:8]}", role=role, name="probe",
                    created_at=datetime.now(timezone.utc), created_by="test")


@pytest.mark.parametrize("given", [Role.WINDOW, "window"])
def test_a_member_or_its_value_is_stored_as_the_value_and_read_back_as_the_member(database, given):
    with UnitOfWork(database.url) as uow:
        operator = _operator(given)
        uow.session.add(operator)
        uow.commit()
    with UnitOfWork(database.url) as uow:
        found = uow.session.exec(select(Operator).where(Operator.id == operator.id)).one()
        assert found.role is Role.WINDOW
        assert uow.session.exec(select(Operator.id).where(Operator.role == "window", Operator.id == operator.id)).one()
        stored = uow.session.exec(text("SELECT role FROM operator WHERE id = :id").bindparams(id=operator.id)).one()
        assert stored[0] == "window" and type(stored[0]) is str


def test_an_unknown_value_is_refused_and_nothing_is_written(database):
    operator = _operator("boss")
    with UnitOfWork(database.url) as uow:
        uow.session.add(operator)
        with pytest.raises(StatementError, match="'boss' is not a Role"):
            uow.session.flush()
    with UnitOfWork(database.url) as uow:
        assert uow.session.get(Operator, operator.id) is None
        with pytest.raises(StatementError, match="'boss' is not a Role"):
            uow.session.exec(select(Operator).where(Operator.role == "boss")).all()


def test_the_migrated_schema_matches_the_enum_columns(database):
    enum_columns = {(table.name, column.name) for table in SQLModel.metadata.tables.values()
                    for column in table.columns if isinstance(column.type, RuleEnum)}
    assert {("case_file", "status"), ("review_task", "light"), ("operator", "role"), ("rating", "level")} <= enum_columns
    with engine_for(database.url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    touched = {(change[2], change[3]) for group in differences for change in (group if isinstance(group, list) else [group])
               if isinstance(change, tuple) and len(change) > 3}
    assert not touched & enum_columns, differences
