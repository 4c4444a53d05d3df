"""Once-only (数据共享交换): materials another agency already holds are pulled, not asked for.

At intake each such material is fetched for the applicant's USCC with one short try; if the
service does not answer, intake completes anyway and the fetch is queued for the flows.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from approvals import intake
from approvals.catalog import Bundle, Catalog
from approvals.deadlines import Clock
from schemas.case import Case
from schemas.sharing import SharedMaterial
from services.records import enqueue, record
from services.settings import get_settings


def to_pull(catalog: Catalog, bundle: Bundle, provided: Iterable[str], optional_matters: Iterable[str] | None) -> list[str]:
    """The materials of this application that a data-sharing service holds and the applicant did not bring."""
    given = set(provided)
    matters = intake.select_matters(bundle, optional_matters)
    return [m for m in catalog.materials_of(matters) if catalog.shared_source(m) and m not in given]


def pull_at_intake(session: Session, case: Case, catalog: Catalog, materials: list[str], clock: Clock) -> None:
    """Fetch each material now (one short try, no retry: a window clerk is waiting); queue what failed."""
    if not materials:
        return
    from services import remote, remote_http  # httpx: only a submission that pulls pays for importing it

    settings = get_settings()
    with remote_http.client(timeout=min(settings.http_timeout_seconds, 2.0), concurrency=len(materials)) as http:
        for material in materials:
            source = catalog.shared_source(material)
            row = SharedMaterial(case_id=case.id, material=material, source=source, status="pending",
                                 requested_at=clock.now)
            session.add(row)
            session.flush()
            url = settings.sharing_services.get(source)
            try:
                if url is None:
                    raise remote_http.Permanent(f"no URL configured for data-sharing service {source!r}")
                document = remote_http.fetch_document(http, url, case.uscc, material)
            except (remote_http.Transient, remote_http.Permanent) as fault:
                row.last_error = str(fault)[:2000]
                record(session, case, clock.now, "shared_pending", "system",
                       f"{material} from {source}: not fetched at intake ({fault}); fetched later")
                enqueue(session, case, clock.now, f"share:case:{case.id}:{material}", "fetch_shared",
                        payload={"material": material, "source": source})
                continue
            remote.fetched(session, case, material, document, clock.now, None)
