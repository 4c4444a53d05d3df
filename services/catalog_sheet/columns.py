"""The implementation list's three sheets, their columns, and how each cell reads into a catalog value (and back)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from approvals.catalog import REFORM_MODES

MATTERS, MATERIALS, BUNDLES = "事项", "材料", "一件事"
CODE = re.compile(r"^[A-Z0-9][A-Z0-9_]*$")
SEPARATORS = re.compile(r"[;；,，、\s]+")
YES, NO = {"是", "yes", "y", "true", "1", "允许", "可选"}, {"否", "no", "n", "false", "0", "不允许", "", "必选"}
CORE, SECONDARY = {"主要", "主要材料", "核心", "core"}, {"次要", "次要材料", "非核心", "secondary"}
FREE = {"免费", "不收费", "无", "0", ""}
MODE_BY_LABEL = {label: key for key, label in REFORM_MODES.items()} | {key: key for key in REFORM_MODES}


@dataclass(frozen=True)
class Column:
    header: str  # as the province's list names it
    key: str  # the catalog's field
    required: bool = False
    read: Callable[[object], object] = str  # raises ValueError with a message for a bad cell


def _text(value: object) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise ValueError("is empty")
    return text


def _code(value: object) -> str:
    """A code as text; a number is taken as its digits (a province's 事项编码), never rounded."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a code")
    if isinstance(value, float):
        if not value.is_integer() or value >= 2**53:
            raise ValueError(f"{value!r} is a rounded number: store the code as text")
        value = int(value)
    text = _text(value).upper()
    if not CODE.match(text):
        raise ValueError(f"{text!r} is not a code (capital letters, digits and _, starting with a letter or digit)")
    return text


def _days(value: object) -> int:
    text = _text(value).removesuffix("个工作日").removesuffix("工作日").removesuffix("天").strip()
    try:
        days = int(float(text)) if isinstance(value, float) and value.is_integer() else int(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a number of working days") from None
    if days < 1:
        raise ValueError(f"{days} is not a number of working days (at least 1)")
    return days


def _flag(value: object) -> bool:
    return _either("" if value is None else str(value).strip().lower(), YES, NO, "是 nor 否")


def _core(value: object) -> bool:
    return _either(_text(value), CORE, SECONDARY, "主要 nor 次要")


def _either(text: str, true_words: set[str], false_words: set[str], names: str) -> bool:
    if text in true_words:
        return True
    if text in false_words:
        return False
    raise ValueError(f"{text!r} is neither {names}")


def _fee(value: object) -> str:
    text = "" if value is None else str(value).strip().removesuffix("元").strip()
    if text in FREE:
        return "0"
    try:
        fee = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not 免费 or an amount in yuan") from None
    if fee < 0 or fee != fee.quantize(Decimal("0.01")):
        raise ValueError(f"{value!r} is not an amount in yuan (fen at most)")
    return str(fee)


def _mode(value: object) -> str:
    text = _text(value)
    if text not in MODE_BY_LABEL:
        raise ValueError(f"{text!r} is not one of {', '.join(REFORM_MODES.values())}")
    return MODE_BY_LABEL[text]


def _codes(value: object) -> list[str]:
    return [_code(part) for part in SEPARATORS.split("" if value is None else str(value).strip()) if part]


def _source(value: object) -> str:
    text = _text(value)
    if not re.match(r"^[a-z][a-z0-9_]*$", text):
        raise ValueError(f"{text!r} is not a data-sharing service's name (lower case letters, digits, _)")
    return text


STEP_ROLES = {"": "reviewer", "审批人员": "reviewer", "reviewer": "reviewer", "负责人": "head", "head": "head"}
STEP = re.compile(r"^(?P<name>[^（(]+)(?:[（(](?P<role>[^）)]*)[）)])?$")


def _steps(value: object) -> list[dict]:
    """A sign-off chain: `初审、审核、签发（负责人）`, each step signed by a reviewer unless it names 负责人."""
    steps = []
    for part in SEPARATORS.split(_text(value)):
        found = STEP.match(part) if part else None
        role = STEP_ROLES.get((found.group("role") or "").strip()) if found else None
        if found is None or role is None:
            raise ValueError(f"{part!r} is not a step (a name, and （负责人） when the head signs it)")
        steps.append({"name": found.group("name").strip(), "role": role})
    return steps


def steps_text(steps: list[dict]) -> str:
    """A sign-off chain as its cell reads: the inverse of `_steps`."""
    return "、".join(s["name"] + ("（负责人）" if s.get("role") == "head" else "") for s in steps)


def fee_text(fee: object) -> str:
    """A fee as its cell reads: 免费, or the amount in yuan."""
    return "免费" if fee in (None, "0", 0) or Decimal(str(fee)) == 0 else str(fee)


SHEETS: dict[str, tuple[Column, ...]] = {
    MATTERS: (
        Column("事项编码", "code", True, _code),
        Column("事项名称", "name", True, _text),
        Column("实施机构编码", "agency", True, _code),
        Column("实施机构", "agency_name", True, _text),
        Column("法定办结时限", "statutory_days", True, _days),
        Column("承诺办结时限", "promised_days", True, _days),
        Column("前置事项", "depends_on", False, _codes),
        Column("告知承诺", "notification_commitment", False, _flag),
        Column("证照分离", "reform_mode", False, _mode),
        Column("收费标准", "fee_yuan", False, _fee),
        Column("容缺补齐时限", "promise_days", False, _days),
        Column("退件宽限期", "grace_days", False, _days),
        Column("核查时限", "verify_days", False, _days),
        Column("可承诺材料", "promisable", False, _codes),
        Column("当场办结", "on_the_spot", False, _flag),
        Column("审批环节", "steps", False, _steps),
    ),
    MATERIALS: (
        Column("事项编码", "matter", True, _code),
        Column("材料编码", "code", True, _code),
        Column("材料名称", "name", True, _text),
        Column("材料类型", "core", True, _core),
        Column("共享来源", "shared_from", False, _source),
    ),
    BUNDLES: (
        Column("一件事编码", "bundle", True, _code),
        Column("一件事名称", "name", False, _text),
        Column("承诺办结时限", "promised_days", False, _days),
        Column("事项编码", "matter", True, _code),
        Column("可选", "optional", False, _flag),
    ),
}


def letter(index: int) -> str:
    """The letter a spreadsheet shows for the column at `index` (from 0)."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
