"""The catalog of matters (事项目录): agencies, matters with their materials, and bundles ("one thing").

The structure of a catalog file is parsed elsewhere (schemas.catalog); this module holds the
rules that make a catalog coherent: every reference resolves, dependencies form no cycle and
stay inside each bundle, promised limits never exceed statutory ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from graphlib import CycleError, TopologicalSorter

from approvals.errors import BadInput
from approvals.permissions import AGENCY_ROLES
from approvals.signoff import Step


class CatalogError(BadInput):
    """A catalog that cannot be loaded; the message names the offending key."""


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    endpoint: str | None = None  # the agency's own review system; None: tasks stay in the internal queue


@dataclass(frozen=True)
class Material:
    code: str
    name: str
    core: bool = True  # 主要材料: may never be missing; secondary ones may be promised (容缺)
    shared_from: str | None = None  # 数据共享: a data-sharing service that holds it; never asked of the applicant


REFORM_MODES = {  # 证照分离改革: how each licence on the list is reformed
    "cancel_approval": "直接取消审批",
    "approval_to_filing": "审批改为备案",
    "notification_commitment": "实行告知承诺",
    "optimise_service": "优化审批服务",
}


@dataclass(frozen=True)
class Matter:
    """One administrative permit or filing (事项), owned by one agency."""

    code: str
    name: str
    agency: str
    promised_days: int
    statutory_days: int
    depends_on: tuple[str, ...] = ()
    notification_commitment: bool = False  # 告知承诺 allowed
    materials: tuple[Material, ...] = ()
    promise_days: int | None = None  # 容缺: working days to supply a promised material [the bundle's limit]
    grace_days: int = 15  # after a broken promise, before the case is returned (退件)
    verify_days: int = 30  # 告知承诺: working days after issuance to verify the promise
    fee_yuan: Decimal = Decimal(0)  # 收费: 0 is free (不收费)
    reform_mode: str | None = None  # 证照分离 mode (REFORM_MODES); None: not a licence on that list
    promisable: tuple[str, ...] = ()  # 告知承诺: materials the applicant's signed promise stands in for
    on_the_spot: bool = False  # 当场办结: approved at the window when the case is accepted
    steps: tuple[Step, ...] = ()  # sign-off chain (初审 → 审核 → 签发); none: one reviewer decides

    def is_core(self, material: str) -> bool:
        return material in self._core

    @cached_property
    def _core(self) -> frozenset[str]:
        return frozenset(m.code for m in self.materials if m.core)


@dataclass(frozen=True)
class BundleMatter:
    matter: str
    optional: bool = False


@dataclass(frozen=True)
class Bundle:
    """A published set of matters applied for together (一件事)."""

    code: str
    name: str
    promised_days: int
    matters: tuple[BundleMatter, ...]
    max_promised_materials: int = 3  # 容缺: secondary materials one case may promise
    single: bool = False  # 事项单办: one matter applied for alone (Catalog.single_matter), not a published bundle

    def matter_codes(self) -> tuple[str, ...]:
        return tuple(m.matter for m in self.matters)

    def is_optional(self, matter: str) -> bool:
        return matter in self._optional

    @cached_property
    def _optional(self) -> frozenset[str]:
        return frozenset(m.matter for m in self.matters if m.optional)


@dataclass(frozen=True)
class Catalog:
    agencies: dict[str, Agency] = field(default_factory=dict)
    matters: dict[str, Matter] = field(default_factory=dict)
    bundles: dict[str, Bundle] = field(default_factory=dict)

    def bundle(self, code: str) -> Bundle:
        try:
            return self.bundles[code]
        except KeyError:
            known = ", ".join(sorted(self.bundles)) or "none"
            raise BadInput(f"unknown bundle {code!r} (known: {known})") from None

    def single_matter(self, code: str) -> Bundle:
        """事项单办: one matter applied for alone, as a bundle of that matter (its code and limits); its
        prerequisites are taken as already held."""
        matter = self.matters.get(code)
        if matter is None:
            raise BadInput(f"unknown matter {code!r}")
        return Bundle(code, matter.name, matter.promised_days, (BundleMatter(code),), single=True)

    def bundle_of(self, code: str, single: bool) -> Bundle:
        """A case's bundle: a published one, or its one matter's (事项单办)."""
        return self.single_matter(code) if single else self.bundles[code]

    def material_names(self) -> dict[str, str]:
        """Every material's name by code (read only: built once per catalog)."""
        return self._material_names

    def shared_source(self, material: str) -> str | None:
        """The data-sharing service a material is fetched from (once-only), or None: the applicant provides it."""
        return self._shared_sources.get(material)

    # The catalog in force never changes (a new one is a new version), so its indexes are built once.
    @cached_property
    def _material_names(self) -> dict[str, str]:
        return {mat.code: mat.name for m in self.matters.values() for mat in m.materials}

    @cached_property
    def _shared_sources(self) -> dict[str, str]:
        return {mat.code: mat.shared_from for m in self.matters.values() for mat in m.materials if mat.shared_from}

    def endpoint_of(self, agency: str) -> str | None:
        found = self.agencies.get(agency)
        return found.endpoint if found else None

    def materials_of(self, matters: Iterable[str]) -> tuple[str, ...]:
        """The materials needed for `matters`, each once, in catalog order (一次提交, 多方共用)."""
        seen: dict[str, None] = {}
        for code in matters:
            for mat in self.matters[code].materials:
                seen.setdefault(mat.code)
        return tuple(seen)


def build_catalog(
    agencies: list[Agency], matters: list[Matter], bundles: list[Bundle]
) -> Catalog:
    """Check every cross-reference and return the catalog, or raise CatalogError on the first fault.

    Linear in the size of the catalog: each matter, material entry, dependency and bundle entry is
    looked at once, against dictionaries built on the way (a catalog whose matters all share one long
    material list has millions of entries).
    """
    agency_map = _unique("agencies", agencies)
    matter_map = _unique("matters", matters)
    bundle_map = _unique("bundles", bundles)

    first_seen: dict[str, tuple[Material, str]] = {}  # material code -> (its first entry, the matter it is in)
    for matter in matters:
        where = f"matters.{matter.code}"
        if matter.agency not in agency_map:
            raise CatalogError(f"{where}.agency: unknown agency {matter.agency!r}")
        if matter.promised_days < 1:
            raise CatalogError(f"{where}.promised_days: must be at least 1 working day")
        for key in ("promise_days", "grace_days", "verify_days"):
            value = getattr(matter, key)
            if value is not None and value < 1:
                raise CatalogError(f"{where}.{key}: must be at least 1 working day")
        if matter.promised_days > matter.statutory_days:
            raise CatalogError(
                f"{where}.promised_days: {matter.promised_days} exceeds "
                f"statutory_days {matter.statutory_days}"
            )
        if matter.reform_mode is not None and matter.reform_mode not in REFORM_MODES:
            raise CatalogError(f"{where}.reform_mode: {matter.reform_mode!r} is not one of {', '.join(REFORM_MODES)}")
        if matter.reform_mode == "notification_commitment" and not matter.notification_commitment:
            raise CatalogError(f"{where}.reform_mode: 实行告知承诺 needs notification_commitment: true")
        if matter.fee_yuan < 0:
            raise CatalogError(f"{where}.fee_yuan: cannot be negative")
        _unique(f"{where}.materials", matter.materials)
        _check_promisable_and_steps(where, matter)
        for dep in matter.depends_on:
            if dep not in matter_map:
                raise CatalogError(f"{where}.depends_on: unknown matter {dep!r}")
            if dep == matter.code:
                raise CatalogError(f"{where}.depends_on: a matter cannot depend on itself")
        for mat in matter.materials:
            first, first_matter = first_seen.setdefault(mat.code, (mat, matter.code))
            if first.name != mat.name:
                raise CatalogError(
                    f"{where}.materials.{mat.code}: named {mat.name!r} here but "
                    f"{first.name!r} in matter {first_matter}; a shared material is one material"
                )
            if first.shared_from != mat.shared_from:
                sources = sorted(s or "the applicant" for s in (first.shared_from, mat.shared_from))
                raise CatalogError(f"{where}.materials.{mat.code}.shared_from: a shared material has one source, "
                                   f"not {sources} (matter {first_matter} says {first.shared_from or 'the applicant'})")
    cycle = _find_cycle({m.code: m.depends_on for m in matters})
    if cycle:
        raise CatalogError(f"matters.{cycle[0]}.depends_on: dependency cycle {' -> '.join(cycle)}")

    for bundle in bundles:
        where = f"bundles.{bundle.code}"
        if not bundle.matters:
            raise CatalogError(f"{where}.matters: a bundle needs at least one matter")
        entries = _unique(f"{where}.matters", bundle.matters, key=lambda m: m.matter)
        if bundle.promised_days < 1:
            raise CatalogError(f"{where}.promised_days: must be at least 1 working day")
        if bundle.max_promised_materials < 0:
            raise CatalogError(f"{where}.max_promised_materials: cannot be negative")
        if all(m.optional for m in bundle.matters):
            raise CatalogError(f"{where}.matters: a bundle needs at least one required matter")
        for entry in bundle.matters:
            if entry.matter not in matter_map:
                raise CatalogError(f"{where}.matters: unknown matter {entry.matter!r}")
            for dep in matter_map[entry.matter].depends_on:
                if dep not in entries:
                    raise CatalogError(
                        f"{where}.matters: {entry.matter} depends on {dep}, which is not in the bundle"
                    )
                if entries[dep].optional and not entry.optional:
                    raise CatalogError(
                        f"{where}.matters: required matter {entry.matter} depends on "
                        f"optional matter {dep}"
                    )
    return Catalog(agency_map, matter_map, bundle_map)


def catalog_of(agencies: list[Agency], matters: list[Matter], bundles: list[Bundle]) -> Catalog:
    """A catalog already checked by build_catalog (a stored version): indexed by code, not checked again."""
    return Catalog({a.code: a for a in agencies}, {m.code: m for m in matters}, {b.code: b for b in bundles})


def _check_promisable_and_steps(where: str, matter: Matter) -> None:
    own = {mat.code for mat in matter.materials}
    for code in matter.promisable:
        if code not in own:
            raise CatalogError(f"{where}.promisable: {code!r} is not one of the matter's materials")
    if matter.promisable and not matter.notification_commitment:
        raise CatalogError(f"{where}.promisable: only a matter that allows 告知承诺 (notification_commitment) "
                           "lets a promise stand in for materials")
    names = [step.name for step in matter.steps]
    if len(set(names)) != len(names):
        raise CatalogError(f"{where}.steps: step names repeat: {', '.join(names)}")
    for step in matter.steps:
        if step.role not in AGENCY_ROLES:
            raise CatalogError(f"{where}.steps.{step.name}.role: {step.role.value!r} does not sign for an agency "
                               "(reviewer or head)")


def dependency_order(matters: dict[str, tuple[str, ...]]) -> list[str]:
    """Matter codes with every prerequisite before its dependents (stable otherwise).

    graphlib orders the graph; each round of ready matters keeps the order they were given in.
    """
    position = {code: index for index, code in enumerate(matters)}
    sorter = TopologicalSorter({code: [d for d in deps if d in position] for code, deps in matters.items()})
    try:
        sorter.prepare()
    except CycleError as exc:
        raise CatalogError(f"dependency cycle among {', '.join(dict.fromkeys(exc.args[1]))}") from None
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        order.extend(ready)
        sorter.done(*ready)
    return order


def _unique(where: str, items, key=lambda item: item.code) -> dict:
    seen: dict = {}
    for item in items:
        code = key(item)
        if code in seen:
            raise CatalogError(f"{where}: duplicate code {code!r}")
        seen[code] = item
    return seen


def _find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    """One dependency cycle as a path along depends_on that returns to its start, or None (graphlib)."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return list(reversed(exc.args[1]))  # graphlib walks from prerequisite to dependent
    return None
