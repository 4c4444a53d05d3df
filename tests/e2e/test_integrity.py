"""The holes a hostile user found (issue "integrity before openness"), one test each, on both databases.

Text is text, identifiers stay masked, reserved ids and administrators, bounded input, the test clock,
the demo's own database, consecutive case numbers. The audit's tamper suite is tests/e2e/test_tamper.py.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import new_resident_id
from tests.e2e.test_bad_input import assert_one_line, nothing_written, rewrite
from tests.support import review, show, submit


def _reviewer_reason(run, application, reason: str) -> str:
    case = show(run, submit(run, application("RESTAURANT"))["case_no"])
    task = review(case, "BIZ_LICENCE")["task_id"]
    result = run("decide", task, "special-start", "--reason", reason, "--operator", "SAMR-reviewer")
    assert result.code == 0, result.err
    return case["case_no"]


# --- 6. text is text ----------------------------------------------------------------------------


def test_markup_in_a_stored_reason_is_shown_as_typed_never_obeyed(env, run, application):
    case_no = _reviewer_reason(run, application, "见附件 [/] 与 [red]红色[/red] [link=http://x]链接[/link]")
    shown = run("show", case_no)
    assert shown.code == 0, shown.err  # was a 68-line rich MarkupError
    assert "Traceback" not in shown.err
    assert "[/]" in shown.out and "[red]红色[/red]" in shown.out
    assert "\x1b" not in shown.out


@pytest.mark.parametrize("bad", ["\x1b[2J清屏", "空\x00字节", "\x1b[31m假的红字\x1b[0m", "\u202e反向"])
def test_control_characters_are_refused_in_arguments(env, run, application, bad):
    case = show(run, submit(run, application("RESTAURANT"))["case_no"])
    with nothing_written(env.url):
        result = run("decide", review(case, "BIZ_LICENCE")["task_id"], "special-start", "--reason", bad,
                     "--operator", "SAMR-reviewer")
    assert_one_line(result, 2, "control character")


@pytest.mark.parametrize("where", ["name", "legal_representative", "leader"])
def test_control_characters_and_blank_names_are_refused_in_an_application(env, run, application, where):
    def change(value):
        def apply(body):
            if where == "name":
                body["applicant"]["name"] = value
            elif where == "legal_representative":
                body["applicant"]["legal_representative"]["name"] = value
            else:
                body.update(key_project=True, leader=value)
        return apply

    for value in ("   ", "企业\x1b[2J", "企\x00业"):
        path = rewrite(application("RESTAURANT"), change(value))
        with nothing_written(env.url):
            result = run("submit", path, "--operator", "window-1")
        assert_one_line(result, 2)


def test_stored_escapes_never_reach_a_terminal(env, run, application):
    """A row written before this check (or by hand) is shown without its escapes."""
    from sqlalchemy import text

    from services.db import engine_for

    case_no = _reviewer_reason(run, application, "plain")
    with engine_for(env.url).begin() as conn:
        conn.execute(text("UPDATE review_task SET reason = :r WHERE case_id = "
                          "(SELECT id FROM case_file WHERE case_no = :n) AND reason IS NOT NULL"),
                     {"r": "\x1b[2J\x1b]0;title\x07\x9b31m清屏", "n": case_no})
        conn.execute(text("UPDATE case_file SET applicant_name = :a WHERE case_no = :n"),
                     {"a": "企业\x1b[31m红\x08", "n": case_no})
    for args in (["show", case_no], ["show", case_no, "--json"], ["cases"], ["tasks", "--status", "pending"]):
        result = run(*args)
        assert result.code == 0, result.err
        assert not any(ch in result.out for ch in "\x1b\x08\x07\x9b"), args


# --- 5. masking everywhere ---------------------------------------------------------------------


def test_identifiers_in_any_free_text_are_masked_for_all_but_an_administrators_unmasked(env, run, application):
    resident_id = new_resident_id()
    phones = ("+86 139 1234 5678", "+8613912345678", "0086-10-65123456")
    path = rewrite(application("RESTAURANT"), lambda b: b.update(
        key_project=True, leader=f"李四 {resident_id}", applicant={**b["applicant"], "name": f"企业 {phones[0]}"}))
    case_no = submit(run, path)["case_no"]
    task = review(show(run, case_no), "BIZ_LICENCE")["task_id"]
    assert run("decide", task, "special-start", "--reason", f"核查 {phones[1]} 与 {phones[2]}",
               "--operator", "SAMR-reviewer").code == 0
    outputs = [run(*args) for args in (["show", case_no], ["show", case_no, "--json"], ["cases"], ["cases", "--json"])]
    for result in outputs:
        assert result.code == 0, result.err
        for secret in (resident_id, "139 1234 5678", "13912345678", "65123456"):
            assert secret not in result.out, (secret, result.out)
    assert "+86 139****5678" in outputs[0].out
    full = run("show", case_no, "--json", "--unmasked", "--operator", "admin").json()
    assert resident_id in full["leader"] and phones[0] in full["applicant"]


# --- 1. nothing destroys data by default --------------------------------------------------------


def test_demo_refuses_an_existing_database_file(run, tmp_path):
    precious = tmp_path / "hall.db"
    precious.write_bytes(b"SQLite format 3\x00 twenty-one cases")
    result = run("demo", "--database", precious)
    assert_one_line(result, 2, str(precious), "--force")
    assert precious.read_bytes() == b"SQLite format 3\x00 twenty-one cases"


# --- 2. time only moves forward ------------------------------------------------------------------


@pytest.fixture
def production(run, monkeypatch, tmp_path):
    """A database made by `init` without --test-clock, as a hall would make it."""
    monkeypatch.delenv("ONEVISIT_NOW", raising=False)
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", f"sqlite:///{tmp_path / 'hall.db'}")
    made = run("init")
    assert made.code == 0, made.err
    monkeypatch.setenv("ONEVISIT_OPERATOR", "admin")
    return tmp_path / "hall.db"


@pytest.mark.parametrize("args", [["cases"], ["show", "OV1"], ["operator", "add", "w-9", "--role", "window"],
                                  ["info"], ["init"], ["sweep"]])
def test_the_test_clock_is_refused_on_a_database_not_made_for_it(run, production, monkeypatch, args):
    before = production.read_bytes()
    result = run(*args, now="1900-01-01T09:00:00+08:00")
    assert_one_line(result, 2, "ONEVISIT_NOW", "--test-clock")
    assert production.read_bytes() == before
    monkeypatch.delenv("ONEVISIT_NOW")
    assert run("operator", "add", "w-9", "--role", "window").code == 0  # without the clock it works


def test_even_on_a_test_database_no_act_is_recorded_before_the_cases_last_event(env, run, application):
    case = show(run, submit(run, application("RESTAURANT"))["case_no"])
    task = review(case, "BIZ_LICENCE")["task_id"]
    with nothing_written(env.url):
        result = run("decide", task, "approve", "--operator", "SAMR-reviewer", now="1900-01-01T09:00:00+08:00")
    assert_one_line(result, 1, "before the case's last event")
    later = run("decide", task, "approve", "--operator", "SAMR-reviewer", now="2026-03-02T10:00:00+08:00")
    assert later.code == 0, later.err


def test_init_with_the_test_clock_set_needs_the_flag(run, monkeypatch, tmp_path):
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    monkeypatch.setenv("ONEVISIT_NOW", "2026-03-02T09:00:00+08:00")
    assert_one_line(run("init", "--no-catalog"), 2, "ONEVISIT_NOW")
    assert not (tmp_path / "new.db").exists()
    made = run("init", "--no-catalog", "--test-clock")
    assert made.code == 0, made.err
    assert run("info", "--json").json()["test_clock"] is True


# --- 3. administrators are made by administrators; 7. reserved ids ------------------------------


def test_init_on_a_staffed_database_creates_nobody(run, production):
    result = run("init", "--admin", "mallory")
    assert result.code == 0 and "nobody created" in result.err
    assert "mallory" not in run("operator", "list").out
    assert run("operator", "disable", "admin", "--operator", "mallory").code == 1


@pytest.mark.parametrize("reserved", ["system", "SYSTEM", "init", "tests", "SAMR@system", "flow:run"])
def test_reserved_ids_are_refused_for_people(env, run, reserved):
    with nothing_written(env.url):
        added = run("operator", "add", reserved, "--role", "window", "--operator", "admin")
        agent = run("agent", "add", reserved, "--name", "代办员", "--operator", "admin")
    assert_one_line(added, 2, reserved)
    assert_one_line(agent, 2, reserved)


def test_a_second_administrator_only_by_an_administrator(env, run):
    name = f"admin-{uuid.uuid4().hex[:6]}"
    with nothing_written(env.url):
        refused = run("operator", "add", name, "--role", "admin", "--operator", "window-1")
    assert refused.code == 1
    assert run("operator", "add", name, "--role", "admin", "--operator", "admin").code == 0


# --- 8. bounded input -----------------------------------------------------------------------------


def test_oversized_and_special_files_are_refused_before_reading(env, run, tmp_path, monkeypatch):
    import os

    big = tmp_path / "big.json"
    big.write_bytes(b'{"bundle": "RESTAURANT", "pad": "' + b"x" * 2_000_000 + b'"}')
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    for path, what in ((big, "over the limit"), (pipe, "not a regular file"), ("/dev/zero", "not a regular file")):
        with nothing_written(env.url):
            assert_one_line(run("submit", path), 2, what)
        assert_one_line(run("catalog", "load", path, "--operator", "admin"), 2, what)
    monkeypatch.setenv("ONEVISIT_MAX_FILE_BYTES", "4096")
    assert_one_line(run("submit", tmp_path / "big.json"), 2, "4,096")


@pytest.mark.parametrize("name, value", [("ONEVISIT_SHARING_SERVICES", "{not json"),
                                         ("ONEVISIT_BATCH_SIZE", "many"), ("ONEVISIT_NOW", "yesterday")])
def test_every_settings_error_is_one_line(env, run, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    for args in (["cases"], ["submit", "nothing.json"], ["orchestrate", "--operator", "admin"]):
        assert_one_line(run(*args), 2, name)


def test_reopen_without_prefect_says_what_it_wrote_and_exits_0(env, run, application):
    """In a process of its own: Prefect's client, once made in this one, keeps the embedded server."""
    import os
    import socket
    import subprocess

    from tests.e2e.test_console_script import MONDAY, ONEVISIT

    case_no = submit(run, application("RESTAURANT"))["case_no"]
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = subprocess.run([str(ONEVISIT), "reopen", case_no, "--reason", "重新派发", "--operator", "admin"],
                          env={**os.environ, "ONEVISIT_DATABASE_URL": env.url, "ONEVISIT_NOW": MONDAY,
                               "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"{case_no} reopened" in done.stdout and "stays queued" in done.stderr
    assert "Traceback" not in done.stderr
    assert any(e["kind"] == "reopened" for e in show(run, case_no)["events"])


# --- 9. consecutive case numbers ------------------------------------------------------------------


def test_case_numbers_skip_nothing_when_concurrent_submissions_roll_back(env, run, application):
    """Four clerks file the same request at once: one case, the others roll back (a lost race on the request
    id, then found as the same request) and give their numbers back; the next case takes the next number."""
    import threading
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from approvals.calendar import WorkingCalendar
    from approvals.deadlines import Clock
    from commands.common import write
    from schemas.case import ApplicationIn
    from services import cases

    now = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    same = ApplicationIn.model_validate_json(application("RESTAURANT").read_text("utf-8"))
    barrier, numbers = threading.Barrier(4), []

    def file() -> None:
        barrier.wait()
        result = write(lambda s: cases.submit(s, same, actor="window-1", clock=Clock(now, WorkingCalendar())),
                       retry_on_conflict=True)
        numbers.append(result.case_no)

    threads = [threading.Thread(target=file) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(set(numbers)) == 1 and len(numbers) == 4, numbers
    following = submit(run, application("RESTAURANT"))["case_no"]
    assert int(following[10:]) == int(numbers[0][10:]) + 1, (numbers[0], following)
    assert following[:10] == numbers[0][:10]
