"""告知承诺 that replaces materials, and 当场办结, through the CLI on a catalog that declares them: the food
licence's promise stands in for its promisable materials (FLOOR_PLAN stays: the fire check needs it too),
and the food licence applied for alone is decided at the window on acceptance."""

from __future__ import annotations

import json

import pytest
import yaml

from services.catalog import builtin_catalog_text
from tests.county_support import refused
from tests.support import approve_all, review, show, submit

PROMISABLE = ["FLOOR_PLAN", "FOOD_SAFETY_RULES", "FOOD_EQUIPMENT_LIST"]


@pytest.fixture
def promise_env(fresh_env, run, tmp_path):
    document = yaml.safe_load(builtin_catalog_text())
    food = next(m for m in document["matters"] if m["code"] == "FOOD_BUSINESS")
    food.update(promisable=PROMISABLE, on_the_spot=True)
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    assert run("catalog", "load", path, "--operator", "admin").code == 0

    broken = dict(document, matters=[dict(m, promisable=["LEASE"]) if m["code"] == "FIRE_CHECK" else m
                                     for m in document["matters"]])
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), "utf-8")
    refused(run, fresh_env.url, "catalog", "load", path, "--operator", "admin", code=2, says="FIRE_CHECK")
    return fresh_env


def test_the_signed_promise_stands_in_for_the_promisable_materials(promise_env, run, application, catalog):
    omitted = ("FLOOR_PLAN", "FOOD_SAFETY_RULES", "FOOD_EQUIPMENT_LIST")
    without = submit(run, application("RESTAURANT", omit=omitted, optional_matters=[]))
    assert without["status"] == "correction_required" and sorted(without["missing"]) == sorted(omitted)

    filed = submit(run, application("RESTAURANT", omit=omitted, optional_matters=[],
                                    commitment_matters=["FOOD_BUSINESS"]))
    # FLOOR_PLAN is also the fire check's: still asked for; the other two the promise replaces.
    assert filed["status"] == "correction_required" and filed["missing"] == ["FLOOR_PLAN"]
    assert run("supplement", filed["case_no"], "--material", "FLOOR_PLAN").code == 0
    shown = show(run, filed["case_no"])
    assert shown["status"] == "in_review" and shown["missing"] == []
    [promise] = shown["commitments"]
    assert promise["kind"] == "notification" and promise["matter"] == "FOOD_BUSINESS"
    assert promise["materials"] == ["FOOD_SAFETY_RULES", "FOOD_EQUIPMENT_LIST"]
    # In the bundle the food licence waits for the business licence: reviewed as usual, not on the spot.
    assert review(shown, "FOOD_BUSINESS")["status"] == "waiting"
    refused(run, promise_env.url, "supplement", filed["case_no"], "--material", "FOOD_SAFETY_RULES",
            says="no material is awaited")
    finished = approve_all(run, filed["case_no"])
    assert finished["status"] == "issued"
    assert finished["commitments"][0]["due_date"] is not None  # verified after issuance, as before


def test_a_single_matter_on_the_spot_is_issued_at_the_window_and_verified_later(promise_env, run, application,
                                                                              catalog):
    url = promise_env.url
    path = application("RESTAURANT")
    body = json.loads(path.read_text("utf-8"))
    body.pop("bundle")
    body.update(matter="FOOD_BUSINESS", materials=["ID_LEGAL_REP", "LEASE"], commitment_matters=["FOOD_BUSINESS"])
    path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")

    refused(run, url, "submit", path, "--operator", "SAMR-reviewer", says="may not submit")
    filed = submit(run, path)
    assert filed["status"] == "issued" and filed["missing"] == []
    shown = show(run, filed["case_no"])
    [task] = shown["reviews"]
    assert task["status"] == "approved" and task["decided_by"] == "window-1" and "当场办结" in task["reason"]
    assert [c["number"] for c in shown["certificates"]] == [f"{filed['case_no']}-FOOD_BUSINESS"]
    [promise] = shown["commitments"]
    assert promise["status"] == "open" and promise["due_date"] is not None
    assert promise["materials"] == PROMISABLE

    refused(run, url, "decide", str(task["task_id"]), "approve", "--operator", "SAMR-reviewer", says="approved")
    refused(run, url, "verify", filed["case_no"], "--matter", "FOOD_BUSINESS", "--passed", "--operator", "window-1",
            says="may not verify")
    verified = run("verify", filed["case_no"], "--matter", "FOOD_BUSINESS", "--failed", "--reason", "场所与承诺不符",
                   "--operator", "SAMR-reviewer")
    assert verified.code == 0, verified.err
    assert show(run, filed["case_no"])["certificates"][0]["status"] == "revoked"

    # Without the promise, the same application lacks the materials: no decision on the spot.
    body.pop("commitment_matters")
    body["request_id"] += "-2"
    path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    again = submit(run, path)
    assert again["status"] == "correction_required" and again["missing"] == PROMISABLE
