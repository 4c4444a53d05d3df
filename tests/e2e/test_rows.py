"""Plain rows (services.rows): what a decision and a submission read and write without the ORM must be
exactly what the table models read and write, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from copy import copy
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from schemas.case import Case
from schemas.review import ReviewTask
from services import rows
from services.db import UnitOfWork
from tests.support import submit


@pytest.fixture
def case_no(env, run, application) -> str:
    return submit(run, application())["case_no"]


def _load_case(session, case_no: str):
    found = rows.load(session, Case, "FROM case_file WHERE case_no = %(case_no)s", case_no=case_no)
    assert len(found) == 1
    return found[0]


def test_a_row_holds_every_column_with_the_value_and_type_the_table_model_has(env, case_no):
    with UnitOfWork(env.url) as uow:
        row = _load_case(uow.session, case_no)
        model = uow.session.exec(select(Case).where(Case.case_no == case_no)).one()
        task_rows = rows.load(uow.session, ReviewTask, "FROM review_task WHERE case_id = %(id)s ORDER BY id",
                              id=row.id)
        task_models = uow.session.exec(select(ReviewTask).where(ReviewTask.case_id == row.id)
                                       .order_by(ReviewTask.id)).all()
    for plain, orm in [(row, model), *zip(task_rows, task_models, strict=True)]:
        for name in plain.COLUMNS:
            assert getattr(plain, name) == getattr(orm, name), name
            assert type(getattr(plain, name)) is type(getattr(orm, name)), name
    assert row.submitted_at.tzinfo is not None and isinstance(row.matters, list) and row.key_project is False
    assert row.changes() == {}


def test_saving_writes_the_changed_columns_and_leaves_the_rest_as_they_were(env, case_no):
    now = datetime.now(timezone.utc).replace(microsecond=123456)
    with UnitOfWork(env.url) as uow:
        row = _load_case(uow.session, case_no)
        before = {name: copy(getattr(row, name)) for name in row.COLUMNS}
        row.light, row.due_date, row.last_acted_at = "yellow", date(2031, 1, 2), now
        row.provided_materials.append("EXTRA")  # changed in place: a change all the same
        assert set(row.changes()) == {"light", "due_date", "last_acted_at", "provided_materials"}
        rows.save(uow.session, [row])
        assert row.changes() == {}
        uow.commit()
    with UnitOfWork(env.url) as uow:
        model = uow.session.exec(select(Case).where(Case.case_no == case_no)).one()
        assert (model.light, model.due_date, model.last_acted_at) == ("yellow", date(2031, 1, 2), now)
        assert model.provided_materials == [*before["provided_materials"], "EXTRA"]
        unchanged = set(row.COLUMNS) - {"light", "due_date", "last_acted_at", "provided_materials"}
        assert {name: getattr(model, name) for name in unchanged} == {name: before[name] for name in unchanged}


def test_a_table_model_the_session_holds_is_read_again_after_its_row_is_saved(env, case_no):
    with UnitOfWork(env.url) as uow:
        model = uow.session.exec(select(Case).where(Case.case_no == case_no)).one()
        assert model.light != "red"
        row = _load_case(uow.session, case_no)
        row.light = "red"
        rows.save(uow.session, [row])
        assert model.light == "red"  # expired by save, so loaded again, not the stale value


def test_a_misspelt_column_is_an_error_as_on_the_table_model(env, case_no):
    with UnitOfWork(env.url) as uow:
        row = _load_case(uow.session, case_no)
        with pytest.raises(AttributeError):
            row.stauts = "issued"


def test_inserted_rows_take_the_model_defaults_and_come_back_with_their_own_ids(env, case_no):
    now = datetime.now(timezone.utc)
    with UnitOfWork(env.url) as uow:  # never committed: the case keeps its own tasks
        case = _load_case(uow.session, case_no)
        new = [{"case_id": case.id, "matter": matter, "agency": "TEST", "depends_on": [], "status": "waiting",
                "promised_days": 3, "statutory_days": 20, "requested_materials": [], "updated_at": now + timedelta(seconds=i)}
               for i, matter in enumerate(["ROWS_TEST_B", "ROWS_TEST_A"])]
        inserted = rows.insert(uow.session, ReviewTask, new, match="matter")
        assert [r.matter for r in inserted] == ["ROWS_TEST_B", "ROWS_TEST_A"]
        for row in inserted:
            model = uow.session.get(ReviewTask, row.id)
            assert (model.matter, model.optional, model.supplement_days, model.remote_ticket, model.updated_at) == (
                row.matter, False, 0, None, row.updated_at)
            assert row.changes() == {}


def test_a_statement_over_the_db_api_fails_as_one_through_the_session_would(env, case_no):
    """The CLI retries a lost race on a unique key and a transaction PostgreSQL broke off, and the flows
    retry a locked database, by SQLAlchemy's exceptions: a plain row's statements raise the same ones."""
    with UnitOfWork(env.url) as uow:
        case = _load_case(uow.session, case_no)
        copy_of = {name: getattr(case, name) for name in case.COLUMNS if name != "id"}
        with pytest.raises(IntegrityError) as raised:  # the same case number twice
            rows.insert(uow.session, Case, [copy_of], match="case_no")
        assert raised.value.orig is not None
    with UnitOfWork(env.url) as uow:
        first, second = rows.load(uow.session, ReviewTask, "FROM review_task WHERE case_id = "
                                  "(SELECT id FROM case_file WHERE case_no = %(n)s) ORDER BY id LIMIT 2", n=case_no)
        second.matter = first.matter  # one task per matter of a case: written in a pipeline on PostgreSQL
        with pytest.raises(IntegrityError):
            rows.save(uow.session, [second])


@pytest.mark.parametrize("stored", ["2026-03-02 01:00:00.000001", "2026-03-02 23:59:59", "1999-12-31 00:00:00.500000"])
def test_dates_and_times_read_from_sqlite_as_sqlalchemys_own_processors_read_them(stored):
    """On SQLite a row parses dates and times with `fromisoformat`, not SQLAlchemy's regular expression: the
    same value for every date and time column of the case and its tasks, microseconds or none."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    checked = 0
    for model in (Case, ReviewTask):
        for column in model.__table__.c:
            ours = rows._result_processor(column.type, dialect)
            theirs = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if ours is theirs or getattr(ours, "__name__", "") != "<lambda>" or isinstance(column.type, JSON):
                continue
            value = stored if "DATE" not in str(column.type) or "TIME" in str(column.type) else stored[:10]
            assert ours(value) == theirs(value) and type(ours(value)) is type(theirs(value)), column
            assert ours(None) is None
            checked += 1
    assert checked >= 10  # the submitted, accepted, decided … times and the due dates


@pytest.mark.parametrize("stored", ["[]", '["ID_LEGAL_REP", "LEASE"]', '[["a", 1]]', "{}", None])
def test_json_lists_read_from_sqlite_as_sqlalchemys_own_processor_reads_them(stored):
    """An empty JSON list skips the decoder on SQLite: the same value, and a list of its own for every row
    (a row's list is changed in place)."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    checked = 0
    for model in (Case, ReviewTask):
        for column in (c for c in model.__table__.c if isinstance(c.type, JSON)):
            ours = rows._result_processor(column.type, dialect)
            theirs = column.type.dialect_impl(dialect).result_processor(dialect, None)
            assert ours(stored) == theirs(stored) and type(ours(stored)) is type(theirs(stored)), column
            if stored == "[]":
                assert ours(stored) is not ours(stored)
            checked += 1
    assert checked >= 6  # the case's matters and materials, the tasks' prerequisites and requested materials


def test_a_writer_that_cannot_have_sqlites_lock_fails_as_sqlalchemy_would_raise_it(tmp_path):
    """A unit of work begins IMMEDIATE straight over sqlite3; when another writer holds the lock past the
    busy timeout, it fails with SQLAlchemy's OperationalError (what the CLI and the flows retry on)."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    from services.db import engine_for, raw

    path = tmp_path / "locked.db"
    url = f"sqlite:///{path}"
    event.listen(engine_for(url, write=True), "connect",
                 lambda connection, _: connection.execute("PRAGMA busy_timeout = 50"))
    with UnitOfWork(url) as uow:  # the file made (WAL) and a connection in the pool, which the next one takes
        raw(uow.session).cursor("SELECT 1", {})
        uow.commit()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="locked") as raised:
            with UnitOfWork(url) as uow:
                raw(uow.session)
        assert isinstance(raised.value.orig, sqlite3.OperationalError)
    finally:
        holder.rollback()
        holder.close()
        engine_for(url, write=True).dispose()
    with UnitOfWork(url) as uow:  # the lock given back, the next unit of work begins
        raw(uow.session).cursor("SELECT 1", {})
        uow.commit()
