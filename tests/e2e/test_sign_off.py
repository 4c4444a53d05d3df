"""Sign-off chains (初审 → 审核 → 签发) through the CLI, on a catalog whose drug retail licence declares
them: each step by a different person with the step's role, decided when the last step signs, ended by a
denial at any step; `reopen --reassign` binds the task to the named reviewer."""

from __future__ import annotations

import pytest
import yaml

from services.catalog import builtin_catalog_text
from tests.county_support import refused
from tests.support import approve_matter, review, show, submit

CHAIN = [{"name": "初审", "role": "reviewer"}, {"name": "审核", "role": "reviewer"}, {"name": "签发", "role": "head"}]


@pytest.fixture
def chain_env(fresh_env, run, tmp_path):
    document = yaml.safe_load(builtin_catalog_text())
    next(m for m in document["matters"] if m["code"] == "DRUG_RETAIL")["steps"] = CHAIN
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    assert run("catalog", "load", path, "--operator", "admin").code == 0
    for who, role, agency in (("MPA-head", "head", "MPA"), ("SAMR-head", "head", "SAMR"),
                              ("MPA-reviewer-3", "reviewer", "MPA")):
        result = run("operator", "add", who, "--role", role, "--agency", agency, "--operator", "admin")
        assert result.code == 0, result.err
    return fresh_env


def drug_task(run, application) -> tuple[str, str]:
    case_no = submit(run, application("PHARMACY", optional_matters=[]))["case_no"]
    approve_matter(run, case_no, "BIZ_LICENCE")
    return case_no, str(review(show(run, case_no), "DRUG_RETAIL")["task_id"])


def decide(run, task: str, action: str, operator: str, *extra: str) -> dict:
    result = run("decide", task, action, "--operator", operator, *extra, "--json")
    assert result.code == 0, result.err
    return result.json()


def test_three_steps_by_three_people_decide_the_task_when_the_head_signs(chain_env, run, application):
    url = chain_env.url
    case_no, task = drug_task(run, application)
    assert review(show(run, case_no), "DRUG_RETAIL")["next_step"] == "初审"
    refused(run, url, "decide", task, "approve", "--operator", "MPA-head", says="only a reviewer")
    refused(run, url, "decide", task, "approve", "--operator", "SAMR-reviewer", says="not MPA")

    first = decide(run, task, "approve", "MPA-reviewer")
    assert (first["signed"], first["task_status"], first["case_status"]) == ("初审", "pending", "in_review")
    assert first["certificates"] == []
    refused(run, url, "decide", task, "approve", "--operator", "MPA-reviewer", says="earlier step")

    # Reassigned (reopen --reassign): only the named reviewer signs the next step.
    result = run("reopen", case_no, "--reason", "初审人员调岗", "--reassign", task, "--to", "MPA-reviewer-2",
                 "--operator", "admin")
    assert result.code == 0, result.err
    refused(run, url, "decide", task, "approve", "--operator", "MPA-reviewer-3", says="bound to MPA-reviewer-2")
    second = decide(run, task, "approve", "MPA-reviewer-2")
    assert (second["signed"], second["task_status"]) == ("审核", "pending")
    shown = review(show(run, case_no), "DRUG_RETAIL")
    assert shown["next_step"] == "签发" and shown["assignee"] is None

    refused(run, url, "decide", task, "approve", "--operator", "MPA-reviewer-3", says="only a head")
    refused(run, url, "decide", task, "approve", "--operator", "SAMR-head", says="not MPA")
    last = decide(run, task, "approve", "MPA-head")
    assert (last["signed"], last["task_status"], last["case_status"]) == ("签发", "approved", "issued")
    assert last["certificates"]
    shown = show(run, case_no)
    reviewed = review(shown, "DRUG_RETAIL")
    assert [(s["step"], s["name"], s["operator"]) for s in reviewed["sign_offs"]] == [
        (1, "初审", "MPA-reviewer"), (2, "审核", "MPA-reviewer-2"), (3, "签发", "MPA-head")]
    assert reviewed["decided_by"] == "MPA-head" and reviewed["next_step"] is None
    refused(run, url, "decide", task, "approve", "--operator", "MPA-reviewer-3", says="approved")


def test_a_denial_at_any_step_ends_the_task_and_heads_never_decide_a_task_without_a_chain(chain_env, run,
                                                                                         application):
    url = chain_env.url
    case_no = submit(run, application("PHARMACY", optional_matters=[]))["case_no"]
    licence = str(review(show(run, case_no), "BIZ_LICENCE")["task_id"])
    refused(run, url, "decide", licence, "approve", "--operator", "SAMR-head", says="has none")
    decide(run, licence, "approve", "SAMR-reviewer")
    task = str(review(show(run, case_no), "DRUG_RETAIL")["task_id"])

    decide(run, task, "approve", "MPA-reviewer")
    refused(run, url, "decide", task, "deny", "--operator", "MPA-reviewer-2", code=2, says="--reason")
    denied = decide(run, task, "deny", "MPA-reviewer-2", "--reason", "执业药师证明与场所不符")
    assert (denied["signed"], denied["task_status"], denied["case_status"]) == ("审核", "denied", "denied")
    reviewed = review(show(run, case_no), "DRUG_RETAIL")
    assert [(s["name"], s["action"]) for s in reviewed["sign_offs"]] == [("初审", "approve"), ("审核", "deny")]
    refused(run, url, "decide", task, "approve", "--operator", "MPA-head", says="denied")
