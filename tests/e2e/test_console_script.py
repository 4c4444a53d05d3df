"""The real `onevisit` console script, as a user runs it: exit codes, stderr, `init`, and lean reads.

These start a new Python process each, so they stay few.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ONEVISIT = Path(sys.executable).parent / "onevisit"
MONDAY = "2026-03-02T09:00:00+08:00"


def console(*args: str, url: str, timeout: float = 60) -> subprocess.CompletedProcess:
    environment = {**os.environ, "ONEVISIT_DATABASE_URL": url, "ONEVISIT_NOW": MONDAY}
    environment.pop("ONEVISIT_OPERATOR", None)
    return subprocess.run([str(ONEVISIT), *map(str, args)], env=environment, capture_output=True, text=True,
                          timeout=timeout)


def assert_one_line(done: subprocess.CompletedProcess, code: int, *names: str) -> None:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("onevisit: "), lines[0]
    for name in names:
        assert name in lines[0], lines[0]


def counts(url: str) -> dict[str, int]:
    from sqlalchemy import text

    from services.db import engine_for

    tables = ("case_file", "review_task", "certificate", "case_event", "outbox_item", "notification",
              "catalog_version", "flow_run", "flow_run_case", "operator")
    with engine_for(url, write=False).connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def test_the_console_script_is_installed_next_to_python():
    assert ONEVISIT.exists(), f"{ONEVISIT} missing: is the project installed (pip install -e .)?"


def test_help(tmp_path):
    done = console("--help", url=f"sqlite:///{tmp_path / 'untouched.db'}")
    assert done.returncode == 0, done.stderr
    for command in ("init", "catalog", "submit", "show", "tasks", "decide", "supplement", "cases", "runs"):
        assert command in done.stdout
    assert done.stderr == ""
    assert not (tmp_path / "untouched.db").exists()


def test_show_unknown_case(env):
    before = counts(env.url)
    done = console("show", "NOPE", "--operator", "window-1", url=env.url)
    assert_one_line(done, 1, "NOPE")
    assert done.stdout == ""
    assert counts(env.url) == before


def test_decide_without_operator(env):
    before = counts(env.url)
    done = console("decide", "1", "approve", url=env.url)
    assert_one_line(done, 2, "--operator")
    assert counts(env.url) == before


def test_init_creates_a_new_sqlite_database_and_is_idempotent(tmp_path):
    path = tmp_path / "nested" / "fresh.db"
    url = f"sqlite:///{path}"
    first = console("init", "--test-clock", url=url)  # console() sets the test clock
    assert first.returncode == 0, first.stderr
    assert path.exists()
    assert "Traceback" not in first.stderr
    second = console("init", url=url)
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    assert "loaded the built-in catalog" in first.stdout
    assert "loaded the built-in catalog" not in second.stdout
    assert "administrator admin created" in first.stdout and "administrator" not in second.stdout
    assert counts(url) == {**{t: 0 for t in counts(url)}, "catalog_version": 1, "operator": 1}
    listed = console("catalog", "list", "--json", "--operator", "admin", url=url)
    assert listed.returncode == 0, listed.stderr
    assert {b["code"] for b in json.loads(listed.stdout)["bundles"]} >= {"RESTAURANT", "COMPANY_START",
                                                                          "INDUSTRIAL_PROJECT"}


def test_init_on_an_existing_database_is_harmless(env, run, application):
    submitted = run("submit", application("RESTAURANT"), "--json")
    assert submitted.code == 0, submitted.err
    case_no = submitted.json()["case_no"]
    before_case = run("show", case_no, "--json").json()
    before = counts(env.url)
    done = console("init", url=env.url)
    assert done.returncode == 0, done.stderr
    assert "loaded the built-in catalog" not in done.stdout
    assert counts(env.url) == before
    assert run("show", case_no, "--json").json() == before_case


LEAN_PROBE = """
import json, sys, time
started = time.perf_counter()
import cli
try:
    cli.main(sys.argv[1:])
    code = 0
except SystemExit as exc:
    code = exc.code
elapsed = time.perf_counter() - started
heavy = {name: name in sys.modules for name in ("prefect", "sqlalchemy", "sqlmodel", "alembic")}
sys.stderr.write("PROBE " + json.dumps({"code": code, "elapsed": elapsed, **heavy}) + "\\n")
"""


def probe(url: str, *args: str) -> tuple[dict, str]:
    environment = {**os.environ, "ONEVISIT_DATABASE_URL": url, "ONEVISIT_NOW": MONDAY}
    done = subprocess.run([sys.executable, "-c", LEAN_PROBE, *args], env=environment, capture_output=True,
                          text=True, timeout=60)
    line = next(line for line in done.stderr.splitlines() if line.startswith("PROBE "))
    return json.loads(line.removeprefix("PROBE ")), done.stdout


@pytest.fixture
def case_no(env, run, application) -> str:
    submitted = run("submit", application("RESTAURANT"), "--json")
    assert submitted.code == 0, submitted.err
    return submitted.json()["case_no"]


@pytest.mark.parametrize("command", [["show", "CASE", "--json"], ["show", "CASE"], ["tasks", "--json"],
                                     ["cases", "--json"], ["catalog", "list", "--json"],
                                     ["cases", "--stalled", "--json"], ["cases", "--overdue", "--json"],
                                     ["ledger", "--json"], ["runs", "CASE", "--json"],
                                     ["calendar", "show", "2026", "--json"],
                                     ["credit", "show", "91350200MA2YJ1XR9G", "--json"]],
                         ids=["show-json", "show-table", "tasks", "cases", "catalog-list", "stalled", "overdue",
                              "ledger", "runs", "calendar-show", "credit-show"])
def test_reads_never_import_prefect_or_sqlalchemy(env, case_no, command):
    args = [case_no if a == "CASE" else a for a in command]
    found, out = probe(env.url, *args)
    assert found["code"] == 0, found
    if "--json" in args:
        data = json.loads(out)
        if args[0] == "show":
            assert data["case_no"] == case_no
        elif args in (["tasks", "--json"], ["cases", "--json"]):
            assert any(row["case_no"] == case_no for row in data)
        elif args[0] == "runs":
            assert data == []  # no flow run has acted on a case just submitted
        elif args[0] == "calendar":
            assert data["year"] == 2026 and data["announced"] is True
        else:
            assert isinstance(data, dict | list)
    else:
        assert case_no in out
    assert found["prefect"] is False
    assert found["sqlalchemy"] is False
    assert found["sqlmodel"] is False
    assert found["alembic"] is False
