"""The window's one short try at a new case's shared materials (数据共享), right after the submit commits.

The HTTP calls run with no transaction open; what came back is recorded in one short transaction after them.
What failed stays queued for the flows, which fetch it with retries.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, select

from schemas.case import Case
from schemas.orchestration import OutboxItem
from schemas.sharing import SharedMaterial
from services import remote, remote_http
from services.db import UnitOfWork
from services.records import record
from services.settings import Settings
from services.sharing import fetch_key


def pull_now(settings: Settings, case_no: str) -> int:
    """The window's one short try at a new case's pending materials, outside any transaction; returns how
    many were fetched. Failures are noted on the timeline and left to the flows."""
    with UnitOfWork(settings.url, write=False) as uow:
        case = uow.session.exec(select(Case).where(Case.case_no == case_no)).first()
        pending = [] if case is None else list(uow.session.exec(select(SharedMaterial).where(
            SharedMaterial.case_id == case.id, SharedMaterial.status == "pending")))
    if not pending:
        return 0

    def fetch(http, row: SharedMaterial):
        url = settings.sharing_services.get(row.source)
        if url is None:
            raise remote_http.Permanent(f"no URL configured for data-sharing service {row.source!r}")
        return remote_http.fetch_document(http, url, case.uscc, row.material)

    results = remote_http.each(fetch, pending, concurrency=len(pending),
                               timeout=min(settings.http_timeout_seconds, 2.0))
    with UnitOfWork(settings.url) as uow:
        fresh = uow.session.get(Case, case.id)
        now = settings.current_time()
        fetched = sum(_apply(uow.session, fresh, row, result, now) for row, result in zip(pending, results))
        uow.commit()
    return fetched


def _apply(session: Session, case: Case, row: SharedMaterial, result, now: datetime) -> bool:
    if isinstance(result, remote_http.Transient | remote_http.Permanent):
        current = session.get(SharedMaterial, row.id)
        if current.status == "pending":  # else a flow fetched it meanwhile
            current.last_error = str(result)[:2000]
            record(session, case, now, "shared_pending", "system",
                   f"{row.material} from {row.source}: not fetched at intake ({result}); fetched later")
        return False
    remote.fetched(session, case, row.material, result, now, None)
    session.execute(update(OutboxItem).where(OutboxItem.key == fetch_key(case.id, row.material),
                                             OutboxItem.done_at.is_(None), OutboxItem.claimed_by.is_(None))
                    .values(done_at=now))  # a flow that claimed it meanwhile finds the material fetched
    return True
