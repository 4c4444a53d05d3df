"""好差评 rules without a database: levels, who answers a bad rating, the signed token, rectification steps,
rates and ranking."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import date

import pytest

from approvals.errors import BadInput, Forbidden, Refused
from approvals.ratings import (
    HALL,
    Channel,
    Level,
    RectificationStatus as S,
    Step,
    agency_levels,
    answerable,
    indicators,
    level,
    next_status,
    on_time,
    rate,
    ranked,
    read_token,
    sign_token,
)

KEY = hashlib.sha256(b"test").digest()
TODAY = date(2026, 3, 2)
MATTERS = {"BIZ_LICENCE": "SAMR", "FOOD_BUSINESS": "SAMR", "FIRE_CHECK": "FIRE"}


def test_levels_and_their_names():
    assert [Level(n).label for n in (5, 4, 3, 2, 1)] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert [Level(n).bad for n in (5, 4, 3, 2, 1)] == [False, False, False, True, True]
    for wrong in (0, 6, -1):
        with pytest.raises(BadInput, match="is not a level"):
            level(wrong)


def test_indicators_belong_to_their_channel_and_keep_their_order():
    assert list(indicators(Channel.WINDOW, {"服务态度": 5, "整体满意度": 4})) == ["整体满意度", "服务态度"]
    assert indicators(Channel.ONLINE, {"平台操作性": 3}) == {"平台操作性": 3}
    with pytest.raises(BadInput, match="unknown online indicator"):
        indicators(Channel.ONLINE, {"服务态度": 5})
    with pytest.raises(BadInput, match="is not a level"):
        indicators(Channel.WINDOW, {"服务态度": 7})


def test_an_agency_takes_its_own_level_else_its_lowest_matter_else_the_case_level():
    agencies = ["SAMR", "FIRE"]
    assert agency_levels(4, {}, {}, MATTERS, agencies) == {"SAMR": 4, "FIRE": 4}
    assert agency_levels(4, {"BIZ_LICENCE": 5, "FOOD_BUSINESS": 2}, {}, MATTERS, agencies) == {"SAMR": 2, "FIRE": 4}
    assert agency_levels(1, {"FIRE_CHECK": 2}, {"FIRE": 5}, MATTERS, agencies) == {"SAMR": 1, "FIRE": 5}


def test_every_agency_rated_bad_answers_else_the_hall_when_only_the_case_is_bad():
    assert answerable(2, {"SAMR": 2, "FIRE": 1}) == ["SAMR", "FIRE"]
    assert answerable(4, {"SAMR": 4, "FIRE": 1}) == ["FIRE"]
    assert answerable(1, {"SAMR": 5, "FIRE": 4}) == [HALL]
    assert answerable(3, {"SAMR": 3}) == []


def test_a_token_reads_back_until_its_last_day_and_refuses_any_change():
    token = sign_token(KEY, "OV20260302000001", date(2026, 5, 31), "0123456789abcdef")
    claims = read_token(KEY, token, TODAY)
    assert (claims.case_no, claims.expires, claims.nonce) == ("OV20260302000001", date(2026, 5, 31), "0123456789abcdef")
    assert read_token(KEY, token, date(2026, 5, 31)).digest == claims.digest
    with pytest.raises(Refused, match="expired on 2026-05-31"):
        read_token(KEY, token, date(2026, 6, 1))
    with pytest.raises(Refused, match="not genuine"):
        read_token(hashlib.sha256(b"another installation").digest(), token, TODAY)
    body, signature = token.split(".")
    longer = base64.urlsafe_b64encode(b"OV20260302000002|20260531|0123456789abcdef").rstrip(b"=").decode()
    with pytest.raises(Refused, match="not genuine"):
        read_token(KEY, f"{longer}.{signature}", TODAY)
    for garbage in ("", "x", f"{body}.", f".{signature}", f"{body}.{signature}x", "a.b.c", f"{body}!.{signature}"):
        with pytest.raises(BadInput, match="not a rating token"):
            read_token(KEY, garbage, TODAY)


def test_every_other_spelling_of_a_token_is_refused():
    """The last base64 character of the signature carries two unused bits: flipping one is still a change."""
    token = sign_token(KEY, "OV20260302000001", date(2026, 5, 31), "0123456789abcdef")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    for other in {alphabet[last ^ 1], alphabet[last ^ 2], alphabet[last ^ 3]}:
        with pytest.raises(Forbidden, match="not genuine"):
            read_token(KEY, token[:-1] + other, TODAY)
    body, signature = token.split(".")
    twin = body[:-1] + alphabet[alphabet.index(body[-1]) ^ 1] if len(body) % 4 else None
    if twin is not None:
        with pytest.raises(BadInput, match="not a rating token"):
            read_token(KEY, f"{twin}.{signature}", TODAY)


def test_a_well_signed_body_of_the_wrong_shape_is_still_not_a_token():
    body = b"OV1|2026-05-31|nonce"
    signature = base64.urlsafe_b64encode(hmac.new(KEY, body, hashlib.sha256).digest()).rstrip(b"=").decode()
    with pytest.raises(BadInput, match="not a rating token"):
        read_token(KEY, f"{base64.urlsafe_b64encode(body).rstrip(b'=').decode()}.{signature}", TODAY)


def test_rectification_steps_come_in_turn():
    assert next_status(S.OPEN, Step.CALLBACK, None) is S.CALLED_BACK
    assert next_status(S.CALLED_BACK, Step.FIXED, None) is S.FIXED
    assert next_status(S.CALLED_BACK, Step.EXPLAINED, None) is S.EXPLAINED
    assert next_status(S.OPEN, Step.APPEAL, None) is S.OPEN
    assert next_status(S.CALLED_BACK, Step.UPHOLD, "pending") is S.CALLED_BACK
    assert next_status(S.OPEN, Step.VOID, "pending") is S.VOIDED
    refusals = [(S.OPEN, Step.FIXED, None, "call the applicant back first"),
                (S.CALLED_BACK, Step.CALLBACK, None, "called back already"),
                (S.FIXED, Step.APPEAL, None, "closed"), (S.VOIDED, Step.CALLBACK, None, "closed"),
                (S.OPEN, Step.APPEAL, "upheld", "appealed already"), (S.OPEN, Step.VOID, None, "no appeal"),
                (S.OPEN, Step.UPHOLD, "voided", "no appeal")]
    for status, step, appeal, needle in refusals:
        with pytest.raises(Refused, match=needle):
            next_status(status, step, appeal)


def test_on_time_rates_and_ranking():
    assert on_time(date(2026, 3, 3), date(2026, 3, 3)) and not on_time(date(2026, 3, 4), date(2026, 3, 3))
    assert not on_time(None, date(2026, 3, 3)) and not on_time(date(2026, 3, 3), None)
    assert (rate(2, 3), rate(0, 0), rate(1, 1)) == (0.6667, None, 1.0)
    rows = ranked([{"a": "X", "satisfaction_rate": 0.5, "count": 2}, {"a": "Y", "satisfaction_rate": 0.9, "count": 1},
                   {"a": "Z", "satisfaction_rate": 0.5, "count": 2}, {"a": "W", "satisfaction_rate": None, "count": 0}],
                  "a")
    assert [(r["a"], r["rank"]) for r in rows] == [("Y", 1), ("X", 2), ("Z", 2), ("W", 4)]
