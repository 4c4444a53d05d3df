"""Supervision in a browser: the clock moves past a task's due date, the supervisor sees it red among the
overdue cases, runs the sweep (the ledger items are assigned, 交办), and once the reviewer decides the item is
crossed off (销号); the supervisor crosses another off by hand, saying how it was resolved."""

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
    assert "营业执照（设立登记） 应于 2026年3月3日 办结" in row.inner_text()  # why, in Chinese, dated as every page
    supervisor.click("button:has-text('立即巡检')")
    supervisor.wait_for_load_state()
    ledger = supervisor.locator("section", has_text="督办台账").first
    item = ledger.locator("tr", has_text=case_no)
    assert "已交办" in item.inner_text() and "营业执照" in item.inner_text()
    assert item.inner_text().count("市场监督管理局") == 2  # the agency, and whom it is assigned to: names, not codes
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

    supervisor.click("summary:has-text('手工交办')")  # a problem assigned by hand (交办), then crossed off (销号)
    supervisor.select_option("select[name=kind]", "problem")
    supervisor.fill("input[name=title]", "窗口材料清单与部门不一致")
    supervisor.select_option("select[name=agency]", "FIRE")
    supervisor.fill("input[name=due]", "2026-03-20")
    supervisor.click("button:has-text('交办'):not(:has-text('手工'))")
    supervisor.wait_for_load_state()
    assert "已交办" in supervisor.locator("[role=status]").inner_text()
    ledger = supervisor.locator("section", has_text="督办台账").first
    by_hand = ledger.locator("tr", has_text="窗口材料清单与部门不一致")
    assert "问题清单" in by_hand.inner_text() and "消防救援大队" in by_hand.inner_text()
    by_hand.locator("input[name=note]").fill("已统一材料清单")
    by_hand.locator("button:has-text('销号')").click()
    supervisor.wait_for_load_state()
    assert "已销号" in supervisor.locator("[role=status]").inner_text()
    crossed = supervisor.locator("section", has_text="督办台账").first.locator("tr", has_text="窗口材料清单与部门不一致")
    assert "已销号" in crossed.inner_text() and "已统一材料清单" in crossed.inner_text()
    inspect(supervisor, "supervision-crossed-off")
