"""Supervision: the ledger, the sweep, orchestration on demand, reopening a stalled case, the audit chain."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from commands.common import (
    JsonOpt,
    OperatorOpt,
    acting_operator,
    app_settings,
    clock_of,
    local_time,
    parse_day,
    print_json,
    print_table,
    progress,
    reading,
    run_flows,
    say,
    write,
)

app = typer.Typer()
ledger_app = typer.Typer(name="ledger", help="The supervision ledger (交办, 督查, 销号).")
audit_app = typer.Typer(name="audit", help="The tamper-evident timeline (hash chain).", no_args_is_help=True)


@ledger_app.callback(invoke_without_command=True)
def ledger(
    context: typer.Context,
    open_only: Annotated[bool, typer.Option("--open", help="Only items not crossed off yet.")] = False,
    agency: Annotated[str | None, typer.Option("--agency", help="One agency's items.")] = None,
    leader: Annotated[str | None, typer.Option("--leader", help="The items one leader follows.")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The supervision ledger: overdue tasks and hand-entered items, assigned (交办), supervised (督查), closed (销号)."""
    if context.invoked_subcommand is not None:
        return
    from services.queries.supervision import ledger as ledger_rows

    with reading(operator) as (read, _):
        rows = ledger_rows(read, open_only=open_only, agency=agency, leader=leader)
    if as_json:
        print_json(rows)
        return
    print_table("supervision ledger", ["item", "kind", "case", "task", "what", "due", "light", "status",
                                       "assigned to", "leader", "opened", "escalated to", "closed"],
           [[r.id, r.kind, r.case_no, r.task_id, r.title or r.matter or f"好差评 rectification {r.rectification_id}",
             r.missed_due, r.light, r.status, r.assigned_to, r.leader, local_time(r.opened_at), r.escalated_to, local_time(r.closed_at)] for r in rows])


@ledger_app.command("add")
def ledger_add(
    kind: Annotated[str, typer.Option("--kind", help="problem | duty | task (问题清单, 责任清单, 任务清单)")],
    title: Annotated[str, typer.Option("--title", help="What is to be done or fixed.")],
    agency: Annotated[str, typer.Option("--agency", help="The agency it is assigned to (交办).")],
    due: Annotated[str, typer.Option("--due", help="Due date, YYYY-MM-DD.")],
    case_no: Annotated[str | None, typer.Option("--case", help="The case it is about.")] = None,
    leader: Annotated[str | None, typer.Option("--leader", help="The leader who follows it.")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Enter an item by hand (supervisors): lit, escalated and crossed off like an overdue task."""
    from services.ledger import add_item

    who, day = acting_operator(operator), parse_day(due)
    item = write(lambda s: add_item(s, kind=kind, title=title, agency=agency, due=day, case_no=case_no,
                                    leader=leader, actor=who, clock=clock_of(s)))
    if as_json:
        print_json(item.__dict__)
        return
    typer.echo(f"ledger item {item.id} ({item.kind}) assigned to {item.assigned_to}, due {item.due} ({item.light})")


@ledger_app.command("close")
def ledger_close(
    item_id: Annotated[int, typer.Argument(help="The ledger item.")],
    note: Annotated[str, typer.Option("--note", help="How it was resolved.")],
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Cross an item off (销号), saying how it was resolved (supervisors)."""
    from services.ledger import close_item

    who = acting_operator(operator)
    item = write(lambda s: close_item(s, item_id, note=note, actor=who, clock=clock_of(s)))
    if as_json:
        print_json(item.__dict__)
        return
    typer.echo(f"ledger item {item.id} closed (销号)")


@audit_app.command("verify")
def audit_verify(
    against: Annotated[Path | None, typer.Option("--against", help="Also check a checkpoint file's heads.")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check every keyed chain, replay the recorded states against the rows, count the case numbers; with
    --against, find a checkpoint's heads again. Exit 1 naming each row that is wrong."""
    from approvals.permissions import Act
    from services.audit import audit_key, read_checkpoint
    from services.queries.supervision import audit

    with reading(operator, Act.AUDIT) as (read, _):
        checkpoint = read_checkpoint(against, audit_key()) if against is not None else None
        report = audit(read, against=checkpoint)
    if as_json:
        print_json(report)
    elif report["ok"]:
        say(f"timeline intact: {report['events']} events in {report['cases']} cases; system chain intact: "
            f"{report['system_events']} events; every row explained" + (f"; every head of the checkpoint of {checkpoint['at']} found" if checkpoint else ""))
    else:
        for found in report["problems"]:
            say(f"{found['row']}: {found['problem']}", err=True)
    if not report["ok"]:
        sys.exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint(
    out: Annotated[Path | None, typer.Option("--out", help="Write it to this file (default: print it).")] = None,
    operator: OperatorOpt = None,
) -> None:
    """Export the heads of every chain now, sealed with the key: keep it elsewhere, and `audit verify --against`
    it later to catch a tail cut off or a chain rewritten since."""
    import json

    from approvals.errors import BadInput
    from approvals.permissions import Act
    from services.audit import audit_key, checkpoint

    with reading(operator, Act.AUDIT) as (read, _):
        document = checkpoint(read, audit_key(), app_settings().current_time())
    text = json.dumps(document, ensure_ascii=False, indent=1)
    if out is None:
        typer.echo(text)
        return
    try:
        out.write_text(text + "\n", "utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write {out}: {exc.strerror}") from None
    say(f"checkpoint of {len(document['cases'])} case chains and the system chain written to {out}")


# --- orchestration (these import Prefect) ---------------------------------------------------


@app.command()
def orchestrate(
    case_no: Annotated[str | None, typer.Option("--case", help="Only this case's queued work.")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the orchestration flow now, once per batch until nothing is queued (administrators)."""
    from approvals.permissions import Act
    from services.queries.cases import case_exists

    with reading(operator, Act.ADMINISTER) as (read, _):  # refuse early (uninitialised database, unknown case), before Prefect starts
        if case_no is not None:
            case_exists(read, case_no)
    from flows.serving import run_until_idle

    with progress("orchestrating") as tell:
        reports = run_flows(lambda: run_until_idle(case_no, progress=tell))
    if as_json:
        print_json(reports)
        return
    if not reports:
        say("nothing queued")
    for r in reports:
        say(f"flow run {r.flow_run_id}: {r.done} done, {r.already_done} already done, {r.failed} failed "
                   f"for {len(r.cases)} cases" + (f"; {r.incidents} incidents (see `cases --stalled`)"
                                                  if r.incidents else ""))


@app.command()
def sweep(operator: OperatorOpt = None, as_json: JsonOpt = False) -> None:
    """Run the sweep once now: lights, ledger items (交办, 督查), silent flow runs (supervisors, administrators)."""
    from approvals.permissions import Act

    with reading(operator, Act.SWEEP):
        pass
    from flows.sweep import sweep as sweep_flow

    with progress("sweeping"):
        report = run_flows(sweep_flow)
    if as_json:
        print_json(report.model_dump(exclude={"case_ids"}))
        return
    say(f"tasks: {report.tasks_red} red, {report.tasks_yellow} yellow, {report.tasks_green} green again; "
               f"cases: {report.cases_red} red, {report.cases_yellow} yellow; ledger: {report.ledger_opened} opened, "
               f"{report.ledger_escalated} escalated, {report.ledger_closed} closed; promises: "
               f"{report.promises_suspended} suspended, {report.promises_returned} returned, "
               f"{report.verifications_overdue} verifications overdue; rectifications: {report.rectifications_red} red, "
               f"{report.rectifications_yellow} yellow; {report.corrections_withdrawn} unanswered corrections withdrawn")


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
    from approvals.errors import BadInput, Refused
    from services.reopen import reopen as reopen_case

    who = acting_operator(operator)
    if (reassign is None) != (to is None):
        raise BadInput("--reassign TASK_ID and --to OPERATOR go together")
    settings = app_settings()
    with progress(f"reopening {case_no}") as tell:
        result = write(lambda s: reopen_case(s, case_no, reason=reason, operator=who,
                                               reassign=(reassign, to) if reassign is not None else None,
                                               clock=clock_of(s), lease_seconds=settings.claim_lease_seconds))
        try:  # the reopening is written: a flow run that cannot start now leaves it queued for serve or orchestrate
            from flows.serving import run_until_idle

            reports, unrun = run_flows(lambda: run_until_idle(case_no, always=True, progress=tell,
                                                              occasion="reopen")), None
        except Refused as exc:
            reports, unrun = [], str(exc)
    if as_json:
        print_json({**result.__dict__, "flow_runs": [r.model_dump() for r in reports], "not_run": unrun})
        return
    say(f"{result.case_no} reopened: {result.status}; {result.requeued} queued again, {result.released} "
               f"claims freed" + (f", crashed runs: {', '.join(result.crashed_runs)}" if result.crashed_runs else ""))
    if unrun:
        say(f"note: the work stays queued for `onevisit serve` or `onevisit orchestrate`: {unrun}", err=True)
    for r in reports:
        say(f"flow run {r.flow_run_id}: {r.done} done, {r.already_done} already done, {r.failed} failed")
