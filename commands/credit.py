"""Credit records of applicants (broken promises) and their repair."""

from __future__ import annotations

from typing import Annotated

import typer

from commands.common import (
    JsonOpt,
    OperatorOpt,
    acting_operator,
    clock_of,
    local_time,
    print_json,
    print_table,
    reading,
    say,
    write,
)

app = typer.Typer(name='credit', help='Credit records of applicants (broken promises) and their repair.', no_args_is_help=True)


@app.command("show")
def credit_show(uscc: Annotated[str, typer.Argument(help="The applicant's unified social credit code.")],
                operator: OperatorOpt = None, as_json: JsonOpt = False) -> None:
    """An applicant's credit records; an open one bars 容缺 and 告知承诺."""
    from services.queries.supervision import credit_records

    with reading(operator) as (read, _):
        rows = credit_records(read, uscc)
    if as_json:
        print_json(rows)
        return
    state = "open record: 容缺 and 告知承诺 refused" if any(r.status == "open" for r in rows) else "no open record"
    say(f"{uscc.strip().upper()}: {state}")
    print_table("credit records", ["id", "case", "kind", "reason", "created", "status", "repaired"],
           [[r.id, r.case_no, r.kind, r.reason, local_time(r.created_at), r.status,
             f"{local_time(r.repaired_at)} by {r.repaired_by}: {r.repair_reason}" if r.repaired_at else None]
            for r in rows])


@app.command("repair")
def credit_repair(
    uscc: Annotated[str, typer.Argument(help="The applicant's unified social credit code.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the credit is repaired.")],
    operator: OperatorOpt = None,
) -> None:
    """信用修复: close the applicant's open credit records (administrator)."""
    from services import commitments

    who = acting_operator(operator)
    count = write(lambda s: commitments.repair_credit(s, uscc, reason=reason, operator=who, clock=clock_of(s)))
    say(f"{uscc.strip().upper()}: {count} credit record(s) repaired")
