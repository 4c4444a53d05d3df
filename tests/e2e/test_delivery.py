"""How results leave (出件) and visits counted per case (最多跑一次), through the CLI: pick-up at the window
(handed over, one more visit), post and electronic delivery (the notice says how), and the report."""

from __future__ import annotations

from tests.support import approve_all, nothing_written, show, submit
from tests.county_support import refused


def test_delivery_modes_and_visits_per_case(fresh_env, run, application):
    url = fresh_env.url
    refused(run, url, "submit", application("COMPANY_START", delivery={"mode": "post"}), code=2, says="address")
    refused(run, url, "submit", application("COMPANY_START", delivery={"mode": "drone"}), code=2, says="delivery")

    pickup = submit(run, application("COMPANY_START"))["case_no"]
    posted = submit(run, application("COMPANY_START", omit=("ARTICLES",),
                                     delivery={"mode": "post", "address": "湘潭市岳塘区建设路1号"}))["case_no"]
    online = submit(run, application("COMPANY_START", delivery={"mode": "electronic"}))["case_no"]
    assert [show(run, c)["visits"] for c in (pickup, posted, online)] == [1, 1, 1]  # filed at the window
    assert show(run, posted)["delivery_mode"] == "post"

    refused(run, url, "collect", pickup, says="no results")
    assert run("supplement", posted, "--material", "ARTICLES").code == 0  # brought to the window: a second visit
    assert show(run, posted)["visits"] == 2
    for case_no in (pickup, posted, online):
        assert approve_all(run, case_no)["status"] == "issued"

    refused(run, url, "collect", pickup, "--operator", "SAMR-reviewer", says="may not hand over")
    refused(run, url, "collect", posted, says="by post")
    refused(run, url, "collect", online, says="by electronic")
    handed = run("collect", pickup, "--json")
    assert handed.code == 0, handed.err
    assert handed.json()["visits"] == 2 and handed.json()["changed"] is True
    with nothing_written(url):
        again = run("collect", pickup, "--json")
    assert again.code == 0 and again.json()["changed"] is False
    assert show(run, pickup)["collected_at"] is not None

    assert run("orchestrate", "--operator", "admin").code == 0  # deliveries and their notices
    messages = notices(url)
    assert "ready at the window" in messages[pickup]
    assert "posted to 湘潭市岳塘区建设路1号" in messages[posted]
    assert "sent electronically" in messages[online]

    report = run("visits", "--json")
    assert report.code == 0, report.err
    assert report.json() == {"cases": 3, "at_most_one_visit": 1, "share": round(1 / 3, 4),
                             "by_visits": {"1": 1, "2": 2}, "by_delivery": {"electronic": 1, "pickup": 1, "post": 1}}
    assert run("visits", "--from", "2099-01-01", "--json").json()["cases"] == 0
    refused(run, url, "visits", "--from", "yesterday", code=2, says="not a date")


def notices(url: str) -> dict[str, str]:
    """The results notice (kind `issued`) of every case, by case number."""
    from sqlalchemy import text

    from services.db import engine_for

    with engine_for(url, write=False).connect() as conn:
        rows = conn.execute(text("SELECT c.case_no, n.message FROM notification n JOIN case_file c ON c.id = n.case_id "
                                 "WHERE n.kind = 'issued'")).all()
    return dict(rows)


def test_show_says_how_results_leave_and_how_often_the_applicant_came(env, run, application):
    case_no = submit(run, application("COMPANY_START", delivery={"mode": "post", "address": "湘潭市雨湖区1号"}))["case_no"]
    shown = run("show", case_no)
    assert shown.code == 0, shown.err
    assert "results by post to 湘潭市雨湖区1号; visits to the hall: 1" in shown.out
