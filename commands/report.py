"""Reports leaders read: the daily dispatch (天调度), the weekly bulletin (周通报), the monthly report."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from commands.common import OperatorOpt, app_settings, parse_day, read_clock, reading

app = typer.Typer()


class Format(StrEnum):
    MD = "md"
    JSON = "json"
    XLSX = "xlsx"
    PDF = "pdf"


@app.command()
def report(
    kind: Annotated[str, typer.Argument(help="daily | weekly | monthly")],
    on: Annotated[str | None, typer.Option("--date", help="A day of the period (default: the last complete one).")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="One agency's report.")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="md | json | xlsx | pdf")] = Format.MD,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file (xlsx and pdf need it).")] = None,
    operator: OperatorOpt = None,
) -> None:
    """A period's figures per agency and for the hall: reproducible, the same data gives the same report."""
    from approvals.errors import BadInput
    from approvals.reports import last_complete, parse_kind, period_of
    from services.reporting.files import render

    which = parse_kind(kind)
    day = parse_day(on) if on is not None else None
    if fmt in (Format.XLSX, Format.PDF) and out is None:
        raise BadInput(f"--format {fmt.value} writes a file: give --out FILE")
    if out is not None and (out.is_dir() or not out.parent.is_dir()):
        raise BadInput(f"--out {out}: not a file in an existing folder")
    settings = app_settings()
    with reading(operator) as (read, _):
        if day is None:
            clock = read_clock(read)
            day = last_complete(which, clock.today, clock.calendar)
        from services.queries.reports import build_report

        built = build_report(read, period_of(which, day), settings.tz, agency=agency,
                             stalled_after_days=settings.stalled_after_days)
    content = render(built, fmt.value)
    if out is None:
        typer.echo(content.decode("utf-8"), nl=False)
        return
    out.write_bytes(content)
    typer.echo(f"{built.title} {built.period_start}..{built.period_end} written to {out}")
