"""好差评 through the CLI: rating at the window and online with the signed token, one rating per case and
channel, refusals that write nothing, rectification and appeals, masking of what the rater wrote."""

from __future__ import annotations

import base64
from datetime import timedelta

from tests.support import MONDAY, approve_all, at, nothing_written, submit

PHONE = "13912345678"


def finished_case(run, application) -> str:
    """A restaurant without its optional matters (SAMR: licence and food licence; FIRE: the check), issued."""
    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    assert approve_all(run, case_no)["status"] == "issued"
    return case_no


def ratings_of(run, case_no: str, *flags: str) -> list[dict]:
    result = run("ratings", "--case", case_no, "--json", *flags)
    assert result.code == 0, result.err
    return result.json()


def token_for(run, case_no: str, **kw) -> str:
    result = run("rating-token", case_no, "--json", "--operator", "window-1", **kw)
    assert result.code == 0, result.err
    assert result.json()["link"] == f"/rate/{result.json()['token']}"
    return result.json()["token"]


def rate(run, *args: str, **kw):
    return run("rate", *args, "--json", **kw)


def test_a_good_rating_at_the_window_and_online_then_a_second_refused(env, run, application):
    case_no = finished_case(run, application)
    result = rate(run, case_no, "--level", "5", "--indicator", "服务态度=5", "--indicator", "服务效率=4",
                  "--operator", "window-1")
    assert result.code == 0, result.err
    assert result.json()["channel"] == "window" and result.json()["rectifications"] == []
    assert result.json()["agencies"] == {"SAMR": 5, "FIRE": 5}

    with nothing_written(env.url):
        again = rate(run, case_no, "--level", "1", "--operator", "window-2")
    assert again.code == 1 and "rated at the window already" in again.err

    token = token_for(run, case_no)
    online = rate(run, "--token", token, "--level", "4", "--matter", "FIRE_CHECK", "--level", "3",
                  "--indicator", "办事便捷度=4")
    assert online.code == 0, online.err
    assert online.json()["agencies"] == {"SAMR": 4, "FIRE": 3}
    [window, web] = ratings_of(run, case_no)
    assert (window["channel"], window["level"], window["operator"]) == ("window", 5, "window-1")
    assert window["indicators"] == {"服务效率": 4, "服务态度": 5}
    # online: counted for the clerk who filed the case; the matter's level as given, its agency's derived
    assert (web["channel"], web["level"], web["operator"]) == ("online", 4, "window-1")
    assert {(i["matter"], i["agency"], i["level"], i["given"]) for i in web["items"]} == {
        ("FIRE_CHECK", "FIRE", 3, True), (None, "FIRE", 3, False), (None, "SAMR", 4, False)}
    assert {e["kind"] for e in run("show", case_no, "--json").json()["events"]} >= {"rated"}


def test_forged_expired_reused_tokens_and_unfinished_cases_are_refused(env, run, application):
    case_no = finished_case(run, application)
    token = token_for(run, case_no)
    body, signature = token.split(".")

    forged = f"{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    other = base64.urlsafe_b64encode(base64.urlsafe_b64decode(body + "==").replace(b"|20", b"|21", 1)).rstrip(b"=")
    with nothing_written(env.url):
        for bad, code, needle in ((forged, 1, "not genuine"), (f"{other.decode()}.{signature}", 1, "not genuine"),
                                  ("garbage", 2, "not a rating token"), (f"{body}.", 2, "not a rating token")):
            result = rate(run, "--token", bad, "--level", "5")
            assert (result.code, result.out) == (code, ""), (bad, result.err)
            assert needle in result.err and "Traceback" not in result.err
        expired = rate(run, "--token", token, "--level", "5", now=at(MONDAY + timedelta(days=91)))
        assert expired.code == 1 and "expired on" in expired.err
        wrong_case = rate(run, "OV20000101999999", "--token", token, "--level", "5", now=at(MONDAY))
        assert wrong_case.code == 1 and f"for case {case_no}" in wrong_case.err

    assert rate(run, "--token", token, "--level", "5").code == 0
    another = token_for(run, case_no)
    with nothing_written(env.url):
        reused = rate(run, "--token", token, "--level", "1")
        assert reused.code == 1 and "used already" in reused.err
        fresh = rate(run, "--token", another, "--level", "1")
        assert fresh.code == 1 and "rated online already" in fresh.err
    assert [r["level"] for r in ratings_of(run, case_no)] == [5]

    running = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    early = rate(run, "--token", token_for(run, running), "--level", "5")
    assert early.code == 1 and "rated once it has ended" in early.err


def test_a_case_refused_at_intake_is_rated_too_and_the_hall_answers(env, run, application):
    """不予受理 ends a case without any review: a bad rating has no agency to go to but the hall."""
    case_no = submit(run, application("RESTAURANT", optional_matters=[], omit=("LEASE",)))["case_no"]
    refused = run("refuse", case_no, "--reason", "经营场所不符合规划", "--json", "--operator", "window-1")
    assert refused.code == 0, refused.err
    result = rate(run, case_no, "--level", "1", "--comment", "没说清楚为什么", "--operator", "window-2")
    assert result.code == 0, result.err
    assert result.json()["agencies"] == {} and len(result.json()["rectifications"]) == 1
    [item] = [x for x in run("rectifications", "--agency", "HALL", "--json").json() if x["case_no"] == case_no]
    assert (item["operator"], item["level"], item["status"]) == ("window-2", 1, "open")


BAD_INPUT = [
    (("--level", "6"), "is not a level"),
    (("--level", "5", "--matter", "FIRE_CHECK"), "one for the case and one after each"),
    (("--level", "5", "--matter", "SIGNBOARD", "--level", "1"), "is not a matter of case"),
    (("--level", "5", "--agency", "TOBACCO", "--level", "1"), "did not review case"),
    (("--level", "5", "--agency", "FIRE", "--level", "0"), "is not a level"),
    (("--level", "5", "--indicator", "平台操作性=5"), "unknown window indicator"),
    (("--level", "5", "--indicator", "服务态度"), "NAME=LEVEL"),
    (("--level", "5", "--phone", "call me"), "is not a phone number"),
    (("--level", "5", "--comment", "长" * 2001), "at most 2000 characters"),
]


def test_bad_input_exits_2_and_writes_nothing(env, run, application):
    case_no = finished_case(run, application)
    with nothing_written(env.url):
        for args, needle in BAD_INPUT:
            result = rate(run, case_no, *args, "--operator", "window-1")
            assert result.code == 2 and needle in result.err and result.out == "", (args, result.err)


def test_only_window_clerks_record_a_rating_and_comments_and_phones_are_masked(env, run, application):
    case_no = finished_case(run, application)
    refused = rate(run, case_no, "--level", "5", "--operator", "SAMR-reviewer")
    assert refused.code == 1 and "may not record a rating" in refused.err
    comment = f"窗口人员态度不好, 请回电 {PHONE}, 身份证 11010519491231002X"
    result = rate(run, case_no, "--level", "4", "--comment", comment, "--phone", PHONE, "--operator", "window-1")
    assert result.code == 0, result.err
    assert result.json()["rectifications"] == []
    for flags in ((), ("--agency", "FIRE")):
        [shown] = ratings_of(run, case_no, *flags)
        assert PHONE not in str(shown) and "11010519491231002X" not in str(shown)
        assert shown["rater_phone"] == "139****5678" and "139****5678" in shown["comment"]
    table = run("ratings", "--case", case_no)
    assert table.code == 0 and PHONE not in table.out and "139****5678" in table.out
    [raw] = ratings_of(run, case_no, "--unmasked", "--operator", "admin")
    assert raw["comment"] == comment and raw["rater_phone"] == PHONE  # stored as written
    assert run("ratings", "--case", case_no, "--json", "--unmasked").code == 1  # a clerk may not unmask


def test_rectification_steps_in_turn_by_the_rated_side_and_appeals_by_a_supervisor(env, run, application):
    case_no = finished_case(run, application)
    result = rate(run, case_no, "--level", "4", "--agency", "FIRE", "--level", "1", "--operator", "window-1")
    [item_id] = result.json()["rectifications"]
    [item] = [x for x in run("rectifications", "--agency", "FIRE", "--json").json() if x["id"] == item_id]
    assert (item["case_no"], item["agency"], item["operator"], item["status"]) == (case_no, "FIRE", "FIRE-reviewer",
                                                                                   "open")
    assert item["level"] == 1  # FIRE's level, not the case's 4

    def step(*args, operator="FIRE-reviewer-2"):
        return run("rectify", item_id, *args, "--json", "--operator", operator)

    assert step("--fixed", "--note", "done").code == 1  # call back first
    assert step("--callback").code == 2  # a note is needed
    assert step("--callback", "--fixed", "--note", "x").code == 2
    wrong = step("--callback", "--note", "called", operator="SAMR-reviewer")
    assert wrong.code == 1 and "FIRE's" in wrong.err
    assert step("--uphold", "--note", "x").code == 1  # nothing to decide, and not a supervisor's turn
    assert step("--callback", "--note", f"回访 {PHONE}").json()["status"] == "called_back"
    assert step("--callback", "--note", "again").code == 1
    assert step("--appeal", "--reason", "the applicant rated the wrong agency").json()["appeal"] == "pending"
    assert step("--appeal", "--reason", "twice").code == 1
    assert step("--uphold", "--note", "x").code == 1  # reviewers do not decide appeals
    upheld = step("--uphold", "--note", "the rating stands", operator="supervisor-1").json()
    assert (upheld["appeal"], upheld["status"], upheld["rating_voided"]) == ("upheld", "called_back", False)
    assert step("--explained", "--note", "no legal basis to act").json()["status"] == "explained"
    assert step("--fixed", "--note", "late").code == 1  # closed
    [shown] = [x for x in run("rectifications", "--json").json() if x["id"] == item_id]
    assert PHONE not in str(shown) and shown["closed_by"] == "FIRE-reviewer-2"
    assert not ratings_of(run, case_no)[0]["voided"]

    # online, only the case's level is bad: the hall answers, through the clerk who filed the case
    hall = rate(run, "--token", token_for(run, case_no), "--level", "1", "--agency", "SAMR", "--level", "5",
                "--agency", "FIRE", "--level", "4").json()
    [hall_item] = hall["rectifications"]
    [shown] = [x for x in run("rectifications", "--agency", "HALL", "--json").json() if x["id"] == hall_item]
    assert (shown["agency"], shown["operator"], shown["channel"]) == ("HALL", "window-1", "online")
    refused = run("rectify", hall_item, "--callback", "--note", "x", "--operator", "SAMR-reviewer")
    assert refused.code == 1 and "reviews for SAMR" in refused.err
    assert run("rectify", hall_item, "--callback", "--note", "回访", "--operator", "window-2").code == 0
    assert run("rectify", hall_item, "--fixed", "--note", "整改", "--operator", "supervisor-1").code == 0
