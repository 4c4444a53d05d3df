"""The `onevisit` command: parse, call a use case, print. Reading commands never import Prefect."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="onevisit: one thing, one visit (一件事一次办) approvals.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
catalog_app = typer.Typer(help="The catalog of matters and bundles (事项目录).", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
credit_app = typer.Typer(help="Credit records of applicants (broken promises) and their repair.", no_args_is_help=True)
app.add_typer(credit_app, name="credit")
calendar_app = typer.Typer(help="The working-day calendar: announced holidays and overrides.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
OperatorOpt = Annotated[str | None, typer.Option("--operator", help="Who acts (or ONEVISIT_OPERATOR).")]


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
) -> None:
    """Create or upgrade the database; load the built-in catalog if none is loaded."""
    from services import catalog as catalogs
    from services.db import UnitOfWork
    from services.migrate import upgrade

    settings = _settings()
    upgrade(settings.url)
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
    """Load a catalog: checked whole, loaded whole or not at all."""
    from services import catalog as catalogs

    text = catalogs.read_catalog_file(file)
    catalogs.parse_catalog_text(text)  # bad input is refused before the database is touched
    with _uow() as uow:
        version, changed = catalogs.load_catalog(uow.session, text, source=str(file), actor=operator or "admin",
                                                 now=_settings().current_time())
        uow.commit()
    typer.echo(f"catalog version {version.id} " + ("loaded" if changed else "unchanged (same as in force)"))


@catalog_app.command("list")
def catalog_list(as_json: JsonOpt = False) -> None:
    """Bundles, their matters and materials, as in force."""
    from services.reads import catalog_document

    with _read() as read:
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
    actor = operator or _settings().operator or "window"
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


def _write(use_case, *, retry_on_conflict: bool = False):
    """Run one use case in one transaction. A lost race on a unique key is retried once."""
    from sqlalchemy.exc import IntegrityError

    attempts = 2 if retry_on_conflict else 1
    for attempt in range(attempts):
        try:
            with _uow() as uow:
                result = use_case(uow.session)
                uow.commit()
                return result
        except IntegrityError:
            if attempt + 1 == attempts:
                raise


@app.command()
def supplement(
    case_no: Annotated[str, typer.Argument(help="The case number.")],
    material: Annotated[list[str] | None, typer.Option("--material", help="A material supplied (repeat).")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record materials the applicant supplied: completes intake or resumes a review."""
    from services import cases

    actor = operator or _settings().operator or "window"
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
def show(case_no: Annotated[str, typer.Argument(help="The case number.")], as_json: JsonOpt = False) -> None:
    """One case: its reviews, certificates and timeline."""
    from services.reads import show_case

    with _read() as read:
        clock = _read_clock(read)
        case = show_case(read, case_no, clock.calendar, clock.today, clock.now.tzinfo)
    if as_json:
        _print_json(case)
        return
    light = f" · light {case.light}" if case.light else ""
    typer.echo(f"{case.case_no} · {case.bundle} {case.bundle_name} · {case.status}{light}")
    typer.echo(f"applicant {case.applicant} ({case.uscc}), legal representative {case.legal_representative} "
               f"{case.legal_representative_id}; due {case.due_date or '-'}")
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
    as_json: JsonOpt = False,
) -> None:
    """A work queue: key projects first, then the reddest light, then the earliest due date."""
    from services.reads import list_tasks

    with _read() as read:
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
    as_json: JsonOpt = False,
) -> None:
    """Cases, oldest first."""
    from approvals.errors import BadInput
    from services import reads

    if sum((stalled, overdue, status is not None)) > 1:
        raise BadInput("--status, --stalled and --overdue are alternatives: give one")
    settings = _settings()
    with _read() as read:
        clock = _read_clock(read)
        if stalled:
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
    _table("stalled cases" if stalled else "overdue cases" if overdue else "cases",
           columns + (["why"] if stalled or overdue else []),
           [[r.case_no, r.status, r.bundle, r.applicant, _when(r.submitted_at), r.due_date, r.light, r.open_tasks,
             r.certificates] + ([r.reason] if stalled or overdue else []) for r in rows])


@app.command()
def runs(case_no: Annotated[str, typer.Argument(help="The case number.")], as_json: JsonOpt = False) -> None:
    """The Prefect flow runs that acted on a case (as they recorded themselves)."""
    from services.reads import list_runs

    with _read() as read:
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
                as_json: JsonOpt = False) -> None:
    """An applicant's credit records; an open one bars 容缺 and 告知承诺."""
    from services.reads import credit_records

    with _read() as read:
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
    as_json: JsonOpt = False,
) -> None:
    """The supervision ledger: overdue tasks assigned (交办), supervised (督查), closed (销号)."""
    from services.reads import ledger as ledger_rows

    with _read() as read:
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
    who = operator or _settings().operator or "admin"
    moved = _write(lambda s: workdays.set_day(s, when, kind is DayKind.workday, reason=reason, actor=who,
                                              clock=_clock(s)))
    typer.echo(f"{when.isoformat()} is now a {kind.value}; {moved} due dates moved")


@calendar_app.command("show")
def calendar_show(year: Annotated[int, typer.Argument(help="The year.")], as_json: JsonOpt = False) -> None:
    """A year's working days per month, holidays, make-up workdays (调休) and overrides."""
    from dataclasses import asdict

    from approvals.calendar import year_view
    from services.reads import calendar, calendar_overrides

    with _read() as read:
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


# --- orchestration (these import Prefect) ---------------------------------------------------


@app.command()
def orchestrate(
    case_no: Annotated[str | None, typer.Option("--case", help="Only this case's queued work.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the orchestration flow now, once per batch until nothing is queued."""
    from services.reads import case_exists

    with _read() as read:  # refuse early (uninitialised database, unknown case), before Prefect starts
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
                   f"for {len(r.cases)} cases")


@app.command()
def sweep(as_json: JsonOpt = False) -> None:
    """Run the sweep once now: lights, ledger items (交办, 督查), silent flow runs."""
    with _read():
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
) -> None:
    """Play a handful of cases across bundles on a fresh database, and show what happened."""
    from flows.demo import run_demo

    run_demo(keep)


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
