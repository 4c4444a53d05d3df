"""The cells of an implementation list (services.catalog_sheet.columns): codes, days, flags, fees, modes."""

from __future__ import annotations

import pytest

from services.catalog_sheet.columns import _code, _codes, _core, _days, _fee, _flag, _mode, _steps, steps_text


def test_a_numeric_code_is_taken_as_its_digits_and_a_rounded_one_refused():
    assert _code(113301000012) == "113301000012"
    assert _code(113301000012.0) == "113301000012"
    assert _code(" food_business ") == "FOOD_BUSINESS"
    assert _code("000172008000") == "000172008000"  # text keeps its leading zeros
    with pytest.raises(ValueError, match="store the code as text"):
        _code(1.1330100000123457e17)
    with pytest.raises(ValueError, match="not a code"):
        _code("食品许可")


def test_prerequisites_split_on_any_separator():
    assert _codes("BIZ_LICENCE；FIRE_CHECK、11330100 ,TAX") == ["BIZ_LICENCE", "FIRE_CHECK", "11330100", "TAX"]
    assert _codes(None) == []


@pytest.mark.parametrize("cell, days", [(20, 20), (20.0, 20), ("20", 20), ("20个工作日", 20), ("5 工作日", 5)])
def test_working_days(cell, days):
    assert _days(cell) == days


@pytest.mark.parametrize("cell", ["五天", 0, "-3", 2.5, ""])
def test_not_working_days(cell):
    with pytest.raises(ValueError):
        _days(cell)


def test_flags_material_kinds_fees_and_modes():
    assert _flag("是") and _flag("YES") and not _flag("否") and not _flag(None)
    with pytest.raises(ValueError):
        _flag("也许")
    assert _core("主要") and not _core("次要材料")
    assert _fee("免费") == "0" and _fee(None) == "0" and _fee("80元") == "80" and _fee(550) == "550"
    for bad in ("-5", "一百", "1.005"):
        with pytest.raises(ValueError):
            _fee(bad)
    assert _mode("审批改为备案") == "approval_to_filing" and _mode("optimise_service") == "optimise_service"
    with pytest.raises(ValueError):
        _mode("全部取消")


def test_a_sign_off_chain_in_one_cell():
    steps = _steps("初审、审核；签发（负责人）")
    assert steps == [{"name": "初审", "role": "reviewer"}, {"name": "审核", "role": "reviewer"},
                     {"name": "签发", "role": "head"}]
    assert _steps(steps_text(steps)) == steps
    with pytest.raises(ValueError, match="not a step"):
        _steps("签发（局长）")
