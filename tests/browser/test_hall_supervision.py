"""Supervision in a browser: the clock moves past a task's due date, the supervisor sees it red among the
overdue cases, runs the sweep (the ledger item is assigned, 交办), and once the reviewer decides the item is
crossed off (销号)."""

from __future__ import annotations

from tests.browser.conftest import inspect
from tests.browser.test_hall_desks import _filed

TWO_WEEKS_LATER = "2026-03-16T09:00:00+08:00"  # Monday, two working weeks after conftest's MONDAY


def test_a_red_task_is_supervised_and_crossed_off_after_the_decision(desk, hall):
    case_no, tasks = _filed(hall)
    hall.move_clock(TWO_WEEKS_LATER)

    supervisor = desk("supervisor-1")
    assert supervisor.url.endswith("/hall/supervision")
    overdue = supervisor.locator("section", has_text="超期办件").first
    row = overdue.locator("tr", has_text=case_no)
    assert row.locator(".light-red").count() == 1
    assert "已超期" in row.inner_text()
    assert "营业执照（设立登记） 应于 2026-03-03 办结" in row.inner_text()  # why, in Chinese
    supervisor.click("button:has-text('立即巡检')")
    supervisor.wait_for_load_state()
    ledger = supervisor.locator("section", has_text="督办台账").first
    item = ledger.locator("tr", has_text=case_no)
    assert "已交办" in item.inner_text() and "营业执照" in item.inner_text()
    inspect(supervisor, "supervision")

    samr = desk("SAMR-reviewer")
    samr.goto(f"{hall.base}/hall/review")
    assert samr.locator("tr", has_text=case_no).first.locator(".light-red").count() == 1
    samr.goto(f"{hall.base}/hall/review/tasks/{tasks['BIZ_LICENCE']}")
    samr.click("button[value=approve]")
    samr.wait_for_load_state()
    assert "已通过" in samr.locator("section.card").first.inner_text()

    supervisor.goto(f"{hall.base}/hall/supervision")
    item = supervisor.locator("section", has_text="督办台账").first.locator("tr", has_text=case_no)
    assert "已销号" in item.inner_text() and "SAMR-reviewer" in item.inner_text()
