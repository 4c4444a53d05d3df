"""The window (综合受理窗口): submit, supplement, and the green channel for key projects."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from commands.common import (JsonOpt, OperatorOpt, acting_operator, app_settings, build, clock_of, local_time,
                             print_json, say, write)

app = typer.Typer()


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(help="The application, as JSON.")],
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File an application for a bundle at one window (一窗受理)."""
    from services import cases

    application = _read_application(file)
    actor = acting_operator(operator)
    result = write(lambda session: cases.submit(session, application, actor=actor, clock=clock_of(session)),
                    retry_on_conflict=True)
    if result.created and result.shared:  # fetched now, with no transaction open, or later by the flows
        from services.shared_fetch import pull_now

        pull_now(app_settings(), result.case_no)
    if as_json:
        print_json(result)
        return
    verb = "filed" if result.created else "already filed (same request_id)"
    say(f"{result.case_no} {verb}: {result.status}")
    if result.missing:
        say("missing, all at once (补正一次性告知): " + ", ".join(result.missing))
    for note in result.notes:  # e.g. a deadline in a year with no calendar: the due date is unknown, and why
        say(note)


def _read_application(file: Path):
    from pydantic import ValidationError

    from approvals.errors import BadInput
    from schemas.case import ApplicationIn

    from services.files import read_text_file

    raw = read_text_file(file, "application", app_settings().max_file_bytes)
    try:
        return ApplicationIn.model_validate_json(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "application"
        raise BadInput(f"{file}: {where}: {error['msg']}") from None


@app.command()
def supplement(
    case_no: Annotated[str, typer.Argument(help="The case number.")],
    material: Annotated[list[str] | None, typer.Option("--material", help="A material supplied (repeat).")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record materials the applicant supplied: completes intake or resumes a review."""
    from schemas.inputs import SupplementIn
    from services import cases

    supplied = build(SupplementIn, materials=material or [])
    actor = acting_operator(operator)
    result = write(lambda s: cases.supplement(s, case_no, supplied.materials, actor=actor, clock=clock_of(s)))
    if as_json:
        print_json(result.__dict__)
        return
    say(f"{result.case_no}: received {', '.join(result.received)}; case {result.status}")
    if result.still_missing:
        say("still awaited: " + ", ".join(result.still_missing))


@app.command("key-project")
def key_project(
    case_no: Annotated[str, typer.Argument(help="The case number.")],
    leader: Annotated[str, typer.Option("--leader", help="The responsible leader (包联领导).")],
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Put a case on the green channel (重点项目): shorter promised limits, first in every queue."""
    from schemas.inputs import KeyProjectIn
    from services import cases

    marked = build(KeyProjectIn, leader=leader)
    who = acting_operator(operator)
    result = write(lambda s: cases.mark_key_project(s, case_no, marked.leader, actor=who, clock=clock_of(s)))
    if as_json:
        print_json(result.__dict__)
        return
    say(f"{result.case_no}: key project, leader {result.leader}; {result.shortened} promised limits shortened"
               if result.changed else f"{result.case_no} is already a key project (leader {result.leader})")


@app.command()
def refuse(
    case_no: Annotated[str, typer.Argument(help="The case number.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why, as written on the notice.")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """不予受理: refuse a case not yet accepted, with the reason and the legal notice (window clerks)."""
    from services import endings

    who = acting_operator(operator)
    result = write(lambda s: endings.refuse(s, case_no, reason=reason, operator=who, clock=clock_of(s)))
    _print_ending(result, as_json)


@app.command()
def withdraw(
    case_no: Annotated[str, typer.Argument(help="The case number.")],
    reason: Annotated[str | None, typer.Option("--reason", help="What the applicant said.")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """撤回: the applicant withdraws the case at any stage before issuance; open tasks are cancelled."""
    from services import endings

    who = acting_operator(operator)
    result = write(lambda s: endings.withdraw(s, case_no, reason=reason, operator=who, clock=clock_of(s)))
    _print_ending(result, as_json)


def _print_ending(result, as_json: bool) -> None:
    if as_json:
        print_json(result.__dict__)
        return
    say(f"{result.case_no} {result.status}: {result.reason}"
               + (f"; tasks cancelled: {', '.join(map(str, result.cancelled))}" if result.cancelled else ""))
    say(result.notice)


@app.command()
def collect(
    case_no: Annotated[str, typer.Argument(help="The case number.")],
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """出件: hand the results over at the window (pick-up); counts the applicant's visit."""
    from services import delivery

    who = acting_operator(operator)
    result = write(lambda s: delivery.collect(s, case_no, operator=who, clock=clock_of(s)))
    if as_json:
        print_json(result.__dict__)
        return
    say(f"{result.case_no}: results handed over; {result.visits} visits" if result.changed
        else f"{result.case_no}: handed over already ({local_time(result.collected_at)}); nothing changed")
