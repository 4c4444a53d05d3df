"""The `onevisit` command: parse, call a use case, print. Reading commands never import Prefect.

Each noun's commands live in a module of `commands/`; this file assembles them and is the entry point.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from commands import (calendar, catalog, credit, project, ratings, reading, report, review, staff, supervision,
                      system, web, window)

app = typer.Typer(help="onevisit: one thing, one visit (一件事一次办) approvals.", no_args_is_help=True,
                  pretty_exceptions_enable=False, rich_markup_mode="rich")


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        typer.echo(f"onevisit {version('onevisit')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """onevisit: one thing, one visit (一件事一次办) approvals."""


for commands in (system.app, window.app, review.app, reading.app, supervision.app, ratings.app, web.app,
                 report.app):  # `onevisit VERB`
    app.add_typer(commands)
for group in (catalog.app, credit.app, calendar.app, staff.operator_app, staff.agent_app, staff.mandate_app,
              supervision.audit_app, supervision.ledger_app, project.app, system.simulate_app,
              web.token_app):  # `onevisit NOUN VERB`
    app.add_typer(group)


def main(argv: list[str] | None = None) -> None:
    """Errors a user can cause print one line on stderr: 2 for bad input, 1 for a refusal."""
    from approvals.errors import OnevisitError
    from commands.common import say

    try:
        _check_arguments(sys.argv[1:] if argv is None else argv)
        code = app(args=argv, prog_name="onevisit", standalone_mode=False)
    except typer.Abort:
        typer.echo("onevisit: aborted", err=True)
        sys.exit(130)
    except typer.TyperException as exc:  # click's usage errors: missing option, bad value...
        say(f"onevisit: {exc.format_message()}", err=True)
        sys.exit(2)
    except OnevisitError as exc:
        say(f"onevisit: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            say(f"onevisit: database unavailable: {str(exc.orig).splitlines()[0]}", err=True)
            sys.exit(1)
        raise
    sys.exit(code if isinstance(code, int) else 0)


def _check_arguments(argv: list[str]) -> None:
    """Text is text: no argument (a name, a reason, an id) may carry a control character; a newline only
    in long text, which the use case decides (approvals.text)."""
    from approvals.errors import BadInput
    from approvals.text import text_problem

    for position, argument in enumerate(argv, 1):
        problem = text_problem(argument, long=True)
        if problem:
            raise BadInput(f"argument {position} {problem}")


if __name__ == "__main__":
    main()
