"""The orchestration flow on the real Prefect API (embedded server): batches, idempotency, run records."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from flows.orchestrate import OrchestrateInput, orchestrate
from flows.serving import run_until_idle
from schemas.case import Case
from schemas.certificate import Certificate
from schemas.orchestration import Notification, OutboxItem
from services import outbox
from services.db import UnitOfWork
from services.settings import get_settings


def _issue(run, application, bundle="COMPANY_START") -> str:
    case_no = run("submit", application(bundle), "--json").json()["case_no"]
    while pending := [r for r in run("show", case_no, "--json").json()["reviews"] if r["status"] == "pending"]:
        for review in pending:
            assert run("decide", review["task_id"], "approve", "--operator", f"{review['agency']}-reviewer").code == 0
    assert run("show", case_no, "--json").json()["status"] == "issued"
    return case_no


def _count(url, model, case_no):
    with UnitOfWork(url, write=False) as uow:
        case_id = uow.session.exec(select(Case.id).where(Case.case_no == case_no)).one()
        return uow.session.exec(select(func.count()).select_from(model).where(model.case_id == case_id)).one()


def test_flow_dispatches_delivers_and_notifies_once(env, run, application):
    first, second = _issue(run, application), _issue(run, application, "RESTAURANT")

    reports = run_until_idle()
    assert reports and sum(r.failed for r in reports) == 0
    assert {first, second} <= {c for r in reports for c in r.cases}

    for case_no in (first, second):
        shown = run("show", case_no, "--json").json()
        kinds = [e["kind"] for e in shown["events"]]
        assert kinds.count("dispatched") == len(shown["reviews"])  # every review went to its agency
        assert kinds.count("results_delivered") == 1
        assert all(c["delivered_at"] for c in shown["certificates"])
        runs = run("runs", case_no, "--json").json()
        assert runs and all(r["state"] == "COMPLETED" for r in runs)
        # a run that took the case on names it, or names its first cases and counts the rest ("+3")
        assert any(case_no in r["name"] or re.search(r" \+\d+\b", r["name"]) for r in runs), runs
        notified = [e for e in shown["events"] if e["kind"] == "notified"]
        assert notified and all(e["flow_run_id"] in {r["id"] for r in runs} for e in notified)

    counts = {m: _count(env.url, m, first) for m in (Certificate, Notification, OutboxItem)}
    assert run_until_idle() == []  # nothing queued: no flow run at all
    again = orchestrate(OrchestrateInput(case_no=first))  # an explicit re-run finds nothing to do
    assert again.claimed == 0
    assert {m: _count(env.url, m, first) for m in counts} == counts


def test_work_of_a_vanished_run_is_taken_again_and_done_once(env, run, application):
    case_no = _issue(run, application)
    settings = get_settings()
    with UnitOfWork(env.url) as uow:  # a run that claimed everything, then died
        now = settings.current_time() - timedelta(seconds=settings.claim_lease_seconds + 1)
        outbox.start_run(uow.session, "dead-run", "onevisit-orchestrate", "dead", now)
        claimed = outbox.claim(uow.session, "dead-run", now, lease_seconds=settings.claim_lease_seconds,
                               limit=100, case_no=case_no)
        uow.commit()
    assert claimed

    report = orchestrate(OrchestrateInput(case_no=case_no))
    assert report.claimed == len(claimed) and report.failed == 0

    # The dead run comes back to life and delivers its copy: nothing happens twice.
    before = {m: _count(env.url, m, case_no) for m in (Certificate, Notification)}
    for item in claimed:
        step = {"dispatch_review": outbox.dispatch_reviews, "deliver_results": outbox.deliver_results,
                "notify": outbox.send_notices}[item.kind]
        with UnitOfWork(env.url) as uow:
            [outcome] = step(uow.session, [item], "dead-run", settings.current_time())
            uow.commit()
        assert outcome.done is False
    assert {m: _count(env.url, m, case_no) for m in before} == before
    shown = run("show", case_no, "--json").json()
    assert [e["kind"] for e in shown["events"]].count("results_delivered") == 1
    runs = {r["id"]: r["state"] for r in run("runs", case_no, "--json").json()}
    assert runs["dead-run"] == "RUNNING" and report.flow_run_id in runs


def test_flow_run_is_named_and_tagged_with_case_numbers(env, run, application):
    from prefect import get_client

    case_no = _issue(run, application)
    report = orchestrate(OrchestrateInput(case_no=case_no))
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(report.flow_run_id)
    assert f"case:{case_no}" in flow_run.tags
    assert case_no in flow_run.name


def test_failed_item_is_released_and_the_run_recorded_failed(env, run, application, monkeypatch):
    case_no = _issue(run, application)

    def broken(session, items, run_id, now):
        raise ConnectionError("notification service unreachable")

    monkeypatch.setattr(outbox, "deliver_results", broken)
    report_error = None
    try:
        orchestrate(OrchestrateInput(case_no=case_no))
    except RuntimeError as exc:
        report_error = str(exc)
    assert report_error and "failed" in report_error
    runs = run("runs", case_no, "--json").json()
    assert runs[-1]["state"] == "FAILED"
    with UnitOfWork(env.url, write=False) as uow:
        case_id = uow.session.exec(select(Case.id).where(Case.case_no == case_no)).one()
        left = uow.session.exec(select(OutboxItem).where(OutboxItem.case_id == case_id,
                                                         OutboxItem.done_at.is_(None))).all()
        assert sorted(i.kind for i in left) == ["deliver_results", "notify"]  # a connection error fails the chunk
        assert all(i.claimed_by is None and "unreachable" in i.last_error for i in left)
        assert all(c.delivered_at is None for c in
                   uow.session.exec(select(Certificate).where(Certificate.case_id == case_id)))
    monkeypatch.undo()
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", env.url)
    monkeypatch.setenv("ONEVISIT_NOW", "2026-03-02T09:00:00+08:00")
    get_settings.cache_clear()
    report = orchestrate(OrchestrateInput(case_no=case_no))  # the next run finishes the job
    assert report.failed == 0 and report.done == len(left)
    with UnitOfWork(env.url, write=False) as uow:
        assert all(c.delivered_at for c in uow.session.exec(select(Certificate).where(Certificate.case_id == case_id)))


def test_one_task_run_carries_out_every_kind_of_a_chunk_and_a_failing_kind_fails_alone(env, run, application,
                                                                                       monkeypatch):
    """A chunk holds items of several kinds (the acceptance notice, the delivery of the results) in one task
    run, named by them; when one kind's items fail, the other kinds' are done all the same."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    case_no = _issue(run, application)

    def broken(session, items, run_id, now):
        raise ValueError("no counter to deliver at")

    monkeypatch.setattr(outbox, "deliver_results", broken)
    try:
        orchestrate(OrchestrateInput(case_no=case_no))
    except RuntimeError as exc:
        assert "1 of 2 items failed" in str(exc)
    else:
        raise AssertionError("the run did not report its failed items")
    with get_client(sync_client=True) as client:
        flow_run_id = run("runs", case_no, "--json").json()[-1]["id"]
        task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    names = [t.name for t in task_runs if t.name.startswith(("deliver_results", "notify"))]
    assert names == [f"notify x1, deliver_results x1: {case_no}"]
    shown = run("show", case_no, "--json").json()
    assert [e["kind"] for e in shown["events"]].count("notified") == 1  # the acceptance notice went out
    assert not [e for e in shown["events"] if e["kind"] == "results_delivered"]
    with UnitOfWork(env.url, write=False) as uow:
        case_id = uow.session.exec(select(Case.id).where(Case.case_no == case_no)).one()
        left = uow.session.exec(select(OutboxItem).where(OutboxItem.case_id == case_id,
                                                         OutboxItem.done_at.is_(None))).all()
    assert [i.kind for i in left] == ["deliver_results"]
    monkeypatch.undo()  # fixed: the next run does the delivery alone
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", env.url)
    monkeypatch.setenv("ONEVISIT_NOW", "2026-03-02T09:00:00+08:00")
    get_settings.cache_clear()
    report = orchestrate(OrchestrateInput(case_no=case_no))
    assert (report.failed, report.done) == (0, 1)


def _three_notices(run, application) -> tuple[str, int]:
    """A case with three notices queued: its acceptance, and two reviewers asking for a material (one
    notice per task); returns the case and the task of one of those two."""
    case_no = run("submit", application("RESTAURANT"), "--json").json()["case_no"]
    first = run("show", case_no, "--json").json()["reviews"][0]  # the licence, which the others wait for
    assert run("decide", first["task_id"], "approve", "--operator", f"{first['agency']}-reviewer").code == 0
    reviews = [r for r in run("show", case_no, "--json").json()["reviews"] if r["status"] == "pending"]
    assert len(reviews) >= 2  # a chunk with an item at fault and one without
    for review in reviews[:2]:
        asked = run("decide", review["task_id"], "supplement", "--material", "LEASE", "--operator",
                    f"{review['agency']}-reviewer")
        assert asked.code == 0, asked.out
    return case_no, reviews[0]["task_id"]


def _notified(run, case_no) -> list[str]:
    return [e["detail"] for e in run("show", case_no, "--json").json()["events"] if e["kind"] == "notified"]


def test_an_item_at_fault_fails_alone_and_the_rest_of_its_chunk_is_done(env, run, application, monkeypatch):
    case_no, poisoned = _three_notices(run, application)
    real = outbox.send_notices

    def picky(session, items, run_id, now):  # a bug that only one item of the chunk runs into
        if any(f":task{poisoned}:" in item.key for item in items):
            raise ValueError(f"the notice of task {poisoned} cannot be sent")
        return real(session, items, run_id, now)

    monkeypatch.setattr(outbox, "send_notices", picky)
    try:
        orchestrate(OrchestrateInput(case_no=case_no))
    except RuntimeError as exc:
        assert "1 of 3" in str(exc) and f"task {poisoned}" in str(exc)
    else:
        raise AssertionError("the run did not report its failed item")
    assert len(_notified(run, case_no)) == 2
    with UnitOfWork(env.url, write=False) as uow:
        left = uow.session.exec(select(OutboxItem).where(OutboxItem.done_at.is_(None), OutboxItem.kind == "notify",
                                                         OutboxItem.key.contains(f":task{poisoned}:"))).all()
    assert len(left) == 1 and "cannot be sent" in left[0].last_error
    monkeypatch.setattr(outbox, "send_notices", real)  # the bug is fixed: the next run finishes the job
    assert orchestrate(OrchestrateInput(case_no=case_no)).failed == 0
    assert len(_notified(run, case_no)) == 3


def test_an_item_whose_rows_cannot_be_written_when_its_savepoint_is_released_fails_alone(env, run, application,
                                                                                        monkeypatch):
    """What an item queues (timeline events, outbox rows) is written when its savepoint is released; a
    failure there is the item's own: rolled back with it, and the rest of the chunk is done."""
    from services.records import record_many

    case_no, poisoned = _three_notices(run, application)
    real = outbox.send_notices

    def unwritable(session, items, run_id, now):  # an event with no actor: fine in memory, refused by the table
        outcomes = real(session, items, run_id, now)
        record_many(session, [{"case_id": item.case_id, "at": now, "kind": "note", "actor": None}
                              for item in items if f":task{poisoned}:" in item.key])
        return outcomes

    monkeypatch.setattr(outbox, "send_notices", unwritable)
    try:
        orchestrate(OrchestrateInput(case_no=case_no))
    except RuntimeError as exc:
        assert "1 of 3" in str(exc) and f":task{poisoned}:" in str(exc)
    else:
        raise AssertionError("the run did not report its failed item")
    shown = run("show", case_no, "--json").json()
    assert not [e for e in shown["events"] if e["kind"] == "note"]
    assert len(_notified(run, case_no)) == 2
    monkeypatch.setattr(outbox, "send_notices", real)
    assert orchestrate(OrchestrateInput(case_no=case_no)).failed == 0
    assert len(_notified(run, case_no)) == 3
    audited = run("audit", "verify", "--json", "--operator", "admin")  # the chain is whole: nothing half-written
    assert audited.code == 0 and audited.json()["ok"], audited.out


def test_a_batch_goes_in_chunks_of_1000_on_sqlite_and_over_up_to_4_chunks_on_postgresql(monkeypatch):
    from flows.orchestrate import _chunks
    from services.outbox import WorkItem

    items = [WorkItem(id=i, key=f"notify:{i}", kind="notify", case_id=1, case_no="OV1", task_id=None, payload={})
             for i in range(10_000)]
    try:
        monkeypatch.setenv("ONEVISIT_DATABASE_URL", "sqlite:///onevisit.db")
        get_settings.cache_clear()
        assert [len(c) for c in _chunks(items[:150])] == [150]
        assert [len(c) for c in _chunks(items[:2500])] == [1000, 1000, 500]
        monkeypatch.setenv("ONEVISIT_DATABASE_URL", "postgresql://onevisit@127.0.0.1/onevisit")
        get_settings.cache_clear()
        assert [len(c) for c in _chunks(items[:80])] == [80]
        assert [len(c) for c in _chunks(items[:150])] == [100, 50]
        assert [len(c) for c in _chunks(items[:2500])] == [625] * 4
        assert [len(c) for c in _chunks(items)] == [1000] * 10
        assert [i.id for c in _chunks(items[:2500]) for i in c] == list(range(2500))  # all of them, in order
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
