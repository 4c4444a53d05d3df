"""`onevisit demo`: a guided tour on a fresh database, first served continuously, then on demand.

Part 1 starts `onevisit serve` in the background and plays a morning at the window: five
applications across bundles, a correction, a supplement request, denials, an idempotent resubmission;
the agencies review in the hall's own queues, and the served loop sends notices and delivers results
as they happen. Part 2 stops it and runs
the same flow once on demand, as `onevisit orchestrate` does, after a case accepted on promises
(容缺 and 告知承诺) whose results wait for the promised material and whose verification fails. Part 3 moves the clock past a
neglected case's deadlines and runs the sweep: red lights, the supervision ledger.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from approvals.deadlines import Clock
from approvals.identifiers import resident_id_check_char, uscc_check_char
from approvals.review import Action
from flows import lifeline
from schemas.case import ApplicationIn
from services import cases as use_cases
from services.catalog import BUILTIN, builtin_catalog_text, catalog_in_force, load_catalog
from services.db import UnitOfWork
from services.installation import ensure_installation
from services.migrate import upgrade
from services.queries.cases import list_runs, show_case
from services.queries.connection import calendar, reader
from services.queries.supervision import audit as audit_chain, ledger as ledger_rows
from services.settings import get_settings
from services.workdays import calendar_for

console = Console() if Console().is_terminal else Console(width=160)
MILESTONES = {"submitted", "correction_requested", "accepted", "supplement_requested", "materials_received",
              "results_withheld", "promise_kept", "certificate_revoked",
              "denied", "case_denied", "issued", "results_delivered", "ledger_assigned"}


def _uscc(seq: int) -> str:
    body = f"91350200MA2YJ{seq:04d}"
    return body + uscc_check_char(body)


def _resident_id(seq: int) -> str:
    body = f"35020319{80 + seq % 20:02d}0{1 + seq % 9}1{seq % 10}{seq:03d}"[:17]
    return body + resident_id_check_char(body)


def _clock(session) -> Clock:
    return Clock(get_settings().current_time(), calendar_for(session))


def _submit(seq: int, bundle: str, name: str, *, omit=(), optional=None, request_id=None, promise=(),
            on_word=(), agent: str | None = None) -> str:
    url = get_settings().url
    with UnitOfWork(url) as uow:
        _, catalog = catalog_in_force(uow.session)
        chosen = [m.matter for m in catalog.bundles[bundle].matters
                  if not m.optional or optional is None or m.matter in optional]
        materials = [m for m in catalog.materials_of(chosen) if m not in omit]
    application = ApplicationIn(
        request_id=request_id or f"demo-{seq}",
        bundle=bundle,
        applicant={"name": name, "uscc": _uscc(seq),
                   "legal_representative": {"name": "王" + name[:1], "id_number": _resident_id(seq)}},
        materials=materials,
        optional_matters=optional,
        deficiency_promise=list(promise),
        commitment_matters=list(on_word),
        channel="proxy" if agent else "window",
        agent=agent,
    )
    with UnitOfWork(url) as uow:
        result = use_cases.submit(uow.session, application, actor=agent or "window-3", clock=_clock(uow.session))
        uow.commit()
    note = f" (missing: {', '.join(result.missing)})" if result.missing else ""
    console.print(f"  submit {bundle:<19} → {result.case_no} {result.status}{note}")
    return result.case_no


def _decide(case_no: str, matter: str, action: Action, reason=None, materials=()) -> None:
    url = get_settings().url
    with reader(url) as read:
        review = next(r for r in show_case(read, case_no, calendar(read), get_settings().current_time().date()).reviews
                      if r.matter == matter)
    with UnitOfWork(url) as uow:
        result = use_cases.decide(uow.session, review.task_id, action, operator=f"{review.agency}-reviewer",
                                  reason=reason, materials=list(materials), clock=_clock(uow.session))
        uow.commit()
    extra = f" → issued {len(result.certificates)} together" if result.certificates else ""
    console.print(f"  {review.agency:<9} {action:<10} {matter:<22} case {result.case_status}{extra}")


def _approve_all(case_no: str) -> None:
    """Approve whatever is pending, wave after wave, as the agencies would."""
    url = get_settings().url
    while True:
        with reader(url) as read:
            case = show_case(read, case_no, calendar(read), get_settings().current_time().date())
        pending = [r.matter for r in case.reviews if r.status == "pending"]
        if not pending:
            return
        for matter in pending:
            _decide(case_no, matter, Action.APPROVE)


def _supplement(case_no: str, materials: list[str], actor: str = "window-3") -> None:
    with UnitOfWork(get_settings().url) as uow:
        result = use_cases.supplement(uow.session, case_no, materials, actor=actor, clock=_clock(uow.session))
        uow.commit()
    console.print(f"  supplement {', '.join(materials)} → {case_no} {result.status}")


def _wait_delivered(case_nos: list[str], timeout: float = 120) -> bool:
    """Until the served loop has delivered every finished case's results (or given up)."""
    url = get_settings().url
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with reader(url) as read:
            left = read.rows("SELECT count(*) AS n FROM outbox_item WHERE done_at IS NULL")[0]["n"]
        if left == 0:
            return True
        time.sleep(1)
    return False


def run_demo(keep: Path | None = None) -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # the tour prints its own story
    workdir = Path(tempfile.mkdtemp(prefix="onevisit-demo-"))
    path = keep or workdir / "demo.db"
    if path.exists():
        path.unlink()
    os.environ["ONEVISIT_DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.pop("ONEVISIT_NOW", None)
    get_settings.cache_clear()
    settings = get_settings()
    upgrade(settings.url)
    with UnitOfWork(settings.url) as uow:
        ensure_installation(uow.session, settings.current_time(), test_clock=True)  # a demo moves its clock
        load_catalog(uow.session, builtin_catalog_text(), source=BUILTIN, actor="demo", now=settings.current_time())
        uow.commit()
    _staff()
    console.rule("[bold]onevisit demo[/bold] · 一件事一次办")
    console.print(f"database: {path}")

    console.print("\n[bold]Part 1 · served[/bold]: `onevisit serve` runs in the background and reacts to the window")
    log = open(workdir / "serve.log", "w")
    served = subprocess.Popen(lifeline.command("cli", "serve"),
                              env={**os.environ, "ONEVISIT_ORCHESTRATE_EVERY_SECONDS": "2",
                                   "PREFECT_LOGGING_LEVEL": "WARNING"},
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        restaurant = _submit(1, "RESTAURANT", "湘味小馆餐饮有限公司", optional=["SIGNBOARD", "TOBACCO_RETAIL"])
        again = _submit(1, "RESTAURANT", "湘味小馆餐饮有限公司", optional=["SIGNBOARD", "TOBACCO_RETAIL"])
        assert again == restaurant
        console.print("  (the same request_id again: the same case, nothing new)")
        company = _submit(2, "COMPANY_START", "闽江数字科技有限公司")
        factory = _submit(3, "INDUSTRIAL_PROJECT", "海沧精密制造有限公司")
        hotel = _submit(4, "HOTEL", "鼓浪屿客栈有限公司", omit=("HYGIENE_TEST", "SECURITY_RULES"))
        pharmacy = _submit(5, "PHARMACY", "同安仁心大药房有限公司")

        console.print("\n  the agencies review in parallel:")
        _decide(restaurant, "BIZ_LICENCE", Action.APPROVE)
        _decide(restaurant, "TOBACCO_RETAIL", Action.DENY, reason="距离学校不足50米 (too close to a school)")
        _approve_all(restaurant)
        _approve_all(company)
        _approve_all(factory)
        _supplement(hotel, ["HYGIENE_TEST", "SECURITY_RULES"])
        _decide(hotel, "BIZ_LICENCE", Action.APPROVE)
        _decide(hotel, "PUBLIC_HYGIENE", Action.SUPPLEMENT, materials=["HYGIENE_TEST"])
        _supplement(hotel, ["HYGIENE_TEST"])
        _approve_all(hotel)
        _decide(pharmacy, "BIZ_LICENCE", Action.APPROVE)
        _decide(pharmacy, "DRUG_RETAIL", Action.DENY, reason="执业药师资格证已过期 (pharmacist certificate expired)")

        console.print("\n  waiting for the served flow runs to notify and deliver (the first one starts "
                      "Prefect's embedded server, ~15 s)…")
        delivered = _wait_delivered([restaurant, company, factory, hotel, pharmacy])
        console.print("  all delivered" if delivered else f"  [red]not delivered in time; see {workdir / 'serve.log'}[/red]")
    finally:  # stop `serve` and the embedded Prefect server it started: the whole process group
        os.killpg(served.pid, signal.SIGTERM)
        try:
            served.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(served.pid, signal.SIGKILL)
            served.wait()
        log.close()

    console.print("\n[bold]Part 2 · on demand[/bold]: promises (容缺, 告知承诺), then `onevisit orchestrate` "
                  "runs the flow once")
    shop = _submit(6, "RESTAURANT", "厦门一次办餐饮有限公司", omit=("FLOOR_PLAN",), promise=("FLOOR_PLAN",),
                   on_word=("FOOD_BUSINESS",), optional=[])
    console.print("  (accepted without the floor plan on a signed promise; the food licence decided on the "
                  "applicant's word)")
    _approve_all(shop)
    _supplement(shop, ["FLOOR_PLAN"])
    from services.commitments import verify

    with UnitOfWork(get_settings().url) as uow:
        result = verify(uow.session, shop, "FOOD_BUSINESS", passed=False, reason="现场核查：无冷藏设施 (no cold storage)",
                        operator="SAMR-reviewer", clock=_clock(uow.session))
        uow.commit()
    console.print(f"  verification of the 告知承诺 failed → {result.revoked} revoked, a credit record written; "
                  "the other certificates stay valid")
    proxy = _agency_service()
    from flows.serving import run_until_idle  # imports Prefect

    for report in run_until_idle():
        console.print(f"  flow run {report.flow_run_id}: {report.done} items done for {', '.join(report.cases)}")

    late = _supervision()
    _summary([restaurant, company, factory, hotel, pharmacy, shop, proxy] + ([late] if late else []))
    with reader(get_settings().url) as read:
        audit = audit_chain(read)
    console.print(f"audit verify: {'timeline intact' if audit['ok'] else 'BROKEN'}: {audit['events']} events in "
                  f"{audit['cases']} cases, each chained to the one before it")
    console.print(f"\nInspect: ONEVISIT_DATABASE_URL=sqlite:///{path} onevisit show {restaurant} --operator admin")
    console.print("Prefect UI: `prefect server start`, open http://127.0.0.1:4200 → Runs, filter by tag "
                  f"case:{restaurant} (flow runs are named after the cases they acted on)")


def _staff() -> None:
    """The service hall: the administrator, a window clerk, a reviewer per agency, an agent and its mandate."""
    from datetime import timedelta

    from services import staff

    settings = get_settings()
    now = settings.current_time()
    with UnitOfWork(settings.url) as uow:
        staff.staff_the_hall(uow.session, now, windows=("window-3",))
        staff.add_agent(uow.session, "AG-07", name="园区代办员 林晓", phone="13800138000", by="admin", now=now)
        staff.grant_mandate(uow.session, "AG-07", _uscc(8), "submit,supplement,receive_results",
                            now.date() + timedelta(days=90), by="admin", clock=_clock(uow.session))
        uow.commit()


def _agency_service() -> str:
    """帮代办 and the green channel: an agent files under its mandate, the window marks a key project."""
    console.print("\n  帮代办: agent AG-07 files for an investor under a mandate; the window puts it on the green "
                  "channel (重点项目)")
    case_no = _submit(8, "COMPANY_START", "嘉庚新材料有限公司", omit=("LEASE",), agent="AG-07")
    _supplement(case_no, ["LEASE"], actor="AG-07")
    with UnitOfWork(get_settings().url) as uow:
        marked = use_cases.mark_key_project(uow.session, case_no, "副区长 陈明", actor="window-3",
                                            clock=_clock(uow.session))
        uow.commit()
    console.print(f"  {case_no}: key project, leader {marked.leader}; {marked.shortened} promised limits halved")
    _approve_all(case_no)
    return case_no


def _supervision() -> str | None:
    """Part 3: a case the agencies sit on; the clock jumps ahead; the sweep lights it red and opens
    ledger items (交办); a decision crosses one off (销号)."""
    from flows.sweep import sweep

    console.print("\n[bold]Part 3 · supervision[/bold]: a case left on the desk, and the clock moved on")
    late = _submit(7, "HOTEL", "筼筜湖畔酒店有限公司")
    _decide(late, "BIZ_LICENCE", Action.APPROVE)
    settings = get_settings()
    with reader(settings.url) as read:
        case = show_case(read, late, calendar(read), settings.current_time().date())
        dues = [r.due_date for r in case.reviews if r.status == "pending"]
        if not dues or None in dues:
            console.print("  (no announced calendar for these days: deadlines are refused, not guessed; skipping)")
            return late
        later = calendar(read).add_working_days(max(dues), 1)
    os.environ["ONEVISIT_NOW"] = f"{later.isoformat()}T09:00:00+08:00"
    get_settings.cache_clear()
    console.print(f"  the clock moves to {later.isoformat()}, one working day past every due date")
    report = sweep()
    console.print(f"  sweep: {report.tasks_red} tasks red, {report.ledger_opened} ledger items assigned (交办)")
    _decide(late, "FIRE_CHECK", Action.APPROVE)
    with reader(settings.url) as read:
        items = ledger_rows(read, open_only=False)
    table = Table(title="supervision ledger", title_justify="left")
    for column in ("case", "matter", "missed due", "status", "assigned to", "closed by"):
        table.add_column(column)
    for item in items:
        table.add_row(item.case_no, item.matter, item.missed_due.isoformat(), item.status, item.assigned_to,
                      item.closed_by or "-")
    console.print(table)
    return late


def _summary(case_nos: list[str]) -> None:
    settings = get_settings()
    table = Table(title="every case's path", title_justify="left")
    for column in ("case", "bundle", "status", "path", "certificates", "flow runs"):
        table.add_column(column)
    with reader(settings.url) as read:
        for case_no in case_nos:
            case = show_case(read, case_no, calendar(read), settings.current_time().date())
            path: list[str] = []
            for event in case.events:
                if event.kind in MILESTONES and (not path or path[-1] != event.kind):
                    path.append(event.kind)
            table.add_row(case.case_no, case.bundle, case.status, " → ".join(path),
                          f"{len(case.certificates)} of {len(case.reviews)}",
                          str(len(list_runs(read, case_no))))
    console.print(table)
