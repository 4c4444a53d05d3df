"""好差评: rating a finished case, the signed token that lets the applicant rate online, and the rules of
rectification (回访, 整改, 申诉复核). Pure rules: no database, no clock read, no key file.

A rating is given once per case and channel (一次一评 at the window, 一事一评 online) on five levels; a
level of 2 or 1 is a bad rating (差评), which opens a rectification item for each agency it concerns.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date
from enum import IntEnum, StrEnum

from approvals.errors import BadInput, Forbidden, Refused
from approvals.review import FINISHED_CASE


class Level(IntEnum):
    VERY_SATISFIED = 5  # 非常满意
    SATISFIED = 4  # 满意
    FAIRLY_SATISFIED = 3  # 基本满意
    DISSATISFIED = 2  # 不满意
    VERY_DISSATISFIED = 1  # 非常不满意

    @property
    def label(self) -> str:
        return LEVEL_NAMES[self.value]

    @property
    def bad(self) -> bool:
        return self.value <= Level.DISSATISFIED


LEVEL_NAMES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
SATISFIED_LEVELS = (3, 4, 5)  # the satisfaction rate counts these


class Channel(StrEnum):
    WINDOW = "window"  # at the hall (一次一评)
    ONLINE = "online"  # through the link on the receipt or the results notice (一事一评)


INDICATORS: dict[Channel, tuple[str, ...]] = {
    Channel.WINDOW: ("整体满意度", "服务效率", "服务水平", "服务态度"),
    Channel.ONLINE: ("整体满意度", "办事效率", "办事指南精确度", "办事便捷度", "平台操作性"),
}

RATABLE = tuple(sorted(s.value for s in FINISHED_CASE))  # a case is rated once it has ended, however it ended
HALL = "HALL"  # the hall itself: answers a bad rating that names no agency as bad (政务服务中心)


def level(value: int, what: str = "--level") -> Level:
    if value not in LEVEL_NAMES:
        raise BadInput(f"{what} {value} is not a level: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意")
    return Level(value)


def indicators(channel: Channel, given: dict[str, int]) -> dict[str, int]:
    """The channel's indicators the applicant scored (each 1..5); an unknown one is bad input."""
    known = INDICATORS[channel]
    for name, value in given.items():
        if name not in known:
            raise BadInput(f"unknown {channel.value} indicator {name!r} (one of: {', '.join(known)})")
        level(value, f"indicator {name}")
    return {name: given[name] for name in known if name in given}


def agency_levels(overall: int, matter_levels: dict[str, int], agency_given: dict[str, int],
                  matter_agency: dict[str, str], agencies: list[str]) -> dict[str, int]:
    """Each agency of the case's level: as given for it, else the lowest given for one of its matters,
    else the overall level."""
    result = {}
    for agency in agencies:
        if agency in agency_given:
            result[agency] = agency_given[agency]
            continue
        mine = [lvl for matter, lvl in matter_levels.items() if matter_agency[matter] == agency]
        result[agency] = min(mine) if mine else overall
    return result


def answerable(overall: int, by_agency: dict[str, int]) -> list[str]:
    """Who answers a rating: every agency rated bad; the hall when only the overall level is bad."""
    bad = [agency for agency, lvl in by_agency.items() if Level(lvl).bad]
    if bad:
        return bad
    return [HALL] if Level(overall).bad else []


# --- the signed, single-use rating token ---------------------------------------------------------

_TOKEN = re.compile(r"^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$")
_BODY = re.compile(r"^([A-Za-z0-9-]{1,32})\|(\d{8})\|([0-9a-f]{16})$")


@dataclass(frozen=True)
class TokenClaims:
    case_no: str
    expires: date  # the last day it may be used
    nonce: str

    @property
    def digest(self) -> str:
        """What a rating keeps of its token: enough to refuse it twice, useless to rate with."""
        return hashlib.sha256(f"{self.case_no}|{self.nonce}".encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_token(key: bytes, case_no: str, expires: date, nonce: str) -> str:
    """`BODY.SIGNATURE`, both base64url: the case, the last day, a nonce, HMAC-SHA256 under the rating key."""
    body = f"{case_no}|{expires:%Y%m%d}|{nonce}".encode()
    return f"{_b64(body)}.{_b64(hmac.new(key, body, hashlib.sha256).digest())}"


def read_token(key: bytes, token: str, today: date) -> TokenClaims:
    """The token's claims if it is genuine and not expired: malformed is bad input (exit 2); a wrong
    signature (forged, or for another installation) and an expired token are forbidden (exit 1, HTTP 403)."""
    shape = _TOKEN.match((token or "").strip())
    body = None
    if shape:
        try:
            body = _unb64(shape.group(1))
        except ValueError:
            body = None
    parts = _BODY.match(body.decode("ascii", "replace")) if body else None
    if parts is None or _b64(body) != shape.group(1):  # one spelling per token: no equivalent variants
        raise BadInput("not a rating token (it is the text after /rate/ in the link)")
    expected = _b64(hmac.new(key, body, hashlib.sha256).digest())
    if not hmac.compare_digest(expected, shape.group(2)):  # as text: a changed padding bit is a change
        raise Forbidden("this rating token is not genuine")
    try:
        expires = date(int(parts.group(2)[:4]), int(parts.group(2)[4:6]), int(parts.group(2)[6:]))
    except ValueError:
        raise BadInput("not a rating token (its date is not a date)") from None
    if today > expires:
        raise Forbidden(f"this rating token expired on {expires.isoformat()}")
    return TokenClaims(parts.group(1), expires, parts.group(3))


# --- rectification (回访, 整改) and appeal (申诉复核) -------------------------------------------


class RectificationStatus(StrEnum):
    OPEN = "open"  # waiting for the call-back (回访)
    CALLED_BACK = "called_back"  # called back; waiting for the fix (整改) or an explanation
    FIXED = "fixed"  # closed: fixed, and called back again
    EXPLAINED = "explained"  # closed: no legal basis to act, an explanation given
    VOIDED = "voided"  # closed: the rating was voided on appeal


CLOSED = (RectificationStatus.FIXED, RectificationStatus.EXPLAINED, RectificationStatus.VOIDED)


class Step(StrEnum):
    CALLBACK = "callback"
    FIXED = "fixed"
    EXPLAINED = "explained"
    APPEAL = "appeal"
    UPHOLD = "uphold"
    VOID = "void"


def next_status(status: RectificationStatus, step: Step, appeal: str | None) -> RectificationStatus:
    """Where a step takes an item; a step out of turn is refused (exit 1)."""
    if status in CLOSED:
        raise Refused(f"the rectification item is closed ({status.value})")
    if step is Step.CALLBACK:
        if status is not RectificationStatus.OPEN:
            raise Refused("the applicant was called back already")
        return RectificationStatus.CALLED_BACK
    if step in (Step.FIXED, Step.EXPLAINED):
        if status is RectificationStatus.OPEN:
            raise Refused("call the applicant back first (回访: rectify ID --callback --note TEXT)")
        return RectificationStatus(step.value)
    if step is Step.APPEAL:
        if appeal is not None:
            raise Refused(f"the rating was appealed already ({appeal})")
        return status
    if appeal != "pending":
        raise Refused("no appeal is waiting for a decision (rectify ID --appeal --reason TEXT)")
    return RectificationStatus.VOIDED if step is Step.VOID else status


def on_time(done: date | None, due: date | None) -> bool:
    return done is not None and due is not None and done <= due


def rate(part: int, whole: int) -> float | None:
    """A share rounded to four places; None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


def ranked(rows: list[dict], key: str) -> list[dict]:
    """Rows ordered best first by satisfaction rate, then by count; equal figures share a rank (1, 1, 3)."""
    def score(r):
        return (-(r["satisfaction_rate"] if r["satisfaction_rate"] is not None else -1), -r["count"])

    ordered = sorted(rows, key=lambda r: (*score(r), str(r[key])))
    for position, row in enumerate(ordered):
        same = position and score(ordered[position - 1]) == score(row)
        row["rank"] = ordered[position - 1]["rank"] if same else position + 1
    return ordered
