"""What every sub-command shares: settings, the acting operator, transactions, reading, printing.

Imports stay inside the functions: a command that only reads never pays for SQLAlchemy or Prefect.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
OperatorOpt = Annotated[str | None, typer.Option("--operator", help="Who acts (or ONEVISIT_OPERATOR).")]
UnmaskedOpt = Annotated[bool, typer.Option("--unmasked", help="Show identifiers in full (administrators, --json).")]


def app_settings(*, test_clock_checked: bool = True):
    """The settings; a set test clock (ONEVISIT_NOW) only if the database is a test one (services.test_clock),
    checked once per settings read. `init` checks it itself (the database may not be there yet)."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from approvals.errors import BadInput
    from services.settings import get_settings

    try:
        settings = get_settings()
    except SettingsError as exc:  # a value that is not even JSON (ONEVISIT_SHARING_SERVICES='{oops')
        import re

        field = re.search(r'field "(\w+)"', str(exc))
        name = f"ONEVISIT_{field.group(1).upper()}" if field else "settings"
        raise BadInput(f"{name}: not valid JSON ({str(exc).splitlines()[0]})") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = str(error["loc"][0]).upper() if error["loc"] else "SETTINGS"
        raise BadInput(f"ONEVISIT_{where}: {error['msg'].splitlines()[0]}") from None
    if settings.now is not None and test_clock_checked and _CHECKED.get("settings") is not settings:
        from services.queries.connection import reader
        from services.test_clock import require_honoured

        with reader(settings.url) as read:
            require_honoured(settings, read)
        _CHECKED["settings"] = settings
    return settings


_CHECKED: dict = {}  # the settings object whose test clock was found honoured


def clock_of(session):
    from approvals.deadlines import Clock
    from services.workdays import calendar_for

    return Clock(app_settings().current_time(), calendar_for(session))


def read_only():
    """A read-only connection: no SQLAlchemy, no SQLModel, no Prefect (reads answer fast)."""
    from services.queries.connection import reader

    return reader(app_settings().url)


def read_clock(read):
    from approvals.deadlines import Clock
    from services.queries.connection import calendar

    return Clock(app_settings().current_time(), calendar(read))


def unit_of_work(write: bool = True):
    from services.db import UnitOfWork, require_schema

    url = app_settings().url
    require_schema(url)
    return UnitOfWork(url, write=write)


@contextmanager
def reading(operator: str | None, act=None, *, agents: bool = False):
    """A read connection and the enabled operator reading through it (agents: their own cases only)."""
    from approvals.permissions import Act, check_staff_read
    from services.queries.staff import require

    with read_only() as read:
        who = require(read, acting_operator(operator), act or Act.READ)
        if not agents:
            check_staff_read(who)
        yield read, who


def unmasking(who, unmasked: bool, as_json: bool) -> bool:
    from approvals.errors import BadInput
    from approvals.permissions import Act, check

    if not unmasked:
        return False
    if not as_json:
        raise BadInput("--unmasked goes with --json")
    check(who, Act.UNMASK)
    return True


def build(model, **fields):
    """One of the typed input models (schemas.inputs) from a command's options, as the API builds it from
    its JSON body; what does not fit is bad input (exit 2), in one line."""
    from pydantic import ValidationError

    from approvals.errors import BadInput

    try:
        return model(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise BadInput(f"--{'.'.join(str(p) for p in error['loc'])}: {error['msg']}") from None


def acting_operator(given: str | None) -> str:
    from approvals.errors import BadInput

    operator = given or app_settings().operator
    if not operator:
        raise BadInput("--operator is required (or set ONEVISIT_OPERATOR)")
    return operator


def shown(value: Any, *, unmasked: bool = False) -> Any:
    """Printable and masked (approvals.text.shown)."""
    from approvals.text import shown as safe

    return safe(value, unmasked=unmasked)


def say(text: str, *, err: bool = False) -> None:
    """One line (or a few) for the person at the keyboard, printable and masked."""
    typer.echo(shown(text), err=err)


def print_json(data: Any, *, unmasked: bool = False) -> None:
    from schemas.views import plain

    if hasattr(data, "model_dump"):
        data = data.model_dump()
    elif isinstance(data, list):
        data = [d.model_dump() if hasattr(d, "model_dump") else d for d in data]
    typer.echo(json.dumps(shown(plain(data, app_settings().tz), unmasked=unmasked), ensure_ascii=False, indent=2))


def local_time(value: datetime | None) -> str:
    return value.astimezone(app_settings().tz).strftime("%Y-%m-%d %H:%M") if value else "-"


LIGHT_STYLES = {"red": "bold red", "yellow": "bold yellow", "green": "green"}


def named(code: str | None, names: dict[str, str]) -> str | None:
    """A catalog code with its Chinese name beside it, where people read: `SAMR 市场监督管理局`."""
    return f"{code} {names[code]}" if code in names else code


def console():
    """Rich's console: colour on a terminal (`NO_COLOR` switches it off, `FORCE_COLOR` on where piped); piped
    or captured, 200 columns wide, so case numbers are not squeezed into 80."""
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=200)


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A table, always masked; cells are plain text (a stored `[red]` or `[/]` is shown, never obeyed); a
    `light` column is coloured (red, yellow, green)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(shown(title)), title_justify="left")
    for column in columns:
        table.add_column(Text(shown(column)))
    lights = {i for i, column in enumerate(columns) if column == "light"}
    for row in rows:
        table.add_row(*[Text("-" if v is None or v == "" else shown(str(v)),
                             style=LIGHT_STYLES.get(str(v), "") if i in lights else "") for i, v in enumerate(row)])
    console().print(table)


def write(use_case, *, retry_on_conflict: bool = False):
    """Run one use case in one transaction (services.db.transact: its retry policy)."""
    from services.db import require_schema, transact

    url = app_settings().url
    require_schema(url)
    return transact(url, use_case, retry_on_conflict=retry_on_conflict)


@contextmanager
def progress(what: str):
    """A spinner on stderr with the time spent, while a long command works (on a terminal only); yields a
    function that tells how far it got."""
    from rich.console import Console

    err = Console(stderr=True)
    if not err.is_terminal:
        yield lambda done: None
        return
    with err.status(f"{what}…") as status:
        yield lambda done: status.update(f"{what}… {done}")


def run_flows(call):
    """Run flows; a failed run is reported in one line (exit 1) and stays listed for `cases --stalled`."""
    from approvals.errors import OnevisitError, Refused
    from flows.lifeline import tie_prefect_server

    tie_prefect_server()  # the embedded Prefect server these runs start dies with this process
    try:
        return call()
    except OnevisitError:
        raise
    except Exception as exc:
        raise Refused(f"flow run failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None



def parse_day(text: str):
    from approvals.errors import BadInput

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{text!r} is not a date (YYYY-MM-DD)") from None
