"""好差评 statistics against figures counted by hand on a fixed set of cases (SQLite and PostgreSQL).

The set (every case a restaurant without optional matters: SAMR reviews the licence and the food
licence, FIRE the fire check; every case filed by window-1; ratings on Monday 2026-03-02 unless said):
- c1: window-1 rates 5.
- c2: window-1 rates 4; online 3 with FIRE_CHECK 2 -> FIRE item, called back Tuesday (due Tuesday), never fixed.
- c3: window-2 rates 1 -> SAMR item called back Monday, fixed Wednesday; FIRE item called back
  Wednesday (late), explained Thursday (fix due 2026-03-23: on time).
- c4: window-2 rates 2 with SAMR 5 -> FIRE item, appealed and voided: the rating leaves the figures.
- c5: denied (a required matter), rated online 3 (counts for window-1, who filed it).
- c6: window-1 rates 1 on 2026-04-01: outside March.
"""

from __future__ import annotations

from datetime import date

from tests.support import MONDAY, approve_all, at, decide, review, show, submit

TUESDAY, WEDNESDAY, THURSDAY = date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5)
MARCH = ("--from", "2026-03-01", "--to", "2026-03-31")


def _rate(run, *args: str, **kw) -> dict:
    result = run("rate", *args, "--json", **kw)
    assert result.code == 0, result.err
    return result.json()


def _step(run, item: int, *args: str, operator: str, day: date) -> None:
    result = run("rectify", item, *args, "--operator", operator, now=at(day, "10:00:00"))
    assert result.code == 0, result.err


def _online(run, case_no: str, *args: str, **kw) -> dict:
    token = run("rating-token", case_no, "--json", "--operator", "window-1").json()["token"]
    return _rate(run, "--token", token, *args, **kw)


def _finished(run, application) -> str:
    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    assert approve_all(run, case_no)["status"] == "issued"
    return case_no


def _statistics(run, *flags: str) -> dict:
    result = run("ratings", "--stats", *MARCH, "--json", *flags, now=at(THURSDAY, "18:00:00"))
    assert result.code == 0, result.err
    return {row[next(iter(row))]: row for row in result.json()}


def test_statistics_match_the_hand_counted_figures(fresh_env, run, application):
    c1, c2, c3, c4 = (_finished(run, application) for _ in range(4))
    c5 = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    decide(run, review(show(run, c5), "BIZ_LICENCE")["task_id"], "deny", "--reason", "名称不合规")
    c6 = _finished(run, application)

    _rate(run, c1, "--level", "5", "--operator", "window-1")
    _rate(run, c2, "--level", "4", "--operator", "window-1")
    [c2_fire] = _online(run, c2, "--level", "3", "--matter", "FIRE_CHECK", "--level", "2")["rectifications"]
    c3_samr, c3_fire = _rate(run, c3, "--level", "1", "--operator", "window-2")["rectifications"]
    [c4_fire] = _rate(run, c4, "--level", "2", "--agency", "SAMR", "--level", "5",
                      "--operator", "window-2")["rectifications"]
    assert _online(run, c5, "--level", "3")["rectifications"] == []
    _rate(run, c6, "--level", "1", "--operator", "window-1", now=at(date(2026, 4, 1)))

    _step(run, c2_fire, "--callback", "--note", "回访", operator="FIRE-reviewer", day=TUESDAY)
    _step(run, c3_samr, "--callback", "--note", "回访", operator="SAMR-reviewer", day=MONDAY)
    _step(run, c3_samr, "--fixed", "--note", "整改", operator="SAMR-reviewer", day=WEDNESDAY)
    _step(run, c3_fire, "--callback", "--note", "回访", operator="FIRE-reviewer", day=WEDNESDAY)
    _step(run, c3_fire, "--explained", "--note", "无法律依据", operator="FIRE-reviewer", day=THURSDAY)
    _step(run, c4_fire, "--appeal", "--reason", "恶意差评", operator="FIRE-reviewer", day=TUESDAY)
    _step(run, c4_fire, "--void", "--note", "查实恶意", operator="supervisor-1", day=WEDNESDAY)

    by_agency = _statistics(run)
    assert set(by_agency) == {"SAMR", "FIRE"}
    samr, fire = by_agency["SAMR"], by_agency["FIRE"]
    # SAMR: c1 5, c2 4, c2 online 3 (its level), c3 1, c5 3; c4 voided
    assert (samr["name"], samr["count"], samr["voided"], samr["bad"]) == ("市场监督管理局", 5, 1, 1)
    assert samr["distribution"] == {"5": 1, "4": 1, "3": 2, "2": 0, "1": 1}
    assert (samr["satisfaction_rate"], samr["rectifications"]) == (0.8, 1)
    assert (samr["callback_on_time_rate"], samr["fix_on_time_rate"], samr["rank"]) == (1.0, 1.0, 1)
    # FIRE: c1 5, c2 4, c2 online 2 (FIRE_CHECK), c3 1, c5 3; items c2 (called back on time, open) and c3
    assert (fire["count"], fire["voided"], fire["bad"], fire["rectifications"]) == (5, 1, 2, 2)
    assert fire["distribution"] == {"5": 1, "4": 1, "3": 1, "2": 1, "1": 1}
    assert (fire["satisfaction_rate"], fire["callback_on_time_rate"], fire["fix_on_time_rate"]) == (0.6, 0.5, 0.5)
    assert (fire["callback_on_time"], fire["fix_on_time"], fire["rank"]) == (1, 1, 2)

    by_window = _statistics(run, "--by", "window")
    assert set(by_window) == {"window-1", "window-2"}
    one, two = by_window["window-1"], by_window["window-2"]
    assert (one["count"], one["satisfaction_rate"], one["rectifications"], one["rank"]) == (4, 1.0, 1, 1)
    assert one["distribution"] == {"5": 1, "4": 1, "3": 2, "2": 0, "1": 0}
    assert (one["callback_on_time_rate"], one["fix_on_time_rate"]) == (1.0, 0.0)
    assert (two["count"], two["voided"], two["satisfaction_rate"], two["rectifications"], two["rank"]) == (1, 1, 0.0, 2, 2)
    assert (two["callback_on_time_rate"], two["fix_on_time_rate"]) == (0.5, 1.0)

    [march] = _statistics(run, "--by", "month").values()
    assert (march["month"], march["count"], march["voided"], march["satisfaction_rate"]) == ("2026-03", 5, 1, 0.8)
    assert (march["rectifications"], march["callback_on_time_rate"], march["fix_on_time_rate"]) == (3, 0.6667, 0.6667)

    # one agency's figures only; April alone; the query the reports read
    assert list(_statistics(run, "--agency", "FIRE")) == ["FIRE"]
    april = run("ratings", "--stats", "--from", "2026-04-01", "--to", "2026-04-30", "--json", "--by", "month").json()
    assert [(m["month"], m["count"], m["bad"], m["rectifications"]) for m in april] == [("2026-04", 1, 1, 2)]
    from services.queries.connection import reader
    from services.queries.ratings import rating_statistics

    with reader(fresh_env.url) as read:
        rows = rating_statistics(read, date(2026, 3, 1), date(2026, 3, 31), None)
    assert {r["agency"]: r["satisfaction_rate"] for r in rows} == {"SAMR": 0.8, "FIRE": 0.6}
    table = run("ratings", "--stats", *MARCH)
    assert table.code == 0 and "市场监督管理局" in table.out and "80.0%" in table.out
