"""Reviewers (后台审批): decide a task, verify a 告知承诺."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from commands.common import JsonOpt, OperatorOpt, acting_operator, build, clock_of, print_json, say, write

app = typer.Typer()


class DecisionAction(str, Enum):
    approve = "approve"
    deny = "deny"
    supplement = "supplement"
    special_start = "special-start"
    special_end = "special-end"


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
    from schemas.inputs import DecisionIn
    from services import cases

    decision = build(DecisionIn, action=action.value, reason=reason, materials=material or [])
    who = acting_operator(operator)
    result = write(lambda s: cases.decide(s, task_id, Action(decision.action), operator=who, reason=decision.reason,
                                           materials=decision.materials, clock=clock_of(s)))
    if as_json:
        print_json(result.__dict__)
        return
    say(f"task {result.task_id} {result.matter}: {result.task_status}; case {result.case_no} {result.case_status}")
    if result.certificates:
        say("issued together: " + ", ".join(result.certificates))




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

    from schemas.inputs import VerifyIn

    if passed is None:
        raise BadInput("say --passed or --failed")
    check = build(VerifyIn, matter=matter, passed=passed, reason=reason)
    who = acting_operator(operator)
    result = write(lambda s: commitments.verify(s, case_no, check.matter, passed=check.passed, reason=check.reason,
                                                 operator=who, clock=clock_of(s)))
    if as_json:
        print_json(result.__dict__)
        return
    if not result.changed:
        say(f"{result.case_no} {result.matter}: already {result.status}; nothing changed")
    elif result.revoked:
        say(f"{result.case_no} {result.matter}: verification failed; certificate {result.revoked} revoked")
    else:
        say(f"{result.case_no} {result.matter}: verified")


@app.command()
def extend(
    task_id: Annotated[int, typer.Argument(help="The review task.")],
    decision: Annotated[bool | None, typer.Option("--approve/--refuse", help="Decide an extension asked for "
                                                  "(supervisors, the agency's head); without: ask for one.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (asking, or refusing).")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """延期: a reviewer asks for +10 working days once; a supervisor or the agency's head approves or refuses."""
    from services import extensions

    who = acting_operator(operator)
    if decision is None:
        result = write(lambda s: extensions.ask(s, task_id, reason=reason, operator=who, clock=clock_of(s)))
    else:
        result = write(lambda s: extensions.decide(s, task_id, approve=decision, note=reason, operator=who,
                                                   clock=clock_of(s)))
    if as_json:
        print_json(result.__dict__)
        return
    say(f"task {result.task_id} {result.matter} (case {result.case_no}): extension of {result.days} working days "
        f"{result.status}; due {result.due_date or 'unknown'}")
