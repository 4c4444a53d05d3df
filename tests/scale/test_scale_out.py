"""Scale-out for real: a Prefect server on loopback backed by PostgreSQL, two process workers on one work pool,
onevisit on PostgreSQL, 200 cases from intake through parallel review to issuance.

The deployments are registered exactly as `onevisit serve --pool` does, with their interval schedules;
the server's scheduler creates the runs and the workers take them (one at a time each). The test plays
the reviewers. Everything it starts runs in process groups of its own and carries a marker in its
environment; at the end nothing with that marker may be left running.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

CASES = 200
BUNDLE = "COMPANY_START"  # the business licence first (先照后证), then the other matters in parallel
ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("ONEVISIT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def onevisit_pg(monkeypatch):
    from flows.local_stack import create_database, drop_database
    from services.staff import staff_the_hall
    from services.catalog import BUILTIN, builtin_catalog_text, load_catalog
    from services.db import UnitOfWork, engine_for
    from services.migrate import upgrade
    from services.settings import get_settings

    url, name = create_database(PG_ADMIN_URL, "onevisit_scale")
    upgrade(url)
    with UnitOfWork(url) as uow:
        load_catalog(uow.session, builtin_catalog_text(), source=BUILTIN, actor="admin", now=datetime.now(timezone.utc))
        uow.commit()
    with UnitOfWork(url) as uow:
        staff_the_hall(uow.session, datetime.now(timezone.utc))  # window-1 submits, {AGENCY}-reviewer decides
        uow.commit()
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", url)
    monkeypatch.delenv("ONEVISIT_NOW", raising=False)
    get_settings.cache_clear()
    yield url
    engine_for(url).dispose()
    engine_for(url, write=False).dispose()
    drop_database(PG_ADMIN_URL, name)


def _applications(catalog):
    from schemas.case import ApplicationIn
    from tests.conftest import new_resident_id, new_uscc

    codes = [m.matter for m in catalog.bundles[BUNDLE].matters]
    for seq in range(CASES):
        yield ApplicationIn.model_validate({
            "request_id": f"scale-{uuid.uuid4().hex}", "bundle": BUNDLE, "channel": "window",
            "applicant": {"name": f"扩展测试企业{seq}", "uscc": new_uscc(),
                          "legal_representative": {"name": "张三", "id_number": new_resident_id()}},
            "materials": catalog.materials_of(codes),
        })


def _decide_dispatched(url: str, case_ids: list[int]) -> int:
    """The agencies' reviewers approve every task dispatched to them, one decision per transaction."""
    from approvals.deadlines import Clock
    from approvals.review import Action
    from schemas.review import ReviewTask
    from services import cases
    from services.db import UnitOfWork
    from services.settings import get_settings
    from services.workdays import calendar_for

    with UnitOfWork(url, write=False) as uow:
        queue = uow.session.exec(select(ReviewTask.id, ReviewTask.agency).where(
            ReviewTask.case_id.in_(case_ids), ReviewTask.status == "pending", ReviewTask.dispatched_at.is_not(None))
        ).all()
    for task_id, agency in queue:
        with UnitOfWork(url) as uow:
            clock = Clock(get_settings().current_time(), calendar_for(uow.session))
            cases.decide(uow.session, task_id, Action.APPROVE, operator=f"{agency}-reviewer", reason=None,
                         materials=(), clock=clock)
            uow.commit()
    return len(queue)


def test_two_workers_carry_200_cases_through_once(stack, onevisit_pg, monkeypatch, catalog):
    from approvals.deadlines import Clock
    from schemas.case import Case, CaseEvent
    from schemas.certificate import Certificate
    from schemas.orchestration import FlowRunCase, FlowRunRecord, OutboxItem
    from schemas.review import ReviewTask
    from services import cases
    from services.db import UnitOfWork
    from services.settings import get_settings
    from services.workdays import calendar_for

    url = onevisit_pg
    began = time.monotonic()
    stack.start_server(PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="5")
    monkeypatch.setenv("PREFECT_API_URL", stack.api_url)
    monkeypatch.setenv("ONEVISIT_ORCHESTRATE_EVERY_SECONDS", "2")
    monkeypatch.setenv("ONEVISIT_ORCHESTRATE_LOOP_SECONDS", "0")  # interval runs, so both workers take some
    get_settings.cache_clear()
    from prefect.settings import PREFECT_API_URL, temporary_settings

    pool = f"onevisit-scale-{uuid.uuid4().hex[:6]}"
    with temporary_settings({PREFECT_API_URL: stack.api_url}):
        from flows.serving import register_on_pool

        # orchestration, the sweep, agencies' decisions, the daily and the weekly report, each scheduled
        assert len(register_on_pool(pool)) == 5
    # Small batches, so that the work spreads over many flow runs and both workers.
    for name in ("worker-a", "worker-b"):
        stack.start_worker(pool, name, cwd=ROOT, limit=1, ONEVISIT_DATABASE_URL=url, ONEVISIT_BATCH_SIZE="150",
                           PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="2")

    print(f"server and workers up in {time.monotonic() - began:.1f}s", flush=True)
    settings = get_settings()
    for application in _applications(catalog):
        with UnitOfWork(url) as uow:
            clock = Clock(settings.current_time(), calendar_for(uow.session))
            assert cases.submit(uow.session, application, actor="window-1", clock=clock).status == "in_review"
            uow.commit()
    with UnitOfWork(url, write=False) as uow:
        case_ids = list(uow.session.exec(select(Case.id).where(Case.request_id.like("scale-%"))))
    assert len(case_ids) == CASES

    started = time.monotonic()
    deadline = started + 420
    while True:
        _decide_dispatched(url, case_ids)
        with UnitOfWork(url, write=False) as uow:
            s = uow.session
            unfinished = s.exec(select(func.count()).select_from(Case).where(Case.status != "issued")).one()
            queued = s.exec(select(func.count()).select_from(OutboxItem).where(OutboxItem.done_at.is_(None))).one()
        if unfinished == 0 and queued == 0:
            break
        print(f"{time.monotonic() - started:6.1f}s: {unfinished} cases unfinished, {queued} items queued", flush=True)
        for _, process in stack.processes:
            assert process.poll() is None, f"a process of the stack exited:\n{stack.log('server')[-2000:]}"
        assert time.monotonic() < deadline, (f"{unfinished} cases unfinished, {queued} items queued;\n"
                                             f"{stack.log('worker-a')[-3000:]}")
        time.sleep(0.5)

    with UnitOfWork(url, write=False) as uow:
        s = uow.session
        tasks = s.exec(select(func.count()).select_from(ReviewTask)).one()
        certificates = s.exec(select(Certificate.number, Certificate.task_id)).all()
        assert len(certificates) == tasks == CASES * len(catalog.bundles[BUNDLE].matters)
        assert len({n for n, _ in certificates}) == len({t for _, t in certificates}) == len(certificates)
        for kind in ("issued", "results_delivered"):  # every case finished, and was delivered, exactly once
            per_case = s.exec(select(CaseEvent.case_id, func.count()).where(CaseEvent.kind == kind)
                              .group_by(CaseEvent.case_id)).all()
            assert sorted(per_case) == sorted((case_id, 1) for case_id in case_ids), kind
        dispatched = s.exec(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "dispatched")).one()
        assert dispatched == tasks  # every review went to its agency once
        runs_with_cases = set(s.exec(select(FlowRunCase.flow_run_id).distinct()))
        failed = s.exec(select(FlowRunRecord.id, FlowRunRecord.message).where(FlowRunRecord.state == "FAILED")).all()
    assert not failed, failed

    # Both workers did work: each took flow runs that acted on cases.
    for name in ("worker-a", "worker-b"):
        taken = set(UUID.findall(stack.log(name))) & runs_with_cases
        assert taken, f"{name} carried out no run that acted on a case:\n{stack.log(name)[-2000:]}"
