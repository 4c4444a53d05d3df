"""A CLI that helps: --version, rich help with completion, lights in colour (NO_COLOR respected), Chinese names
beside codes, and a reviewer's queue that is its own agency's by default."""

from __future__ import annotations

from importlib.metadata import version

from tests.support import MONDAY, at, listed, show

A_MONTH_LATER = at(MONDAY.replace(month=4))  # every task of a case filed on MONDAY is past due
RED = "\x1b[1;31m"  # rich's "bold red"


def test_version_and_help_with_completion(run):
    result = run("--version")
    assert result.code == 0 and result.out.strip() == f"onevisit {version('onevisit')}"
    helped = run("--help")
    assert helped.code == 0
    assert "--install-completion" in helped.out and "--version" in helped.out and "一件事一次办" in helped.out


def test_lights_are_coloured_unless_no_color(env, run, application, monkeypatch):
    case_no = run("submit", application("RESTAURANT"), "--json").json()["case_no"]
    monkeypatch.setenv("FORCE_COLOR", "1")  # captured output is not a terminal: ask for colour anyway
    coloured = run("show", case_no, now=A_MONTH_LATER)
    assert coloured.code == 0, coloured.err
    assert f"{RED}red" in coloured.out
    monkeypatch.setenv("NO_COLOR", "1")
    plain = run("show", case_no, now=A_MONTH_LATER)
    assert plain.code == 0 and "red" in plain.out and "31m" not in plain.out and "33m" not in plain.out


def test_tables_name_agencies_matters_and_bundles_in_chinese(env, run, application):
    case_no = run("submit", application("RESTAURANT"), "--json").json()["case_no"]
    shown = run("show", case_no)
    assert shown.code == 0
    assert "BIZ_LICENCE 营业执照（设立登记）" in shown.out and "SAMR 市场监督管理局" in shown.out
    queue = run("tasks", "--agency", "SAMR")
    assert "tasks of SAMR 市场监督管理局" in queue.out and "SAMR 市场监督管理局" in queue.out
    cases = run("cases")
    assert "RESTAURANT 开办餐饮店" in cases.out


def test_a_reviewers_queue_is_its_own_agencys_by_default(env, run, application):
    case_no = run("submit", application("RESTAURANT"), "--json").json()["case_no"]
    assert {"SAMR", "FIRE"} <= {r["agency"] for r in show(run, case_no)["reviews"]}  # open: pending or waiting

    own = listed(run, "tasks", operator="SAMR-reviewer")
    assert own and {r["agency"] for r in own} == {"SAMR"}
    everyone = listed(run, "tasks", "--all", operator="SAMR-reviewer")
    assert {r["agency"] for r in everyone} > {"SAMR"}
    other = listed(run, "tasks", "--agency", "FIRE", operator="SAMR-reviewer")
    assert {r["agency"] for r in other} == {"FIRE"}
    clerk = listed(run, "tasks", operator="window-1")  # anyone else: every agency, as before
    assert {r["agency"] for r in clerk} == {r["agency"] for r in everyone}
    both = run("tasks", "--all", "--agency", "FIRE", "--operator", "SAMR-reviewer")
    assert both.code == 2 and "alternatives" in both.err
