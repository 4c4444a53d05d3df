"""事项单办: an application for one matter without a bundle, through the CLI, on both databases."""

from __future__ import annotations

import json

from tests.county_support import refused
from tests.support import approve_all, show, submit


def single(application, catalog, matter: str, **changes):
    """An application for `matter` alone, with every material it needs unless `changes` say otherwise."""
    path = application("RESTAURANT")
    body = json.loads(path.read_text("utf-8"))
    body.pop("bundle")
    if "materials" not in changes:
        changes["materials"] = [m.code for m in catalog.matters[matter].materials]
    body.update(matter=matter, **changes)
    path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    return path


def test_a_single_matter_is_filed_reviewed_and_issued_without_a_bundle(env, run, application, catalog):
    # FOOD_BUSINESS depends on BIZ_LICENCE in its bundles; alone, the applicant already holds the licence.
    assert catalog.matters["FOOD_BUSINESS"].depends_on
    filed = submit(run, single(application, catalog, "FOOD_BUSINESS"))
    assert filed["status"] == "in_review" and filed["missing"] == []
    shown = show(run, filed["case_no"])
    assert shown["single_matter"] is True and shown["bundle"] == "FOOD_BUSINESS"
    assert shown["bundle_name"] == catalog.matters["FOOD_BUSINESS"].name
    [task] = shown["reviews"]
    assert task["matter"] == "FOOD_BUSINESS" and task["status"] == "pending" and task["depends_on"] == []
    assert task["due_date"] is not None
    finished = approve_all(run, filed["case_no"])
    assert finished["status"] == "issued"
    assert [c["number"] for c in finished["certificates"]] == [f"{filed['case_no']}-FOOD_BUSINESS"]


def test_a_single_matter_missing_a_material_is_asked_for_it(env, run, application, catalog):
    materials = [m.code for m in catalog.matters["SIGNBOARD"].materials]
    filed = submit(run, single(application, catalog, "SIGNBOARD", materials=materials[1:]))
    assert filed["status"] == "correction_required" and filed["missing"] == materials[:1]
    assert run("supplement", filed["case_no"], "--material", materials[0]).code == 0
    assert show(run, filed["case_no"])["status"] == "in_review"


def test_single_matter_refusals(env, run, application, catalog):
    url = env.url
    both = single(application, catalog, "FOOD_BUSINESS", bundle="RESTAURANT")
    refused(run, url, "submit", both, code=2, says="not both")
    neither = single(application, catalog, "FOOD_BUSINESS")
    body = json.loads(neither.read_text("utf-8"))
    del body["matter"]
    neither.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    refused(run, url, "submit", neither, code=2, says="bundle")
    refused(run, url, "submit", single(application, catalog, "GHOST_PERMIT", materials=[]), code=2,
            says="unknown matter")
    refused(run, url, "submit", single(application, catalog, "FOOD_BUSINESS", optional_matters=["SIGNBOARD"]),
            code=2, says="optional_matters")
    refused(run, url, "submit", single(application, catalog, "FOOD_BUSINESS"), "--operator", "SAMR-reviewer",
            code=1, says="may not submit")
