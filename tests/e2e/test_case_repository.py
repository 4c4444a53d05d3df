"""The cases' repository (services.case_repository): a case aggregate loaded under lock holds exactly what
the table models hold, and what changed is written when the unit of work commits (nothing to remember to
save), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from approvals.deadlines import StopKind
from approvals.errors import NotFound
from approvals.review import CaseStatus, TaskStatus
from schemas.case import Case, CaseEvent
from schemas.review import ReviewTask
from services.case_repository import cases
from services.db import UnitOfWork
from services.records import savepoint
from tests.support import MONDAY, submit


@pytest.fixture
def case_no(env, run, application) -> str:
    return submit(run, application())["case_no"]


def test_a_loaded_case_holds_every_column_as_the_table_models_have_it_with_enums_for_states(env, case_no):
    with UnitOfWork(env.url) as uow:
        case = cases(uow.session).get(case_no)
        model = uow.session.exec(select(Case).where(Case.case_no == case_no)).one()
        tasks = uow.session.exec(select(ReviewTask).where(ReviewTask.case_id == model.id).order_by(ReviewTask.id)).all()
    for name in Case.model_fields:
        assert getattr(case, name) == getattr(model, name), name
    for part, row in zip(case.tasks, tasks, strict=True):
        for name in ReviewTask.model_fields:
            assert getattr(part, name) == getattr(row, name), name
    assert type(case.status) is CaseStatus and all(type(t.status) is TaskStatus for t in case.tasks)
    assert case.submitted_at.tzinfo is not None and case.tasks and not case.stops and not case.certificates


def test_what_changed_is_written_at_commit_and_only_that(env, case_no):
    now = datetime.combine(MONDAY, time(9, 0, 0, 123456), ZoneInfo("Asia/Shanghai"))  # the tests' clock (shared database)
    with UnitOfWork(env.url) as uow:
        case = cases(uow.session).get(case_no)
        before = uow.session.exec(select(Case).where(Case.case_no == case_no)).one().model_dump()
        case.light, case.due_date, case.last_acted_at = "yellow", date(2031, 1, 2), now
        case.provided_materials.append("EXTRA")  # changed in place: a change all the same
        case.tasks[0].stopped = StopKind.SPECIAL
        case.record(now, "noted", "tests", "a line for the timeline")
        uow.commit()
    with UnitOfWork(env.url) as uow:
        after = uow.session.exec(select(Case).where(Case.case_no == case_no)).one()
        task = uow.session.get(ReviewTask, case.tasks[0].id)
        last = uow.session.exec(select(CaseEvent).where(CaseEvent.case_id == after.id)
                                .order_by(CaseEvent.seq.desc())).first()
    changed = {name for name, value in after.model_dump().items() if value != before[name]}
    assert changed == {"light", "due_date", "last_acted_at", "provided_materials"}
    assert after.last_acted_at == now and after.provided_materials[-1] == "EXTRA" and task.stopped == "special"
    assert (last.kind, last.detail) == ("noted", "a line for the timeline") and last.state is not None


def test_leaving_without_commit_writes_nothing(env, case_no):
    with UnitOfWork(env.url) as uow:
        cases(uow.session).get(case_no).light = "red"
    with UnitOfWork(env.url) as uow:
        assert cases(uow.session).get(case_no).light == "green"


def test_a_case_loaded_twice_in_one_unit_of_work_is_one_object(env, case_no):
    with UnitOfWork(env.url) as uow:
        case = cases(uow.session).get(case_no)
        assert cases(uow.session).by_id(case.id) is case
        assert cases(uow.session).of_task(case.tasks[-1].id) is case


def test_an_unknown_case_or_task_is_not_found(env, case_no):
    with UnitOfWork(env.url) as uow:
        with pytest.raises(NotFound, match="no case OV1"):
            cases(uow.session).get("OV1")
        for task_id in (0, 2**40, 999_999):
            with pytest.raises(NotFound, match="no review task"):
                cases(uow.session).of_task(task_id)


def test_a_case_first_loaded_in_a_savepoint_that_rolls_back_is_read_again(env, case_no):
    with UnitOfWork(env.url) as uow:
        with pytest.raises(RuntimeError), savepoint(uow.session):
            cases(uow.session).get(case_no).light = "red"
            raise RuntimeError("this item failed")
        assert cases(uow.session).get(case_no).light == "green"
        uow.commit()
    with UnitOfWork(env.url) as uow:
        assert cases(uow.session).get(case_no).light == "green"
