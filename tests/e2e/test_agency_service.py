"""帮代办 (agency service) and the green channel for key projects, end to end through the CLI."""

from __future__ import annotations

import json
import uuid
from datetime import date

from flows.serving import run_until_idle
from services.queries.connection import reader
from tests.e2e.test_permissions import fingerprint
from tests.support import MONDAY, approve_all, at, decide, listed, review, show, submit

ALL_SCOPES = "submit,supplement,sign_commitment,receive_results"


def _agent(run, uscc: str | None, scope: str = ALL_SCOPES, until: str = "2026-12-31") -> tuple[str, int | None]:
    agent = f"AG-{uuid.uuid4().hex[:6]}"
    added = run("agent", "add", agent, "--name", "园区代办员", "--phone", "13800138000", "--operator", "admin")
    assert added.code == 0, added.err
    if uscc is None:
        return agent, None
    granted = run("mandate", "grant", agent, "--applicant", uscc, "--scope", scope, "--until", until,
                  "--operator", "admin", "--json")
    assert granted.code == 0, granted.err
    return agent, granted.json()["id"]


def _proxy(application, agent: str, bundle: str = "COMPANY_START", **extra):
    path = application(bundle, **extra)
    body = json.loads(path.read_text("utf-8"))
    path.write_text(json.dumps({**body, "channel": "proxy", "agent": agent}, ensure_ascii=False), "utf-8")
    return path, body["applicant"]["uscc"]


def _notices(url: str, case_no: str) -> list[dict]:
    with reader(url) as read:
        return read.rows("SELECT n.kind, n.recipient, n.message FROM notification n JOIN case_file c "
                         "ON c.id = n.case_id WHERE c.case_no = %(n)s ORDER BY n.id", n=case_no)


def test_the_agent_files_follows_supplies_and_receives_the_results(env, run, application):
    path, uscc = _proxy(application, "AG-pending")
    agent, _ = _agent(run, uscc)
    path.write_text(path.read_text("utf-8").replace("AG-pending", agent), "utf-8")

    filed = submit(run, path, operator=agent)
    case_no = filed["case_no"]
    assert filed["status"] == "in_review"
    shown = show(run, case_no, operator=agent)
    assert shown["agent"] == agent and shown["channel"] == "proxy"
    assert shown["events"][0]["actor"] == agent and f"agent {agent}" in shown["events"][0]["detail"]

    licence = review(shown, "BIZ_LICENCE")
    decide(run, licence["task_id"], "supplement", "--material", "ARTICLES")
    assert run_until_idle(case_no)
    notices = _notices(env.url, case_no)
    asked = [n for n in notices if n["kind"] == "supplement_requested"]
    assert len(asked) == 1 and asked[0]["recipient"] == agent and asked[0]["message"].startswith(f"agent {agent}")
    assert any(e["kind"] == "notified" and f"to agent {agent}" in e["detail"]
               for e in show(run, case_no)["events"])  # routed to the agent, on the timeline too

    worklist = listed(run, "cases", operator=agent)
    assert [r["case_no"] for r in worklist] == [case_no]  # an agent's `cases` is its own worklist
    assert [r["case_no"] for r in listed(run, "cases", "--agent", agent)] == [case_no]  # and the window sees it

    supplied = run("supplement", case_no, "--material", "ARTICLES", "--operator", agent, "--json")
    assert supplied.code == 0, supplied.err
    issued = approve_all(run, case_no)
    assert issued["status"] == "issued"
    assert run_until_idle(case_no)
    issued_notice = [n for n in _notices(env.url, case_no) if n["kind"] == "issued"]
    assert len(issued_notice) == 1 and issued_notice[0]["recipient"] == agent

    refused = run("decide", review(issued, "SEAL")["task_id"], "approve", "--operator", agent)
    assert refused.code == 1 and "may not decide" in refused.err  # an agent never approves anything


def test_an_agent_without_a_valid_mandate_is_refused_and_nothing_is_written(env, run, application):
    agent, _ = _agent(run, None)
    path, uscc = _proxy(application, agent)

    def refused(path, message, *, now=None, who=agent):
        before = fingerprint(env.url)
        result = run("submit", path, "--operator", who, **({"now": now} if now else {}))
        assert result.code == 1 and message in result.err, result.err
        assert fingerprint(env.url) == before

    refused(path, f"agent {agent} holds no mandate from applicant {uscc}")

    elsewhere, _ = _agent(run, "91350200MA2YJ1XR9G")  # a mandate, but from another applicant
    other_path, other_uscc = _proxy(application, elsewhere)
    refused(other_path, f"agent {elsewhere} holds no mandate from applicant {other_uscc}", who=elsewhere)

    short, _ = _agent(run, None)
    short_path, short_uscc = _proxy(application, short)
    assert run("mandate", "grant", short, "--applicant", short_uscc, "--scope", "submit", "--until", "2026-03-03",
               "--operator", "admin").code == 0
    refused(short_path, "expired on 2026-03-03", now=at(date(2026, 3, 4)), who=short)

    revoked, mandate = _agent(run, None)
    revoked_path, revoked_uscc = _proxy(application, revoked)
    granted = run("mandate", "grant", revoked, "--applicant", revoked_uscc, "--scope", ALL_SCOPES, "--until",
                  "2026-12-31", "--operator", "admin", "--json").json()
    assert run("mandate", "revoke", granted["id"], "--reason", "委托终止", "--operator", "admin").code == 0
    refused(revoked_path, f"mandate {granted['id']} from applicant {revoked_uscc} was revoked", who=revoked)

    unsigned, _ = _agent(run, None)
    promise_path, promise_uscc = _proxy(application, unsigned, "RESTAURANT", optional_matters=[],
                                        commitment_matters=["FOOD_BUSINESS"])
    assert run("mandate", "grant", unsigned, "--applicant", promise_uscc, "--scope", "submit,supplement",
               "--until", "2026-12-31", "--operator", "admin").code == 0
    refused(promise_path, "does not cover sign_commitment", who=unsigned)
    body = json.loads(promise_path.read_text("utf-8"))
    plain = promise_path.with_name("plain.json")
    plain.write_text(json.dumps({**body, "commitment_matters": []}, ensure_ascii=False), "utf-8")
    assert run("submit", plain, "--operator", unsigned).code == 0  # the same mandate covers a plain filing


def test_proxy_filings_belong_to_their_agent(env, run, application):
    agent, _ = _agent(run, None)
    path, uscc = _proxy(application, agent)
    assert run("mandate", "grant", agent, "--applicant", uscc, "--scope", ALL_SCOPES, "--until", "2026-12-31",
               "--operator", "admin").code == 0
    before = fingerprint(env.url)
    by_window = run("submit", path, "--operator", "window-1")
    assert by_window.code == 1 and f"submitted by its agent (--operator {agent})" in by_window.err
    impostor, _ = _agent(run, uscc)
    before = fingerprint(env.url)
    by_other = run("submit", path, "--operator", impostor)
    assert by_other.code == 1 and f"agent {impostor} files only its own proxy applications" in by_other.err
    body = json.loads(path.read_text("utf-8"))
    window_path = path.with_name("window.json")
    window_path.write_text(json.dumps({**body, "channel": "window", "agent": None}, ensure_ascii=False), "utf-8")
    as_window = run("submit", window_path, "--operator", agent)
    assert as_window.code == 1 and "files only its own proxy applications" in as_window.err
    key_path = path.with_name("key.json")
    key_path.write_text(json.dumps({**body, "key_project": True, "leader": "陈明"}, ensure_ascii=False), "utf-8")
    as_key = run("submit", key_path, "--operator", agent)
    assert as_key.code == 1 and "may not set key_project" in as_key.err
    assert fingerprint(env.url) == before
    for broken, message in (({"agent": None}, "a proxy application names its agent"),
                            ({"key_project": True}, "a key project names its responsible leader")):
        bad = path.with_name("bad.json")
        bad.write_text(json.dumps({**body, **broken}, ensure_ascii=False), "utf-8")
        result = run("submit", bad, "--operator", agent)
        assert result.code == 2 and message in result.err, result.err
    assert fingerprint(env.url) == before


def test_a_mandate_revoked_mid_case_stops_the_agent_and_the_window_goes_on(env, run, application):
    path, uscc = _proxy(application, "AG-pending", omit=("LEASE",))
    agent, mandate = _agent(run, uscc)
    path.write_text(path.read_text("utf-8").replace("AG-pending", agent), "utf-8")
    case_no = submit(run, path, operator=agent)["case_no"]
    assert show(run, case_no)["status"] == "correction_required"

    assert run("mandate", "revoke", mandate, "--reason", "委托人解除委托", "--operator", "admin").code == 0
    listed_mandates = listed(run, "mandate", "list", "--agent", agent)
    assert [m["status"] for m in listed_mandates] == ["revoked"]
    before = fingerprint(env.url)
    stopped = run("supplement", case_no, "--material", "LEASE", "--operator", agent)
    assert stopped.code == 1 and "was revoked" in stopped.err and f"case {case_no} goes on at the window" in stopped.err
    assert fingerprint(env.url) == before
    at_window = run("supplement", case_no, "--material", "LEASE", "--operator", "window-1", "--json")
    assert at_window.code == 0 and at_window.json()["status"] == "in_review"
    assert show(run, case_no, operator=agent)["status"] == "in_review"  # it may still follow its case

    issued = approve_all(run, case_no)
    assert run_until_idle(case_no)
    notice = [n for n in _notices(env.url, case_no) if n["kind"] == "issued"]
    assert len(notice) == 1 and notice[0]["recipient"] == uscc  # no mandate: results go to the applicant
    assert issued["status"] == "issued"


def test_an_agent_reads_only_its_own_cases(env, run, application):
    path, uscc = _proxy(application, "AG-pending")
    agent, _ = _agent(run, uscc)
    path.write_text(path.read_text("utf-8").replace("AG-pending", agent), "utf-8")
    mine = submit(run, path, operator=agent)["case_no"]
    theirs = submit(run, application("COMPANY_START"))["case_no"]
    assert show(run, mine, operator=agent)["case_no"] == mine
    hidden = run("show", theirs, "--operator", agent)
    assert hidden.code == 1 and f"no case {theirs} filed by agent {agent}" in hidden.err
    for args in (["tasks"], ["ledger"], ["runs", mine], ["cases", "--stalled"], ["cases", "--agent", "AG-other"]):
        result = run(*args, "--operator", agent)
        assert result.code == 1 and "its own" in result.err, (args, result.err)


def test_a_key_project_gets_halved_limits_a_leader_and_the_front_of_the_queue(env, run, application):
    plain = show(run, submit(run, application("HOTEL"))["case_no"])
    key_no = submit(run, application("HOTEL", key_project=True, leader="副区长 陈明"))["case_no"]
    key = show(run, key_no)
    assert key["key_project"] and key["leader"] == "副区长 陈明"
    assert any(e["kind"] == "key_project" and "副区长 陈明" in e["detail"] for e in key["events"])

    with reader(env.url) as read:
        days = {r["id"]: r["promised_days"] for r in read.rows(
            "SELECT t.id, t.promised_days FROM review_task t JOIN case_file c ON c.id = t.case_id "
            "WHERE c.case_no IN (%(a)s, %(b)s)", a=plain["case_no"], b=key_no)}
        bundle_days = {r["case_no"]: r["promised_days"] for r in read.rows(
            "SELECT case_no, promised_days FROM case_file WHERE case_no IN (%(a)s, %(b)s)", a=plain["case_no"],
            b=key_no)}
    for normal in plain["reviews"]:
        fast = review(key, normal["matter"])
        expected = max(1, -(-days[normal["task_id"]] // 2))  # halved, rounded up, at least one working day
        assert days[fast["task_id"]] == expected, normal["matter"]
        if normal["due_date"] and days[normal["task_id"]] > 1:
            assert fast["due_date"] < normal["due_date"], normal["matter"]
    assert bundle_days[key_no] == max(1, -(-bundle_days[plain["case_no"]] // 2))

    queue = listed(run, "tasks", "--agency", "SAMR")
    first_plain = next(i for i, r in enumerate(queue) if not r["key_project"])
    assert all(r["key_project"] for r in queue[:first_plain]) and any(r["case_no"] == key_no for r in queue[:first_plain])


def test_a_case_can_join_the_green_channel_after_filing(env, run, application):
    case_no = submit(run, application("HOTEL"))["case_no"]
    before = show(run, case_no)
    marked = run("key-project", case_no, "--leader", "区长 王强", "--json", "--operator", "window-1")
    assert marked.code == 0, marked.err
    assert marked.json()["shortened"] == len([r for r in before["reviews"] if r["status"] in ("pending", "waiting")])
    after = show(run, case_no)
    assert after["key_project"] and after["leader"] == "区长 王强"
    for old in before["reviews"]:
        if old["due_date"]:
            assert review(after, old["matter"])["due_date"] <= old["due_date"]
    again = run("key-project", case_no, "--leader", "区长 王强", "--operator", "admin")
    assert again.code == 0 and "already a key project" in again.out
    assert [e["kind"] for e in show(run, case_no)["events"]].count("key_project") == 1
    no_leader = run("key-project", case_no, "--leader", " ", "--operator", "admin")
    assert no_leader.code == 2


def test_the_agents_worklist_puts_key_projects_and_open_cases_first(env, run, application):
    path, uscc = _proxy(application, "AG-pending")
    agent, _ = _agent(run, uscc)
    cases = []
    for _ in range(3):
        body = json.loads(path.read_text("utf-8").replace("AG-pending", agent))
        body["request_id"] = f"wl-{uuid.uuid4().hex}"
        one = path.with_name(f"wl-{uuid.uuid4().hex[:6]}.json")
        one.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
        cases.append(submit(run, one, operator=agent)["case_no"])
    approve_all(run, cases[0])  # finished: last
    assert run("key-project", cases[2], "--leader", "陈明", "--operator", "window-1").code == 0
    order = [r["case_no"] for r in listed(run, "cases", operator=agent, now=at(MONDAY, "11:00:00"))]
    assert order == [cases[2], cases[1], cases[0]]
