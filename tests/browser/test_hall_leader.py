"""The leader's page (包联领导): signed in, a leader lands on the key projects he follows, with their progress
(五个一: cases, issued, running, red), and the ledger items that name him."""

from __future__ import annotations

from datetime import date

from tests.browser.conftest import inspect, set_passwords
from tests.browser.test_hall_desks import _filed


def test_a_leader_lands_on_the_key_projects_he_follows(desk, hall):
    from services import ledger, projects, staff
    from services.case_repository import cases

    case_no, _tasks = _filed(hall)
    uscc = hall.act(lambda session, clock: cases(session).get(case_no).uscc)
    hall.act(lambda session, clock: staff.add_operator(session, "leader-li", "leader", agency=None, name="李副县长",
                                                       phone=None, by="admin", now=clock.now))
    set_passwords(hall.url, ["leader-li"])
    hall.act(lambda session, clock: projects.add_project(
        session, code="KP-WEST", name="西区食品产业园", uscc=uscc, leader="leader-li", team="招商专班",
        plan="年内投产", actor="admin", clock=clock))
    hall.act(lambda session, clock: projects.attach_case(session, "KP-WEST", case_no, stage="construction",
                                                         actor="admin", clock=clock))
    hall.act(lambda session, clock: ledger.add_item(
        session, kind="task", title="协调园区用电接入", agency="CITY_MGMT", due=date(2026, 3, 20), case_no=None,
        leader="李副县长", actor="supervisor-1", clock=clock))

    leader = desk("leader-li")
    assert leader.url.endswith("/hall/leader")
    project = leader.locator("section", has_text="包联的重点项目").first.locator("tr", has_text="西区食品产业园")
    assert "招商专班" in project.inner_text() and "年内投产" in project.inner_text()
    cells = [c.inner_text() for c in project.locator("td").all()]
    assert cells[3:5] == ["1", "0"] and cells[-1] == "0%"  # one case filed, none issued yet
    item = leader.locator("section", has_text="由我督办的事项").first.locator("tr", has_text="协调园区用电接入")
    assert "任务清单" in item.inner_text() and "城市管理综合行政执法局" in item.inner_text()
    inspect(leader, "leader")
    assert desk("window-1").goto(f"{hall.base}/hall/leader").status == 403  # a leader's page, for leaders
