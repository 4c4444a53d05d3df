"""Unit tests for approvals.catalog: the rules that make a catalog of matters coherent."""

from __future__ import annotations

from dataclasses import replace

import pytest

from approvals.catalog import (
    Agency,
    Bundle,
    BundleMatter,
    CatalogError,
    Material,
    Matter,
    build_catalog,
    dependency_order,
)
from approvals.errors import BadInput

ID_CARD = Material("id_card", "法定代表人身份证")
LEASE = Material("lease", "经营场所租赁合同")
FLOOR_PLAN = Material("floor_plan", "经营场所平面图")
SIGN_DESIGN = Material("sign_design", "招牌设计图", core=False)


def agencies() -> list[Agency]:
    return [Agency("samr", "市场监管局"), Agency("urban", "城管局"), Agency("fire", "消防救援支队")]


def matter(code: str, agency: str = "samr", *, depends_on=(), materials=(), promised=5, statutory=20) -> Matter:
    return Matter(
        code=code,
        name=f"matter {code}",
        agency=agency,
        promised_days=promised,
        statutory_days=statutory,
        depends_on=tuple(depends_on),
        materials=tuple(materials),
    )


def matters() -> list[Matter]:
    """Licences before permits: food needs biz; sign and fire run in parallel."""
    return [
        matter("biz", materials=[ID_CARD, LEASE], promised=1, statutory=15),
        matter("food", depends_on=["biz"], materials=[ID_CARD, LEASE, FLOOR_PLAN]),
        matter("sign", "urban", materials=[SIGN_DESIGN, LEASE]),
        matter("fire", "fire", materials=[FLOOR_PLAN]),
    ]


def bundle(code: str = "restaurant", *entries: BundleMatter) -> Bundle:
    if not entries:
        entries = (BundleMatter("biz"), BundleMatter("food"), BundleMatter("sign"), BundleMatter("fire", optional=True))
    return Bundle(code=code, name=f"bundle {code}", promised_days=10, matters=tuple(entries))


def with_matter(replacement: Matter) -> list[Matter]:
    """The standard matters with the one of the same code replaced (or appended)."""
    ms = matters()
    codes = [m.code for m in ms]
    if replacement.code in codes:
        ms[codes.index(replacement.code)] = replacement
    else:
        ms.append(replacement)
    return ms


def catalog_error(agencies_=None, matters_=None, bundles_=None) -> str:
    with pytest.raises(CatalogError) as err:
        build_catalog(
            agencies() if agencies_ is None else agencies_,
            matters() if matters_ is None else matters_,
            [bundle()] if bundles_ is None else bundles_,
        )
    return str(err.value)


# --- a valid catalog ----------------------------------------------------------------------


def test_valid_catalog_is_built_with_every_entry_indexed_by_code():
    catalog = build_catalog(agencies(), matters(), [bundle()])
    assert set(catalog.agencies) == {"samr", "urban", "fire"}
    assert set(catalog.matters) == {"biz", "food", "sign", "fire"}
    assert catalog.matters["food"].depends_on == ("biz",)
    restaurant = catalog.bundle("restaurant")
    assert restaurant.matter_codes() == ("biz", "food", "sign", "fire")
    assert restaurant.is_optional("fire") and not restaurant.is_optional("food")


def test_promised_equal_to_statutory_is_allowed():
    ms = with_matter(matter("fire", "fire", promised=20, statutory=20))
    assert build_catalog(agencies(), ms, [bundle()]).matters["fire"].promised_days == 20


def test_shared_material_with_the_same_name_is_allowed():
    catalog = build_catalog(agencies(), matters(), [bundle()])
    assert catalog.material_names()["lease"] == LEASE.name


def test_unknown_bundle_lookup_is_bad_input_naming_known_bundles():
    catalog = build_catalog(agencies(), matters(), [bundle()])
    with pytest.raises(BadInput) as err:
        catalog.bundle("bakery")
    assert "bakery" in str(err.value) and "restaurant" in str(err.value)


def test_catalog_error_is_bad_input_with_exit_code_2():
    assert issubclass(CatalogError, BadInput)
    assert CatalogError("x").exit_code == 2


# --- faults, each naming the offending key ------------------------------------------------


def test_unknown_agency():
    message = catalog_error(matters_=with_matter(matter("sign", "tourism", materials=[SIGN_DESIGN])))
    assert "matters.sign.agency" in message and "'tourism'" in message


def test_unknown_matter_in_depends_on():
    message = catalog_error(matters_=with_matter(matter("fire", "fire", depends_on=["inspection"])))
    assert "matters.fire.depends_on" in message and "'inspection'" in message


def test_unknown_matter_in_bundle():
    message = catalog_error(bundles_=[bundle("restaurant", BundleMatter("biz"), BundleMatter("tobacco"))])
    assert "bundles.restaurant.matters" in message and "'tobacco'" in message


def test_dependency_cycle_of_two():
    ms = with_matter(matter("biz", depends_on=["food"]))
    message = catalog_error(matters_=ms, bundles_=[])
    assert "dependency cycle" in message
    assert_is_cycle(message, {"biz", "food"}, ms)


def test_dependency_cycle_of_three():
    ms = [
        matter("a", depends_on=["c"]),
        matter("b", depends_on=["a"]),
        matter("c", depends_on=["b"]),
    ]
    message = catalog_error(matters_=ms, bundles_=[])
    assert "dependency cycle" in message
    assert_is_cycle(message, {"a", "b", "c"}, ms)


def test_dependency_cycle_names_only_the_matters_on_the_cycle():
    # "entry" sorts first, so the search reaches the cycle through it; it is not on the cycle.
    ms = [matter("entry", depends_on=["p"]), matter("p", depends_on=["q"]), matter("q", depends_on=["p"])]
    message = catalog_error(matters_=ms, bundles_=[])
    assert_is_cycle(message, {"p", "q"}, ms)
    assert "entry" not in message


def assert_is_cycle(message: str, members: set[str], ms: list[Matter]) -> None:
    """The message's `p -> q -> ... -> p` path is a closed walk along real depends_on edges."""
    prefix, _, path_text = message.partition("dependency cycle ")
    path = path_text.split(" -> ")
    assert path[0] == path[-1]
    assert set(path) == members
    assert f"matters.{path[0]}.depends_on" in prefix
    edges = {(m.code, d) for m in ms for d in m.depends_on}
    for a, b in zip(path, path[1:]):
        assert (a, b) in edges


def test_self_dependency():
    message = catalog_error(matters_=with_matter(matter("fire", "fire", depends_on=["fire"])))
    assert "matters.fire.depends_on" in message and "itself" in message


def test_dependency_outside_the_bundle():
    message = catalog_error(bundles_=[bundle("food_only", BundleMatter("food"))])
    assert "bundles.food_only.matters" in message
    assert "food" in message and "biz" in message and "not in the bundle" in message


def test_required_matter_depending_on_optional_matter():
    b = bundle("restaurant", BundleMatter("biz", optional=True), BundleMatter("food"))
    message = catalog_error(bundles_=[b])
    assert "bundles.restaurant.matters" in message
    assert "required matter food" in message and "optional matter biz" in message


def test_optional_matter_depending_on_optional_matter_is_allowed():
    b = bundle(
        "restaurant",
        BundleMatter("fire"),
        BundleMatter("biz", optional=True),
        BundleMatter("food", optional=True),
    )
    assert build_catalog(agencies(), matters(), [b]).bundles["restaurant"].is_optional("food")


def test_bundle_with_only_optional_matters_is_refused():
    b = bundle("restaurant", BundleMatter("biz", optional=True), BundleMatter("food", optional=True))
    message = catalog_error(bundles_=[b])
    assert "bundles.restaurant.matters" in message and "required" in message


def test_promised_days_exceeding_statutory():
    message = catalog_error(matters_=with_matter(matter("fire", "fire", promised=21, statutory=20)))
    assert "matters.fire.promised_days" in message and "21" in message and "20" in message


def test_duplicate_agency_code():
    message = catalog_error(agencies_=agencies() + [Agency("samr", "另一个市场监管局")])
    assert "agencies" in message and "duplicate" in message and "'samr'" in message


def test_duplicate_matter_code():
    message = catalog_error(matters_=matters() + [matter("sign", "urban")])
    assert "matters" in message and "duplicate" in message and "'sign'" in message


def test_duplicate_bundle_code():
    message = catalog_error(bundles_=[bundle(), bundle("restaurant", BundleMatter("biz"))])
    assert "bundles" in message and "duplicate" in message and "'restaurant'" in message


def test_duplicate_material_code_within_a_matter():
    message = catalog_error(matters_=with_matter(matter("fire", "fire", materials=[FLOOR_PLAN, FLOOR_PLAN])))
    assert "matters.fire.materials" in message and "duplicate" in message and "'floor_plan'" in message


def test_duplicate_matter_in_bundle():
    b = bundle("restaurant", BundleMatter("biz"), BundleMatter("sign"), BundleMatter("sign", optional=True))
    message = catalog_error(bundles_=[b])
    assert "bundles.restaurant.matters" in message and "duplicate" in message and "'sign'" in message


def test_shared_material_code_with_two_names():
    renamed = replace(LEASE, name="房屋产权证明")
    message = catalog_error(matters_=with_matter(matter("sign", "urban", materials=[SIGN_DESIGN, renamed])))
    assert "matters.sign.materials.lease" in message
    assert LEASE.name in message and "房屋产权证明" in message


def test_bundle_without_matters():
    message = catalog_error(bundles_=[Bundle("empty", "空", 5, ())])
    assert "bundles.empty.matters" in message


# --- materials_of ---------------------------------------------------------------------------


def test_materials_of_lists_each_shared_material_once_in_catalog_order():
    catalog = build_catalog(agencies(), matters(), [bundle()])
    assert catalog.materials_of(["biz", "food", "sign", "fire"]) == (
        "id_card",
        "lease",
        "floor_plan",
        "sign_design",
    )


def test_materials_of_follows_the_order_of_the_matters_asked_for():
    catalog = build_catalog(agencies(), matters(), [bundle()])
    assert catalog.materials_of(["sign", "biz"]) == ("sign_design", "lease", "id_card")
    assert catalog.materials_of([]) == ()


# --- dependency_order ---------------------------------------------------------------------


def test_dependency_order_puts_prerequisites_first_and_keeps_the_rest_stable():
    graph = {
        "tobacco": ("biz",),
        "food": ("biz",),
        "sign": (),
        "biz": (),
        "opening": ("food", "fire"),
        "fire": (),
    }
    order = dependency_order(graph)
    assert sorted(order) == sorted(graph)
    for code, deps in graph.items():
        for dep in deps:
            assert order.index(dep) < order.index(code), (dep, code)
    # Independent matters keep the order they were given in.
    assert [c for c in order if c in ("sign", "biz", "fire")] == ["sign", "biz", "fire"]


def test_dependency_order_ignores_prerequisites_outside_the_graph():
    assert dependency_order({"food": ("biz",), "sign": ()}) == ["food", "sign"]


def test_dependency_order_refuses_a_cycle():
    with pytest.raises(CatalogError) as err:
        dependency_order({"a": ("b",), "b": ("a",), "c": ()})
    assert "a" in str(err.value) and "b" in str(err.value)


# --- scale: linear checks, shared lists, stored versions --------------------------------------


def test_shared_material_from_two_sources_names_both():
    pulled = replace(LEASE, shared_from="property_registry")
    message = catalog_error(matters_=with_matter(matter("sign", "urban", materials=[SIGN_DESIGN, pulled])))
    assert "matters.sign.materials.lease.shared_from" in message
    assert "property_registry" in message and "the applicant" in message


def test_matters_sharing_one_long_material_list_build_and_index():
    shared = [Material(f"m{i}", f"材料{i}", core=i % 2 == 0) for i in range(300)]
    ms = [matter(f"x{i}", materials=shared, depends_on=[f"x{i - 1}"] if i else []) for i in range(300)]
    catalog = build_catalog(agencies(), ms, [bundle("big", *(BundleMatter(f"x{i}") for i in range(300)))])
    assert len(catalog.material_names()) == 300
    assert catalog.matters["x7"].is_core("m2") and not catalog.matters["x7"].is_core("m3")
    assert catalog.materials_of(["x0", "x299"]) == tuple(f"m{i}" for i in range(300))


def test_a_long_dependency_chain_is_ordered_and_a_cycle_in_it_found():
    chain = {f"s{i}": (f"s{i - 1}",) if i else () for i in range(2000)}
    assert dependency_order(dict(reversed(chain.items()))) == list(chain)
    ms = [matter(code, depends_on=deps) for code, deps in chain.items()]
    ms[0] = matter("s0", depends_on=["s1999"])
    message = catalog_error(matters_=ms, bundles_=[])
    assert_is_cycle(message, set(chain), ms)


def test_a_stored_document_builds_without_checks_and_takes_defaults_for_keys_it_lacks():
    from schemas.catalog import catalog_from_document

    document = {
        "agencies": [{"code": "SAMR", "name": "市场监管局"}],
        "matters": [{"code": "A", "name": "甲", "agency": "SAMR", "promised_days": 2, "statutory_days": 5,
                     "materials": [{"code": "M", "name": "材料"}]},
                    {"code": "B", "name": "乙", "agency": "SAMR", "promised_days": 2, "statutory_days": 5,
                     "materials": [{"code": "M", "name": "材料"}]}],
        "bundles": [{"code": "AB", "name": "甲乙", "promised_days": 3,
                     "matters": [{"matter": "A"}, {"matter": "B", "optional": True}]}],
    }
    catalog = catalog_from_document(document, checked=True)
    assert catalog.matters["A"].grace_days == 15 and catalog.bundles["AB"].max_promised_materials == 3
    assert catalog.matters["A"].materials[0] is catalog.matters["B"].materials[0]  # one object per material
    document["matters"][0]["agency"] = "NOBODY"  # a stored version is trusted: checked when it was loaded
    assert catalog_from_document(document, checked=True).matters["A"].agency == "NOBODY"
    with pytest.raises(CatalogError):
        catalog_from_document(document)


def test_a_yaml_catalog_may_use_a_province_s_numeric_matter_codes():
    from services.catalog import parse_catalog_text

    document, catalog = parse_catalog_text("""
agencies: [{code: SAMR, name: 市场监督管理局}]
matters:
  - {code: 113301000001, name: 营业执照, agency: SAMR, promised_days: 1, statutory_days: 3}
  - {code: 113301000002, name: 食品经营许可, agency: SAMR, promised_days: 3, statutory_days: 10,
     depends_on: [113301000001]}
bundles:
  - {code: 9001, name: 开办餐饮店, promised_days: 4, matters: [{matter: 113301000001}, {matter: 113301000002}]}
""")
    assert catalog.matters["113301000002"].depends_on == ("113301000001",)
    assert catalog.bundles["9001"].matter_codes() == ("113301000001", "113301000002")
    assert document["matters"][0]["code"] == "113301000001"
