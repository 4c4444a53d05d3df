"""The working-day calendar: announced holidays and overrides."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from commands.common import (
    JsonOpt,
    OperatorOpt,
    acting_operator,
    clock_of,
    parse_day,
    print_json,
    print_table,
    reading,
    say,
    write,
)

app = typer.Typer(name='calendar', help='The working-day calendar: announced holidays and overrides.', no_args_is_help=True)


class DayKind(str, Enum):
    workday = "workday"
    holiday = "holiday"



@app.command("set")
def calendar_set(
    day: Annotated[str, typer.Argument(help="The day, YYYY-MM-DD.")],
    kind: Annotated[DayKind, typer.Argument(help="workday or holiday.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (e.g. the notice that announced it).")],
    operator: OperatorOpt = None,
) -> None:
    """Override one day; running clocks that span it get their due dates again."""
    from services import workdays

    when = parse_day(day)
    who = acting_operator(operator)
    moved = write(lambda s: workdays.set_day(s, when, kind is DayKind.workday, reason=reason, actor=who,
                                              clock=clock_of(s)))
    say(f"{when.isoformat()} is now a {kind.value}; {moved} due dates moved")


@app.command("show")
def calendar_show(year: Annotated[int, typer.Argument(help="The year.")], operator: OperatorOpt = None,
                  as_json: JsonOpt = False) -> None:
    """A year's working days per month, holidays, make-up workdays (调休) and overrides."""
    from dataclasses import asdict

    from approvals.calendar import year_view
    from services.queries.catalog import calendar_overrides
    from services.queries.connection import calendar

    with reading(operator, agents=True) as (read, _):
        view = year_view(calendar(read), calendar_overrides(read), year)
    if as_json:
        print_json(asdict(view))
        return
    state = "announced" if view.announced else "NOT announced: deadlines in it are refused unless overridden"
    say(f"{year}: {state}")
    print_table(f"working days {year}", ["month", "working days", "holidays (weekdays off)", "make-up workdays", "overrides"],
           [[m.month, m.working_days if m.working_days is not None else "unknown",
             ", ".join(d.strftime("%m-%d") for d in m.holidays),
             ", ".join(d.strftime("%m-%d") for d in m.makeup_workdays),
             "; ".join(f"{o['day']:%m-%d} {'workday' if o['workday'] else 'holiday'} ({o['reason']})"
                       for o in m.overrides)] for m in view.months])
