"""A correction request (补正) left unanswered for N working days is closed as withdrawn by the real
sweep flow, with notice; a partial supplement restarts the count. The sweep is global: a database of
its own (`fresh_env`)."""

from __future__ import annotations

from approvals.calendar import WorkingCalendar
from tests.county_support import outbox
from tests.support import MONDAY, at, show, submit


def test_the_sweep_withdraws_a_correction_left_unanswered(fresh_env, run, application, monkeypatch):
    monkeypatch.setenv("ONEVISIT_CORRECTION_LAPSE_DAYS", "3")
    calendar = WorkingCalendar()
    silent = submit(run, application("RESTAURANT", omit=("LEASE", "FLOOR_PLAN")))["case_no"]
    answering = submit(run, application("RESTAURANT", omit=("LEASE", "FLOOR_PLAN")))["case_no"]
    assert run("supplement", answering, "--material", "LEASE",
               now=at(calendar.add_working_days(MONDAY, 2))).code == 0  # partial: still correction_required

    def sweep(day):
        result = run("sweep", "--json", "--operator", "supervisor-1", now=at(day, "18:00:00"))
        assert result.code == 0, result.err
        return result.json()

    assert sweep(calendar.add_working_days(MONDAY, 3))["corrections_withdrawn"] == 0  # the 3rd working day: still in time
    report = sweep(calendar.add_working_days(MONDAY, 4))
    assert report["corrections_withdrawn"] == 1
    shown = show(run, silent)
    assert shown["status"] == "withdrawn" and "unanswered for 3 working days" in shown["end_reason"]
    assert [e for e in shown["events"] if e["kind"] == "withdrawn"][0]["actor"] == "system"
    assert any(k.endswith(":withdrawn") for k in outbox(fresh_env.url, silent))
    assert show(run, answering)["status"] == "correction_required"

    again = sweep(calendar.add_working_days(MONDAY, 4))  # the same day again: nothing more
    assert again["corrections_withdrawn"] == 0
    assert sweep(calendar.add_working_days(MONDAY, 6))["corrections_withdrawn"] == 1
    assert show(run, answering)["status"] == "withdrawn"
    assert len([e for e in show(run, silent)["events"] if e["kind"] == "withdrawn"]) == 1
