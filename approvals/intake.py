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
    missing: tuple[str, ...]  # still to supply before acceptance (补正)
    promised: tuple[str, ...] = ()  # 容缺: accepted as missing on the applicant's promise
    commitment_matters: tuple[str, ...] = ()  # 告知承诺: decided on the applicant's written promise
    notes: tuple[str, ...] = ()  # why a promise could not be accepted
    replaced: tuple[str, ...] = ()  # 告知承诺: materials the signed promise stands in for (not asked for)


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
    deficiency_promise: Iterable[str] = (),
    commitment_matters: Iterable[str] = (),
    credit_blocked: bool = False,
) -> IntakeAssessment:
    """Decide acceptance: in review when every needed material is provided or, under 容缺, promised.

    A promise covers only secondary materials, at most the bundle's maximum, and only for an
    applicant without an open credit record; otherwise the case is asked for corrections as usual,
    every missing material listed at once. 告知承诺 is refused outright (BadInput) for a matter
    that does not allow it or for an applicant with an open credit record.
    """
    chosen = select_matters(bundle, optional_matters)
    for code in chosen:
        for dep in catalog.matters[code].depends_on:
            if dep not in chosen and not bundle.single:  # 事项单办: the prerequisite is already held
                raise BadInput(f"optional_matters: {code} needs {dep}, which is not selected")
    required = catalog.materials_of(chosen)
    provided = tuple(dict.fromkeys(provided))
    known, needed, given = catalog.material_names(), set(required), set(provided)
    for code in provided:
        if code not in known:
            raise BadInput(f"materials: unknown material {code!r}")
        if code not in needed:
            raise BadInput(f"materials: {code!r} is not needed for bundle {bundle.code}")
    commitments = _check_commitments(catalog, bundle, chosen, commitment_matters, credit_blocked)
    replaced = replaced_materials(catalog, chosen, commitments)
    required = tuple(code for code in required if code not in replaced or code in given)
    missing = tuple(code for code in required if code not in given)
    promised, notes = _check_promise(catalog, bundle, chosen, provided, missing, deficiency_promise, credit_blocked)
    if promised:
        missing = tuple(code for code in missing if code not in promised)
    plans = tuple(
        MatterPlan(
            matter=code,
            agency=catalog.matters[code].agency,
            optional=bundle.is_optional(code),
            depends_on=tuple(d for d in catalog.matters[code].depends_on if d in chosen),
            promised_days=catalog.matters[code].promised_days,
            statutory_days=catalog.matters[code].statutory_days,
        )
        for code in chosen
    )
    status = CaseStatus.CORRECTION_REQUIRED if missing else CaseStatus.IN_REVIEW
    return IntakeAssessment(status, plans, required, missing, promised, commitments, notes,
                            tuple(code for code in replaced if code not in given))


def replaced_materials(catalog: Catalog, chosen: Iterable[str], commitments: Iterable[str]) -> tuple[str, ...]:
    """告知承诺 that replaces materials: those every chosen matter needing them lists as promisable and
    decides on the applicant's signed promise. A material another matter of the case still needs stays."""
    promising = set(commitments)
    needing: dict[str, list[str]] = {}
    for code in chosen:
        for mat in catalog.matters[code].materials:
            needing.setdefault(mat.code, []).append(code)
    return tuple(mat for mat, matters in needing.items()
                 if all(m in promising and mat in catalog.matters[m].promisable for m in matters))


def _check_promise(
    catalog: Catalog,
    bundle: Bundle,
    chosen: tuple[str, ...],
    provided: tuple[str, ...],
    missing: tuple[str, ...],
    deficiency_promise: Iterable[str],
    credit_blocked: bool,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(materials accepted on promise, notes why not). All or nothing: one bad entry voids the promise."""
    wanted = tuple(dict.fromkeys(deficiency_promise))
    known = catalog.material_names()
    for code in wanted:
        if code not in known:
            raise BadInput(f"deficiency_promise: unknown material {code!r}")
        if code in provided:
            raise BadInput(f"deficiency_promise: {code} is provided; only a missing material can be promised")
        if code not in missing:
            raise BadInput(f"deficiency_promise: {code} is not needed for bundle {bundle.code}")
    if not wanted:
        return (), ()
    core = [c for c in wanted if any(catalog.matters[m].is_core(c) for m in chosen)]
    if core:
        return (), (f"容缺 refused: {', '.join(core)} is a core material and may never be missing",)
    if len(wanted) > bundle.max_promised_materials:
        return (), (f"容缺 refused: {len(wanted)} materials promised, at most {bundle.max_promised_materials}",)
    if credit_blocked:
        return (), ("容缺 refused: the applicant has an open credit record (broken promise)",)
    others = [c for c in missing if c not in wanted]
    if others:  # 补正一次性告知: everything is asked for at once, the promised materials too
        return (), (f"容缺 refused: {', '.join(others)} also missing and not promised; a promise covers only "
                    "what remains once everything else is provided",)
    return wanted, ()


def _check_commitments(
    catalog: Catalog, bundle: Bundle, chosen: tuple[str, ...], commitment_matters: Iterable[str], credit_blocked: bool
) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(commitment_matters))
    for code in wanted:
        if code not in chosen:
            raise BadInput(f"commitment_matters: {code!r} is not a matter of this application ({bundle.code})")
        if not catalog.matters[code].notification_commitment:
            raise BadInput(f"commitment_matters: {code} does not allow 告知承诺 (notification-commitment)")
    if wanted and credit_blocked:
        raise BadInput("commitment_matters: the applicant has an open credit record; 告知承诺 is not available")
    return wanted


def promise_days(catalog: Catalog, bundle: Bundle, materials: Iterable[str], matters: Iterable[str]) -> int:
    """Working days to keep a 容缺 promise: the shortest `promise_days` of the matters that need the
    promised materials, else the bundle's promised limit."""
    needing = [catalog.matters[m] for m in matters if any(x.code in set(materials) for x in catalog.matters[m].materials)]
    days = [m.promise_days for m in needing if m.promise_days is not None]
    return min(days) if days else bundle.promised_days
