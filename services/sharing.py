"""Once-only (数据共享交换): materials another agency already holds are pulled, not asked for.

At intake each such material is written down as pending and queued for the flows, inside the submit
transaction, with no network call. Right after that transaction commits, the window may try the fetches
once (services/shared_fetch.py); what does not come back is fetched by the flows, with retries. The
application is complete either way.
"""

from __future__ import annotations

from collections.abc import Iterable


from approvals import intake
from approvals.casefile import CaseFile
from approvals.catalog import Bundle, Catalog
from approvals.deadlines import Clock


def to_pull(catalog: Catalog, bundle: Bundle, provided: Iterable[str], optional_matters: Iterable[str] | None) -> list[str]:
    """The materials of this application that a data-sharing service holds and the applicant did not bring."""
    given = set(provided)
    matters = intake.select_matters(bundle, optional_matters)
    return [m for m in catalog.materials_of(matters) if catalog.shared_source(m) and m not in given]


def queue_at_intake(case: CaseFile, catalog: Catalog, materials: list[str], clock: Clock) -> None:
    """Write each material down as pending and queue its fetch (in the submit transaction; no network)."""
    for material in materials:
        case.ask_shared(material, catalog.shared_source(material), fetch_key(case.id, material), clock)


def fetch_key(case_id: int, material: str) -> str:
    return f"share:case:{case_id}:{material}"
