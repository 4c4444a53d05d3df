"""Who may do what: every role × every acting command, allowed or refused (exit 1, nothing written).

Roles: a window clerk, the SAMR reviewer (the task's agency), the FIRE reviewer (another agency), a
supervisor, the administrator and an agent holding a full mandate from the applicant.
"""

from __future__ import annotations

import json
import uuid

import pytest

from services.queries.connection import reader
from tests.support import MONDAY, approve_all, at, review, show, submit

ROLES = {"window": "window-1", "reviewer": "SAMR-reviewer", "other reviewer": "FIRE-reviewer",
         "supervisor": "supervisor-1", "admin": "admin", "agent": None}

ALLOWED = {
    "submit": {"window", "agent"},
    "supplement": {"window", "agent"},
    "decide": {"reviewer"},
    "verify": {"reviewer"},
    "key-project": {"window", "admin"},
    "sweep": {"supervisor", "admin"},
    "orchestrate": {"admin"},
    "reopen": {"admin"},
    "catalog load": {"admin"},
    "calendar set": {"admin"},
    "credit repair": {"admin"},
    "operator add": {"admin"},
    "operator disable": {"admin"},
    "agent add": {"admin"},
    "mandate grant": {"admin"},
    "mandate revoke": {"admin"},
}

TABLES = ["case_file", "case_event", "review_task", "certificate", "outbox_item", "notification", "commitment",
          "credit_record", "ledger_item", "clock_stop", "calendar_override", "catalog_version", "operator",
          "mandate", "flow_run", "event_chain"]


def fingerprint(url: str) -> dict:
    """Every table's row count and a digest of what can change in place: enough to see any write."""
    with reader(url) as read:
        counts = {t: read.one(f"SELECT count(*) AS n FROM {t}")["n"] for t in TABLES}
        states = read.rows("SELECT id, status, updated_at, key_project, promised_days FROM case_file ORDER BY id")
        tasks = read.rows("SELECT id, status, promised_days, due_date, assignee FROM review_task ORDER BY id")
        people = read.rows("SELECT id, enabled FROM operator ORDER BY id")
        mandates = read.rows("SELECT id, revoked_at FROM mandate ORDER BY id")
    return {"counts": counts, "digest": json.dumps([states, tasks, people, mandates], default=str, sort_keys=True)}


def _agent(run, uscc: str) -> str:
    agent = f"AG-{uuid.uuid4().hex[:8]}"
    assert run("agent", "add", agent, "--name", "代办员", "--operator", "admin").code == 0
    granted = run("mandate", "grant", agent, "--applicant", uscc, "--until", "2026-12-31", "--operator", "admin",
                  "--scope", "submit,supplement,sign_commitment,receive_results")
    assert granted.code == 0, granted.err
    return agent


def _uscc(path) -> str:
    return json.loads(path.read_text("utf-8"))["applicant"]["uscc"]


def _proxy(path, agent: str):
    body = json.loads(path.read_text("utf-8"))
    path.write_text(json.dumps({**body, "channel": "proxy", "agent": agent}, ensure_ascii=False), "utf-8")
    return path


def _setup(command: str, role: str, run, application, tmp_path) -> tuple[list[str], str]:
    """The command line to try, and who tries it; each setting-up step is done by whoever may do it."""
    if command == "submit":
        path = application("COMPANY_START")
        who = ROLES[role] or _agent(run, _uscc(path))
        return ["submit", str(_proxy(path, who) if role == "agent" else path)], who
    if command == "supplement":
        path = application("COMPANY_START", omit=("LEASE",))
        who = ROLES[role] or _agent(run, _uscc(path))
        case_no = submit(run, path)["case_no"]
        return ["supplement", case_no, "--material", "LEASE"], who
    who = ROLES[role] or _agent(run, "91350200MA2YJ1XR9G")
    if command in ("decide", "key-project", "reopen"):
        case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
        task = review(show(run, case_no), "BIZ_LICENCE")["task_id"]
        return {"decide": ["decide", str(task), "approve"], "key-project": ["key-project", case_no, "--leader", "陈明"],
                "reopen": ["reopen", case_no, "--reason", "复核"]}[command], who
    if command == "verify":
        case_no = submit(run, application("RESTAURANT", optional_matters=[], commitment_matters=["FOOD_BUSINESS"]))[
            "case_no"]
        approve_all(run, case_no)
        return ["verify", case_no, "--matter", "FOOD_BUSINESS", "--passed"], who
    if command == "catalog load":
        from services.catalog import builtin_catalog_text

        path = tmp_path / "catalog.yaml"
        path.write_text(builtin_catalog_text(), "utf-8")
        return ["catalog", "load", str(path)], who
    if command == "operator disable":
        target = f"w-{uuid.uuid4().hex[:8]}"
        assert run("operator", "add", target, "--role", "window", "--operator", "admin").code == 0
        return ["operator", "disable", target], who
    if command == "mandate revoke":
        _agent(run, "91350200MA2YJ1XR9G")
        with reader(run_url()) as read:
            mandate = read.one("SELECT max(id) AS id FROM mandate")["id"]
        return ["mandate", "revoke", str(mandate), "--reason", "委托终止"], who
    other = f"AG-{uuid.uuid4().hex[:8]}"
    if command == "mandate grant":
        assert run("agent", "add", other, "--name", "代办员", "--operator", "admin").code == 0
    return {
        "sweep": ["sweep"],
        "orchestrate": ["orchestrate"],
        "calendar set": ["calendar", "set", "2026-10-01", "holiday", "--reason", "国庆节"],
        "credit repair": ["credit", "repair", "91350200MA2YJ1XR9G", "--reason", "信用修复"],
        "operator add": ["operator", "add", f"w-{uuid.uuid4().hex[:8]}", "--role", "window"],
        "agent add": ["agent", "add", other, "--name", "新代办员"],
        "mandate grant": ["mandate", "grant", other, "--applicant", "91350200MA2YJ1XR9G", "--scope", "submit",
                          "--until", "2026-06-30"],
    }[command], who


def run_url() -> str:
    import os

    return os.environ["ONEVISIT_DATABASE_URL"]


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("command", list(ALLOWED))
def test_each_role_may_do_only_what_it_is_allowed(command, role, env, run, application, tmp_path):
    args, who = _setup(command, role, run, application, tmp_path)
    before = fingerprint(env.url)
    result = run(*args, "--operator", who, now=at(MONDAY, "10:00:00"))
    if role in ALLOWED[command] and command == "credit repair":  # allowed, and told there is nothing to repair
        assert result.code == 1 and "has no open credit record" in result.err, result.err
    elif role in ALLOWED[command]:
        assert result.code == 0, (command, role, result.err)
    else:
        assert result.code == 1, (command, role, result.code, result.out, result.err)
        assert result.err.startswith("onevisit: ") and result.err.count("\n") == 1, result.err  # one line
        assert "Traceback" not in result.err
        assert fingerprint(env.url) == before, f"{command} by {role} was refused but wrote something"


@pytest.mark.parametrize("command", [["show", "{case}"], ["tasks"], ["cases"], ["runs", "{case}"], ["ledger"],
                                     ["credit", "show", "91350200MA2YJ1XR9G"], ["calendar", "show", "2026"],
                                     ["catalog", "list"], ["operator", "list"], ["mandate", "list"]])
def test_reading_needs_an_enabled_operator(command, env, run, application):
    case_no = submit(run, application("COMPANY_START"))["case_no"]
    args = [a.format(case=case_no) for a in command]
    for who in ("window-1", "SAMR-reviewer", "supervisor-1", "admin"):
        assert run(*args, "--operator", who).code == 0, (args, who)
    unknown = run(*args, "--operator", "nobody-here")
    assert unknown.code == 1 and "unknown operator 'nobody-here'" in unknown.err
    someone = f"w-{uuid.uuid4().hex[:8]}"
    assert run("operator", "add", someone, "--role", "window", "--operator", "admin").code == 0
    assert run(*args, "--operator", someone).code == 0
    assert run("operator", "disable", someone, "--operator", "admin").code == 0
    disabled = run(*args, "--operator", someone)
    assert disabled.code == 1 and f"operator {someone} is disabled" in disabled.err


def test_audit_is_for_supervisors_and_administrators(env, run):
    assert run("audit", "verify", "--operator", "supervisor-1").code == 0
    assert run("audit", "verify", "--operator", "admin").code == 0
    for who in ("window-1", "SAMR-reviewer"):
        refused = run("audit", "verify", "--operator", who)
        assert refused.code == 1 and "may not audit" in refused.err


def test_operator_administration_checks_its_input(env, run):
    bad = [
        (["operator", "add", "r-x", "--role", "reviewer"], "give --agency CODE"),
        (["operator", "add", "r-x", "--role", "reviewer", "--agency", "NOPE"], "unknown agency 'NOPE'"),
        (["operator", "add", "w-x", "--role", "window", "--agency", "SAMR"], "--agency is for reviewers"),
        (["operator", "add", "has space", "--role", "window"], "is not an operator id"),
        (["operator", "add", "w-x", "--role", "window", "--phone", "call me"], "is not a phone number"),
        (["operator", "add", "w-x", "--role", "agent"], "'agent' is not one of"),
        (["mandate", "grant", "AG-none", "--applicant", "bad", "--scope", "submit", "--until", "2026-12-31"],
         "not a valid unified social credit code"),
        (["mandate", "grant", "AG-none", "--applicant", "91350200MA2YJ1XR9G", "--scope", "fly", "--until",
          "2026-12-31"], "unknown scope 'fly'"),
        (["mandate", "grant", "AG-none", "--applicant", "91350200MA2YJ1XR9G", "--scope", "submit", "--until",
          "2026-01-01"], "is in the past"),
    ]
    before = fingerprint(env.url)
    for args, message in bad:
        result = run(*args, "--operator", "admin")
        assert result.code == 2 and message in result.err, (args, result.err)
    assert fingerprint(env.url) == before
    assert run("operator", "add", "admin", "--role", "window", "--operator", "admin").code == 1  # taken
    assert run("operator", "disable", "admin", "--operator", "admin").code == 1  # never locks itself out
    reviewer = f"r-{uuid.uuid4().hex[:6]}"
    added = run("operator", "add", reviewer, "--role", "reviewer", "--agency", "FIRE", "--name", "李四",
                "--phone", "13912345678", "--operator", "admin")
    assert added.code == 0, added.err
    listed = {r["id"]: r for r in run("operator", "list", "--json", "--operator", "admin").json()}
    assert listed[reviewer] | {"created_at": None} == listed[reviewer] | {
        "role": "reviewer", "agency": "FIRE", "name": "李四", "phone": "139****5678", "enabled": True, "created_at": None}
