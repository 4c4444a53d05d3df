"""Honest lights: a calendar change relights at once, in both directions, and crosses off ledger items whose cause
went away; after any sequence of calendar changes and clock moves (each followed by the sweep), every stored light
equals the light computed from scratch by the views."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from approvals.deadlines import Clock
from schemas.case import Case
from schemas.ledger import LedgerItem
from schemas.review import ReviewTask
from services import sweep as sweeps
from services.db import UnitOfWork
from services.workdays import calendar_for
from tests.support import at, listed, review, show

FRIDAY = date(2026, 12, 4)  # accepted then, a 1-working-day licence is due Monday 2026-12-07
TUESDAY = date(2026, 12, 8)


def _sweep(url: str, day: date) -> sweeps.SweepReport:
    from datetime import datetime

    from services.settings import get_settings

    with UnitOfWork(url) as uow:
        now = datetime.fromisoformat(at(day)).astimezone(get_settings().tz)
        report = sweeps.sweep(uow.session, Clock(now, calendar_for(uow.session)), escalate_after_days=2)
        uow.commit()
    return report


def _stored(url: str, task_ids: list[int]) -> dict[int, str | None]:
    with UnitOfWork(url, write=False) as uow:
        return dict(uow.session.exec(select(ReviewTask.id, ReviewTask.light).where(ReviewTask.id.in_(task_ids))).all())


def test_a_retroactive_holiday_turns_red_back_to_yellow_and_crosses_off_the_ledger(fresh_env, run, application):
    """The issue's scenario: tasks due Monday 2026-12-07 went red on Tuesday; Monday is then declared a holiday."""
    cases = [run("submit", application("RESTAURANT"), "--json", now=at(FRIDAY)).json()["case_no"] for _ in range(3)]
    licences = [review(show(run, c, now=at(FRIDAY)), "BIZ_LICENCE")["task_id"] for c in cases]
    assert {review(show(run, c, now=at(FRIDAY)), "BIZ_LICENCE")["due_date"] for c in cases} == {"2026-12-07"}
    assert _sweep(fresh_env.url, TUESDAY).tasks_red >= 3
    assert set(_stored(fresh_env.url, licences).values()) == {"red"}
    assert len(listed(run, "ledger", "--open", operator="admin", now=at(TUESDAY))) >= 3

    moved = run("calendar", "set", "2026-12-07", "holiday", "--reason", "补休 (retroactive)", "--operator", "admin",
                now=at(TUESDAY))
    assert moved.code == 0, moved.err
    assert set(_stored(fresh_env.url, licences).values()) == {"yellow"}  # due today, the 8th: in the database too
    for case_no in cases:
        shown = show(run, case_no, now=at(TUESDAY))
        licence = review(shown, "BIZ_LICENCE")
        assert (licence["due_date"], licence["light"]) == ("2026-12-08", "yellow")
        kinds = [e["kind"] for e in shown["events"]]
        assert "due_dates_moved" in kinds and "ledger_closed" in kinds
    still_open = {i["task_id"] for i in listed(run, "ledger", "--open", operator="admin", now=at(TUESDAY))}
    assert not still_open & set(licences)
    assert _sweep(fresh_env.url, TUESDAY).tasks_red == 0  # nothing left for the sweep: the lights were honest


STEPS = st.lists(st.one_of(
    st.tuples(st.just("set"), st.integers(0, 12), st.booleans()),  # a day near the clocks, workday or holiday
    st.tuples(st.just("advance"), st.integers(0, 3), st.just(False)),  # the clock moves on, then the sweep
), min_size=1, max_size=int(os.environ.get("ONEVISIT_PBT_STEPS", "5")))


@settings(max_examples=int(os.environ.get("ONEVISIT_PBT_EXAMPLES", "6")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=STEPS)
def test_stored_lights_equal_the_lights_computed_from_scratch(fresh_env, run, application, monkeypatch, steps):
    """Each example on a database of its own: time only moves forward on a database (a person's act is never
    recorded before a case's last event), and every example starts its clock again on 2026-11-30."""
    with _own_database(fresh_env.backend) as db:
        monkeypatch.setenv("ONEVISIT_DATABASE_URL", db.url)
        _lights_stay_honest(db, run, application, steps)


@contextmanager
def _own_database(backend: str):
    from tests.conftest import _drop_pg, _initialise, _pg_database, _sqlite_database

    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="onevisit-lights-") as folder:
            yield _initialise(_sqlite_database(Path(folder)))
        return
    db, name = _pg_database()
    try:
        yield _initialise(db)
    finally:
        _drop_pg(name)


def _lights_stay_honest(fresh_env, run, application, steps):
    start = date(2026, 11, 30)
    case_no = run("submit", application("COMPANY_START"), "--json", now=at(start)).json()["case_no"]
    today = start
    for kind, number, workday in steps:
        if kind == "set":
            day = start + timedelta(days=number)
            result = run("calendar", "set", day.isoformat(), "workday" if workday else "holiday", "--reason",
                         "property", "--operator", "admin", now=at(today))
            assert result.code == 0, result.err
        else:
            today += timedelta(days=number)
            _sweep(fresh_env.url, today)
        computed = {r["task_id"]: r["light"] for r in listed(run, "tasks", "--all", operator="admin", now=at(today))
                    if r["status"] == "pending"}
        stored = _stored(fresh_env.url, list(computed))
        assert stored == computed, (case_no, steps, today)
        with UnitOfWork(fresh_env.url, write=False) as uow:  # no open ledger item for a task that is not overdue
            open_items = uow.session.exec(select(LedgerItem.task_id).where(LedgerItem.status != "closed",
                                                                           LedgerItem.kind == "review")).all()
        assert all(computed.get(task_id) in (None, "red") for (task_id,) in open_items), (steps, today)
        with UnitOfWork(fresh_env.url, write=False) as uow:
            lights = dict(uow.session.exec(select(Case.case_no, Case.light)).all())
        shown = show(run, case_no, now=at(today))
        if shown["status"] == "in_review" and shown["due_date"]:
            assert lights[case_no] == shown["light"], (steps, today)
