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
