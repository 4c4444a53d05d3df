"""The catalog of matters (事项目录): agencies, matters with their materials, and bundles ("one thing").

The structure of a catalog file is parsed elsewhere (schemas.catalog); this module holds the
rules that make a catalog coherent: every reference resolves, dependencies form no cycle and
stay inside each bundle, promised limits never exceed statutory ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


@dataclass(frozen=True)
class Problem:
    """One fault of a catalog: where (`matters.FOOD.agency`) and what; `at` locates it for an importer:
    (part, code, field[, item]), item being a material, a dependency or a bundle's matter."""

    where: str
    message: str
    at: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def build_catalog(
    agencies: list[Agency], matters: list[Matter], bundles: list[Bundle]
) -> Catalog:
    """Check every cross-reference and return the catalog, or raise CatalogError on the first fault."""
    for problem in catalog_problems(agencies, matters, bundles):
        raise CatalogError(str(problem))
    return catalog_of(agencies, matters, bundles)


def catalog_problems(agencies: list[Agency], matters: list[Matter], bundles: list[Bundle]) -> Iterator[Problem]:
    """Every fault of the catalog, in order (a loader stops at the first, an importer reports them all).

    Linear in the size of the catalog: each matter, material entry, dependency and bundle entry is
    looked at once, against dictionaries built on the way (a catalog whose matters all share one long
    material list has millions of entries).
    """
    agency_map = yield from _unique("agencies", agencies)
    matter_map = yield from _unique("matters", matters)
    yield from _unique("bundles", bundles)

    first_seen: dict[str, tuple[Material, str]] = {}  # material code -> (its first entry, the matter it is in)
    for matter in matters:
        code = matter.code
        where = f"matters.{code}"
        if matter.agency not in agency_map:
            yield Problem(f"{where}.agency", f"unknown agency {matter.agency!r}", ("matters", code, "agency"))
        if matter.promised_days < 1:
            yield Problem(f"{where}.promised_days", "must be at least 1 working day", ("matters", code, "promised_days"))
        for key in ("promise_days", "grace_days", "verify_days"):
            value = getattr(matter, key)
            if value is not None and value < 1:
                yield Problem(f"{where}.{key}", "must be at least 1 working day", ("matters", code, key))
        if matter.promised_days > matter.statutory_days:
            yield Problem(f"{where}.promised_days",
                          f"{matter.promised_days} exceeds statutory_days {matter.statutory_days}",
                          ("matters", code, "promised_days"))
        if matter.reform_mode is not None and matter.reform_mode not in REFORM_MODES:
            yield Problem(f"{where}.reform_mode", f"{matter.reform_mode!r} is not one of {', '.join(REFORM_MODES)}",
                          ("matters", code, "reform_mode"))
        if matter.reform_mode == "notification_commitment" and not matter.notification_commitment:
            yield Problem(f"{where}.reform_mode", "实行告知承诺 needs notification_commitment: true",
                          ("matters", code, "reform_mode"))
        if matter.fee_yuan < 0:
            yield Problem(f"{where}.fee_yuan", "cannot be negative", ("matters", code, "fee_yuan"))
        yield from _unique(f"{where}.materials", matter.materials, at=("matters", code, "materials"))
        yield from _promisable_and_steps_problems(where, matter)
        for dep in matter.depends_on:
            if dep not in matter_map:
                yield Problem(f"{where}.depends_on", f"unknown matter {dep!r}", ("matters", code, "depends_on", dep))
            elif dep == code:
                yield Problem(f"{where}.depends_on", "a matter cannot depend on itself",
                              ("matters", code, "depends_on", dep))
        for mat in matter.materials:
            first, first_matter = first_seen.setdefault(mat.code, (mat, code))
            if first.name != mat.name:
                yield Problem(f"{where}.materials.{mat.code}",
                              f"named {mat.name!r} here but {first.name!r} in matter {first_matter}; "
                              "a shared material is one material", ("matters", code, "materials", mat.code, "name"))
            if first.shared_from != mat.shared_from:
                sources = sorted(s or "the applicant" for s in (first.shared_from, mat.shared_from))
                yield Problem(f"{where}.materials.{mat.code}.shared_from",
                              f"a shared material has one source, not {sources} "
                              f"(matter {first_matter} says {first.shared_from or 'the applicant'})",
                              ("matters", code, "materials", mat.code, "shared_from"))
    cycle = _find_cycle({m.code: tuple(d for d in m.depends_on if d in matter_map and d != m.code) for m in matters})
    if cycle:
        yield Problem(f"matters.{cycle[0]}.depends_on", f"dependency cycle {' -> '.join(cycle)}",
                      ("matters", cycle[0], "depends_on", cycle[1]))

    for bundle in bundles:
        code = bundle.code
        where = f"bundles.{code}"
        if not bundle.matters:
            yield Problem(f"{where}.matters", "a bundle needs at least one matter", ("bundles", code, "matters"))
        entries = yield from _unique(f"{where}.matters", bundle.matters, key=lambda m: m.matter,
                                     at=("bundles", code, "matters"))
        if bundle.promised_days < 1:
            yield Problem(f"{where}.promised_days", "must be at least 1 working day", ("bundles", code, "promised_days"))
        if bundle.max_promised_materials < 0:
            yield Problem(f"{where}.max_promised_materials", "cannot be negative",
                          ("bundles", code, "max_promised_materials"))
        if bundle.matters and all(m.optional for m in bundle.matters):
            yield Problem(f"{where}.matters", "a bundle needs at least one required matter", ("bundles", code, "matters"))
        for entry in bundle.matters:
            at = ("bundles", code, "matters", entry.matter)
            if entry.matter not in matter_map:
                yield Problem(f"{where}.matters", f"unknown matter {entry.matter!r}", at)
                continue
            for dep in matter_map[entry.matter].depends_on:
                if dep not in matter_map:
                    continue  # reported with the matter
                if dep not in entries:
                    yield Problem(f"{where}.matters", f"{entry.matter} depends on {dep}, which is not in the bundle", at)
                elif entries[dep].optional and not entry.optional:
                    yield Problem(f"{where}.matters",
                                  f"required matter {entry.matter} depends on optional matter {dep}", at)


def catalog_of(agencies: list[Agency], matters: list[Matter], bundles: list[Bundle]) -> Catalog:
    """A catalog already checked by build_catalog (a stored version): indexed by code, not checked again."""
    return Catalog({a.code: a for a in agencies}, {m.code: m for m in matters}, {b.code: b for b in bundles})


def _promisable_and_steps_problems(where: str, matter: Matter) -> Iterator[Problem]:
    own = {mat.code for mat in matter.materials}
    for code in matter.promisable:
        if code not in own:
            yield Problem(f"{where}.promisable", f"{code!r} is not one of the matter's materials",
                          ("matters", matter.code, "promisable"))
    if matter.promisable and not matter.notification_commitment:
        yield Problem(f"{where}.promisable", "only a matter that allows 告知承诺 (notification_commitment) "
                      "lets a promise stand in for materials", ("matters", matter.code, "promisable"))
    names = [step.name for step in matter.steps]
    if len(set(names)) != len(names):
        yield Problem(f"{where}.steps", f"step names repeat: {', '.join(names)}", ("matters", matter.code, "steps"))
    for step in matter.steps:
        if step.role not in AGENCY_ROLES:
            yield Problem(f"{where}.steps.{step.name}.role",
                          f"{step.role.value!r} does not sign for an agency (reviewer or head)",
                          ("matters", matter.code, "steps"))


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


def _unique(where: str, items, key=lambda item: item.code, at: tuple[str, ...] = ()) -> Iterator[Problem]:
    """Yield a problem for each repeated code; return the items by code (the first of each)."""
    seen: dict = {}
    for item in items:
        code = key(item)
        if code in seen:
            yield Problem(where, f"duplicate code {code!r}", (*at, code) if at else (where, code, "code"))
            continue
        seen[code] = item
    return seen


def _find_cycle(graph: dict[str, tuple[str, ...]]) -> list[str] | None:
    """One dependency cycle as a path along depends_on that returns to its start, or None (graphlib)."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return list(reversed(exc.args[1]))  # graphlib walks from prerequisite to dependent
    return None
