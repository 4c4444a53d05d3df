"""Reviewers deciding at the same moment: a case is settled once, released once, issued once."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from approvals.calendar import WorkingCalendar
from approvals.deadlines import Clock
from approvals.errors import Refused
from approvals.review import Action
from schemas.case import Case, CaseEvent
from schemas.certificate import Certificate
from schemas.orchestration import OutboxItem
from services import cases
from services.db import UnitOfWork
from tests.support import approve_matter, review, reviewer_of, show, submit

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _approve(url: str, task_id: int, operator: str) -> cases.DecideResult:
    with UnitOfWork(url) as uow:
        result = cases.decide(uow.session, task_id, Action.APPROVE, operator=operator, reason=None, materials=[],
                              clock=Clock(NOW, WorkingCalendar()))
        uow.commit()
        return result


def approve_together(url: str, task_ids: list[int]) -> list[object]:
    """Approve each task in its own thread and transaction, all starting at once; results in order."""
    barrier = threading.Barrier(len(task_ids))
    reviewers = [reviewer_of(t) + ("-2" if i % 2 else "") for i, t in enumerate(task_ids)]  # two people at once
    outcomes: list[object] = [None] * len(task_ids)

    def work(index: int, task_id: int) -> None:
        barrier.wait()
        for attempt in range(2):
            try:
                outcomes[index] = _approve(url, task_id, reviewers[index])
                return
            except OperationalError as exc:
                if attempt == 0 and "locked" in str(exc).lower():
                    continue
                outcomes[index] = exc
                return
            except Exception as exc:  # noqa: BLE001 - reported to the test, never swallowed
                outcomes[index] = exc
                return

    threads = [threading.Thread(target=work, args=(i, t)) for i, t in enumerate(task_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a decision hung"
    return outcomes


@dataclass
class Rows:
    status: str
    certificates: list[tuple[str, datetime]]  # (matter, issued_at)
    events: list[tuple[str, str]]  # (kind, detail)
    outbox: list[tuple[str, str]]  # (kind, key)


def case_rows(url: str, case_no: str) -> Rows:
    """What the database holds for a case, read in a transaction of its own."""
    with UnitOfWork(url, write=False) as uow:
        s = uow.session
        case = s.exec(select(Case).where(Case.case_no == case_no)).one()
        return Rows(
            status=case.status,
            certificates=[(c.matter, c.issued_at) for c in s.exec(select(Certificate).where(Certificate.case_id == case.id))],
            events=[(e.kind, e.detail) for e in s.exec(select(CaseEvent).where(CaseEvent.case_id == case.id))],
            outbox=[(o.kind, o.key) for o in s.exec(select(OutboxItem).where(OutboxItem.case_id == case.id))],
        )


@pytest.mark.parametrize("attempt", range(3))
def test_the_last_two_approvals_at_once_issue_the_case_exactly_once(env, run, application, attempt):
    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    approve_matter(run, case_no, "BIZ_LICENCE")
    shown = show(run, case_no)
    last_two = [r["task_id"] for r in shown["reviews"] if r["status"] == "pending"]
    assert len(last_two) == 2

    outcomes = approve_together(env.url, last_two)

    assert all(isinstance(o, cases.DecideResult) for o in outcomes), outcomes
    # Whichever committed second saw the first and issued; the first saw the case still in review.
    assert sorted(o.case_status for o in outcomes) == ["in_review", "issued"]
    issuer = next(o for o in outcomes if o.case_status == "issued")
    assert len(issuer.certificates) == 3

    rows = case_rows(env.url, case_no)
    assert rows.status == "issued"
    assert sorted(matter for matter, _ in rows.certificates) == ["BIZ_LICENCE", "FIRE_CHECK", "FOOD_BUSINESS"]
    assert len({issued_at for _, issued_at in rows.certificates}) == 1
    assert [kind for kind, _ in rows.events].count("issued") == 1
    assert [kind for kind, _ in rows.outbox].count("deliver_results") == 1

    shown = show(run, case_no)
    assert shown["status"] == "issued"
    assert {r["status"] for r in shown["reviews"]} == {"approved"}
    assert len(shown["certificates"]) == 3


def test_the_same_task_approved_twice_at_once_is_decided_once(env, run, application):
    case_no = submit(run, application("COMPANY_START", optional_matters=[]))["case_no"]
    approve_matter(run, case_no, "BIZ_LICENCE")
    approve_matter(run, case_no, "SEAL")
    approve_matter(run, case_no, "TAX")
    last = review(show(run, case_no), "SOCIAL_INSURANCE")["task_id"]

    outcomes = approve_together(env.url, [last, last])

    decided = [o for o in outcomes if isinstance(o, cases.DecideResult)]
    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert len(decided) == 1 and len(refused) == 1, outcomes
    assert decided[0].case_status == "issued"
    rows = case_rows(env.url, case_no)
    assert rows.status == "issued"
    assert len(rows.certificates) == 4
    assert [kind for kind, _ in rows.events].count("approved") == 4


def test_two_prerequisites_of_a_join_approved_at_once_release_it_once(env, run, application):
    case_no = submit(run, application("INDUSTRIAL_PROJECT"))["case_no"]
    for matter in ("PROJECT_FILING", "LAND_USE_PLANNING", "CONSTRUCTION_PLANNING"):
        approve_matter(run, case_no, matter)
    shown = show(run, case_no)
    assert review(shown, "CONSTRUCTION_PERMIT")["status"] == "waiting"
    both = [review(shown, "ENV_ASSESSMENT")["task_id"], review(shown, "FIRE_DESIGN")["task_id"]]
    assert {review(shown, m)["status"] for m in ("ENV_ASSESSMENT", "FIRE_DESIGN")} == {"pending"}

    outcomes = approve_together(env.url, both)

    assert all(isinstance(o, cases.DecideResult) for o in outcomes), outcomes
    shown = show(run, case_no)
    permit = review(shown, "CONSTRUCTION_PERMIT")
    assert permit["status"] == "pending", "a join lost its release in the race"
    assert permit["due_date"] is not None
    rows = case_rows(env.url, case_no)
    released = [d for kind, d in rows.events if kind == "released" and "CONSTRUCTION_PERMIT" in d]
    assert len(released) == 1
    dispatched = [d for kind, d in rows.events if kind == "dispatched" and f"task {permit['task_id']} " in d]
    assert len(dispatched) == 1  # into the hall's queue once, in the transaction that released it
    assert not [key for _, key in rows.outbox if key.startswith("dispatch:")]

    approve_matter(run, case_no, "CONSTRUCTION_PERMIT")
    rows = case_rows(env.url, case_no)
    assert rows.status == "issued" and len(rows.certificates) == 6


def test_a_denial_racing_the_last_approval_leaves_a_consistent_case(env, run, application):
    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    approve_matter(run, case_no, "BIZ_LICENCE")
    shown = show(run, case_no)
    food, fire = review(shown, "FOOD_BUSINESS")["task_id"], review(shown, "FIRE_CHECK")["task_id"]
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def act(name: str, task_id: int, action: Action, reason: str | None) -> None:
        barrier.wait()
        for attempt in range(2):
            try:
                with UnitOfWork(env.url) as uow:
                    outcomes[name] = cases.decide(uow.session, task_id, action, operator=name, reason=reason,
                                                  materials=[], clock=Clock(NOW, WorkingCalendar()))
                    uow.commit()
                return
            except OperationalError as exc:
                if attempt == 0 and "locked" in str(exc).lower():
                    continue
                outcomes[name] = exc
                return
            except Exception as exc:  # noqa: BLE001 - reported to the test
                outcomes[name] = exc
                return

    threads = [threading.Thread(target=act, args=("FIRE-reviewer", fire, Action.APPROVE, None)),
               threading.Thread(target=act, args=("SAMR-reviewer", food, Action.DENY, "不符合条件"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    # Either order is fine: the approval lands first, or the denial does and cancels the fire check.
    assert isinstance(outcomes["SAMR-reviewer"], cases.DecideResult), outcomes
    fire_outcome = outcomes["FIRE-reviewer"]
    assert isinstance(fire_outcome, cases.DecideResult | Refused), outcomes
    rows = case_rows(env.url, case_no)
    assert rows.status == "denied"
    assert rows.certificates == []
    status = {r["matter"]: r["status"] for r in show(run, case_no)["reviews"]}
    fire_status = "approved" if isinstance(fire_outcome, cases.DecideResult) else "cancelled"
    assert status == {"BIZ_LICENCE": "approved", "FOOD_BUSINESS": "denied", "FIRE_CHECK": fire_status}


def test_a_notice_batch_and_a_denial_of_the_same_case_both_go_through(env, run, application, monkeypatch):
    """Lock order: a flow's batch step locks its cases' timeline heads before any row it changes, and a
    decision locks its case and then the case's head. Here the batch is held just before it records
    (heads and outbox rows locked) while a reviewer denies a matter of the same case, which cancels
    another task and ends the case: the denial waits for the batch, never the other way round in a circle
    (on PostgreSQL, a deadlock would abort one of them). On SQLite writers queue anyway."""
    import uuid

    from services import outbox
    from services.case_repository import CaseRepository

    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    approve_matter(run, case_no, "BIZ_LICENCE")
    shown = show(run, case_no)
    food = review(shown, "FOOD_BUSINESS")["task_id"]
    run_id = str(uuid.uuid4())
    with UnitOfWork(env.url) as uow:
        outbox.start_run(uow.session, run_id, "onevisit-orchestrate", "test", NOW)
        items = outbox.claim(uow.session, run_id, NOW, lease_seconds=300, limit=100, case_no=case_no,
                             kinds=["notify"])
        uow.commit()
    item = next(i for i in items if i.payload.get("kind") == "accepted")
    batch_waiting, denial_reading = threading.Event(), threading.Event()
    real_record_many, real_of_task = outbox.record_many, CaseRepository.of_task

    def held_record_many(session, events):
        if threading.current_thread().name == "batch":
            batch_waiting.set()
            denial_reading.wait(3)  # the denial gets this far only if it did not wait for the batch's locks
        return real_record_many(session, events)

    def noted_of_task(repository, task_id):
        loaded = real_of_task(repository, task_id)  # the case, its head and its tasks, under their locks
        if threading.current_thread().name == "denial":
            denial_reading.set()
        return loaded

    monkeypatch.setattr(outbox, "record_many", held_record_many)
    monkeypatch.setattr(CaseRepository, "of_task", noted_of_task)
    outcome: dict = {}

    def batch():
        try:
            with UnitOfWork(env.url) as uow:
                outcome["batch"] = outbox.send_notices(uow.session, [item], run_id, NOW)
                uow.commit()
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["batch"] = exc

    def denial():
        batch_waiting.wait(10)
        try:
            with UnitOfWork(env.url) as uow:
                outcome["denial"] = cases.decide(uow.session, food, Action.DENY, operator=reviewer_of(food),
                                                 reason="not fit", materials=[], clock=Clock(NOW, WorkingCalendar()))
                uow.commit()
        except Exception as exc:  # noqa: BLE001 - asserted below
            outcome["denial"] = exc

    threads = [threading.Thread(target=batch, name="batch"), threading.Thread(target=denial, name="denial")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(isinstance(v, Exception) for v in outcome.values()), outcome
    assert outcome["batch"][0].done and outcome["denial"].case_status == "denied"
    after = show(run, case_no)
    assert after["status"] == "denied" and review(after, "FIRE_CHECK")["status"] == "cancelled"
    assert [e["detail"] for e in after["events"] if e["kind"] == "notified"][0].startswith("accepted to ")


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # SQLite has one writer: no deadlock
def test_a_command_postgresql_broke_off_to_end_a_deadlock_is_run_again_and_goes_through(env):
    """Two commands lock the same two rows in opposite orders; PostgreSQL aborts one of them (40P01), and
    the CLI runs that one again in a new transaction instead of printing "database unavailable"."""
    from sqlalchemy import text

    from commands import common

    both_hold_one = threading.Barrier(2)
    runs = [0, 0]
    outcomes: list[object] = [None, None]

    def command(index: int, first: str, second: str):
        def use_case(session):
            runs[index] += 1
            lock = text("SELECT id FROM operator WHERE id = :id FOR UPDATE")
            session.execute(lock, {"id": first})
            if runs[index] == 1:
                both_hold_one.wait(timeout=10)
            session.execute(lock, {"id": second})
            return index

        try:
            outcomes[index] = common.write(use_case)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcomes[index] = exc

    threads = [threading.Thread(target=command, args=(0, "window-1", "SAMR-reviewer")),
               threading.Thread(target=command, args=(1, "SAMR-reviewer", "window-1"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert outcomes == [0, 1]  # both went through
    assert sorted(runs) == [1, 2]  # the one PostgreSQL broke off ran once more
