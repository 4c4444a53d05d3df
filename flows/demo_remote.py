"""`onevisit demo --remote`: the agencies review in their own (simulated) systems, over flaky HTTP.

Starts the simulator on loopback (latency, a failure mix, a few denials), points every agency of
the built-in catalog at it, files applications (the shareholder's licence pulled from the licence
registry instead of asked for), runs the flows: review requests out, decisions pulled back,
notices through the gateway. Whatever exhausted its retries is an incident; the demo heals the
simulator, reopens those cases, and shows from the simulator's own records that each review
request and each notification arrived once.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from flows.demo import _staff, _submit, _summary, console
from services.catalog import builtin_catalog_text, load_catalog
from services.db import UnitOfWork
from services.migrate import upgrade
from services.queries.cases import stalled_cases
from services.queries.connection import calendar, reader
from services.settings import get_settings
from simulator.catalog import agency_codes, gateway_url, remote_catalog, sharing_url
from simulator.server import Simulator


def run_remote_demo(keep: Path | None = None) -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    workdir = Path(tempfile.mkdtemp(prefix="onevisit-demo-remote-"))
    path = keep or workdir / "demo.db"
    if path.exists():
        path.unlink()
    simulator = Simulator(agency_codes(builtin_catalog_text()), seed=2026, latency_ms=20, failure_rate=0.25,
                          approve_rate=0.9, hang_seconds=2.0).start()
    os.environ.update({
        "ONEVISIT_DATABASE_URL": f"sqlite:///{path}",
        "ONEVISIT_SHARING_SERVICES": json.dumps({"licence_registry": sharing_url(simulator.url, "licence_registry")}),
        "ONEVISIT_NOTIFY_GATEWAY_URL": gateway_url(simulator.url),
        "ONEVISIT_HTTP_TIMEOUT_SECONDS": "1",
        "ONEVISIT_HTTP_RETRIES": "1",
        "ONEVISIT_HTTP_RETRY_DELAY_SECONDS": "0.2",
    })
    os.environ.pop("ONEVISIT_NOW", None)
    get_settings.cache_clear()
    settings = get_settings()
    from approvals.deadlines import Clock
    from flows.serving import run_until_idle
    from services.reopen import reopen
    from services.workdays import calendar_for

    try:
        upgrade(settings.url)
        with UnitOfWork(settings.url) as uow:
            load_catalog(uow.session, remote_catalog(builtin_catalog_text(), simulator.url), source="demo --remote",
                         actor="admin", now=settings.current_time())
            uow.commit()
        _staff()
        console.rule("[bold]onevisit demo --remote[/bold] · agencies' own systems over HTTP")
        console.print(f"database: {path}\nsimulator: {simulator.url} (20 ms, 25 % faults: 5xx, reset, timeout, "
                      "malformed; 90 % approvals)")
        console.print("\n[bold]Filing[/bold]: the shareholder's licence comes from the licence registry (数据共享)")
        cases = [
            _submit(11, "RESTAURANT", "湘味小馆餐饮有限公司", omit=("SHAREHOLDER_ID",)),
            _submit(12, "COMPANY_START", "闽江数字科技有限公司", omit=("SHAREHOLDER_ID",)),
            _submit(13, "HOTEL", "鼓浪屿客栈有限公司", omit=("SHAREHOLDER_ID",)),
        ]
        console.print("\n[bold]Flows[/bold]: review requests out (one per idempotency key), decisions pulled back")
        reports = run_until_idle()
        console.print(f"  {len(reports)} orchestration runs, {sum(r.incidents for r in reports)} incidents")

        for round_no in range(5):
            with reader(settings.url) as read:
                stalled = [c for c in stalled_cases(read, calendar(read), settings.current_time(),
                                                     after_days=settings.stalled_after_days,
                                                     lease_seconds=settings.claim_lease_seconds)
                           if c.case_no in cases]
            if not stalled:
                break
            if round_no == 0:
                console.print("\n[bold]Incidents[/bold] (`onevisit cases --stalled`), then the systems heal and "
                              "`onevisit reopen` takes each on again")
                simulator.control(failure_rate=0.0)
            for case in stalled:
                console.print(f"  {case.case_no}: {case.reason[:150]}")
                with UnitOfWork(settings.url) as uow:
                    reopen(uow.session, case.case_no, reason="the agency's system is back", operator="admin",
                           reassign=None, clock=Clock(settings.current_time(), calendar_for(uow.session)),
                           lease_seconds=settings.claim_lease_seconds)
                    uow.commit()
                run_until_idle(case.case_no, always=True)

        console.print()
        _summary(cases)
        records = simulator.snapshot()
        replays = sum(r["replays"] for r in records["reviews"].values())
        console.print(f"simulator records: {len(records['reviews'])} review requests, one per idempotency key "
                      f"({replays} repeats answered with the same ticket); {len(records['notifications'])} "
                      f"notifications delivered once each; {records['documents']} documents shared; faults "
                      f"injected: {records['faults']}")
    finally:
        simulator.stop()
