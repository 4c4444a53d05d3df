"""The catalog of matters and bundles (事项目录): load, import a county's list, list."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from commands.common import (
    JsonOpt,
    OperatorOpt,
    acting_operator,
    app_settings,
    print_json,
    print_table,
    reading,
    say,
    unit_of_work,
)

app = typer.Typer(name='catalog', help='The catalog of matters and bundles (事项目录).', no_args_is_help=True)


@app.command("load")
def catalog_load(
    file: Annotated[Path, typer.Argument(help="A YAML catalog.")],
    operator: OperatorOpt = None,
) -> None:
    """Load a catalog: checked whole, loaded whole or not at all (administrators)."""
    from approvals.permissions import Act
    from services import catalog as catalogs
    from services.staff import authorise

    who = acting_operator(operator)
    text = catalogs.read_catalog_file(file)
    parsed = catalogs.parse_catalog_text(text)  # bad input is refused before the database is touched
    with unit_of_work() as uow:
        authorise(uow.session, who, Act.ADMINISTER)
        version, changed = catalogs.load_catalog(uow.session, text, source=str(file), actor=who,
                                                 now=app_settings().current_time(), parsed=parsed)
        uow.commit()
    say(f"catalog version {version.id} " + ("loaded" if changed else "unchanged (same as in force)"))


@app.command("import")
def catalog_import(
    file: Annotated[Path, typer.Argument(help="An implementation list (实施清单): an .xlsx workbook with the "
                                               "sheets 事项, 材料 and 一件事, or the matters' CSV file.")],
    materials: Annotated[Path | None, typer.Option("--materials", help="CSV: the 材料 file.")] = None,
    bundles: Annotated[Path | None, typer.Option("--bundles", help="CSV: the 一件事 file.")] = None,
    operator: OperatorOpt = None,
) -> None:
    """Import a county's implementation list: every fault reported with its cell, loaded whole or not at all."""
    from approvals.errors import BadInput
    from approvals.permissions import Act
    from services import catalog as catalogs
    from services.catalog_sheet.reading import read_workbook
    from services.staff import authorise

    who = acting_operator(operator)
    report = read_workbook(file, materials=materials, bundles=bundles)
    for error in report.errors:
        say(error, err=True)
    if report.errors:
        raise BadInput(f"{file.name}: {len(report.errors)} faults (listed above); nothing was loaded")
    parsed = catalogs.parse_catalog_document(report.document)
    with unit_of_work() as uow:
        authorise(uow.session, who, Act.ADMINISTER)
        version, changed = catalogs.load_catalog(uow.session, source=str(file), actor=who,
                                                 now=app_settings().current_time(), parsed=parsed)
        uow.commit()
    counts = report.counts
    say(f"catalog version {version.id} " + ("loaded" if changed else "unchanged (same as in force)")
        + f": {counts['matters']} matters, {counts['bundles']} bundles, {counts['agencies']} agencies, "
        f"{counts['materials']} materials")
    for sheet, headers in report.extra_columns.items():
        say(f"{sheet}: columns kept as extra_columns, not used by onevisit: {', '.join(headers)}")


@app.command("template")
def catalog_template(
    file: Annotated[Path, typer.Argument(help="Where to write the workbook (.xlsx).")],
    builtin: Annotated[bool, typer.Option("--builtin", help="Fill it with the whole built-in catalog "
                                                            "[the restaurant bundle, as an example].")] = False,
) -> None:
    """Write an implementation list workbook to fill in (the shape `catalog import` reads)."""
    from services.catalog import builtin_catalog_text, parse_catalog_text
    from services.catalog_sheet.writing import example_document, write_workbook

    document, _ = parse_catalog_text(builtin_catalog_text())
    write_workbook(document if builtin else example_document(document), file)
    say(f"implementation list template written to {file}")


@app.command("list")
def catalog_list(operator: OperatorOpt = None, as_json: JsonOpt = False) -> None:
    """Bundles, their matters and materials, as in force."""
    from approvals.catalog import REFORM_MODES
    from services.queries.catalog import catalog_view

    with reading(operator, agents=True) as (read, _):
        view = catalog_view(read)
    bundles = view["bundles"]
    if as_json:
        print_json(view)
        return
    for b in bundles:
        print_table(
            f"{b['code']} {b['name']} · promised {b['promised_days']} working days",
            ["matter", "name", "agency", "days (promised/statutory)", "after", "fee", "证照分离", "materials"],
            [
                [m["matter"] + (" (optional)" if m["optional"] else ""), m["name"], m["agency"],
                 f"{m['promised_days']}/{m['statutory_days']}", ", ".join(m["depends_on"]), _fee(m.get("fee_yuan")),
                 REFORM_MODES.get(m.get("reform_mode") or "", "—") + (" · 可告知承诺" if m["notification_commitment"] else ""),
                 ", ".join(x["code"] + ("" if x["core"] else "*") for x in m["materials"])]
                for m in b["matters"]
            ],
        )
    say(f"catalog version {view['version']}; * = secondary material")


def _fee(fee: str | None) -> str:
    """免费 or the amount in yuan (a stored document keeps it as a decimal string)."""
    return f"{fee} 元" if fee and Decimal(fee) else "免费"
