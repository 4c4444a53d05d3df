"""延期 through the CLI: a reviewer asks, a supervisor or the agency's head approves (+10 working days to
the task's limits and the case's clock, once) or refuses; every wrong role and state is refused."""

from __future__ import annotations

import uuid

from approvals.calendar import WorkingCalendar
from tests.county_support import outbox, refused
from tests.support import MONDAY, approve, review, show, submit


def add_head(run, agency: str) -> str:
    head = f"{agency}-head-{uuid.uuid4().hex[:6]}"
    result = run("operator", "add", head, "--role", "head", "--agency", agency, "--name", "局长", "--operator", "admin")
    assert result.code == 0, result.err
    return head


def test_a_reviewer_asks_the_agency_head_approves_and_the_clock_moves_once(env, run, application, catalog):
    url, calendar = env.url, WorkingCalendar()
    samr_head, fire_head = add_head(run, "SAMR"), add_head(run, "FIRE")
    case_no = submit(run, application("RESTAURANT"))["case_no"]
    shown = show(run, case_no)
    task = review(shown, "BIZ_LICENCE")
    promised = catalog.matters["BIZ_LICENCE"].promised_days
    assert task["due_date"] == calendar.add_working_days(MONDAY, promised).isoformat()
    case_due = shown["due_date"]

    tid = str(task["task_id"])
    refused(run, url, "extend", tid, "--reason", "需现场核查", "--operator", "window-1", says="may not ask")
    refused(run, url, "extend", tid, "--reason", "需现场核查", "--operator", "FIRE-reviewer", says="not SAMR")
    refused(run, url, "extend", tid, "--operator", "SAMR-reviewer", code=2, says="--reason")
    refused(run, url, "extend", tid, "--approve", "--operator", samr_head, says="no extension was asked")
    waiting = str(review(shown, "FOOD_BUSINESS")["task_id"])
    refused(run, url, "extend", waiting, "--reason", "x", "--operator", "SAMR-reviewer", says="waiting")

    asked = run("extend", tid, "--reason", "需现场核查经营场所", "--operator", "SAMR-reviewer", "--json")
    assert asked.code == 0, asked.err
    assert asked.json()["status"] == "requested"
    assert review(show(run, case_no), "BIZ_LICENCE")["due_date"] == task["due_date"]  # not before approval
    refused(run, url, "extend", tid, "--reason", "again", "--operator", "SAMR-reviewer", says="once")
    refused(run, url, "extend", tid, "--approve", "--operator", "SAMR-reviewer", says="may not approve")
    refused(run, url, "extend", tid, "--approve", "--operator", fire_head, says="not SAMR")
    refused(run, url, "extend", tid, "--refuse", "--operator", samr_head, code=2, says="--reason")

    approved = run("extend", tid, "--approve", "--operator", samr_head, "--json")
    assert approved.code == 0, approved.err
    extended = calendar.add_working_days(MONDAY, promised + 10).isoformat()
    assert approved.json() == {"task_id": int(tid), "matter": "BIZ_LICENCE", "case_no": case_no,
                               "status": "approved", "days": 10, "due_date": extended}
    shown = show(run, case_no)
    task = review(shown, "BIZ_LICENCE")
    assert task["due_date"] == extended and task["light"] == "green"
    assert task["extension"]["status"] == "approved" and task["extension"]["decided_by"] == samr_head
    assert shown["due_date"] > case_due
    notice = next(v for k, v in outbox(url, case_no).items() if ":extended:" in k)
    assert notice["payload"]["days"] == 10 and notice["payload"]["reason"] == "需现场核查经营场所"

    refused(run, url, "extend", tid, "--approve", "--operator", samr_head, says="approved already")
    refused(run, url, "extend", tid, "--reason", "more", "--operator", "SAMR-reviewer", says="once")
    approve(run, int(tid))
    refused(run, url, "extend", str(review(show(run, case_no), "BIZ_LICENCE")["task_id"]), "--approve",
            "--operator", "supervisor-1", says="approved already")


def test_a_supervisor_refuses_an_extension_and_a_decided_task_cannot_be_extended(env, run, application):
    url = env.url
    case_no = submit(run, application("RESTAURANT"))["case_no"]
    biz = review(show(run, case_no), "BIZ_LICENCE")["task_id"]
    approve(run, biz)  # releases FIRE_CHECK
    shown = show(run, case_no)
    fire = str(review(shown, "FIRE_CHECK")["task_id"])
    assert run("extend", fire, "--reason", "需专家论证", "--operator", "FIRE-reviewer").code == 0
    result = run("extend", fire, "--refuse", "--reason", "理由不足", "--operator", "supervisor-1", "--json")
    assert result.code == 0, result.err
    assert result.json()["status"] == "refused" and result.json()["due_date"] == review(shown, "FIRE_CHECK")["due_date"]
    assert review(show(run, case_no), "FIRE_CHECK")["extension"]["note"] == "理由不足"
    refused(run, url, "extend", fire, "--reason", "再申请", "--operator", "FIRE-reviewer", says="once")

    refused(run, url, "extend", str(biz), "--reason", "太晚", "--operator", "SAMR-reviewer", says="approved")
    refused(run, url, "extend", "999999999", "--reason", "x", "--operator", "SAMR-reviewer", says="no review task")
