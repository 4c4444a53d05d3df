"""Unit tests for approvals.intake: one window, everything missing listed at once (补正一次性告知)."""

from __future__ import annotations

import pytest

from approvals.catalog import Agency, Bundle, BundleMatter, Catalog, Material, Matter, build_catalog
from approvals.errors import BadInput
from approvals.intake import assess, select_matters
from approvals.review import CaseStatus

ID_CARD = Material("id_card", "法定代表人身份证")
LEASE = Material("lease", "经营场所租赁合同")
ARTICLES = Material("articles", "公司章程")
FOOD_PLAN = Material("food_safety_plan", "食品安全管理制度")
FLOOR_PLAN = Material("floor_plan", "经营场所平面图")
SIGN_DESIGN = Material("sign_design", "招牌设计图", core=False)
FIRE_PLAN = Material("fire_plan", "消防设施说明")
TOBACCO_FORM = Material("tobacco_form", "烟草专卖零售许可申请表")
TOBACCO_PHOTO = Material("tobacco_photo", "烟草标识照片")
BUILDING_PERMIT = Material("building_permit", "施工许可证")  # in the catalog, not in the bundle

# Every material the full restaurant bundle needs, each once, in bundle-then-matter order.
ALL_RESTAURANT_MATERIALS = (
    "id_card",
    "lease",
    "articles",
    "food_safety_plan",
    "floor_plan",
    "sign_design",
    "fire_plan",
    "tobacco_form",
    "tobacco_photo",
)


def restaurant_catalog() -> Catalog:
    """开办餐饮店: licence first, food after it; sign and fire in parallel; tobacco optional."""
    agencies = [
        Agency("samr", "市场监管局"),
        Agency("urban", "城管局"),
        Agency("fire", "消防救援支队"),
        Agency("tobacco", "烟草专卖局"),
        Agency("housing", "住建局"),
    ]
    matters = [
        Matter("biz", "营业执照", "samr", 1, 15, materials=(ID_CARD, LEASE, ARTICLES)),
        Matter("food", "食品经营许可", "samr", 5, 20, ("biz",), True, (ID_CARD, LEASE, FOOD_PLAN, FLOOR_PLAN)),
        Matter("sign", "户外招牌设置", "urban", 3, 20, materials=(SIGN_DESIGN, LEASE)),
        Matter("fire", "公众聚集场所投入使用前消防安全检查", "fire", 7, 10, materials=(FLOOR_PLAN, FIRE_PLAN)),
        Matter("tobacco", "烟草专卖零售许可", "tobacco", 10, 20, ("biz",), materials=(TOBACCO_FORM, LEASE)),
        Matter("tobacco_sign", "烟草标识备案", "tobacco", 2, 5, ("tobacco",), materials=(TOBACCO_PHOTO,)),
        Matter("build", "建筑工程施工许可", "housing", 7, 15, materials=(BUILDING_PERMIT,)),
    ]
    bundles = [
        Bundle(
            "restaurant",
            "开办餐饮店",
            10,
            (
                BundleMatter("biz"),
                BundleMatter("food"),
                BundleMatter("sign"),
                BundleMatter("fire"),
                BundleMatter("tobacco", optional=True),
                BundleMatter("tobacco_sign", optional=True),
            ),
        ),
        Bundle("build", "工程建设", 15, (BundleMatter("build"),)),
    ]
    return build_catalog(agencies, matters, bundles)


@pytest.fixture
def catalog() -> Catalog:
    return restaurant_catalog()


@pytest.fixture
def restaurant(catalog) -> Bundle:
    return catalog.bundle("restaurant")


# --- accepted or asked for corrections ---------------------------------------------------------


def test_everything_provided_goes_into_review(catalog, restaurant):
    result = assess(catalog, restaurant, reversed(ALL_RESTAURANT_MATERIALS))
    assert result.status is CaseStatus.IN_REVIEW
    assert result.missing == ()
    assert result.required_materials == ALL_RESTAURANT_MATERIALS
    assert [p.matter for p in result.matters] == ["biz", "food", "sign", "fire", "tobacco", "tobacco_sign"]


def test_plans_carry_owner_dependencies_and_limits_from_the_catalog(catalog, restaurant):
    plans = {p.matter: p for p in assess(catalog, restaurant, ALL_RESTAURANT_MATERIALS).matters}
    food = plans["food"]
    assert (food.agency, food.depends_on, food.optional) == ("samr", ("biz",), False)
    assert (food.promised_days, food.statutory_days) == (5, 20)
    assert plans["tobacco"].optional and plans["tobacco"].agency == "tobacco"
    assert plans["fire"].depends_on == () and not plans["fire"].optional


def test_missing_materials_are_all_listed_at_once_in_catalog_order(catalog, restaurant):
    provided = ["lease", "sign_design", "tobacco_form", "id_card"]
    result = assess(catalog, restaurant, provided)
    assert result.status is CaseStatus.CORRECTION_REQUIRED
    assert result.missing == ("articles", "food_safety_plan", "floor_plan", "fire_plan", "tobacco_photo")
    # The plan is still worked out, so the front desk can tell the applicant what will happen.
    assert len(result.matters) == 6


def test_nothing_provided_lists_every_material(catalog, restaurant):
    result = assess(catalog, restaurant, [])
    assert result.status is CaseStatus.CORRECTION_REQUIRED
    assert result.missing == ALL_RESTAURANT_MATERIALS


def test_a_shared_material_is_asked_for_once(catalog, restaurant):
    # lease is needed by biz, food, sign and tobacco; floor_plan by food and fire.
    result = assess(catalog, restaurant, [])
    assert result.required_materials.count("lease") == 1
    assert result.missing.count("lease") == 1
    assert result.missing.count("floor_plan") == 1
    # Providing it once satisfies every matter that needs it.
    everything_but_lease = [m for m in ALL_RESTAURANT_MATERIALS if m != "lease"]
    assert assess(catalog, restaurant, everything_but_lease).missing == ("lease",)


def test_providing_a_material_twice_is_harmless(catalog, restaurant):
    result = assess(catalog, restaurant, list(ALL_RESTAURANT_MATERIALS) + ["lease", "id_card"])
    assert result.status is CaseStatus.IN_REVIEW


def test_unknown_material_is_bad_input(catalog, restaurant):
    with pytest.raises(BadInput) as err:
        assess(catalog, restaurant, ["id_card", "health_certificate"])
    assert "health_certificate" in str(err.value)


def test_material_of_another_bundle_is_bad_input(catalog, restaurant):
    with pytest.raises(BadInput) as err:
        assess(catalog, restaurant, ["id_card", "building_permit"])
    assert "building_permit" in str(err.value) and "restaurant" in str(err.value)


def test_material_only_of_an_unselected_optional_matter_is_bad_input(catalog, restaurant):
    with pytest.raises(BadInput) as err:
        assess(catalog, restaurant, ["tobacco_form"], optional_matters=[])
    assert "tobacco_form" in str(err.value)


# --- optional matters -----------------------------------------------------------------------


def test_no_selection_means_the_bundle_as_published(restaurant):
    assert select_matters(restaurant, None) == ("biz", "food", "sign", "fire", "tobacco", "tobacco_sign")


def test_empty_selection_keeps_only_required_matters(catalog, restaurant):
    result = assess(catalog, restaurant, [], optional_matters=[])
    assert [p.matter for p in result.matters] == ["biz", "food", "sign", "fire"]
    assert "tobacco_form" not in result.required_materials
    assert "tobacco_photo" not in result.required_materials


def test_selected_optional_matter_is_included_in_bundle_order(catalog, restaurant):
    result = assess(catalog, restaurant, [], optional_matters=["tobacco"])
    assert [p.matter for p in result.matters] == ["biz", "food", "sign", "fire", "tobacco"]
    assert "tobacco_form" in result.missing and "tobacco_photo" not in result.missing
    # Selection order does not change the plan.
    both = assess(catalog, restaurant, [], optional_matters=["tobacco_sign", "tobacco"])
    assert [p.matter for p in both.matters][-2:] == ["tobacco", "tobacco_sign"]


def test_naming_a_required_matter_as_optional_is_bad_input(catalog, restaurant):
    with pytest.raises(BadInput) as err:
        assess(catalog, restaurant, [], optional_matters=["food"])
    assert "food" in str(err.value) and "required" in str(err.value)


def test_naming_an_unknown_matter_is_bad_input(catalog, restaurant):
    for name in ("liquor", "build"):  # unknown anywhere; known but in another bundle
        with pytest.raises(BadInput) as err:
            assess(catalog, restaurant, [], optional_matters=[name])
        assert name in str(err.value)


def test_selected_matter_needing_an_unselected_optional_one_is_bad_input(catalog, restaurant):
    with pytest.raises(BadInput) as err:
        assess(catalog, restaurant, [], optional_matters=["tobacco_sign"])
    message = str(err.value)
    assert "tobacco_sign" in message and "tobacco" in message.replace("tobacco_sign", "")
