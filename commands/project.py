"""Key projects (重点项目) as projects: add one, attach its cases, list them (a leader sees the ones he follows)."""

from __future__ import annotations

from typing import Annotated

import typer

from commands.common import (JsonOpt, OperatorOpt, acting_operator, app_settings, clock_of, print_json, print_table,
                             read_clock, reading, write)

app = typer.Typer(name="project", help="Key projects (重点项目): one leader, one team, one plan.", no_args_is_help=True)


@app.command("add")
def add(
    code: Annotated[str, typer.Argument(help="The project's code.")],
    name: Annotated[str, typer.Option("--name", help="The project's name.")],
    uscc: Annotated[str, typer.Option("--uscc", help="The investing enterprise's USCC.")],
    leader: Annotated[str, typer.Option("--leader", help="The responsible leader: an operator with the leader role.")],
    team: Annotated[str, typer.Option("--team", help="The project team (专班).")] = "",
    plan: Annotated[str, typer.Option("--plan", help="The plan (计划), e.g. milestones.")] = "",
    operator: OperatorOpt = None,
) -> None:
    """Add a key project (window clerks, administrators); the same project again changes nothing."""
    from services.projects import add_project

    who = acting_operator(operator)
    result = write(lambda s: add_project(s, code=code, name=name, uscc=uscc, leader=leader, team=team, plan=plan,
                                         actor=who, clock=clock_of(s)))
    typer.echo(f"key project {result.code}: leader {result.leader}" + ("" if result.created else " (unchanged)"))


@app.command("attach")
def attach(
    code: Annotated[str, typer.Argument(help="The project's code.")],
    case_no: Annotated[str, typer.Argument(help="A case of the project's enterprise.")],
    stage: Annotated[str, typer.Option("--stage", help="land | planning | construction | completion")],
    operator: OperatorOpt = None,
) -> None:
    """Attach a case to its project: it goes on the green channel with the project's leader."""
    from services.projects import attach_case

    who = acting_operator(operator)
    added = write(lambda s: attach_case(s, code, case_no, stage=stage, actor=who, clock=clock_of(s)))
    typer.echo(f"{case_no} {'attached to' if added else 'already in'} key project {code} ({stage})")


@app.command("list")
def list_projects(operator: OperatorOpt = None, as_json: JsonOpt = False) -> None:
    """Key projects and their progress today; a leader sees the projects he follows."""
    from datetime import datetime, time, timedelta

    from approvals.permissions import Role
    from services.queries.projects import project_progress

    settings = app_settings()
    with reading(operator) as (read, who):
        clock = read_clock(read)
        end = datetime.combine(clock.today + timedelta(days=1), time(), settings.tz)
        rows = project_progress(read, clock.calendar, clock.today, end, settings.tz,
                                leader=who.id if who.role is Role.LEADER else None)
    if as_json:
        print_json(rows)
        return
    print_table("key projects", ["project", "name", "leader", "team", "plan", "cases", "issued", "in review",
                                 "open tasks", "red", "progress"],
                [[p.code, p.name, p.leader_name, p.team, p.plan, p.cases, p.issued, p.in_review, p.open_tasks,
                  p.red_tasks, f"{p.progress * 100:.0f}%"] for p in rows])
