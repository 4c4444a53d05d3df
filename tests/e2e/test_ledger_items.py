"""Hand-entered supervision items (问题清单, 责任清单, 任务清单) through the CLI: entered, listed per agency and per
leader, crossed off; lit and escalated exactly like the automatic item of a task due the same day, across the
2026 National Day holiday (the sweep runs every evening, holidays included)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from tests.support import at, review, show, submit

HOLIDAY = date(2026, 10, 1)


def previous_workday(day: date) -> date:
    day -= timedelta(days=1)
    while not chinese_calendar.is_workday(day):
        day -= timedelta(days=1)
    return day


def sweep_evening(url: str, day: date) -> None:
    from approvals.deadlines import Clock
    from services.db import UnitOfWork
    from services.sweep import sweep
    from services.workdays import calendar_for

    with UnitOfWork(url) as uow:
        clock = Clock(datetime.combine(day, time(18), ZoneInfo("Asia/Shanghai")), calendar_for(uow.session))
        sweep(uow.session, clock, escalate_after_days=2)
        uow.commit()


def ledger(run, *flags: str, **kw) -> list[dict]:
    result = run("ledger", *flags, "--json", **kw)
    assert result.code == 0, result.err
    return result.json()


def test_a_hand_entered_item_is_lit_and_escalated_like_an_overdue_task_across_a_holiday(fresh_env, run, application):
    due = previous_workday(HOLIDAY)  # the last working day before National Day
    filed = previous_workday(due)
    case_no = submit(run, application("RESTAURANT", optional_matters=[]), now=at(filed))["case_no"]
    task = review(show(run, case_no, now=at(filed)), "BIZ_LICENCE")  # promised 1 working day: due that day
    assert task["due_date"] == due.isoformat()

    added = run("ledger", "add", "--kind", "problem", "--title", "窗口材料清单与省级实施清单不一致", "--agency", "SAMR",
                "--due", due.isoformat(), "--leader", "王副县长", "--operator", "supervisor-1", "--json", now=at(filed))
    assert added.code == 0, added.err
    item_id = added.json()["id"]

    # both red from the first evening after the due date; both escalated on the second working day after it
    escalation_day = chinese_calendar.get_workdays(due + timedelta(days=1), due + timedelta(days=30))[1]
    seen_escalated = {}
    for offset in range(0, 14):
        day = filed + timedelta(days=offset)
        sweep_evening(fresh_env.url, day)
        rows = ledger(run, "--agency", "SAMR", now=at(day, "18:30:00"))
        hand = next(r for r in rows if r["id"] == item_id)
        automatic = [r for r in rows if r["task_id"] == task["task_id"]]
        task_light = review(show(run, case_no, now=at(day, "18:30:00")), "BIZ_LICENCE")["light"]
        assert hand["light"] == task_light, (day, hand["light"], task_light)
        if day > due:
            assert task_light == "red" and len(automatic) == 1, day
            assert hand["status"] == automatic[0]["status"], (day, hand["status"], automatic[0]["status"])
        else:
            assert automatic == [] and hand["status"] == "assigned"
        if hand["status"] == "supervised":
            seen_escalated.setdefault("hand", day)
            assert hand["escalated_to"] == automatic[0]["escalated_to"] == "SAMR-supervisor"
    assert seen_escalated["hand"] == escalation_day
    assert escalation_day > HOLIDAY + timedelta(days=6)  # the holiday's days did not count

    # lists: per leader only the hand-entered item; crossing it off by hand, once
    assert [r["id"] for r in ledger(run, "--leader", "王副县长")] == [item_id]
    closed = run("ledger", "close", str(item_id), "--note", "已按省级清单更新并公示", "--operator", "supervisor-1")
    assert closed.code == 0, closed.err
    again = run("ledger", "close", str(item_id), "--note", "again", "--operator", "supervisor-1")
    assert again.code == 1 and "was closed" in again.err
    assert [r["status"] for r in ledger(run, "--leader", "王副县长")] == ["closed"]
    assert item_id not in [r["id"] for r in ledger(run, "--open")]


def test_bad_hand_entered_items_are_refused_and_nothing_is_written(fresh_env, run):
    base = ("ledger", "add", "--kind", "duty", "--title", "整改", "--agency", "SAMR")
    before = ledger(run)
    for args, code in (
        ((*base, "--due", "2026-03-01", "--operator", "supervisor-1"), 2),  # before today (Monday 2 March)
        (("ledger", "add", "--kind", "wish", "--title", "x", "--agency", "SAMR", "--due", "2026-03-09",
          "--operator", "supervisor-1"), 2),
        (("ledger", "add", "--kind", "task", "--title", "x", "--agency", "NOPE", "--due", "2026-03-09",
          "--operator", "supervisor-1"), 2),
        ((*base, "--due", "2026-03-32", "--operator", "supervisor-1"), 2),
        ((*base, "--due", "2026-03-09", "--case", "OV00000000000000", "--operator", "supervisor-1"), 1),
        ((*base, "--due", "2026-03-09", "--operator", "window-1"), 1),  # only supervisors and administrators
        (("ledger", "close", "999999", "--note", "x", "--operator", "supervisor-1"), 1),
    ):
        result = run(*args)
        assert result.code == code, (args, result.err)
        assert result.err.startswith("onevisit: ") and "Traceback" not in result.err
    assert ledger(run) == before
