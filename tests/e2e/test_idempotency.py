"""Every write is idempotent: the same request_id never makes a second case, nothing issues twice."""

from __future__ import annotations

import json

from sqlalchemy import func
from sqlmodel import select

from schemas.case import Case
from schemas.certificate import Certificate
from services.db import UnitOfWork
from tests.support import approve, review, show, submit


def count_rows(url: str, model, **where) -> int:
    with UnitOfWork(url, write=False) as uow:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return uow.session.exec(query).one()


def certificates_of(url: str, case_no: str) -> int:
    with UnitOfWork(url, write=False) as uow:
        case = uow.session.exec(select(Case).where(Case.case_no == case_no)).one()
        return uow.session.exec(select(func.count()).select_from(Certificate).where(Certificate.case_id == case.id)).one()


def test_the_same_request_submitted_twice_is_one_case(env, run, application):
    path = application("RESTAURANT")
    first = submit(run, path)
    cases_before = count_rows(env.url, Case)

    again = run("submit", path, "--json")
    assert again.code == 0, again.err
    assert again.json()["case_no"] == first["case_no"]
    assert again.json()["status"] == first["status"] == "in_review"
    assert count_rows(env.url, Case) == cases_before

    listed = [c for c in run("cases", "--json").json() if c["case_no"] == first["case_no"]]
    assert len(listed) == 1
    shown = show(run, first["case_no"])
    assert [e["kind"] for e in shown["events"]].count("submitted") == 1

    plain = run("submit", path)  # the human-readable answer says so too
    assert plain.code == 0 and first["case_no"] in plain.out


def test_resubmitting_a_case_in_correction_returns_it_unchanged(env, run, application):
    path = application("HOTEL", omit=("HYGIENE_TEST", "SECURITY_RULES"))
    first = submit(run, path)
    assert first["status"] == "correction_required"
    again = submit(run, path)
    assert again["case_no"] == first["case_no"]
    assert again["status"] == "correction_required"
    assert sorted(again["missing"]) == sorted(first["missing"]) == ["HYGIENE_TEST", "SECURITY_RULES"]


def test_resubmitting_after_the_case_moved_on_reports_where_it_stands(env, run, application):
    path = application("COMPANY_START", optional_matters=[])
    case_no = submit(run, path)["case_no"]
    shown = show(run, case_no)
    approve(run, review(shown, "BIZ_LICENCE")["task_id"])
    for matter in ("SEAL", "TAX", "SOCIAL_INSURANCE"):
        approve(run, review(show(run, case_no), matter)["task_id"])
    assert show(run, case_no)["status"] == "issued"

    again = submit(run, path)
    assert again["case_no"] == case_no and again["status"] == "issued"
    assert certificates_of(env.url, case_no) == 4


def test_the_same_request_id_with_a_different_body_is_refused(env, run, application):
    request_id = "test-conflict-" + application("RESTAURANT").stem  # unique per test
    first = submit(run, application("RESTAURANT", request_id=request_id))
    cases_before = count_rows(env.url, Case)

    other = application("RESTAURANT", request_id=request_id)  # another applicant, same key
    result = run("submit", other, "--json")
    assert result.code == 1, (result.code, result.err)
    assert request_id in result.err and "Traceback" not in result.err
    assert result.out == ""
    assert count_rows(env.url, Case) == cases_before

    # Same body but a material more: still a different request.
    body = json.loads(application("PHARMACY", request_id=request_id + "-2").read_text("utf-8"))
    submit_path = other.with_name("same-key-a.json")
    submit_path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    submit(run, submit_path)
    body["materials"] = body["materials"][:-1]
    changed = other.with_name("same-key-b.json")
    changed.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    assert run("submit", changed).code == 1
    assert show(run, first["case_no"])["status"] == "in_review"


def test_deciding_an_approved_task_again_is_refused_and_issues_nothing_twice(env, run, application):
    case_no = submit(run, application("RESTAURANT", optional_matters=[]))["case_no"]
    licence = review(show(run, case_no), "BIZ_LICENCE")
    approve(run, licence["task_id"])
    before = show(run, case_no)

    for action in (["approve"], ["deny", "--reason", "改判"], ["supplement", "--material", "LEASE"]):
        result = run("decide", licence["task_id"], *action, "--operator", "SAMR-reviewer-2")
        assert result.code == 1, (action, result.code, result.err)
        assert "Traceback" not in result.err
    assert show(run, case_no) == before

    for matter in ("FOOD_BUSINESS", "FIRE_CHECK"):
        approve(run, review(show(run, case_no), matter)["task_id"])
    issued = show(run, case_no)
    assert issued["status"] == "issued"
    assert certificates_of(env.url, case_no) == 3

    for r in issued["reviews"]:
        result = run("decide", r["task_id"], "approve", "--operator", f"{r['agency']}-reviewer-2")
        assert result.code == 1, (r["matter"], result.code, result.err)
    assert show(run, case_no) == issued
    assert certificates_of(env.url, case_no) == 3


def test_deciding_an_unknown_task_is_refused(env, run):
    result = run("decide", "987654321", "approve", "--operator", "x")
    assert result.code == 1, (result.code, result.err)
    assert "987654321" in result.err
    result = run("decide", "not-a-number", "approve", "--operator", "x")
    assert result.code == 2, (result.code, result.err)


def test_deciding_without_an_operator_is_bad_input(env, run, application, monkeypatch):
    case_no = submit(run, application("RESTAURANT"))["case_no"]
    before = show(run, case_no)
    monkeypatch.delenv("ONEVISIT_OPERATOR")
    result = run("decide", review(before, "BIZ_LICENCE")["task_id"], "approve")
    assert result.code == 2, (result.code, result.err)
    assert "operator" in result.err
    assert show(run, case_no, operator="window-1") == before


def test_approving_the_last_required_matter_returns_the_case_issued_with_its_certificates(env, run, application):
    case_no = submit(run, application("HOTEL"))["case_no"]
    approve(run, review(show(run, case_no), "BIZ_LICENCE")["task_id"])
    pending = [r for r in show(run, case_no)["reviews"] if r["status"] == "pending"]
    *first, last = pending
    for r in first:
        decided = approve(run, r["task_id"])
        assert decided["case_status"] == "in_review" and decided["certificates"] == []

    decided = approve(run, last["task_id"])
    assert decided["case_no"] == case_no
    assert decided["task_status"] == "approved"
    assert decided["case_status"] == "issued"
    shown = show(run, case_no)
    assert shown["status"] == "issued"
    assert sorted(decided["certificates"]) == sorted(c["number"] for c in shown["certificates"])
    assert len(decided["certificates"]) == len(shown["reviews"]) == 5
    assert len(set(decided["certificates"])) == 5

    plain_case = submit(run, application("COMPANY_START", optional_matters=[]))["case_no"]
    approve(run, review(show(run, plain_case), "BIZ_LICENCE")["task_id"])
    *first, last = [r for r in show(run, plain_case)["reviews"] if r["status"] == "pending"]
    for r in first:
        approve(run, r["task_id"])
    result = run("decide", last["task_id"], "approve", "--operator", f"{last['agency']}-reviewer")
    assert result.code == 0, result.err
    for number in (c["number"] for c in show(run, plain_case)["certificates"]):
        assert number in result.out


def test_certificate_numbers_are_unique_across_cases(env, run, application):
    numbers = []
    for _ in range(2):
        case_no = submit(run, application("COMPANY_START", optional_matters=[]))["case_no"]
        approve(run, review(show(run, case_no), "BIZ_LICENCE")["task_id"])
        for r in [r for r in show(run, case_no)["reviews"] if r["status"] == "pending"]:
            decided = approve(run, r["task_id"])
        numbers += decided["certificates"]
    assert len(numbers) == 8 and len(set(numbers)) == 8


def test_reopen_queues_what_its_own_settling_releases_once_and_does_not_count_it_requeued(env, run, application):
    """A licence approved by an earlier version that did not settle the case: reopen settles it, which
    releases the tasks that waited for the licence and dispatches them in the same transaction (the hall's
    own queues); once each, for the first time, not "queued again"."""
    from sqlalchemy import update

    from schemas.orchestration import OutboxItem
    from schemas.review import ReviewTask

    case_no = submit(run, application("RESTAURANT"))["case_no"]
    licence = review(show(run, case_no), "BIZ_LICENCE")
    with UnitOfWork(env.url) as uow:
        uow.session.execute(update(ReviewTask).where(ReviewTask.id == licence["task_id"])
                            .values(status="approved", light=None))
        uow.commit()
    waiting = [r for r in show(run, case_no)["reviews"] if r["status"] == "waiting"]
    assert waiting

    reopened = run("reopen", case_no, "--reason", "licence approved, case never settled", "--operator", "admin",
                   "--json")
    assert reopened.code == 0, reopened.err
    assert json.loads(reopened.out)["requeued"] == 0
    shown = show(run, case_no)
    assert all(review(shown, r["matter"])["status"] == "pending" for r in waiting)
    assert not [e for e in shown["events"] if e["kind"] == "requeued"]
    dispatched = [e["detail"] for e in shown["events"] if e["kind"] == "dispatched"]
    for r in waiting:
        assert len([d for d in dispatched if d.startswith(f"task {r['task_id']} ")]) == 1
        assert count_rows(env.url, OutboxItem, key=f"dispatch:task:{r['task_id']}") == 0
