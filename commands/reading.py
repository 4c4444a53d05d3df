"""Reading: one case, the work queues, cases, and the flow runs that acted on a case."""

from __future__ import annotations

from typing import Annotated

import typer

from commands.common import (
    JsonOpt,
    OperatorOpt,
    UnmaskedOpt,
    app_settings,
    local_time,
    named,
    print_json,
    print_table,
    read_clock,
    reading,
    say,
    unmasking,
)

app = typer.Typer()


@app.command()
def show(case_no: Annotated[str, typer.Argument(help="The case number.")], operator: OperatorOpt = None,
         unmasked: UnmaskedOpt = False, as_json: JsonOpt = False) -> None:
    """One case: its reviews, certificates and timeline (an agent sees its own cases)."""
    from approvals.permissions import Role
    from services.queries.cases import show_case
    from services.queries.catalog import catalog_names

    with reading(operator, agents=True) as (read, who):
        clock = read_clock(read)
        unmasked = unmasking(who, unmasked, as_json)
        case = show_case(read, case_no, clock.calendar, clock.today, clock.now.tzinfo,
                         unmasked=unmasked, agent=who.id if who.role is Role.AGENT else None)
        names = {} if as_json else catalog_names(read)
    if as_json:
        print_json(case, unmasked=unmasked)
        return
    light = f" · light {case.light}" if case.light else ""
    key = f" · ★ key project, leader {case.leader}" if case.key_project else ""
    say(f"{case.case_no} · {case.bundle} {case.bundle_name} · {case.status}{light}{key}")
    phone = f" {case.legal_representative_phone}" if case.legal_representative_phone else ""
    say(f"applicant {case.applicant} ({case.uscc}), legal representative {case.legal_representative} "
               f"{case.legal_representative_id}{phone}; due {case.due_date or '-'}")
    if case.agent:
        say(f"filed and followed by agent {case.agent} (帮代办)")
    say(f"results by {case.delivery_mode}" + (f" to {case.delivery_address}" if case.delivery_address else "")
        + (f", collected {local_time(case.collected_at)}" if case.collected_at else "")
        + f"; visits to the hall: {case.visits}" + (f"; ended: {case.end_reason}" if case.end_reason else ""))
    if case.missing:
        say("missing: " + ", ".join(named(m, names) for m in case.missing))
    if case.due_note:
        say(case.due_note)
    print_table("reviews (并联审批)", ["task", "matter", "agency", "status", "clock", "due", "light", "note"],
           [[r.task_id, named(r.matter, names) + (" (optional)" if r.optional else ""), named(r.agency, names), r.status,
             r.clock, r.due_date or r.due_note, r.light,
             "; ".join(x for x in (r.reason, ", ".join(named(m, names) for m in r.requested_materials),
                                   f"assigned to {r.assignee}" if r.assignee else "", _chain(r), _extension(r)) if x)]
            for r in case.reviews])
    if case.suspensions:
        print_table("clock stops", ["task", "kind", "reason", "from", "to", "working days"],
               [[x.task_id, x.kind, x.reason, local_time(x.started_at), local_time(x.ended_at), x.working_days]
                for x in case.suspensions])
    if case.commitments:
        print_table("promises (承诺书)", ["id", "kind", "what", "due", "status", "note"],
               [[p.id, p.kind, named(p.matter, names) or ", ".join(named(m, names) for m in p.materials or []),
                 p.due_date, p.status, p.note]
                for p in case.commitments])
    if case.certificates:
        print_table("certificates (一个窗口出件)", ["number", "matter", "status", "issued", "delivered", "revoked"],
               [[c.number, named(c.matter, names), c.status, local_time(c.issued_at), local_time(c.delivered_at),
                 f"{local_time(c.revoked_at)} by {c.revoked_by}: {c.revoke_reason}" if c.revoked_at else None]
                for c in case.certificates])
    print_table("timeline", ["at", "kind", "actor", "detail"],
           [[local_time(e.at), e.kind, e.actor, e.detail] for e in case.events])


def _chain(review) -> str:
    """签批: the steps signed so far and the next one."""
    signed = " → ".join(f"{x.name} {x.operator}" for x in review.sign_offs)
    return "; ".join(x for x in (signed, f"next: {review.next_step}" if review.next_step else "") if x)


def _extension(review) -> str:
    x = review.extension
    return f"延期 +{x.days} {x.status}" + (f" by {x.decided_by}" if x.decided_by else "") if x else ""


@app.command()
def tasks(
    agency: Annotated[str | None, typer.Option("--agency", help="Only this agency's tasks (a reviewer: its own).")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every agency's tasks (a reviewer's default is its own).")] = False,
    status: Annotated[str | None, typer.Option("--status", help="Only tasks in this status (default: open).")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A work queue: key projects first, then the reddest light, then the earliest due date.

    A reviewer sees its own agency's queue unless it names another agency (or `--all`)."""
    from approvals.errors import BadInput
    from approvals.permissions import Role
    from services.queries.catalog import catalog_names
    from services.queries.tasks import list_tasks

    if every and agency:
        raise BadInput("--agency and --all are alternatives: give one")
    with reading(operator) as (read, who):
        if agency is None and not every and who.role is Role.REVIEWER:
            agency = who.agency
        clock = read_clock(read)
        rows = list_tasks(read, clock.calendar, clock.today, agency=agency, status=status)
        names = {} if as_json else catalog_names(read)
    if as_json:
        print_json(rows)
        return
    print_table(f"tasks{' of ' + named(agency, names) if agency else ''}",
                ["task", "case", "matter", "agency", "status", "due", "light"],
                [[r.task_id, r.case_no + (" ★" if r.key_project else ""), named(r.matter, names),
                  named(r.agency, names), r.status, r.due_date or ("unknown" if r.due_note else None), r.light]
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
    from approvals.permissions import Role, own_reads
    from services.queries import cases as case_queries
    from services.queries.catalog import catalog_names

    if sum((stalled, overdue, status is not None)) > 1:
        raise BadInput("--status, --stalled and --overdue are alternatives: give one")
    if agent is not None and (stalled or overdue):
        raise BadInput("--agent goes with --status only")
    settings = app_settings()
    with reading(operator, agents=True) as (read, who):
        if who.role is Role.AGENT and (stalled or overdue):
            raise Refused(f"agent {who.id} reads its own worklist only (onevisit cases)")
        agent = own_reads(who, agent, "worklist")
        clock = read_clock(read)
        if agent is not None:
            rows = case_queries.list_cases(read, clock.calendar, clock.today, status=status, tz=clock.now.tzinfo, agent=agent)
        elif stalled:
            rows = case_queries.stalled_cases(read, clock.calendar, clock.now, after_days=settings.stalled_after_days,
                                       lease_seconds=settings.claim_lease_seconds)
        elif overdue:
            rows = case_queries.overdue_cases(read, clock.calendar, clock.today, clock.now.tzinfo)
        else:
            rows = case_queries.list_cases(read, clock.calendar, clock.today, status=status, tz=clock.now.tzinfo)
        names = {} if as_json else catalog_names(read)
    if as_json:
        print_json(rows)
        return
    columns = ["case", "status", "bundle", "applicant", "submitted", "due", "light", "open tasks", "certificates"]
    print_table("stalled cases" if stalled else "overdue cases" if overdue else f"worklist of agent {agent}" if agent
           else "cases",
           columns + (["why"] if stalled or overdue else []),
           [[r.case_no + (" ★" if r.key_project else ""), r.status, named(r.bundle, names), r.applicant, local_time(r.submitted_at), r.due_date or ("unknown" if r.open_tasks else None), r.light, r.open_tasks,
             r.certificates] + ([r.reason] if stalled or overdue else []) for r in rows])


@app.command()
def runs(case_no: Annotated[str, typer.Argument(help="The case number.")], operator: OperatorOpt = None,
         as_json: JsonOpt = False) -> None:
    """The Prefect flow runs that acted on a case (as they recorded themselves)."""
    from services.queries.cases import list_runs

    with reading(operator) as (read, _):
        rows = list_runs(read, case_no)
    if as_json:
        print_json(rows)
        return
    print_table(f"flow runs for {case_no}", ["id", "name", "state", "started", "ended"],
           [[r.id, r.name, r.state, local_time(r.started_at), local_time(r.ended_at)] for r in rows])


@app.command()
def visits(
    start: Annotated[str | None, typer.Option("--from", help="Finished on or after this day (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Finished on or before this day (YYYY-MM-DD).")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """最多跑一次: how many finished cases needed at most one visit to the hall, and how results left."""
    from datetime import datetime, time, timedelta

    from commands.common import parse_day
    from services.queries.cases import visit_counts

    tz = app_settings().tz
    since = datetime.combine(parse_day(start), time(), tz) if start else None
    until = datetime.combine(parse_day(end) + timedelta(days=1), time(), tz) if end else None
    with reading(operator) as (read, _):
        counts = visit_counts(read, since, until)
    if as_json:
        print_json(counts)
        return
    share = f"{counts['share']:.1%}" if counts["share"] is not None else "-"
    say(f"{counts['cases']} finished cases, {counts['at_most_one_visit']} with at most one visit ({share})")
    say("by visits: " + ", ".join(f"{k}: {v}" for k, v in counts["by_visits"].items()))
    say("results by: " + ", ".join(f"{k}: {v}" for k, v in counts["by_delivery"].items()))
