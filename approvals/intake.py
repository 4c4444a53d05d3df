"""Intake at one window (一窗受理): which matters a case covers and what it still lacks.

Everything missing is listed at once (补正一次性告知). Later paths (容缺受理, 告知承诺) add
their own checks here, between "what is missing" and "accepted or not".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from approvals.catalog import Bundle, Catalog
from approvals.errors import BadInput
from approvals.review import CaseStatus


@dataclass(frozen=True)
class MatterPlan:
    """One review task to open: its matter, owner and place in the dependency graph."""

    matter: str
    agency: str
    optional: bool
    depends_on: tuple[str, ...]
    promised_days: int
    statutory_days: int


@dataclass(frozen=True)
class IntakeAssessment:
    status: CaseStatus
    matters: tuple[MatterPlan, ...]
    required_materials: tuple[str, ...]
    missing: tuple[str, ...]


def select_matters(bundle: Bundle, optional_matters: Iterable[str] | None) -> tuple[str, ...]:
    """The bundle's matters for this application: every required one, and the optional ones asked for.

    With no selection, every optional matter is included: the bundle as published.
    """
    if optional_matters is None:
        return bundle.matter_codes()
    wanted = list(dict.fromkeys(optional_matters))
    for code in wanted:
        if code not in bundle.matter_codes():
            raise BadInput(f"optional_matters: {code!r} is not a matter of bundle {bundle.code}")
        if not bundle.is_optional(code):
            raise BadInput(f"optional_matters: {code!r} is a required matter of bundle {bundle.code}")
    return tuple(m.matter for m in bundle.matters if not m.optional or m.matter in wanted)


def assess(
    catalog: Catalog,
    bundle: Bundle,
    provided: Iterable[str],
    optional_matters: Iterable[str] | None = None,
) -> IntakeAssessment:
    """Decide acceptance: in review when every needed material is provided, else a correction request."""
    chosen = select_matters(bundle, optional_matters)
    for code in chosen:
        for dep in catalog.matters[code].depends_on:
            if dep not in chosen:
                raise BadInput(f"optional_matters: {code} needs {dep}, which is not selected")
    required = catalog.materials_of(chosen)
    provided = tuple(dict.fromkeys(provided))
    known = set(catalog.material_names())
    for code in provided:
        if code not in known:
            raise BadInput(f"materials: unknown material {code!r}")
        if code not in required:
            raise BadInput(f"materials: {code!r} is not needed for bundle {bundle.code}")
    missing = tuple(code for code in required if code not in provided)
    plans = tuple(
        MatterPlan(
            matter=code,
            agency=catalog.matters[code].agency,
            optional=bundle.is_optional(code),
            depends_on=catalog.matters[code].depends_on,
            promised_days=catalog.matters[code].promised_days,
            statutory_days=catalog.matters[code].statutory_days,
        )
        for code in chosen
    )
    status = CaseStatus.CORRECTION_REQUIRED if missing else CaseStatus.IN_REVIEW
    return IntakeAssessment(status, plans, required, missing)
