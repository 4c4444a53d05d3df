"""The tamper suite: what someone with the database owner's rights (but not the key file) might do, each
caught by `audit verify` (exit 1, naming the row); an untouched database passes, against a checkpoint too.

Each test tampers with its own database (fresh_env), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from services.db import engine_for
from services.migrate import drop_append_only_guard
from tests.support import approve_all, review, show, submit


@pytest.fixture
def hall(fresh_env, run, application, tmp_path):
    """Two cases: the first issued (every matter approved), the second in review; a checkpoint of both."""
    issued = submit(run, application("COMPANY_START"))["case_no"]
    approve_all(run, issued)
    waiting = submit(run, application("RESTAURANT"))["case_no"]
    assert run("operator", "add", "window-9", "--role", "window", "--operator", "admin").code == 0
    checkpoint = tmp_path / "checkpoint.json"
    made = run("audit", "checkpoint", "--out", checkpoint, "--operator", "admin")
    assert made.code == 0, made.err
    return {"issued": issued, "waiting": waiting, "checkpoint": checkpoint, "url": fresh_env.url}


def _tamper(url: str, *statements: tuple[str, dict]) -> None:
    drop_append_only_guard(url)
    with engine_for(url).begin() as conn:
        for sql, params in statements:
            conn.execute(text(sql), params)


def _case_id(url: str, case_no: str) -> int:
    with engine_for(url).connect() as conn:
        return conn.execute(text("SELECT id FROM case_file WHERE case_no = :n"), {"n": case_no}).scalar_one()


def _caught(run, hall, *names: str, against: bool = False) -> list[dict]:
    args = ["audit", "verify", "--operator", "supervisor-1"] + (["--against", hall["checkpoint"]] if against else [])
    plain = run(*args)
    assert plain.code == 1, plain.out
    assert "Traceback" not in plain.err
    report = run(*args, "--json")
    assert report.code == 1
    problems = report.json()["problems"]
    for name in names:
        assert any(name in f"{p['row']}: {p['problem']}" for p in problems), (name, problems)
        assert name in plain.err, (name, plain.err)
    return problems


def test_an_untouched_database_passes_and_matches_its_checkpoint(hall, run):
    result = run("audit", "verify", "--against", hall["checkpoint"], "--operator", "admin")
    assert result.code == 0, result.err
    assert "timeline intact" in result.out and "checkpoint" in result.out
    report = run("audit", "verify", "--json", "--operator", "admin").json()
    assert report["ok"] and report["problems"] == [] and report["system_events"] >= 1


def test_an_edited_decision_is_caught(hall, run):
    task = review(show(run, hall["issued"]), "BIZ_LICENCE")["task_id"]
    _tamper(hall["url"], ("UPDATE review_task SET status = 'denied', decided_by = 'mallory' WHERE id = :t", {"t": task}))
    _caught(run, hall, f"case {hall['issued']}", f"review_task {task}: denied by mallory")


def test_an_edited_case_status_is_caught(hall, run):
    _tamper(hall["url"], ("UPDATE case_file SET status = 'issued' WHERE case_no = :n", {"n": hall["waiting"]}))
    _caught(run, hall, f"case {hall['waiting']}", "case_file: status 'issued'")


def test_an_inserted_certificate_is_caught(hall, run):
    task = review(show(run, hall["waiting"]), "BIZ_LICENCE")["task_id"]
    number = f"{hall['waiting']}-BIZ_LICENCE"
    _tamper(hall["url"], ("INSERT INTO certificate (number, case_id, task_id, matter, agency, status, issued_at) "
                          "VALUES (:n, :c, :t, 'BIZ_LICENCE', 'SAMR', 'issued', :at)",
                          {"n": number, "c": _case_id(hall["url"], hall["waiting"]), "t": task,
                           "at": "2026-03-02 01:00:00"}))
    _caught(run, hall, f"certificate {number}: issued that no event explains")


def test_a_deleted_case_is_caught(hall, run):
    from sqlmodel import SQLModel

    import schemas.tables  # noqa: F401

    case_id = _case_id(hall["url"], hall["issued"])
    with engine_for(hall["url"]).connect() as conn:
        tasks = conn.execute(text("SELECT id FROM review_task WHERE case_id = :c"), {"c": case_id}).scalars().all()
    statements = []
    for table in reversed(SQLModel.metadata.sorted_tables):  # the rows that refer to it first
        if "task_id" in table.c and table.name not in ("review_task",) and tasks:
            marks = ", ".join(str(int(t)) for t in tasks)
            statements.append((f"DELETE FROM {table.name} WHERE task_id IN ({marks})", {}))
        if "case_id" in table.c:
            statements.append((f"DELETE FROM {table.name} WHERE case_id = :c", {"c": case_id}))
    statements.append(("DELETE FROM case_file WHERE id = :c", {"c": case_id}))
    _tamper(hall["url"], *statements)
    _caught(run, hall, f"case {hall['issued']}")  # its number is missing from the day's run of numbers
    _caught(run, hall, f"case {hall['issued']}: in the checkpoint", against=True)


def test_a_truncated_tail_is_caught_against_the_checkpoint(hall, run):
    case_id = _case_id(hall["url"], hall["issued"])
    with engine_for(hall["url"]).connect() as conn:
        last, before = conn.execute(text("SELECT seq, hash FROM case_event WHERE case_id = :c ORDER BY seq DESC "
                                         "LIMIT 2"), {"c": case_id}).all()
    _tamper(hall["url"], ("DELETE FROM case_event WHERE case_id = :c AND seq = :s", {"c": case_id, "s": last[0]}),
            ("UPDATE event_chain SET seq = :s, hash = :h WHERE case_id = :c", {"c": case_id, "s": before[0],
                                                                                 "h": before[1]}))
    _caught(run, hall, f"case {hall['issued']}: event seq {last[0]} of the checkpoint", against=True)


def test_a_whole_chain_rewritten_without_the_key_is_caught(hall, run):
    """The forger rehashes every event of a case consistently, as the old unkeyed chain allowed."""
    from approvals.audit import GENESIS, event_hash

    case_id = _case_id(hall["url"], hall["waiting"])
    with engine_for(hall["url"]).connect() as conn:
        rows = conn.execute(text("SELECT id, seq, at, kind, actor, detail, flow_run_id, state FROM case_event "
                                 "WHERE case_id = :c ORDER BY seq"), {"c": case_id}).mappings().all()
    from services.queries.connection import utc

    forged, prev = [], GENESIS
    for row in rows:
        detail = row["detail"].replace("bundle", "forged bundle")
        digest = event_hash(b"a guess at the key".ljust(32), prev, case_id, row["seq"], utc(row["at"]), row["kind"],
                            row["actor"], detail, row["flow_run_id"], row["state"])
        forged.append(("UPDATE case_event SET detail = :d, prev_hash = :p, hash = :h WHERE id = :i",
                       {"d": detail, "p": prev, "h": digest, "i": row["id"]}))
        prev = digest
    forged.append(("UPDATE event_chain SET hash = :h WHERE case_id = :c", {"h": prev, "c": case_id}))
    _tamper(hall["url"], *forged)
    _caught(run, hall, f"case {hall['waiting']}", "keyed hash")


def test_an_edited_operator_role_is_caught(hall, run):
    _tamper(hall["url"], ("UPDATE operator SET role = 'admin' WHERE id = 'window-9'", {}))
    _caught(run, hall, "operator window-9", '"role": "admin"')


def test_a_checkpoint_edited_to_fit_is_refused(hall, run):
    document = json.loads(hall["checkpoint"].read_text("utf-8"))
    document["cases"].pop(hall["issued"])
    hall["checkpoint"].write_text(json.dumps(document), "utf-8")
    result = run("audit", "verify", "--against", hall["checkpoint"], "--operator", "admin")
    assert result.code == 2 and "seal" in result.err


def test_the_sweep_writes_a_periodic_checkpoint_that_verifies(hall, run, monkeypatch, tmp_path):
    monkeypatch.setenv("ONEVISIT_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    assert run("sweep", "--operator", "supervisor-1").code == 0
    (written,) = (tmp_path / "checkpoints").glob("checkpoint-*.json")
    assert hall["issued"] in json.loads(written.read_text("utf-8"))["cases"]
    result = run("audit", "verify", "--against", written, "--operator", "admin")
    assert result.code == 0, result.err
