"""The `onevisit` command: parse, call a use case, print. Reading commands never import Prefect."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="onevisit: one thing, one visit (一件事一次办) approvals.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


def _group(name: str, help: str) -> typer.Typer:
    """A sub-command group: `onevisit NAME ...`."""
    group = typer.Typer(help=help, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group


catalog_app = _group("catalog", "The catalog of matters and bundles (事项目录).")
credit_app = _group("credit", "Credit records of applicants (broken promises) and their repair.")
calendar_app = _group("calendar", "The working-day calendar: announced holidays and overrides.")
operator_app = _group("operator", "Operators and their roles (administrators).")
agent_app = _group("agent", "Agents (代办员) who file and follow cases for applicants.")
mandate_app = _group("mandate", "Mandates (委托书): what an applicant lets an agent do, until when.")
audit_app = _group("audit", "The tamper-evident timeline (hash chain).")
simulate_app = _group("simulate", "Simulators of the systems around onevisit, on loopback.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
OperatorOpt = Annotated[str | None, typer.Option("--operator", help="Who acts (or ONEVISIT_OPERATOR).")]
UnmaskedOpt = Annotated[bool, typer.Option("--unmasked", help="Show identifiers in full (administrators, --json).")]


class DecisionAction(str, Enum):
    approve = "approve"
    deny = "deny"
    supplement = "supplement"
    special_start = "special-start"
    special_end = "special-end"


class DayKind(str, Enum):
    workday = "workday"
    holiday = "holiday"


# --- plumbing ------------------------------------------------------------------------------


def _settings():
    from pydantic import ValidationError

    from approvals.errors import BadInput
    from services.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        raise BadInput(f"ONEVISIT_{str(error['loc'][0]).upper()}: {error['msg']}") from None


def _clock(session):
    from approvals.deadlines import Clock
    from services.workdays import calendar_for

    return Clock(_settings().current_time(), calendar_for(session))


def _read():
    """A read-only connection: no SQLAlchemy, no SQLModel, no Prefect (reads answer fast)."""
    from services.reads import reader

    return reader(_settings().url)


def _read_clock(read):
    from approvals.deadlines import Clock
    from services.reads import calendar

    return Clock(_settings().current_time(), calendar(read))


def _uow(write: bool = True):
    from services.db import UnitOfWork, require_schema

    url = _settings().url
    require_schema(url)
    return UnitOfWork(url, write=write)


@contextmanager
def _reading(operator: str | None, act=None, *, agents: bool = False):
    """A read connection and the enabled operator reading through it (agents: their own cases only)."""
    from approvals.errors import Refused
    from approvals.permissions import Act, Role
    from services.reads import require

    with _read() as read:
        who = require(read, _operator(operator), act or Act.READ)
        if who.role is Role.AGENT and not agents:
            raise Refused(f"agent {who.id} reads its own cases only (onevisit cases, onevisit show)")
        yield read, who


def _unmasked(who, unmasked: bool, as_json: bool) -> bool:
    from approvals.errors import BadInput
    from approvals.permissions import Act, check

    if not unmasked:
        return False
    if not as_json:
        raise BadInput("--unmasked goes with --json")
    check(who, Act.UNMASK)
    return True


def _operator(given: str | None) -> str:
    from approvals.errors import BadInput

    operator = given or _settings().operator
    if not operator:
        raise BadInput("--operator is required (or set ONEVISIT_OPERATOR)")
    return operator


def _plain(value: Any, tz) -> Any:
    """JSON-ready data: times as ISO 8601 in the jurisdiction's zone, dates as YYYY-MM-DD."""
    if isinstance(value, dict):
        return {k: _plain(v, tz) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, tz) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _print_json(data: Any) -> None:
    if hasattr(data, "model_dump"):
        data = data.model_dump()
    elif isinstance(data, list):
        data = [d.model_dump() if hasattr(d, "model_dump") else d for d in data]
    typer.echo(json.dumps(_plain(data, _settings().tz), ensure_ascii=False, indent=2))


def _when(value: datetime | None) -> str:
    return value.astimezone(_settings().tz).strftime("%Y-%m-%d %H:%M") if value else "-"


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*["-" if v is None or v == "" else str(v) for v in row])
    console = Console()
    if not console.is_terminal:  # piped or captured: don't squeeze case numbers into 80 columns
        console = Console(width=200)
    console.print(table)


# --- set-up and catalog --------------------------------------------------------------------


@app.command()
def init(
    no_catalog: Annotated[bool, typer.Option("--no-catalog", help="Do not load the built-in catalog.")] = False,
    admin: Annotated[str, typer.Option("--admin", help="The first administrator's operator id.")] = "admin",
) -> None:
    """Create or upgrade the database; create the administrator; load the built-in catalog if none is."""
    from services import catalog as catalogs
    from services.db import UnitOfWork
    from services.migrate import upgrade
    from services.staff import ensure_admin

    settings = _settings()
    upgrade(settings.url)
    with UnitOfWork(settings.url) as uow:
        if ensure_admin(uow.session, admin, settings.current_time()):
            uow.commit()
            typer.echo(f"administrator {admin} created")
    with UnitOfWork(settings.url) as uow:
        from schemas.catalog import CatalogVersion
        from sqlmodel import select

        loaded = uow.session.exec(select(CatalogVersion.id).limit(1)).first()
        if loaded is None and not no_catalog:
            version, _ = catalogs.load_catalog(uow.session, catalogs.builtin_catalog_text(), source=catalogs.BUILTIN,
                                               actor="init", now=settings.current_time())
            uow.commit()
            typer.echo(f"loaded the built-in catalog (version {version.id})")
    typer.echo(f"database ready: {_safe_url(settings.url)}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@catalog_app.command("load")
def catalog_load(
    file: Annotated[Path, typer.Argument(help="A YAML catalog.")],
    operator: OperatorOpt = None,
) -> None:
    """Load a catalog: checked whole, loaded whole or not at all (administrators)."""
    from approvals.permissions import Act
    from services import catalog as catalogs
    from services.staff import authorise

    who = _operator(operator)
    text = catalogs.read_catalog_file(file)
    catalogs.parse_catalog_text(text)  # bad input is refused before the database is touched
    with _uow() as uow:
        authorise(uow.session, who, Act.ADMINISTER)
        version, changed = catalogs.load_catalog(uow.session, text, source=str(file), actor=who,
                                                 now=_settings().current_time())
        uow.commit()
    typer.echo(f"catalog version {version.id} " + ("loaded" if changed else "unchanged (same as in force)"))


@catalog_app.command("list")
def catalog_list(operator: OperatorOpt = None, as_json: JsonOpt = False) -> None:
    """Bundles, their matters and materials, as in force."""
    from services.reads import catalog_document

    with _reading(operator, agents=True) as (read, _):
        version, document = catalog_document(read)
    matters = {m["code"]: m for m in document["matters"]}
    bundles = [
        {
            "code": b["code"],
            "name": b["name"],
            "promised_days": b["promised_days"],
            "matters": [
                {"matter": entry["matter"], "optional": entry["optional"]}
                | {k: v for k, v in matters[entry["matter"]].items() if k != "code"}
                for entry in b["matters"]
            ],
        }
        for b in document["bundles"]
    ]
    if as_json:
        _print_json({"version": version, "agencies": document["agencies"], "bundles": bundles})
        return
    for b in bundles:
        _table(
            f"{b['code']} {b['name']} · promised {b['promised_days']} working days",
            ["matter", "name", "agency", "days (promised/statutory)", "after", "materials"],
            [
                [m["matter"] + (" (optional)" if m["optional"] else ""), m["name"], m["agency"],
                 f"{m['promised_days']}/{m['statutory_days']}", ", ".join(m["depends_on"]),
                 ", ".join(x["code"] + ("" if x["core"] else "*") for x in m["materials"])]
                for m in b["matters"]
            ],
        )
    typer.echo(f"catalog version {version}; * = secondary material")


# --- the window and the reviewers ----------------------------------------------------------


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(help="The application, as JSON.")],
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File an application for a bundle at one window (一窗受理)."""
    from services import cases

    application = _read_application(file)
    actor = _operator(operator)
    result = _write(lambda session: cases.submit(session, application, actor=actor, clock=_clock(session)),
                    retry_on_conflict=True)
    if as_json:
        _print_json(result)
        return
    verb = "filed" if result.created else "already filed (same request_id)"
    typer.echo(f"{result.case_no} {verb}: {result.status}")
    if result.missing:
        typer.echo("missing, all at once (补正一次性告知): " + ", ".join(result.missing))


def _read_application(file: Path):
    from pydantic import ValidationError

    from approvals.errors import BadInput
    from schemas.case import ApplicationIn

    try:
        raw = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return ApplicationIn.model_validate_json(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "application"
        raise BadInput(f"{file}: {where}: {error['msg']}") from None


# Deadlock, serialisation failure: PostgreSQL broke the transaction off and nothing of it was written.
_RUN_AGAIN = {"40P01", "40001"}
_RUNS_AGAIN = 3


def _write(use_case, *, retry_on_conflict: bool = False):
    """Run one use case in one transaction. A lost race on a unique key is retried once (when asked); a
    transaction PostgreSQL broke off (deadlock, serialisation) is run again, up to three more times."""
    import time

    from sqlalchemy.exc import IntegrityError, OperationalError

    conflicts = broken = 0
    while True:
        try:
            with _uow() as uow:
                result = use_case(uow.session)
                uow.commit()
                return result
        except IntegrityError:
            conflicts += 1
            if not retry_on_conflict or conflicts > 1:
                raise
        except OperationalError as exc:
            broken += 1
            if getattr(exc.orig, "sqlstate", None) not in _RUN_AGAIN or broken > _RUNS_AGAIN:
                raise
            time.sleep(0.05 * broken)


@app.command()
def supplement(
    case_no: Annotated[str, typer.Argument(help="The case number.")],
    material: Annotated[list[str] | None, typer.Option("--material", help="A material supplied (repeat).")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record materials the applicant supplied: completes intake or resumes a review."""
    from services import cases

    actor = _operator(operator)
    result = _write(lambda s: cases.supplement(s, case_no, material or [], actor=actor, clock=_clock(s)))
    if as_json:
        _print_json(result.__dict__)
        return
    typer.echo(f"{result.case_no}: received {', '.join(result.received)}; case {result.status}")
    if result.still_missing:
        typer.echo("still awaited: " + ", ".join(result.still_missing))


@app.command()
def decide(
    task_id: Annotated[int, typer.Argument(help="The review task.")],
    action: Annotated[DecisionAction, typer.Argument(help="approve, deny, supplement, special-start, special-end.")],
    operator: OperatorOpt = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (required to deny).")] = None,
    material: Annotated[list[str] | None, typer.Option("--material", help="A material to ask for (repeat).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """A reviewer decides a task; what follows (release, issuance) happens before this returns.

    special-start / special-end bracket a special procedure (expert review, hearing, inspection,
    testing: 特别程序), which stops the task's clock.
    """
    from approvals.review import Action
    from services import cases

    who = _operator(operator)
    result = _write(lambda s: cases.decide(s, task_id, Action(action.value), operator=who, reason=reason,
                                           materials=material or [], clock=_clock(s)))
    if as_json:
        _print_json(result.__dict__)
        return
    typer.echo(f"task {result.task_id} {result.matter}: {result.task_status}; case {result.case_no} {result.case_status}")
    if result.certificates:
        typer.echo("issued together: " + ", ".join(result.certificates))


# --- reading -------------------------------------------------------------------------------


@app.command()
def show(case_no: Annotated[str, typer.Argument(help="The case number.")], operator: OperatorOpt = None,
         unmasked: UnmaskedOpt = False, as_json: JsonOpt = False) -> None:
    """One case: its reviews, certificates and timeline (an agent sees its own cases)."""
    from approvals.permissions import Role
    from services.reads import show_case

    with _reading(operator, agents=True) as (read, who):
        clock = _read_clock(read)
        case = show_case(read, case_no, clock.calendar, clock.today, clock.now.tzinfo,
                         unmasked=_unmasked(who, unmasked, as_json), agent=who.id if who.role is Role.AGENT else None)
    if as_json:
        _print_json(case)
        return
    light = f" · light {case.light}" if case.light else ""
    key = f" · ★ key project, leader {case.leader}" if case.key_project else ""
    typer.echo(f"{case.case_no} · {case.bundle} {case.bundle_name} · {case.status}{light}{key}")
    phone = f" {case.legal_representative_phone}" if case.legal_representative_phone else ""
    typer.echo(f"applicant {case.applicant} ({case.uscc}), legal representative {case.legal_representative} "
               f"{case.legal_representative_id}{phone}; due {case.due_date or '-'}")
    if case.agent:
        typer.echo(f"filed and followed by agent {case.agent} (帮代办)")
    if case.missing:
        typer.echo("missing: " + ", ".join(case.missing))
    if case.due_note:
        typer.echo(case.due_note)
    _table("reviews (并联审批)", ["task", "matter", "agency", "status", "clock", "due", "light", "note"],
           [[r.task_id, r.matter + (" (optional)" if r.optional else ""), r.agency, r.status, r.clock,
             r.due_date or r.due_note, r.light,
             "; ".join(x for x in (r.reason, ", ".join(r.requested_materials),
                                   f"assigned to {r.assignee}" if r.assignee else "") if x)]
            for r in case.reviews])
    if case.suspensions:
        _table("clock stops", ["task", "kind", "reason", "from", "to", "working days"],
               [[x.task_id, x.kind, x.reason, _when(x.started_at), _when(x.ended_at), x.working_days]
                for x in case.suspensions])
    if case.commitments:
        _table("promises (承诺书)", ["id", "kind", "what", "due", "status", "note"],
               [[p.id, p.kind, p.matter or ", ".join(p.materials or []), p.due_date, p.status, p.note]
                for p in case.commitments])
    if case.certificates:
        _table("certificates (一个窗口出件)", ["number", "matter", "status", "issued", "delivered", "revoked"],
               [[c.number, c.matter, c.status, _when(c.issued_at), _when(c.delivered_at),
                 f"{_when(c.revoked_at)} by {c.revoked_by}: {c.revoke_reason}" if c.revoked_at else None]
                for c in case.certificates])
    _table("timeline", ["at", "kind", "actor", "detail"],
           [[_when(e.at), e.kind, e.actor, e.detail] for e in case.events])


@app.command()
def tasks(
    agency: Annotated[str | None, typer.Option("--agency", help="Only this agency's tasks.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="Only tasks in this status (default: open).")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A work queue: key projects first, then the reddest light, then the earliest due date."""
    from services.reads import list_tasks

    with _reading(operator) as (read, _):
        clock = _read_clock(read)
        rows = list_tasks(read, clock.calendar, clock.today, agency=agency, status=status)
    if as_json:
        _print_json(rows)
        return
    _table(f"tasks{' of ' + agency if agency else ''}", ["task", "case", "matter", "agency", "status", "due", "light"],
           [[r.task_id, r.case_no + (" ★" if r.key_project else ""), r.matter, r.agency, r.status, r.due_date, r.light]
            for r in rows])


@app.command("cases")
def cases_(
    status: Annotated[str | None, typer.Option("--status", help="Only cases in this status.")] = None,
    stalled: Annotated[bool, typer.Option("--stalled", help="Only stalled cases, with the reason.")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only cases with a red task or a red case clock.")] = False,
    agent: Annotated[str | None, typer.Option("--agent", help="An agent's worklist (帮代办).")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cases, oldest first; an agent's worklist puts key projects and open cases first."""
    from approvals.errors import BadInput, Refused
    from approvals.permissions import Role
    from services import reads

    if sum((stalled, overdue, status is not None)) > 1:
        raise BadInput("--status, --stalled and --overdue are alternatives: give one")
    if agent is not None and (stalled or overdue):
        raise BadInput("--agent goes with --status only")
    settings = _settings()
    with _reading(operator, agents=True) as (read, who):
        if who.role is Role.AGENT:
            if agent not in (None, who.id) or stalled or overdue:
                raise Refused(f"agent {who.id} reads its own worklist only (onevisit cases)")
            agent = who.id
        clock = _read_clock(read)
        if agent is not None:
            rows = reads.list_cases(read, clock.calendar, clock.today, status=status, tz=clock.now.tzinfo, agent=agent)
        elif stalled:
            rows = reads.stalled_cases(read, clock.calendar, clock.now, after_days=settings.stalled_after_days,
                                       lease_seconds=settings.claim_lease_seconds)
        elif overdue:
            rows = reads.overdue_cases(read, clock.calendar, clock.today, clock.now.tzinfo)
        else:
            rows = reads.list_cases(read, clock.calendar, clock.today, status=status, tz=clock.now.tzinfo)
    if as_json:
        _print_json(rows)
        return
    columns = ["case", "status", "bundle", "applicant", "submitted", "due", "light", "open tasks", "certificates"]
    _table("stalled cases" if stalled else "overdue cases" if overdue else f"worklist of agent {agent}" if agent
           else "cases",
           columns + (["why"] if stalled or overdue else []),
           [[r.case_no + (" ★" if r.key_project else ""), r.status, r.bundle, r.applicant, _when(r.submitted_at), r.due_date, r.light, r.open_tasks,
             r.certificates] + ([r.reason] if stalled or overdue else []) for r in rows])


@app.command()
def runs(case_no: Annotated[str, typer.Argument(help="The case number.")], operator: OperatorOpt = None,
         as_json: JsonOpt = False) -> None:
    """The Prefect flow runs that acted on a case (as they recorded themselves)."""
    from services.reads import list_runs

    with _reading(operator) as (read, _):
        rows = list_runs(read, case_no)
    if as_json:
        _print_json(rows)
        return
    _table(f"flow runs for {case_no}", ["id", "name", "state", "started", "ended"],
           [[r.id, r.name, r.state, _when(r.started_at), _when(r.ended_at)] for r in rows])


@app.command()
def verify(
    case_no: Annotated[str, typer.Argument(help="The case number.")],
    matter: Annotated[str, typer.Option("--matter", help="The matter decided on a 告知承诺.")],
    passed: Annotated[bool | None, typer.Option("--passed/--failed", help="The outcome of the check.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (required when failed).")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the verification of a 告知承诺: failed revokes that certificate and writes a credit record."""
    from approvals.errors import BadInput
    from services import commitments

    if passed is None:
        raise BadInput("say --passed or --failed")
    who = _operator(operator)
    result = _write(lambda s: commitments.verify(s, case_no, matter, passed=passed, reason=reason, operator=who,
                                                 clock=_clock(s)))
    if as_json:
        _print_json(result.__dict__)
        return
    if not result.changed:
        typer.echo(f"{result.case_no} {result.matter}: already {result.status}; nothing changed")
    elif result.revoked:
        typer.echo(f"{result.case_no} {result.matter}: verification failed; certificate {result.revoked} revoked")
    else:
        typer.echo(f"{result.case_no} {result.matter}: verified")


@credit_app.command("show")
def credit_show(uscc: Annotated[str, typer.Argument(help="The applicant's unified social credit code.")],
                operator: OperatorOpt = None, as_json: JsonOpt = False) -> None:
    """An applicant's credit records; an open one bars 容缺 and 告知承诺."""
    from services.reads import credit_records

    with _reading(operator) as (read, _):
        rows = credit_records(read, uscc)
    if as_json:
        _print_json(rows)
        return
    state = "open record: 容缺 and 告知承诺 refused" if any(r.status == "open" for r in rows) else "no open record"
    typer.echo(f"{uscc.strip().upper()}: {state}")
    _table("credit records", ["id", "case", "kind", "reason", "created", "status", "repaired"],
           [[r.id, r.case_no, r.kind, r.reason, _when(r.created_at), r.status,
             f"{_when(r.repaired_at)} by {r.repaired_by}: {r.repair_reason}" if r.repaired_at else None]
            for r in rows])


@credit_app.command("repair")
def credit_repair(
    uscc: Annotated[str, typer.Argument(help="The applicant's unified social credit code.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the credit is repaired.")],
    operator: OperatorOpt = None,
) -> None:
    """信用修复: close the applicant's open credit records (administrator)."""
    from services import commitments

    who = _operator(operator)
    count = _write(lambda s: commitments.repair_credit(s, uscc, reason=reason, operator=who, clock=_clock(s)))
    typer.echo(f"{uscc.strip().upper()}: {count} credit record(s) repaired")


@app.command()
def ledger(
    open_only: Annotated[bool, typer.Option("--open", help="Only items not crossed off yet.")] = False,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The supervision ledger: overdue tasks assigned (交办), supervised (督查), closed (销号)."""
    from services.reads import ledger as ledger_rows

    with _reading(operator) as (read, _):
        rows = ledger_rows(read, open_only=open_only)
    if as_json:
        _print_json(rows)
        return
    _table("supervision ledger", ["item", "case", "task", "matter", "missed due", "status", "assigned to",
                                  "opened", "escalated to", "closed"],
           [[r.id, r.case_no, r.task_id, r.matter, r.missed_due, r.status, r.assigned_to, _when(r.opened_at),
             r.escalated_to, _when(r.closed_at)] for r in rows])


@calendar_app.command("set")
def calendar_set(
    day: Annotated[str, typer.Argument(help="The day, YYYY-MM-DD.")],
    kind: Annotated[DayKind, typer.Argument(help="workday or holiday.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (e.g. the notice that announced it).")],
    operator: OperatorOpt = None,
) -> None:
    """Override one day; running clocks that span it get their due dates again."""
    from services import workdays

    when = _parse_day(day)
    who = _operator(operator)
    moved = _write(lambda s: workdays.set_day(s, when, kind is DayKind.workday, reason=reason, actor=who,
                                              clock=_clock(s)))
    typer.echo(f"{when.isoformat()} is now a {kind.value}; {moved} due dates moved")


@calendar_app.command("show")
def calendar_show(year: Annotated[int, typer.Argument(help="The year.")], operator: OperatorOpt = None,
                  as_json: JsonOpt = False) -> None:
    """A year's working days per month, holidays, make-up workdays (调休) and overrides."""
    from dataclasses import asdict

    from approvals.calendar import year_view
    from services.reads import calendar, calendar_overrides

    with _reading(operator, agents=True) as (read, _):
        view = year_view(calendar(read), calendar_overrides(read), year)
    if as_json:
        _print_json(asdict(view))
        return
    state = "announced" if view.announced else "NOT announced: deadlines in it are refused unless overridden"
    typer.echo(f"{year}: {state}")
    _table(f"working days {year}", ["month", "working days", "holidays (weekdays off)", "make-up workdays", "overrides"],
           [[m.month, m.working_days if m.working_days is not None else "unknown",
             ", ".join(d.strftime("%m-%d") for d in m.holidays),
             ", ".join(d.strftime("%m-%d") for d in m.makeup_workdays),
             "; ".join(f"{o['day']:%m-%d} {'workday' if o['workday'] else 'holiday'} ({o['reason']})"
                       for o in m.overrides)] for m in view.months])


def _parse_day(text: str):
    from approvals.errors import BadInput

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{text!r} is not a date (YYYY-MM-DD)") from None


# --- operators, agents, mandates, key projects, audit ---------------------------------------


class StaffRole(str, Enum):
    window = "window"
    reviewer = "reviewer"
    supervisor = "supervisor"
    admin = "admin"


@operator_app.command("add")
def operator_add(
    operator_id: Annotated[str, typer.Argument(metavar="ID", help="The new operator's id.")],
    role: Annotated[StaffRole, typer.Option("--role", help="window, reviewer, supervisor or admin.")],
    agency: Annotated[str | None, typer.Option("--agency", help="A reviewer's agency code.")] = None,
    name: Annotated[str, typer.Option("--name", help="The person's name.")] = "",
    phone: Annotated[str | None, typer.Option("--phone", help="A phone number (shown masked).")] = None,
    operator: OperatorOpt = None,
) -> None:
    """Add an operator (administrators)."""
    from services import staff

    who = _operator(operator)
    row = _write(lambda s: staff.add_operator(s, operator_id, role.value, agency=agency, name=name, phone=phone,
                                              by=who, now=_settings().current_time()))
    typer.echo(f"operator {row.id} added: {row.role}" + (f" of {row.agency}" if row.agency else ""))


@operator_app.command("list")
def operator_list(operator: OperatorOpt = None, unmasked: UnmaskedOpt = False, as_json: JsonOpt = False) -> None:
    """Every operator and agent, with role, agency and state."""
    from services.reads import list_operators

    with _reading(operator) as (read, who):
        rows = list_operators(read, unmasked=_unmasked(who, unmasked, as_json))
    if as_json:
        _print_json(rows)
        return
    _table("operators", ["id", "role", "agency", "name", "phone", "enabled", "created"],
           [[r["id"], r["role"], r["agency"], r["name"], r["phone"], "yes" if r["enabled"] else "no",
             f"{_when(r['created_at'])} by {r['created_by']}"] for r in rows])


@operator_app.command("disable")
def operator_disable(operator_id: Annotated[str, typer.Argument(metavar="ID", help="The operator to disable.")],
                     operator: OperatorOpt = None) -> None:
    """Disable an operator or agent: it keeps its history, and can neither act nor read."""
    from services import staff

    who = _operator(operator)
    changed = _write(lambda s: staff.disable_operator(s, operator_id, by=who, now=_settings().current_time()))
    typer.echo(f"operator {operator_id} " + ("disabled" if changed else "was already disabled"))


@agent_app.command("add")
def agent_add(
    agent_id: Annotated[str, typer.Argument(metavar="ID", help="The agent's id (it acts under it).")],
    name: Annotated[str, typer.Option("--name", help="The agent's name.")],
    phone: Annotated[str | None, typer.Option("--phone", help="A phone number (shown masked).")] = None,
    operator: OperatorOpt = None,
) -> None:
    """Register an agent (代办员) (administrators)."""
    from services import staff

    who = _operator(operator)
    row = _write(lambda s: staff.add_agent(s, agent_id, name=name, phone=phone, by=who,
                                           now=_settings().current_time()))
    typer.echo(f"agent {row.id} added: {row.name}")


@mandate_app.command("grant")
def mandate_grant(
    agent_id: Annotated[str, typer.Argument(metavar="AGENT_ID", help="The agent.")],
    applicant: Annotated[str, typer.Option("--applicant", help="The applicant's unified social credit code.")],
    scope: Annotated[str, typer.Option("--scope", help="submit,supplement,sign_commitment,receive_results")],
    until: Annotated[str, typer.Option("--until", help="Last valid day, YYYY-MM-DD.")],
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a mandate (委托书) from an applicant to an agent (administrators)."""
    from services import staff

    who = _operator(operator)
    last = _parse_day(until)
    row = _write(lambda s: staff.grant_mandate(s, agent_id, applicant, scope, last, by=who, clock=_clock(s)))
    if as_json:
        _print_json({"id": row.id, "agent": row.agent, "applicant": row.uscc, "scopes": row.scopes,
                     "valid_until": row.valid_until})
        return
    typer.echo(f"mandate {row.id}: {row.agent} for {row.uscc} ({', '.join(row.scopes)}) until {row.valid_until}")


@mandate_app.command("revoke")
def mandate_revoke(
    mandate_id: Annotated[int, typer.Argument(metavar="MANDATE_ID", help="The mandate.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is revoked.")],
    operator: OperatorOpt = None,
) -> None:
    """Revoke a mandate: the agent's further actions under it are refused; its cases go on at the window."""
    from services import staff

    who = _operator(operator)
    changed = _write(lambda s: staff.revoke_mandate(s, mandate_id, reason=reason, by=who,
                                                    now=_settings().current_time()))
    typer.echo(f"mandate {mandate_id} " + ("revoked" if changed else "was already revoked"))


@mandate_app.command("list")
def mandate_list(
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent's mandates.")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mandates, with their state today (valid, expired, revoked)."""
    from approvals.errors import Refused
    from approvals.permissions import Role
    from services.reads import list_mandates

    with _reading(operator, agents=True) as (read, who):
        if who.role is Role.AGENT:
            if agent not in (None, who.id):
                raise Refused(f"agent {who.id} reads its own mandates only")
            agent = who.id
        rows = list_mandates(read, _read_clock(read).today, agent=agent)
    if as_json:
        _print_json(rows)
        return
    _table("mandates (委托书)", ["id", "agent", "applicant", "scopes", "until", "status", "granted"],
           [[r["id"], r["agent"], r["applicant"], ", ".join(r["scopes"]), r["valid_until"], r["status"],
             f"{_when(r['granted_at'])} by {r['granted_by']}"] for r in rows])


@app.command("key-project")
def key_project(
    case_no: Annotated[str, typer.Argument(help="The case number.")],
    leader: Annotated[str, typer.Option("--leader", help="The responsible leader (包联领导).")],
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put a case on the green channel (重点项目): shorter promised limits, first in every queue."""
    from services import cases

    who = _operator(operator)
    result = _write(lambda s: cases.mark_key_project(s, case_no, leader, actor=who, clock=_clock(s)))
    if as_json:
        _print_json(result.__dict__)
        return
    typer.echo(f"{result.case_no}: key project, leader {result.leader}; {result.shortened} promised limits shortened"
               if result.changed else f"{result.case_no} is already a key project (leader {result.leader})")


@audit_app.command("verify")
def audit_verify(operator: OperatorOpt = None, as_json: JsonOpt = False) -> None:
    """Check every case's timeline hash chain; report the first broken link (exit 1 if any)."""
    from approvals.errors import Refused
    from approvals.permissions import Act
    from services.reads import audit

    with _reading(operator, Act.AUDIT) as (read, _):
        report = audit(read)
    if as_json:
        _print_json(report)
    elif report["ok"]:
        typer.echo(f"timeline intact: {report['events']} events in {report['cases']} cases")
    if not report["ok"]:
        broken = report["first_broken"]
        message = (f"timeline broken: case {broken['case_no']}, event id {broken['event_id']} (seq {broken['seq']}): "
                   f"{broken['problem']}")
        if as_json:
            sys.exit(1)
        raise Refused(message)


# --- orchestration (these import Prefect) ---------------------------------------------------


@app.command()
def orchestrate(
    case_no: Annotated[str | None, typer.Option("--case", help="Only this case's queued work.")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the orchestration flow now, once per batch until nothing is queued (administrators)."""
    from approvals.permissions import Act
    from services.reads import case_exists

    with _reading(operator, Act.ADMINISTER) as (read, _):  # refuse early (uninitialised database, unknown case), before Prefect starts
        if case_no is not None:
            case_exists(read, case_no)
    from flows.serving import run_until_idle

    reports = _flows(lambda: run_until_idle(case_no))
    if as_json:
        _print_json(reports)
        return
    if not reports:
        typer.echo("nothing queued")
    for r in reports:
        typer.echo(f"flow run {r.flow_run_id}: {r.done} done, {r.already_done} already done, {r.failed} failed "
                   f"for {len(r.cases)} cases" + (f"; {r.incidents} incidents (see `cases --stalled`)"
                                                  if r.incidents else ""))


@app.command()
def sweep(operator: OperatorOpt = None, as_json: JsonOpt = False) -> None:
    """Run the sweep once now: lights, ledger items (交办, 督查), silent flow runs (supervisors, administrators)."""
    from approvals.permissions import Act

    with _reading(operator, Act.SWEEP):
        pass
    from flows.sweep import sweep as sweep_flow

    report = _flows(sweep_flow)
    if as_json:
        _print_json(report.model_dump(exclude={"case_ids"}))
        return
    typer.echo(f"tasks: {report.tasks_red} red, {report.tasks_yellow} yellow, {report.tasks_green} green again; "
               f"cases: {report.cases_red} red, {report.cases_yellow} yellow; ledger: {report.ledger_opened} opened, "
               f"{report.ledger_escalated} escalated, {report.ledger_closed} closed; promises: "
               f"{report.promises_suspended} suspended, {report.promises_returned} returned, "
               f"{report.verifications_overdue} verifications overdue")


@app.command()
def reopen(
    case_no: Annotated[str, typer.Argument(help="The case number.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the case is reopened.")],
    operator: OperatorOpt = None,
    reassign: Annotated[int | None, typer.Option("--reassign", help="A task to hand to someone else.")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Who takes the reassigned task.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-run a stalled case's orchestration from its persisted state (idempotent)."""
    from approvals.errors import BadInput
    from services.reopen import reopen as reopen_case

    who = _operator(operator)
    if (reassign is None) != (to is None):
        raise BadInput("--reassign TASK_ID and --to OPERATOR go together")
    settings = _settings()
    result = _write(lambda s: reopen_case(s, case_no, reason=reason, operator=who,
                                           reassign=(reassign, to) if reassign is not None else None,
                                           clock=_clock(s), lease_seconds=settings.claim_lease_seconds))
    from flows.serving import run_until_idle

    reports = _flows(lambda: run_until_idle(case_no, always=True))
    if as_json:
        _print_json({**result.__dict__, "flow_runs": [r.model_dump() for r in reports]})
        return
    typer.echo(f"{result.case_no} reopened: {result.status}; {result.requeued} queued again, {result.released} "
               f"claims freed" + (f", crashed runs: {', '.join(result.crashed_runs)}" if result.crashed_runs else ""))
    for r in reports:
        typer.echo(f"flow run {r.flow_run_id}: {r.done} done, {r.already_done} already done, {r.failed} failed")


@app.command()
def serve(
    pool: Annotated[str | None, typer.Option("--pool", help="Register the deployments on this process work pool "
                                             "(PREFECT_API_URL) and run a worker for it.")] = None,
) -> None:
    """Run the flows continuously: on the embedded API a loop, on a Prefect server its deployments."""
    with _read():
        pass
    from flows.serving import serve_forever

    serve_forever(pool)


@app.command()
def demo(
    keep: Annotated[Path | None, typer.Option("--database", help="Keep the demo database at this SQLite path.")] = None,
    remote: Annotated[bool, typer.Option("--remote", help="Agencies review in their own (simulated) systems.")] = False,
) -> None:
    """Play a handful of cases across bundles on a fresh database, and show what happened."""
    if remote:
        from flows.demo_remote import run_remote_demo

        run_remote_demo(keep)
        return
    from flows.demo import run_demo

    run_demo(keep)


@simulate_app.command("agencies")
def simulate_agencies(
    port: Annotated[int, typer.Option("--port", help="The loopback port to serve on.")],
    latency_ms: Annotated[float, typer.Option("--latency-ms", help="Added to every answer.")] = 0.0,
    failure_rate: Annotated[float, typer.Option("--failure-rate", help="Share of requests that fail (0-1).")] = 0.0,
    approve_rate: Annotated[float, typer.Option("--approve-rate", help="Share of reviews approved (0-1).")] = 1.0,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the failure and decision draws.")] = None,
    catalog_file: Annotated[Path | None, typer.Option("--catalog", help="Serve this catalog's agencies "
                                                      "[the built-in catalog].")] = None,
    write_catalog: Annotated[Path | None, typer.Option("--write-catalog", help="Write the catalog with every "
                                                       "agency pointed at this simulator, to load.")] = None,
) -> None:
    """Serve every catalog agency's review system, a data-sharing service and a notification gateway."""
    from approvals.errors import BadInput
    from services.catalog import builtin_catalog_text, parse_catalog_text, read_catalog_file
    from simulator.catalog import agency_codes, gateway_url, remote_catalog, sharing_url
    from simulator.server import Simulator

    if not 0 < port < 65536:
        raise BadInput(f"--port {port}: a port is 1-65535")
    for name, value in (("--failure-rate", failure_rate), ("--approve-rate", approve_rate)):
        if not 0 <= value <= 1:
            raise BadInput(f"{name} {value}: a share is between 0 and 1")
    if latency_ms < 0:
        raise BadInput(f"--latency-ms {latency_ms}: cannot be negative")
    text = read_catalog_file(catalog_file) if catalog_file else builtin_catalog_text()
    parse_catalog_text(text)
    simulator = Simulator(agency_codes(text), port=port, seed=seed, latency_ms=latency_ms,
                          failure_rate=failure_rate, approve_rate=approve_rate)
    try:
        server = simulator._bind()
    except OSError as exc:
        raise BadInput(f"--port {port}: {exc.strerror}") from None
    if write_catalog is not None:
        write_catalog.write_text(remote_catalog(text, simulator.url), "utf-8")
        typer.echo(f"catalog pointing at the simulator written to {write_catalog}: `onevisit catalog load` it")
    typer.echo(f"agencies at {simulator.url}/agencies/{{CODE}}: {', '.join(sorted(simulator.agencies))}")
    typer.echo(f"data sharing: ONEVISIT_SHARING_SERVICES='{{\"licence_registry\": \"{sharing_url(simulator.url, 'licence_registry')}\"}}'")
    typer.echo(f"gateway: ONEVISIT_NOTIFY_GATEWAY_URL={gateway_url(simulator.url)}")
    typer.echo(f"records: GET {simulator.url}/_records (Ctrl+C stops)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("stopped")
    finally:
        server.server_close()


def _flows(call):
    """Run flows; a failed run is reported in one line (exit 1) and stays listed for `cases --stalled`."""
    from approvals.errors import OnevisitError, Refused

    try:
        return call()
    except OnevisitError:
        raise
    except Exception as exc:
        raise Refused(f"flow run failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None


# --- entry point ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Errors a user can cause print one line on stderr: 2 for bad input, 1 for a refusal."""
    from approvals.errors import OnevisitError

    try:
        code = app(args=argv, prog_name="onevisit", standalone_mode=False)
    except typer.Abort:
        typer.echo("onevisit: aborted", err=True)
        sys.exit(130)
    except typer.TyperException as exc:  # click's usage errors: missing option, bad value...
        typer.echo(f"onevisit: {exc.format_message()}", err=True)
        sys.exit(2)
    except OnevisitError as exc:
        typer.echo(f"onevisit: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            typer.echo(f"onevisit: database unavailable: {str(exc.orig).splitlines()[0]}", err=True)
            sys.exit(1)
        raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
