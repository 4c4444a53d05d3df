"""The whole-case benches' cases and database: the PARALLEL5 catalog loaded, applications made, the review queue read."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _postgres import scratch_postgres

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "bench" / "parallel5_catalog.yaml"
BUNDLE = "PARALLEL5"
MATERIALS = ["ID_LEGAL_REP", "LEASE"]


def applications(count: int, tag: str):
    from approvals.identifiers import resident_id_check_char, uscc_check_char
    from schemas.case import ApplicationIn

    for seq in range(count):
        uscc = f"91350200MA{seq % 10_000_000:07d}"
        id_body = f"35020319850101{seq % 1000:03d}"
        yield ApplicationIn.model_validate({
            "request_id": f"bench-{tag}-{seq}",
            "bundle": BUNDLE,
            "channel": "window",
            "applicant": {"name": f"基准测试企业{seq}", "uscc": uscc + uscc_check_char(uscc),
                          "legal_representative": {"name": "测试", "id_number": id_body + resident_id_check_char(id_body)}},
            "materials": MATERIALS,
        })


def prepare(url: str) -> None:
    from datetime import datetime, timezone

    from services.catalog import load_catalog
    from services.db import UnitOfWork
    from services.migrate import upgrade
    from services.staff import staff_the_hall

    upgrade(url)
    with UnitOfWork(url) as uow:
        load_catalog(uow.session, CATALOG.read_text("utf-8"), source=str(CATALOG.name), actor="admin",
                     now=datetime.now(timezone.utc))
        uow.commit()
    with UnitOfWork(url) as uow:
        staff_the_hall(uow.session, datetime.now(timezone.utc))  # window-1 and {AGENCY}-reviewer
        uow.commit()


def queue(url: str, numbers: list[str]) -> list[tuple[int, str]]:
    """The pending review tasks of these cases, with their agencies, in task order."""
    from sqlmodel import select

    from schemas.case import Case
    from schemas.review import ReviewTask
    from services.db import UnitOfWork

    with UnitOfWork(url, write=False) as uow:
        return list(uow.session.exec(
            select(ReviewTask.id, ReviewTask.agency).join(Case, Case.id == ReviewTask.case_id)
            .where(Case.case_no.in_(numbers), ReviewTask.status == "pending").order_by(ReviewTask.id)
        ).all())


def submit_one(url: str, application, settings) -> str:
    """The window files one application: one unit of work, one commit; the case's number."""
    from approvals.deadlines import Clock
    from services import cases as use_cases
    from services.db import UnitOfWork
    from services.workdays import calendar_for

    with UnitOfWork(url) as uow:
        clock = Clock(settings.current_time(), calendar_for(uow.session))
        number = use_cases.submit(uow.session, application, actor="window-1", clock=clock).case_no
        uow.commit()
    return number


def decide_one(url: str, task_id: int, agency: str, settings) -> None:
    """The agency's reviewer approves one review task: one unit of work, one commit."""
    from approvals.deadlines import Clock
    from approvals.review import Action
    from services import cases as use_cases
    from services.db import UnitOfWork
    from services.workdays import calendar_for

    with UnitOfWork(url) as uow:
        clock = Clock(settings.current_time(), calendar_for(uow.session))
        use_cases.decide(uow.session, task_id, Action.APPROVE, operator=f"{agency}-reviewer", reason=None,
                         materials=(), clock=clock)
        uow.commit()


@contextmanager
def bench_database(admin_url: str | None) -> Iterator[str]:
    """A database of the bench's own: a fresh PostgreSQL database made with ADMIN_URL (the engines on it
    disposed and the database dropped afterwards), or a SQLite file in a temp folder."""
    if not admin_url:
        with tempfile.TemporaryDirectory(prefix="onevisit-bench-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    with scratch_postgres(admin_url) as url:
        try:
            yield url
        finally:
            from services.db import engine_for

            engine_for(url).dispose()
            engine_for(url, write=False).dispose()

