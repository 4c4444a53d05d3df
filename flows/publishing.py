"""What a flow run shows in the Prefect UI: a name saying what it did, tags (the installation and the cases), and
an artifact (a markdown summary and a table of what it did per case).

Every installation numbers its cases alike (OV20261205000001 exists in every database), so a case's tag alone
matches runs of other databases: each run is also tagged `installation:<id>` (the `installation` row made at
`init`); filter on both.
"""

from __future__ import annotations

from functools import cache

from prefect import get_client
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from sqlalchemy import func, select

from schemas.case import Case, CaseEvent
from services.db import UnitOfWork
from services.installation import current_installation
from services.settings import get_settings

MAX_TAGGED_CASES = 50  # beyond this a run's tags say "+N more"; its artifact lists every case
MAX_TABLE_ROWS = 500


@cache
def _installation_id(url: str) -> str:
    with UnitOfWork(url, write=False) as uow:
        found = current_installation(uow.session)
        return found.installation_id if found else "unknown"


def installation_tag() -> str:
    return f"installation:{_installation_id(get_settings().url)}"


def cases_named(cases: list[str], shown: int = 3) -> str:
    """`OV…1, OV…2, OV…3 +7`: the first cases a run acted on, and how many more."""
    more = f" +{len(cases) - shown}" if len(cases) > shown else ""
    return ", ".join(cases[:shown]) + more


def label(name: str, cases: list[str] = ()) -> None:
    """Name the current flow run and tag it with onevisit, the installation and (up to 50 of) its cases."""
    tags = ["onevisit", installation_tag(), *[f"case:{c}" for c in cases[:MAX_TAGGED_CASES]]]
    if len(cases) > MAX_TAGGED_CASES:
        tags.append(f"cases:+{len(cases) - MAX_TAGGED_CASES}")
    with get_client(sync_client=True) as client:
        client.update_flow_run(flow_run.id, name=name[:250], tags=tags)


def publish(run_id: str, summary: str) -> list[dict]:
    """The run's artifact: `summary` (markdown), and a table of what it wrote on each case's timeline (the
    events stamped with this run). Returns the table."""
    settings = get_settings()
    with UnitOfWork(settings.url, write=False) as uow:
        rows = uow.session.execute(
            select(Case.case_no, CaseEvent.kind, func.count()).join(Case, Case.id == CaseEvent.case_id)
            .where(CaseEvent.flow_run_id == run_id).group_by(Case.case_no, CaseEvent.kind)
            .order_by(Case.case_no, CaseEvent.kind)
        ).all()
    per_case: dict[str, list[str]] = {}
    for case_no, kind, count in rows:
        per_case.setdefault(case_no, []).append(kind if count == 1 else f"{kind} x{count}")
    table = [{"case": case_no, "installation": installation_tag().split(":", 1)[1], "what": ", ".join(kinds)}
             for case_no, kinds in list(per_case.items())[:MAX_TABLE_ROWS]]
    more = f"\n\n{len(per_case) - MAX_TABLE_ROWS} more cases not listed." if len(per_case) > MAX_TABLE_ROWS else ""
    create_markdown_artifact(f"{summary}\n\n{len(per_case)} cases acted on.{more}", description=summary[:200])
    if table:
        create_table_artifact(table, description="what this run wrote on each case's timeline")
    return table


def record_crash(flow, run, state) -> None:
    """A flow's `on_crashed` hook: the run's record says CRASHED as soon as Prefect's engine knows (a signal,
    an interpreter shutting down), rather than after the claim lease, when the sweep finds it silent."""
    from services import outbox

    settings = get_settings()
    with UnitOfWork(settings.url) as uow:
        outbox.end_run(uow.session, str(run.id), "CRASHED", settings.current_time(),
                       message=f"Prefect says {state.name}: {state.message or ''}"[:2000])
        uow.commit()
