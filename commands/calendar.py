"""The working-day calendar: announced holidays and overrides."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
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


@app.command("import")
def calendar_import(
    file: Annotated[Path, typer.Argument(help="The year's notice as YAML or JSON: year, source, holidays, "
                                             "makeup_workdays.")],
    operator: OperatorOpt = None,
) -> None:
    """Set a whole year from the State Council's notice, checked whole: all of it or nothing."""
    import json

    import yaml

    from approvals.calendar import year_notice
    from approvals.errors import BadInput
    from services import workdays

    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise BadInput(f"{file} is not valid {'JSON' if file.suffix.lower() == '.json' else 'YAML'}: "
                       f"{str(exc).splitlines()[0]}") from None
    notice = year_notice(data)
    who = acting_operator(operator)
    changed, moved = write(lambda s: workdays.import_year(s, notice, actor=who, clock=clock_of(s)))
    say(f"{notice.year}: {len(notice.holidays)} holidays, {len(notice.makeup_workdays)} make-up workdays "
        f"({notice.source}); {changed} days changed, {moved} due dates moved")


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
    every_day_known = all(m.working_days is not None for m in view.months)
    state = ("announced" if view.announced else "set day by day (calendar import or set)" if every_day_known
             else "NOT announced: deadlines in it are refused unless overridden")
    say(f"{year}: {state}")
    print_table(f"working days {year}", ["month", "working days", "holidays (weekdays off)", "make-up workdays", "overrides"],
           [[m.month, m.working_days if m.working_days is not None else "unknown",
             ", ".join(d.strftime("%m-%d") for d in m.holidays),
             ", ".join(d.strftime("%m-%d") for d in m.makeup_workdays),
             "; ".join(f"{o['day']:%m-%d} {'workday' if o['workday'] else 'holiday'} ({o['reason']})"
                       + (f", set {len(o['history']) + 1} times" if o["history"] else "")
                       for o in m.overrides if o["workday"] != (o["day"].weekday() < 5) or o["history"])]  # a year's import sets
            for m in view.months])  # every day: the ones that differ from the weekday rule are the news
