"""Text is text: what a person types is checked before it is stored, and what is stored is made harmless
before it reaches another person's terminal.

Control characters (a NUL, `ESC [2J` that clears a screen, a fake colour), the C1 controls some terminals
obey, and the bidirectional overrides that reorder what is read are refused in input and removed from
output; newline is kept in long text (reasons, notes), tab is shown as a space.
"""

from __future__ import annotations

from typing import Any

import re
import unicodedata
from approvals.errors import BadInput
from approvals.identifiers import mask_text

# C0 (but newline), DEL, C1, and the Unicode controls that reorder or hide text (bidi overrides, isolates)
_UNSAFE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def printable(text: str) -> str:
    """`text` with terminal escape sequences and control characters removed (newline kept, tab a space)."""
    text = _ESCAPE_SEQUENCE.sub("", text.replace("\t", " "))
    return _UNSAFE.sub("", text)


def text_problem(text: str, *, long: bool = False) -> str | None:
    """Why `text` may not be stored as typed (None: it may). Long text (a reason, a note) may hold newlines."""
    for ch in text:
        if ch == "\n" and long:
            continue
        if _UNSAFE.match(ch) or ch == "\n" or unicodedata.category(ch) in ("Cs", "Co"):
            return f"contains a control character (U+{ord(ch):04X})"
    return None


def clean_name(text: str | None, field: str) -> str:
    """A name (an applicant's, a person's, a leader's): one line of printable text, not blank."""
    if text is None or not text.strip():
        raise BadInput(f"{field} is blank")
    return clean_text(text, field).strip()


def clean_text(text: str, field: str, *, long: bool = False) -> str:
    """Free text as typed, refused (exit 2) if it holds control characters."""
    problem = text_problem(text, long=long)
    if problem:
        raise BadInput(f"{field} {problem}")
    return text


def shown(value: Any, *, unmasked: bool = False) -> Any:
    """What may reach a screen, a pipe or an HTTP client: every string made printable and, unless an
    administrator asked for it unmasked, with its identifiers masked (approvals.identifiers.mask_text).
    The CLI (commands.common) and the API (web.api) both print through this."""
    if isinstance(value, str):
        return printable(value) if unmasked else mask_text(printable(value))
    if isinstance(value, dict):
        return {k: shown(v, unmasked=unmasked) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [shown(v, unmasked=unmasked) for v in value]
    return value

