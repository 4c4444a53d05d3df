"""The hall's languages: gettext catalogs (Babel), Chinese by default, English when the operator picks it.

The catalogs are kept as .po files only; they are compiled in memory when first asked for, so no
generated .mo file is ever committed or goes stale.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT = "zh_CN"
LANGUAGES = {"zh_CN": "中文", "en": "English"}  # each in its own language: a switch anyone can read
LANG_COOKIE = "hall_lang"


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of `language` (an unknown one falls back to the default)."""
    if language not in LANGUAGES:
        language = DEFAULT
    with po_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def language_of(cookie: str | None) -> str:
    return cookie if cookie in LANGUAGES else DEFAULT


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message
