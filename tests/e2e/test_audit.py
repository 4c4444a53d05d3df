"""The timeline is append-only and hash-chained; `audit verify` finds an edited, a deleted and an inserted row.

Each test tampers with its own database directly, as someone with the database owner's rights could.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.db import engine_for
from services.migrate import drop_append_only_guard
from tests.support import approve_all, submit


def _case_with_history(run, application) -> tuple[str, list[int]]:
    case_no = submit(run, application("COMPANY_START", omit=("LEASE",)))["case_no"]
    assert run("supplement", case_no, "--material", "LEASE").code == 0
    approve_all(run, case_no)
    with engine_for(run_url()).connect() as conn:
        ids = conn.execute(text("SELECT e.id FROM case_event e JOIN case_file c ON c.id = e.case_id "
                                "WHERE c.case_no = :n ORDER BY e.seq"), {"n": case_no}).scalars().all()
    assert len(ids) >= 6
    return case_no, ids


def run_url() -> str:
    import os

    return os.environ["ONEVISIT_DATABASE_URL"]


def _tamper(sql: str, **params) -> None:
    drop_append_only_guard(run_url())
    with engine_for(run_url()).begin() as conn:
        conn.execute(text(sql), params)


def _verify(run) -> tuple[int, dict]:
    result = run("audit", "verify", "--json", "--operator", "supervisor-1")
    return result.code, result.json()


def test_an_untouched_timeline_verifies(fresh_env, run, application):
    for _ in range(2):
        _case_with_history(run, application)
    code, report = _verify(run)
    assert code == 0 and report["ok"] and report["first_broken"] is None
    assert report["cases"] == 2 and report["events"] >= 12
    plain = run("audit", "verify", "--operator", "admin")
    assert plain.code == 0 and "timeline intact" in plain.out


def test_the_timeline_refuses_updates_and_deletes(fresh_env, run, application):
    _, ids = _case_with_history(run, application)
    for sql in ("UPDATE case_event SET detail = 'nothing happened' WHERE id = :i", "DELETE FROM case_event WHERE id = :i"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine_for(fresh_env.url).begin() as conn:
                conn.execute(text(sql), {"i": ids[2]})
    assert _verify(run)[0] == 0


def test_an_edited_row_is_found(fresh_env, run, application):
    _case_with_history(run, application)
    case_no, ids = _case_with_history(run, application)
    _tamper("UPDATE case_event SET actor = 'someone-else' WHERE id = :i", i=ids[3])
    code, report = _verify(run)
    assert code == 1 and not report["ok"]
    assert report["first_broken"]["case_no"] == case_no and report["first_broken"]["event_id"] == ids[3]
    assert "edited" in report["first_broken"]["problem"]
    plain = run("audit", "verify", "--operator", "admin")
    assert plain.code == 1 and plain.err.count("\n") == 1 and f"case {case_no}" in plain.err


@pytest.mark.parametrize("which", ["middle", "last"])
def test_a_deleted_row_is_found(which, fresh_env, run, application):
    case_no, ids = _case_with_history(run, application)
    victim = ids[2] if which == "middle" else ids[-1]
    _tamper("DELETE FROM case_event WHERE id = :i", i=victim)
    code, report = _verify(run)
    assert code == 1 and report["first_broken"]["case_no"] == case_no
    problem = report["first_broken"]["problem"]
    assert ("missing" in problem and report["first_broken"]["event_id"] == ids[3]) if which == "middle" \
        else "rows deleted" in problem


def test_an_inserted_row_is_found(fresh_env, run, application):
    case_no, ids = _case_with_history(run, application)
    with engine_for(fresh_env.url).connect() as conn:
        row = conn.execute(text("SELECT * FROM case_event WHERE id = :i"), {"i": ids[2]}).mappings().one()
    _tamper("INSERT INTO case_event (case_id, at, kind, actor, detail, seq, prev_hash, hash) "
            "VALUES (:c, :at, 'approved', 'SAMR-reviewer', 'backdated approval', :seq, :prev, :hash)",
            c=row["case_id"], at=row["at"], seq=row["seq"], prev=row["prev_hash"], hash=row["hash"])
    code, report = _verify(run)
    assert code == 1 and report["first_broken"]["case_no"] == case_no
    assert "out of sequence" in report["first_broken"]["problem"]
    assert report["first_broken"]["event_id"] > ids[-1]  # the row slipped in, not the genuine one


def test_a_rolled_back_savepoint_takes_its_events_with_it(fresh_env, run, application):
    """A batch carries items out under savepoints; a failed item's events must not stay in the chain."""
    from datetime import UTC, datetime

    from schemas.case import Case
    from services.db import UnitOfWork
    from services.records import record, savepoint
    from sqlmodel import select

    case_no, _ = _case_with_history(run, application)
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    with UnitOfWork(fresh_env.url) as uow:
        case = uow.session.exec(select(Case).where(Case.case_no == case_no)).one()
        record(uow.session, case, now, "note", "system", "before")
        with pytest.raises(RuntimeError):
            with savepoint(uow.session):
                record(uow.session, case, now, "note", "system", "lost with the savepoint")
                raise RuntimeError("item failed")
        with savepoint(uow.session):
            record(uow.session, case, now, "note", "system", "kept")
        uow.commit()
    code, report = _verify(run)
    assert code == 0, report
    details = [e["detail"] for e in run("show", case_no, "--json").json()["events"]]
    assert details[-2:] == ["before", "kept"] and "lost with the savepoint" not in details


def test_times_and_payloads_written_at_commit_read_back_as_the_orm_writes_them(fresh_env, run, application):
    """The timeline and the outbox rows go out over the DB-API when a transaction commits; their times
    must be stored exactly as the ORM stores the case's own (naive UTC; on SQLite the same text, which
    orders and compares as such), and their payloads must read back through the ORM."""
    from sqlmodel import Session, select

    from schemas.orchestration import OutboxItem

    case_no = submit(run, application("COMPANY_START"))["case_no"]
    engine = engine_for(fresh_env.url)
    with engine.connect() as conn:
        submitted = conn.execute(text("SELECT submitted_at FROM case_file WHERE case_no = :n"),
                                 {"n": case_no}).scalar_one()
        at = conn.execute(text("SELECT e.at FROM case_event e JOIN case_file c ON c.id = e.case_id "
                               "WHERE c.case_no = :n"), {"n": case_no}).scalars().all()
        created = conn.execute(text("SELECT o.created_at FROM outbox_item o JOIN case_file c ON c.id = o.case_id "
                                    "WHERE c.case_no = :n"), {"n": case_no}).scalars().all()
        dispatched = conn.execute(text("SELECT t.dispatched_at FROM review_task t JOIN case_file c ON c.id = t.case_id "
                                       "WHERE c.case_no = :n AND t.dispatched_at IS NOT NULL"), {"n": case_no}).scalars().all()
    assert len(at) >= 2 and set(at) == {submitted}
    assert len(created) >= 1 and set(created) == {submitted}  # the acceptance notice
    assert len(dispatched) >= 1 and set(dispatched) == {submitted}  # the licence, in the hall's queue at once
    with Session(engine) as session:
        notice = session.exec(select(OutboxItem).where(OutboxItem.key.like("notify:case:%:accepted"))).one()
        assert notice.payload["kind"] == "accepted" and notice.created_at.tzinfo is not None
