"""好差评 online over real HTTP: the link's token is the only credential (no sign-in); forged, expired and
reused tokens are refused with nothing written."""

from __future__ import annotations

from datetime import timedelta

from tests.support import MONDAY, approve_all, at, submit


def _token(run, case_no: str, **kw) -> str:
    result = run("rating-token", case_no, "--json", "--operator", "window-1", **kw)
    assert result.code == 0, result.err
    return result.json()["token"]


def test_the_applicant_rates_online_once_through_the_link(web, run, application):
    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    early = _token(run, case_no)
    assert approve_all(run, case_no)["status"] == "issued"
    token = _token(run, case_no)
    with web.client() as applicant:  # nobody signed in
        form = applicant.get(f"/api/v1/ratings/online/{token}")
        assert form.status_code == 200, form.text
        shown = form.json()
        assert (shown["case_no"], shown["ratable"], shown["rated"]) == (case_no, True, False)
        assert {(m["code"], m["agency_name"]) for m in shown["matters"]} >= {("FIRE_CHECK", "消防救援大队")}
        assert "平台操作性" in shown["indicators"] and shown["levels"]["5"] == "非常满意"

        forged = applicant.post(f"/api/v1/ratings/online/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}",
                                json={"level": 5})
        assert forged.status_code == 403 and forged.json()["error"]["code"] == "forbidden"
        assert applicant.post("/api/v1/ratings/online/garbage", json={"level": 5}).status_code == 400
        assert applicant.post(f"/api/v1/ratings/online/{token}", json={"level": 9}).status_code == 400
        assert applicant.post(f"/api/v1/ratings/online/{token}", json={"level": 5, "extra": 1}).status_code == 422
        assert applicant.get(f"/api/v1/ratings/online/{token}").json()["rated"] is False  # nothing written

        body = {"level": 2, "matters": {"FIRE_CHECK": 1}, "indicators": {"办事效率": 2},
                "comment": "消防检查太慢, 电话 13912345678", "phone": "13912345678"}
        rated = applicant.post(f"/api/v1/ratings/online/{early}", json=body)  # printed at acceptance: still good
        assert rated.status_code == 201, rated.text
        assert rated.json()["channel"] == "online" and len(rated.json()["rectifications"]) == 2
        again = applicant.post(f"/api/v1/ratings/online/{token}", json={"level": 5})
        assert again.status_code == 409 and "rated online already" in again.json()["error"]["message"]
        reused = applicant.post(f"/api/v1/ratings/online/{early}", json={"level": 5})
        assert reused.status_code == 409 and "used already" in reused.json()["error"]["message"]
        assert applicant.get(f"/api/v1/ratings/online/{token}").json()["rated"] is True

    [stored] = run("ratings", "--case", case_no, "--json").json()
    assert stored["level"] == 2 and "13912345678" not in str(stored)  # kept as written, shown masked


def test_an_expired_token_is_forbidden_and_an_unfinished_case_cannot_be_rated(web, run, application):
    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    token = _token(run, case_no)
    stale = _token(run, case_no, now=at(MONDAY - timedelta(days=91)))  # good for 90 days: until yesterday
    with web.client() as applicant:
        open_case = applicant.post(f"/api/v1/ratings/online/{token}", json={"level": 5})
        assert open_case.status_code == 409 and "rated once it has ended" in open_case.json()["error"]["message"]
        assert applicant.get(f"/api/v1/ratings/online/{token}").json()["ratable"] is False
        assert approve_all(run, case_no, now=at(MONDAY))["status"] == "issued"
        for answer in (applicant.get(f"/api/v1/ratings/online/{stale}"),
                       applicant.post(f"/api/v1/ratings/online/{stale}", json={"level": 5})):
            assert answer.status_code == 403 and "expired on" in answer.json()["error"]["message"], answer.text
        assert applicant.get(f"/api/v1/ratings/online/{token}").json()["rated"] is False


def test_the_link_on_the_receipt_opens_a_page_that_rates_once_without_sign_in(web, run, application):
    """`/rate/TOKEN`, the link itself: a page in Chinese with the case's agencies by name and the five
    levels; its form (CSRF-bound to the visitor, as the sign-in form is) records the rating once."""
    import re

    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    assert approve_all(run, case_no)["status"] == "issued"
    token = _token(run, case_no)
    with web.client() as applicant:
        assert applicant.get(f"/rate/{token[:-2]}xx").status_code in (400, 403)  # a forged link: no form
        page = applicant.get(f"/rate/{token}")
        assert page.status_code == 200, page.text
        assert "好差评" in page.text and "非常满意" in page.text and "消防救援大队" in page.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        without = applicant.post(f"/rate/{token}", data={"level": "5"})
        assert without.status_code == 403  # no CSRF token: refused, nothing written
        sent = applicant.post(f"/rate/{token}", data={"csrf_token": csrf, "level": "4", "matter-FIRE_CHECK": "2",
                                                      "indicator-1": "3", "comment": "  很方便  "})
        assert sent.status_code == 200 and "评价已记录" in sent.text, sent.text
        twice = applicant.post(f"/rate/{token}", data={"csrf_token": csrf, "level": "5"})
        assert twice.status_code == 409
        assert "已在网上评价过" in applicant.get(f"/rate/{token}").text

    [stored] = run("ratings", "--case", case_no, "--json").json()
    assert stored["level"] == 4 and stored["channel"] == "online" and stored["comment"] == "很方便"
