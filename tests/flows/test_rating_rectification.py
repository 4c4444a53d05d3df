"""好差评 end to end on the real Prefect API: the results notice carries a rating link whose token works
once; bad ratings called back and fixed in time close; one left alone turns yellow, red, is put on the
ledger (交办) and escalated (督查), then crossed off (销号) by the late steps; an appeal voids a rating.

`sweep` and `ledger` act on the whole database: a database of its own (`fresh_env`). Expected dates come
from approvals.calendar.WorkingCalendar."""

from __future__ import annotations

from approvals.calendar import WorkingCalendar
from tests.support import MONDAY, approve_all, at, submit


def _sweep(run, day, time: str = "09:00:00") -> dict:
    result = run("sweep", "--json", "--operator", "supervisor-1", now=at(day, time))
    assert result.code == 0, result.err
    return result.json()


def _items(run, **kw) -> dict[int, dict]:
    result = run("rectifications", "--json", **kw)
    assert result.code == 0, result.err
    return {x["id"]: x for x in result.json()}


def _ledger(run) -> list[dict]:
    result = run("ledger", "--json")
    assert result.code == 0, result.err
    return [item for item in result.json() if item["kind"] == "rectification"]


def _step(run, item: int, *args: str, operator: str, day, time: str = "10:00:00") -> dict:
    result = run("rectify", item, *args, "--json", "--operator", operator, now=at(day, time))
    assert result.code == 0, result.err
    return result.json()


def test_notice_token_and_rectification_on_the_clock_and_the_ledger(fresh_env, run, application):
    calendar = WorkingCalendar()
    kept, neglected, appealed = (submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
                                 for _ in range(3))
    for case_no in (kept, neglected, appealed):
        assert approve_all(run, case_no)["status"] == "issued"

    # 出件: the results notice ends with the link; its token rates the case online, once
    assert run("orchestrate", "--case", kept, "--operator", "admin").code == 0
    from services.queries.connection import reader

    with reader(fresh_env.url) as read:
        [notice] = read.rows("SELECT n.message FROM notification n JOIN case_file c ON c.id = n.case_id "
                             "WHERE c.case_no = %(c)s AND n.kind = 'issued'", c=kept)
    assert "好差评" in notice["message"] and "/rate/" in notice["message"]
    token = notice["message"].rsplit("/rate/", 1)[1].strip()
    online = run("rate", "--token", token, "--level", "5", "--indicator", "办事效率=5", "--json")
    assert online.code == 0 and online.json()["case_no"] == kept, online.err
    assert run("rate", "--token", token, "--level", "1").code == 1

    # bad ratings on Monday: call-back due the next working day, fix due 15 working days on
    [fixed] = run("rate", kept, "--level", "3", "--agency", "FIRE", "--level", "2", "--json",
                  "--operator", "window-1").json()["rectifications"]
    [left] = run("rate", neglected, "--level", "4", "--matter", "FIRE_CHECK", "--level", "1", "--json",
                 "--operator", "window-1").json()["rectifications"]
    voided = run("rate", appealed, "--level", "1", "--json", "--operator", "window-2").json()["rectifications"]
    assert len(voided) == 2  # SAMR and FIRE both took the case's bad level
    callback_due = calendar.add_working_days(MONDAY, 1)
    fix_due = calendar.add_working_days(MONDAY, 15)
    item = _items(run)[left]
    assert (item["callback_due"], item["fix_due"], item["operator"]) == (callback_due.isoformat(), fix_due.isoformat(),
                                                                          "FIRE-reviewer")

    # the same day: the call-back is due tomorrow, the last working day before it: yellow
    report = _sweep(run, MONDAY, "17:00:00")
    assert report["rectifications_yellow"] == 4 and report["rectifications_red"] == 0
    _step(run, fixed, "--callback", "--note", "已回访", operator="FIRE-reviewer", day=MONDAY, time="17:30:00")
    _step(run, voided[0], "--appeal", "--reason", "恶意差评: 与本局无关", operator="SAMR-reviewer", day=MONDAY,
          time="17:45:00")  # the clock never runs back: after the sweep at 17:00
    assert _step(run, voided[0], "--void", "--note", "查实", operator="supervisor-1", day=MONDAY,
                 time="18:00:00")["rating_voided"]

    # the first working day after the call-back was due: the neglected item is red and on the ledger
    first_red = calendar.next_working_day(callback_due)
    report = _sweep(run, first_red)
    assert report["rectifications_red"] == 1, report
    items = _items(run)
    assert items[left]["light"] == "red" and items[fixed]["light"] == "green"  # waits on its fix now
    assert {items[i]["status"] for i in voided} == {"voided"} and items[fixed]["status"] == "called_back"
    [entry] = _ledger(run)
    assert (entry["rectification_id"], entry["case_no"], entry["agency"], entry["status"], entry["assigned_to"],
            entry["missed_due"], entry["task_id"]) == (left, neglected, "FIRE", "assigned", "FIRE-reviewer",
                                                       callback_due.isoformat(), None)
    _step(run, fixed, "--fixed", "--note", "已整改, 再次回访满意", operator="FIRE-reviewer-2", day=first_red)
    assert _sweep(run, first_red, "15:00:00")["rectifications_red"] == 0  # nothing changes twice

    # N more working days: escalated to the agency's supervisor (督查), like an overdue task
    escalate = calendar.add_working_days(first_red, 2)
    report = _sweep(run, escalate)
    assert report["ledger_escalated"] == 1
    [entry] = _ledger(run)
    assert entry["status"] == "supervised" and entry["escalated_to"] == "FIRE-supervisor"
    run_ledger = run("ledger")
    assert run_ledger.code == 0 and f"rectification {left}" in run_ledger.out

    # the late call-back crosses it off (销号); its fix is still on the clock
    _step(run, left, "--callback", "--note", "迟到的回访", operator="FIRE-reviewer", day=escalate)
    [entry] = _ledger(run)
    assert entry["status"] == "closed" and entry["closed_by"] == "FIRE-reviewer"
    report = _sweep(run, escalate, "16:00:00")
    assert _items(run)[left]["light"] == "green" and report["rectifications_red"] == 0

    # the fix left alone too: red again past the fix due date, a second ledger item
    late = calendar.next_working_day(fix_due)
    assert _sweep(run, late)["rectifications_red"] == 1
    assert [(e["missed_due"], e["status"]) for e in _ledger(run)] == [(callback_due.isoformat(), "closed"),
                                                                     (fix_due.isoformat(), "assigned")]
    _step(run, left, "--explained", "--note", "无法律依据, 已解释", operator="FIRE-reviewer", day=late)
    assert {e["status"] for e in _ledger(run)} == {"closed"}
    items = _items(run, now=at(late, "12:00:00"))
    assert items[fixed]["status"] == "fixed" and items[left]["status"] == "explained"
    assert not any(x["closed_at"] is None for x in items.values())

    timeline = {e["kind"] for e in run("show", neglected, "--json").json()["events"]}
    assert {"rated", "rectification_opened", "ledger_assigned", "rectification_callback",
            "rectification_explained"} <= timeline
