"""`onevisit calendar import FILE`: a year's notice set in one step, checked whole (all or nothing); it moves the
due dates of running cases and says so on each case's timeline; an unknown due date is said, plain output too."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from tests.support import show

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "calendars" / "2027.example.yaml"
LATE_DECEMBER = "2026-12-30T09:00:00+08:00"  # a clock of 2 working days or more from here needs 2027


def test_importing_a_year_gives_running_cases_their_due_dates_and_says_so_on_each(fresh_env, run, application):
    filed = run("submit", application("COMPANY_START"), now=LATE_DECEMBER)  # plain output, as a clerk sees it
    assert filed.code == 0, filed.err
    case_no = next(word for word in filed.out.split() if word.startswith("OV"))
    before = show(run, case_no, now=LATE_DECEMBER)
    assert before["due_date"] is None and "2027" in before["due_note"]
    assert "deadline unknown" in filed.out  # said at the window, not only in --json
    assert "unknown" in run("show", case_no, now=LATE_DECEMBER).out

    imported = run("calendar", "import", EXAMPLE, "--operator", "admin", now=LATE_DECEMBER)
    assert imported.code == 0, imported.err
    assert "23 holidays, 3 make-up workdays" in imported.out
    after = show(run, case_no, now=LATE_DECEMBER)
    assert after["due_date"] is not None and after["due_date"].startswith("2027-")
    moved = [e for e in after["events"] if e["kind"] == "due_dates_moved"]
    assert len(moved) == 1 and "calendar 2027 imported" in moved[0]["detail"]
    assert f"unknown → {after['due_date']}" in moved[0]["detail"]

    shown = run("calendar", "show", "2027", "--json", "--operator", "admin").json()
    assert sum(m["working_days"] for m in shown["months"]) == 247
    again = run("calendar", "import", EXAMPLE, "--operator", "admin", now=LATE_DECEMBER)
    assert again.code == 0 and "0 days changed, 0 due dates moved" in again.out
    assert [e["kind"] for e in show(run, case_no, now=LATE_DECEMBER)["events"]].count("due_dates_moved") == 1
    assert run("audit", "verify", "--operator", "admin").code == 0


def test_a_faulty_year_file_is_refused_whole_and_nothing_is_written(fresh_env, run, tmp_path):
    good = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    faults = {
        "weekday make-up": ({**good, "makeup_workdays": ["2027-02-12"]}, "makeup_workdays[0]: 2027-02-12 is a weekday"),
        "another year": ({**good, "holidays": [*good["holidays"], "2026-10-01"]}, "is not in 2027"),
        "both": ({**good, "makeup_workdays": ["2027-02-06"]}, "both a holiday and a make-up workday"),
        "no source": ({**good, "source": " "}, "source:"),
        "unknown key": ({**good, "holiday": []}, "holiday: unknown key"),
        "not a date": ({**good, "holidays": ["2027-02-30"]}, "holidays[0]: '2027-02-30' is not a date"),
    }
    for name, (content, message) in faults.items():
        path = tmp_path / f"{name.replace(' ', '-')}.json"
        path.write_text(json.dumps(content, default=str), "utf-8")
        refused = run("calendar", "import", path, "--operator", "admin")
        assert refused.code == 2 and message in refused.err, (name, refused.err)
    broken = tmp_path / "broken.yaml"
    broken.write_text("year: [2027\n", "utf-8")
    assert run("calendar", "import", broken, "--operator", "admin").code == 2
    assert run("calendar", "import", tmp_path / "missing.yaml", "--operator", "admin").code == 2
    assert run("calendar", "import", EXAMPLE, "--operator", "window-1").code == 1  # administrators only
    shown = run("calendar", "show", "2027", "--json", "--operator", "admin").json()
    assert all(m["working_days"] is None for m in shown["months"]) and not any(m["overrides"] for m in shown["months"])


def test_a_day_set_again_keeps_its_earlier_settings(fresh_env, run):
    for kind, reason in (("holiday", "县政府通知 first"), ("workday", "通知更正 second"), ("holiday", "再次更正 third")):
        assert run("calendar", "set", "2026-06-15", kind, "--reason", reason, "--operator", "admin").code == 0
    shown = run("calendar", "show", "2026", "--json", "--operator", "admin").json()
    override = next(o for o in shown["months"][5]["overrides"] if o["day"] == "2026-06-15")
    assert (override["workday"], override["reason"]) == (False, "再次更正 third")
    assert [(h["workday"], h["reason"], h["set_by"]) for h in override["history"]] == [
        (False, "县政府通知 first", "admin"), (True, "通知更正 second", "admin")]
    # when each was set, as every time in JSON: ISO 8601 with the jurisdiction's offset
    assert {datetime.fromisoformat(h["set_at"]).utcoffset() for h in override["history"]} == {timedelta(hours=8)}
    assert "set 3 times" in run("calendar", "show", "2026", "--operator", "admin").out
