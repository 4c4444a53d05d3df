"""Chinese identifiers: unified social credit code (GB 32100-2015) and resident ID (GB 11643).

The check characters and the birth date come from python-stdnum (`stdnum.cn.uscc`, `stdnum.cn.ric`); the
rest stays ours, because stdnum's `validate` disagrees with our rules on three points:
- it normalises before checking (drops spaces and dashes, upper-cases), so `x` would pass for `X` and a
  lowercase code for an uppercase one; we refuse, and normalising is the caller's decision;
- for a USCC it wants digits in positions 1-8, but GB 32100 lets a letter stand first, the registering
  authority: `A` (the Central Military Commission's establishment office), `N` (agriculture: the rural
  collective economic organisations that come to a county hall) and `Y` (other); such codes would be
  refused (positions 3-8, the area code, are digits in GB 32100 too; we check only the alphabet there);
- for a resident ID it looks the area code up in its own table as of the holder's birth year, refusing
  codes it does not list and codes created after the holder was born (a Pudong card, 310115, of someone
  born before 1993), while an ID must never be refused for its area code.
Its errors also do not say what is wrong (length, alphabet, which check character, which date), ours do.
"""

from __future__ import annotations

import re
from datetime import date

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_DIGITS = "0123456789"  # ASCII only: str.isdigit() would let full-width and superscript digits in


def uscc_check_char(body: str) -> str:
    """The 18th character of a unified social credit code whose first 17 are `body`."""
    if len(body) != 17 or any(ch not in USCC_ALPHABET for ch in body):
        raise ValueError(f"a USCC body is 17 characters of the GB 32100 alphabet, got {body!r}")
    return uscc.calc_check_digit(body)  # stdnum would upper-case and drop spaces first: refused above


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
    if len(body) != 17 or any(ch not in _DIGITS for ch in body):
        raise ValueError(f"a resident ID body is 17 ASCII digits, got {body!r}")
    return ric.calc_check_digit(body + "?")  # stdnum takes the whole number and ignores its last character


def resident_id_problem(number: str, today: date | None = None) -> str | None:
    """Why `number` is not a valid 18-digit resident ID, or None when it is.

    The area code is deliberately not checked: codes of abolished counties stay valid on old cards.
    """
    if len(number) != 18:
        return f"must be 18 characters, got {len(number)}"
    if any(ch not in _DIGITS for ch in number[:17]) or number[17] not in _DIGITS + "X":
        return "must be 17 digits followed by a digit or X"
    try:
        born = ric.get_birth_date(number)
    except ValidationError:
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
# A mobile number as people write it (13912345678, 139 1234 5678, 139-1234-5678), and any number after the
# country code (+86 or 0086: a mobile or a landline with its area code), which is never anything but a phone.
# A mobile number is never part of a longer word of letters and digits: a flow run's id (c59ba178-7016-4421-...)
# is no phone.
_MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9A-Za-z])")
_COUNTRY_CODE = re.compile(r"(?:\+|(?<![0-9])00) ?86[ -]?(?:\(0?[0-9]{2,3}\)|[0-9])(?:[ -]?[0-9]){5,11}(?![0-9])")


def mask_text(text: str) -> str:
    """Free text with every resident ID and phone number in it masked: the one function every output of
    identifiers goes through (CLI tables and JSON, timeline details, reasons, notes, names, logs).

    `110105********002X`, `139****5678`, `+86 139****5678`; only an administrator's `--unmasked` skips it.
    """
    text = _RESIDENT_ID.sub(lambda m: mask(m.group(0)), text)
    text = _COUNTRY_CODE.sub(_mask_international, text)
    return _MOBILE.sub(lambda m: mask(_digits(m.group(0)), keep_start=3, keep_end=4), text)


def _mask_international(match: re.Match) -> str:
    number = match.group(0)
    prefix = number[:number.index("86") + 2]
    digits = _digits(number[len(prefix):])
    return f"{prefix} " + mask(digits, keep_start=3 if _MOBILE.fullmatch(digits) else 0, keep_end=4)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


def mask(identifier: str, keep_start: int = 6, keep_end: int = 4) -> str:
    """`430981********2810`: enough to recognise, not enough to misuse."""
    if len(identifier) <= keep_start + keep_end:
        return "*" * len(identifier)
    hidden = len(identifier) - keep_start - keep_end
    return identifier[:keep_start] + "*" * hidden + identifier[len(identifier) - keep_end:]
