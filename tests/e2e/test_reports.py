"""Reports (天调度, 周通报, 月报) on a generated month of work, on both databases.

The data set (tests/report_data.py) is made once per backend for this module: about 250 cases over four
weeks, decided, supplemented, swept and supervised through the use cases. Every figure is computed here
again, independently: from the generator's own log where it knows (cases filed, decisions), otherwise
from the rows with chinese_calendar and numpy, never through the report's code.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import numpy
import pytest
from sqlalchemy import create_engine, text

from tests.report_data import Generated, generate

TZ = ZoneInfo("Asia/Shanghai")
WEEK3 = (date(2026, 3, 16), date(2026, 3, 22))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def generated(request, tmp_path_factory) -> Generated:
    from tests.conftest import _drop_pg, _initialise, _pg_database, _sqlite_database

    if request.param == "sqlite":
        yield generate(_initialise(_sqlite_database(tmp_path_factory.mktemp("reports"))).url)
        return
    db, name = _pg_database()
    yield generate(_initialise(db).url)
    _drop_pg(name)


@pytest.fixture
def on(monkeypatch, generated) -> Generated:
    from services.settings import get_settings

    monkeypatch.setenv("ONEVISIT_DATABASE_URL", generated.url)
    monkeypatch.setenv("ONEVISIT_NOW", "2026-03-30T09:00:00+08:00")
    monkeypatch.setenv("ONEVISIT_OPERATOR", "supervisor-1")
    get_settings.cache_clear()
    return generated


def report(run, *args: str, **kw) -> dict:
    result = run("report", *args, "--format", "json", **kw)
    assert result.code == 0, result.err
    return result.json()


# --- the figures, again, independently ---------------------------------------------------------


def local(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(TZ).date()


def as_day(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def workdays_between(start: date, end: date) -> int:
    """Working days in (start, end], from chinese_calendar itself."""
    return len(chinese_calendar.get_workdays(start + timedelta(days=1), end)) if end > start else 0


def next_workday(day: date) -> date:
    day += timedelta(days=1)
    while not chinese_calendar.is_workday(day):
        day += timedelta(days=1)
    return day


def rows(url: str, sql: str) -> list[dict]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(text(sql))]
    finally:
        engine.dispose()


def expected(made: Generated, start: date, end: date) -> dict:
    within = lambda d: d is not None and start <= d <= end  # noqa: E731
    cases = rows(made.url, "SELECT * FROM case_file")
    tasks = {t["id"]: t for t in rows(made.url, "SELECT * FROM review_task")}
    items = rows(made.url, "SELECT * FROM ledger_item")
    hall = {"received": sum(len(made.submitted.get(start + timedelta(days=n), []))
                            for n in range((end - start).days + 1)),
            "accepted": sum(within(local(c["accepted_at"])) for c in cases)}
    finished = [c for c in cases if within(local(c["finished_at"]))]
    hall["issued"] = sum(c["status"] in ("issued", "partially_issued") for c in finished)
    hall["denied"] = sum(c["status"] == "denied" for c in finished)
    for status in ("returned", "refused", "withdrawn"):
        hall[status] = sum(c["status"] == status for c in finished)
    timed = [c for c in finished if c["status"] in ("issued", "partially_issued", "denied")
             and c["due_date"] is not None]
    hall["on_time"] = sum(local(c["finished_at"]) <= as_day(c["due_date"]) for c in timed)
    hall["decided"] = len(timed)

    agencies: dict[str, Counter] = defaultdict(Counter)
    used: dict[str, list[tuple[int, int]]] = defaultdict(list)
    ratios: dict[str, list[float]] = defaultdict(list)
    for t in tasks.values():
        agencies[t["agency"]]["received"] += within(as_day(t["started_on"]))
        agencies[t["agency"]]["returned"] += t["status"] == "cancelled" and within(local(t["updated_at"]))
    for task_id, (day, agency, status) in made.decided.items():
        if not within(day):
            continue
        t = tasks[task_id]
        agencies[agency]["approved" if status == "approved" else "denied"] += 1
        agencies[agency]["decided"] += 1
        agencies[agency]["on_time"] += day <= as_day(t["due_date"])
        days = workdays_between(as_day(t["started_on"]), day) - t["supplement_days"] - t["special_days"]
        used[t["matter"]].append((max(days, 0), t["promised_days"]))
        ratios[agency].append(max(days, 0) / t["promised_days"])

    lights: dict[str, Counter] = defaultdict(Counter)
    for t in tasks.values():
        started, decided = as_day(t["started_on"]), local(t["decided_at"])
        if started is None or started > end or (decided is not None and decided <= end):
            continue
        if decided is None and t["status"] == "cancelled" and local(t["updated_at"]) <= end:
            continue
        due = as_day(t["due_date"])
        if t["stopped"] is not None and as_day(t["stopped_on"]) <= end:
            shade = "stopped"
        else:
            shade = "red" if due < end else "yellow" if due <= next_workday(end) else "green"
        lights[t["agency"]][shade] += 1

    standings = []
    for agency, c in agencies.items():
        if c["decided"]:
            standings.append((-round(c["on_time"] / c["decided"], 4), round(sum(ratios[agency]) / len(ratios[agency]), 4),
                              agency))
    standings.sort()
    return {
        "hall": hall, "agencies": agencies, "lights": lights, "standings": standings,
        "matters": {m: (len(v), round(sum(d for d, _ in v) / len(v), 2),
                        int(numpy.percentile([d for d, _ in v], 90, method="inverted_cdf")),
                        sum(d > limit for d, limit in v)) for m, v in used.items()},
        "ledger": {"opened": sum(within(as_day(i["opened_on"])) for i in items),
                   "escalated": sum(within(local(i["escalated_at"])) for i in items),
                   "closed": sum(within(local(i["closed_at"])) for i in items)},
    }


# --- the tests ------------------------------------------------------------------------------------


def test_weekly_bulletin_matches_the_figures_computed_independently(on, run):
    got, want = report(run, "weekly", "--date", "2026-03-18"), expected(on, *WEEK3)
    assert (got["period_start"], got["period_end"]) == tuple(d.isoformat() for d in WEEK3)
    hall = got["hall"]
    for key in ("received", "accepted", "issued", "denied", "returned", "refused", "withdrawn", "decided", "on_time"):
        assert hall[key] == want["hall"][key], key
    assert hall["received"] > 40 and hall["issued"] > 10 and hall["denied"] > 0
    assert hall["on_time_rate"] == round(want["hall"]["on_time"] / want["hall"]["decided"], 4)
    assert sum(got["cases_per_day"].values()) == hall["received"]

    for row in got["agencies"]:
        mine = want["agencies"][row["agency"]]
        counts = row["counts"]
        assert (counts["received"], counts["issued"], counts["denied"], counts["returned"], counts["on_time"],
                counts["decided"]) == (mine["received"], mine["approved"], mine["denied"], mine["returned"],
                                       mine["on_time"], mine["decided"]), row["agency"]
        shades = want["lights"][row["agency"]]
        assert {k: row["open_by_light"][k] for k in ("green", "yellow", "red", "stopped")} == \
            {k: shades[k] for k in ("green", "yellow", "red", "stopped")}, row["agency"]
    assert got["open_by_light"]["red"] > 0 and got["open_by_light"]["green"] > 0

    assert {m["matter"]: (m["decided"], m["average_days"], m["p90_days"], m["over_limit"])
            for m in got["matters"]} == want["matters"]

    ranking = [(-r["on_time_rate"], r["average_ratio"], r["agency"]) for r in got["ranking"]]
    assert ranking == want["standings"]
    last = [r for r in got["ranking"] if r["last_place"]]
    assert last and all(r["rank"] == max(x["rank"] for x in got["ranking"]) for r in last)
    assert got["ranking"][0]["rank"] == 1 and got["ranking"][0]["on_time_rate"] >= last[0]["on_time_rate"]

    ledger = got["ledger"]
    assert {k: ledger[k] for k in ("opened", "escalated", "closed")} == want["ledger"]
    assert ledger["opened"] > 0 and ledger["escalated"] > 0
    assert any(i["kind"] in ("problem", "duty", "task") for i in ledger["open_items"]) or ledger["closed"]

    rated = Counter()
    for day in (WEEK3[0] + timedelta(days=n) for n in range(7)):
        rated.update(on.rated.get(day, {}))
    assert {r["agency"]: r["count"] for r in got["ratings"]} == dict(rated) and sum(rated.values()) > 10

    projects = got["projects"]
    assert [p["code"] for p in projects] == ["KP-EAST-PARK"] and projects[0]["leader_name"] == "王副县长"
    assert projects[0]["cases"] == 3  # filed by the project's enterprise on the first three Mondays
    assert got["overdue"] and all(c["reason"] for c in got["overdue"])


def test_daily_and_monthly_reports_and_the_default_period(on, run):
    day = date(2026, 3, 11)
    daily = report(run, "daily", "--date", day.isoformat())
    assert daily["period_start"] == daily["period_end"] == day.isoformat()
    assert daily["hall"]["received"] == len(on.submitted[day])
    approved = Counter(a for d, a, s in on.decided.values() if d == day and s == "approved")
    assert {r["agency"]: r["counts"]["issued"] for r in daily["agencies"] if r["counts"]["issued"]} == dict(approved)

    monthly = report(run, "monthly", "--date", "2026-03-05")
    assert (monthly["period_start"], monthly["period_end"]) == ("2026-03-01", "2026-03-31")
    assert monthly["hall"]["received"] == sum(len(v) for v in on.submitted.values())
    assert monthly["hall"]["issued"] == expected(on, date(2026, 3, 1), date(2026, 3, 31))["hall"]["issued"]

    # made on Monday 23 March without --date: the previous working day, the previous week
    assert report(run, "daily", now="2026-03-23T08:30:00+08:00")["period_start"] == "2026-03-20"
    assert report(run, "weekly", now="2026-03-23T08:30:00+08:00")["period_start"] == "2026-03-16"


def test_a_report_is_reproducible_and_one_agency_sees_its_own_row(on, run):
    first = run("report", "weekly", "--date", "2026-03-18", "--format", "md")
    again = run("report", "weekly", "--date", "2026-03-18", "--format", "md", now="2026-04-20T10:00:00+08:00")
    assert first.code == again.code == 0 and first.out == again.out
    assert "# 每周通报 2026-03-16 至 2026-03-22" in first.out and "市场监督管理局" in first.out

    whole = report(run, "weekly", "--date", "2026-03-18")
    samr = report(run, "weekly", "--date", "2026-03-18", "--agency", "SAMR")
    assert [a["agency"] for a in samr["agencies"]] == ["SAMR"] and samr["title"] == "每周通报（市场监督管理局）"
    assert samr["agencies"][0] == next(a for a in whole["agencies"] if a["agency"] == "SAMR")
    assert samr["ranking"] == whole["ranking"]  # an agency sees where it stands among all
    assert all(i["agency"] == "SAMR" for i in samr["ledger"]["open_items"])


def test_bad_report_requests_exit_2_and_write_nothing(on, run, tmp_path):
    out = tmp_path / "r.pdf"
    for args in (("yearly",), ("weekly", "--date", "2026-13-01"), ("weekly", "--agency", "NOPE"),
                 ("weekly", "--format", "pdf"), ("weekly", "--format", "doc", "--out", str(out)),
                 ("weekly", "--out", str(tmp_path / "missing" / "r.md"))):
        result = run("report", *args)
        assert result.code == 2, (args, result.err)
        assert result.err.startswith("onevisit: ") and "Traceback" not in result.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("generated", ["sqlite"], indirect=True)  # the files do not depend on the backend
def test_the_bulletin_as_xlsx_and_pdf_opens_with_its_charts_and_chinese_text(on, run, tmp_path):
    import subprocess

    from openpyxl import load_workbook
    from PIL import Image
    from pypdf import PdfReader

    figures = report(run, "weekly", "--date", "2026-03-18")
    for fmt in ("xlsx", "pdf"):
        for name, now in (("w", None), ("again", "2026-05-06T10:00:00+08:00")):
            result = run("report", "weekly", "--date", "2026-03-18", "--format", fmt,
                         "--out", tmp_path / f"{name}.{fmt}", now=now)
            assert result.code == 0, result.err
        assert (tmp_path / f"w.{fmt}").read_bytes() == (tmp_path / f"again.{fmt}").read_bytes()  # reproducible

    book = load_workbook(tmp_path / "w.xlsx")
    assert book.sheetnames[:4] == ["图表", "大厅总体", "各部门办理情况", "部门排名"]
    assert len(book["图表"]._images) == 4  # on-time by agency, lights, cases per day, days per matter
    hall = [c.value for c in book["大厅总体"][2]]
    assert hall[:5] == [figures["hall"][k] for k in ("received", "accepted", "issued", "denied", "returned")]
    agencies = {r[0]: r for r in book["各部门办理情况"].iter_rows(min_row=2, values_only=True)}
    assert {a["name"]: a["counts"]["received"] for a in figures["agencies"]} == \
        {name: row[1] for name, row in agencies.items()}
    flagged = [r[1] for r in book["部门排名"].iter_rows(min_row=2, values_only=True) if r[5] == "末位约谈"]
    assert flagged == [r["name"] for r in figures["ranking"] if r["last_place"]]

    pdf = PdfReader(tmp_path / "w.pdf")  # the structure: fonts and images
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "w.pdf"), "-"], capture_output=True,
                          check=True).stdout.decode("utf-8")  # the text, through the font's ToUnicode map
    assert "每周通报 2026-03-16 至 2026-03-22" in text and "末位约谈" in text
    assert all(a["name"] in text for a in figures["agencies"])
    fonts = {str(f.get_object()["/BaseFont"]) for page in pdf.pages
             for f in page["/Resources"]["/Font"].values()}
    assert any("NotoSansCJK" in f for f in fonts), fonts  # embedded: no boxes on a machine without the font
    assert sum(len(page.images) for page in pdf.pages) == 4

    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(tmp_path / "w.pdf"),
                    str(tmp_path / "page")], check=True)
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    colours = page.getcolors(maxcolors=1 << 16) or []
    reds = sum(n for n, (r, g, b) in colours if r > 150 and g < 90 and b < 90)
    darks = sum(n for n, (r, g, b) in colours if r < 120 and g < 120 and b < 120)
    assert reds > 500 and darks > 300, (reds, darks)  # the bars were drawn and the text was rendered
