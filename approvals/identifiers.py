"""Chinese identifiers: unified social credit code (GB 32100-2015) and resident ID (GB 11643)."""

from __future__ import annotations

import re

from datetime import date

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_ID_CHECK = "10X98765432"
_DIGITS = "0123456789"  # ASCII only: str.isdigit() would let full-width and superscript digits in


def uscc_check_char(body: str) -> str:
    """The 18th character of a unified social credit code whose first 17 are `body`."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(body, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None when it is."""
    if len(code) != 18:
        return f"must be 18 characters, got {len(code)}"
    bad = sorted({ch for ch in code if ch not in USCC_ALPHABET})
    if bad:
        return f"contains characters outside the GB 32100 alphabet: {''.join(bad)}"
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return f"check character is {code[17]}, expected {expected}"
    return None


def resident_id_check_char(body: str) -> str:
    """The 18th character (ISO 7064 MOD 11-2) of a resident ID whose first 17 digits are `body`."""
    total = sum(int(ch) * w for ch, w in zip(body, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def resident_id_problem(number: str, today: date | None = None) -> str | None:
    """Why `number` is not a valid 18-digit resident ID, or None when it is.

    The area code is deliberately not checked: codes of abolished counties stay valid on old cards.
    """
    if len(number) != 18:
        return f"must be 18 characters, got {len(number)}"
    if any(ch not in _DIGITS for ch in number[:17]) or number[17] not in _DIGITS + "X":
        return "must be 17 digits followed by a digit or X"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return f"birth date {number[6:14]} is not a real date"
    if born.year < 1900 or (today is not None and born > today):
        return f"birth date {born.isoformat()} is out of range"
    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        return f"check character is {number[17]}, expected {expected}"
    return None


def mask_phone(phone: str | None) -> str | None:
    """`138****5678`."""
    if phone is None:
        return None
    digits = phone.replace(" ", "").replace("-", "")
    return mask(digits, keep_start=3, keep_end=4)


_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
                          r"[0-9]{3}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def mask_text(text: str) -> str:
    """Free text (a reason, a timeline detail) with any resident ID or mobile number in it masked."""
    text = _RESIDENT_ID.sub(lambda m: mask(m.group(0)), text)
    return _MOBILE.sub(lambda m: mask(m.group(0), keep_start=3, keep_end=4), text)


def mask(identifier: str, keep_start: int = 6, keep_end: int = 4) -> str:
    """`430981********2810`: enough to recognise, not enough to misuse."""
    if len(identifier) <= keep_start + keep_end:
        return "*" * len(identifier)
    hidden = len(identifier) - keep_start - keep_end
    return identifier[:keep_start] + "*" * hidden + identifier[len(identifier) - keep_end:]
