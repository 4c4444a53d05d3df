"""Ending a case without a decision, through the CLI: refusal at intake (不予受理), withdrawal (撤回)
at any stage before issuance, and the sweep's withdrawal of an unanswered correction request."""

from __future__ import annotations

from approvals.calendar import WorkingCalendar
from tests.county_support import outbox, refused
from tests.support import MONDAY, approve_all, at, decide, review, show, submit


def test_refusal_at_intake_ends_a_case_not_accepted_with_the_reason_and_the_legal_notice(env, run, application):
    case_no = submit(run, application("RESTAURANT", omit=("LEASE",)))["case_no"]
    url = env.url

    refused(run, url, "refuse", case_no, "--reason", "经营场所不在本辖区", "--operator", "SAMR-reviewer",
            says="may not refuse")
    refused(run, url, "refuse", case_no, "--operator", "window-1", code=2, says="--reason")
    refused(run, url, "refuse", "OV20990101999999", "--reason", "x", code=1, says="no case")

    result = run("refuse", case_no, "--reason", "经营场所不在本辖区", "--json")
    assert result.code == 0, result.err
    ended = result.json()
    assert ended["status"] == "refused" and "第三十二条" in ended["notice"] and "行政复议" in ended["notice"]

    shown = show(run, case_no)
    assert shown["status"] == "refused" and shown["end_reason"] == "经营场所不在本辖区"
    assert shown["reviews"] == [] and shown["light"] is None
    assert [e["kind"] for e in shown["events"]][-1] == "refused"
    notice = outbox(url, case_no)[f"notify:case:{_id(url, case_no)}:refused"]
    assert notice["payload"]["reason"] == "经营场所不在本辖区" and "第三十二条" in notice["payload"]["notice"]

    # Ended: neither refused again, nor withdrawn, nor supplemented; and never stalled.
    refused(run, url, "refuse", case_no, "--reason", "again", says="refused")
    refused(run, url, "withdraw", case_no, "--reason", "again", says="refused")
    refused(run, url, "supplement", case_no, "--material", "LEASE", says="refused")
    later = at(WorkingCalendar().add_working_days(MONDAY, 20))
    stalled = run("cases", "--stalled", "--json", now=later).json()
    assert case_no not in [c["case_no"] for c in stalled]


def test_an_accepted_case_cannot_be_refused_but_can_be_withdrawn_with_everything_stopped(env, run, application):
    case_no = submit(run, application("RESTAURANT"))["case_no"]
    url = env.url
    refused(run, url, "refuse", case_no, "--reason", "太晚了", says="accepted")

    # One task approved (its dependents released), one waiting on the applicant with its clock stopped.
    shown = show(run, case_no)
    decide(run, review(shown, "BIZ_LICENCE")["task_id"], "approve")
    fire = review(shown, "FIRE_CHECK")["task_id"]
    decide(run, fire, "supplement", "--material", "FIRE_ACCEPTANCE")
    assert show(run, case_no)["suspensions"][-1]["ended_at"] is None

    refused(run, url, "withdraw", case_no, "--reason", "不开了", "--operator", "SAMR-reviewer", says="may not withdraw")
    refused(run, url, "withdraw", case_no, "--operator", "window-1", code=2, says="--reason")

    result = run("withdraw", case_no, "--reason", "申请人决定不再开店", "--json")
    assert result.code == 0, result.err
    ended = result.json()
    assert ended["status"] == "withdrawn" and ended["cancelled"]

    shown = show(run, case_no)
    assert shown["status"] == "withdrawn" and shown["end_reason"] == "申请人决定不再开店"
    statuses = {r["matter"]: r["status"] for r in shown["reviews"]}
    assert statuses["BIZ_LICENCE"] == "approved"
    assert {s for m, s in statuses.items() if m != "BIZ_LICENCE"} == {"cancelled"}
    assert all(r["light"] is None for r in shown["reviews"] if r["status"] == "cancelled")
    assert all(s["ended_at"] is not None for s in shown["suspensions"])  # the stopped clock is closed
    assert shown["certificates"] == []
    keys = outbox(url, case_no)
    assert any(k.endswith(":withdrawn") for k in keys)

    refused(run, url, "decide", review(shown, "FOOD_BUSINESS")["task_id"], "approve", "--operator", "SAMR-reviewer",
            says="cancelled")
    refused(run, url, "withdraw", case_no, "--reason", "again", says="withdrawn")
    later = at(WorkingCalendar().add_working_days(MONDAY, 20))
    assert case_no not in [c["case_no"] for c in run("cases", "--stalled", "--json", now=later).json()]
    assert case_no not in [c["case_no"] for c in run("cases", "--overdue", "--json", now=later).json()]


def test_an_issued_case_cannot_be_withdrawn(env, run, application):
    case_no = submit(run, application("COMPANY_START"))["case_no"]
    assert approve_all(run, case_no)["status"] == "issued"
    refused(run, env.url, "withdraw", case_no, "--reason", "太晚了", says="issued")


def _id(url: str, case_no: str) -> int:
    from sqlalchemy import text

    from services.db import engine_for

    with engine_for(url, write=False).connect() as conn:
        return conn.execute(text("SELECT id FROM case_file WHERE case_no = :n"), {"n": case_no}).scalar_one()


def test_an_agent_withdraws_its_own_case_under_a_mandate_to_submit(env, run, application):
    import json
    import uuid

    url = env.url
    path = application("RESTAURANT")
    body = json.loads(path.read_text("utf-8"))
    agents = []
    for scope in ("submit,supplement", "supplement"):
        agent = f"AG-{uuid.uuid4().hex[:8]}"
        assert run("agent", "add", agent, "--name", "代办员", "--operator", "admin").code == 0
        granted = run("mandate", "grant", agent, "--applicant", body["applicant"]["uscc"], "--until", "2026-12-31",
                      "--scope", scope, "--operator", "admin")
        assert granted.code == 0, granted.err
        agents.append(agent)
    path.write_text(json.dumps({**body, "channel": "proxy", "agent": agents[0]}, ensure_ascii=False), "utf-8")
    case_no = submit(run, path, operator=agents[0])["case_no"]
    assert show(run, case_no)["visits"] == 0  # filed by the agent: the applicant never came

    refused(run, url, "withdraw", case_no, "--reason", "不办了", "--operator", agents[1], says="did not file")
    result = run("withdraw", case_no, "--reason", "申请人委托撤回", "--operator", agents[0], "--json")
    assert result.code == 0, result.err
    assert result.json()["status"] == "withdrawn"
