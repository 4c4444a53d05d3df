"""Operators, agents (代办员) and mandates (委托书)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from commands.common import (
    JsonOpt,
    OperatorOpt,
    UnmaskedOpt,
    acting_operator,
    app_settings,
    build,
    clock_of,
    local_time,
    parse_day,
    print_json,
    print_table,
    read_clock,
    reading,
    say,
    unmasking,
    write,
)

operator_app = typer.Typer(name="operator", help="Operators and their roles (administrators).", no_args_is_help=True)
agent_app = typer.Typer(name="agent", help="Agents (代办员) who file and follow cases for applicants.", no_args_is_help=True)
mandate_app = typer.Typer(name="mandate", help="Mandates (委托书): what an applicant lets an agent do, until when.",
                          no_args_is_help=True)


class StaffRole(str, Enum):
    window = "window"
    reviewer = "reviewer"
    head = "head"
    supervisor = "supervisor"
    admin = "admin"
    leader = "leader"


@operator_app.command("add")
def operator_add(
    operator_id: Annotated[str, typer.Argument(metavar="ID", help="The new operator's id.")],
    role: Annotated[StaffRole, typer.Option("--role", help="window, reviewer, head (an agency's head), supervisor, admin or leader.")],
    agency: Annotated[str | None, typer.Option("--agency", help="A reviewer's agency code.")] = None,
    name: Annotated[str, typer.Option("--name", help="The person's name.")] = "",
    phone: Annotated[str | None, typer.Option("--phone", help="A phone number (shown masked).")] = None,
    operator: OperatorOpt = None,
) -> None:
    """Add an operator (administrators)."""
    from services import staff

    who = acting_operator(operator)
    row = write(lambda s: staff.add_operator(s, operator_id, role.value, agency=agency, name=name, phone=phone,
                                              by=who, now=app_settings().current_time()))
    say(f"operator {row.id} added: {row.role}" + (f" of {row.agency}" if row.agency else ""))


@operator_app.command("list")
def operator_list(operator: OperatorOpt = None, unmasked: UnmaskedOpt = False, as_json: JsonOpt = False) -> None:
    """Every operator and agent, with role, agency and state."""
    from services.queries.staff import list_operators

    with reading(operator) as (read, who):
        unmasked = unmasking(who, unmasked, as_json)
        rows = list_operators(read, unmasked=unmasked)
    if as_json:
        print_json(rows, unmasked=unmasked)
        return
    print_table("operators", ["id", "role", "agency", "name", "phone", "enabled", "created"],
           [[r["id"], r["role"], r["agency"], r["name"], r["phone"], "yes" if r["enabled"] else "no",
             f"{local_time(r['created_at'])} by {r['created_by']}"] for r in rows])


@operator_app.command("disable")
def operator_disable(operator_id: Annotated[str, typer.Argument(metavar="ID", help="The operator to disable.")],
                     operator: OperatorOpt = None) -> None:
    """Disable an operator or agent: it keeps its history, and can neither act nor read."""
    from services import staff

    who = acting_operator(operator)
    changed = write(lambda s: staff.disable_operator(s, operator_id, by=who, now=app_settings().current_time()))
    say(f"operator {operator_id} " + ("disabled" if changed else "was already disabled"))


@operator_app.command("password")
def operator_password(operator_id: Annotated[str, typer.Argument(metavar="ID", help="Whose password.")],
                      operator: OperatorOpt = None) -> None:
    """Set an operator's password for signing in on the web (administrators); asked twice, never an argument."""
    from services import access

    who = acting_operator(operator)
    password = typer.prompt(f"new password for {operator_id}", hide_input=True, confirmation_prompt=True)
    write(lambda s: access.set_password(s, operator_id, password, by=who, now=access.real_now()))
    typer.echo(f"operator {operator_id}: password set")


@agent_app.command("add")
def agent_add(
    agent_id: Annotated[str, typer.Argument(metavar="ID", help="The agent's id (it acts under it).")],
    name: Annotated[str, typer.Option("--name", help="The agent's name.")],
    phone: Annotated[str | None, typer.Option("--phone", help="A phone number (shown masked).")] = None,
    operator: OperatorOpt = None,
) -> None:
    """Register an agent (代办员) (administrators)."""
    from schemas.inputs import AgentIn
    from services import staff

    agent = build(AgentIn, id=agent_id, name=name, phone=phone)
    who = acting_operator(operator)
    row = write(lambda s: staff.add_agent(s, agent.id, name=agent.name, phone=agent.phone, by=who,
                                           now=app_settings().current_time()))
    say(f"agent {row.id} added: {row.name}")


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

    who = acting_operator(operator)
    last = parse_day(until)
    row = write(lambda s: staff.grant_mandate(s, agent_id, applicant, scope, last, by=who, clock=clock_of(s)))
    if as_json:
        print_json({"id": row.id, "agent": row.agent, "applicant": row.uscc, "scopes": row.scopes,
                     "valid_until": row.valid_until})
        return
    say(f"mandate {row.id}: {row.agent} for {row.uscc} ({', '.join(row.scopes)}) until {row.valid_until}")


@mandate_app.command("revoke")
def mandate_revoke(
    mandate_id: Annotated[int, typer.Argument(metavar="MANDATE_ID", help="The mandate.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is revoked.")],
    operator: OperatorOpt = None,
) -> None:
    """Revoke a mandate: the agent's further actions under it are refused; its cases go on at the window."""
    from services import staff

    who = acting_operator(operator)
    changed = write(lambda s: staff.revoke_mandate(s, mandate_id, reason=reason, by=who,
                                                    now=app_settings().current_time()))
    say(f"mandate {mandate_id} " + ("revoked" if changed else "was already revoked"))


@mandate_app.command("list")
def mandate_list(
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent's mandates.")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mandates, with their state today (valid, expired, revoked)."""
    from approvals.permissions import own_reads
    from services.queries.staff import list_mandates

    with reading(operator, agents=True) as (read, who):
        agent = own_reads(who, agent, "mandates")
        rows = list_mandates(read, read_clock(read).today, agent=agent)
    if as_json:
        print_json(rows)
        return
    print_table("mandates (委托书)", ["id", "agent", "applicant", "scopes", "until", "status", "granted"],
           [[r["id"], r["agent"], r["applicant"], ", ".join(r["scopes"]), r["valid_until"], r["status"],
             f"{local_time(r['granted_at'])} by {r['granted_by']}"] for r in rows])
