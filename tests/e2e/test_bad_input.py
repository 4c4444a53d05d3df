"""Every bad input through the CLI: the right exit code, one line on stderr, and nothing written.

Exit 2 is bad input (unreadable file, unknown code, invalid identifier, missing option); exit 1
is a refusal by the rules (wrong state, not found). Either way the database is left exactly as
it was: every table is compared, row counts first (for a readable failure), then row contents.
"""

from __future__ import annotations

import json
import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from approvals.identifiers import resident_id_check_char, uscc_check_char
from tests.support import nothing_written, review, show, snapshot, submit

BUILTIN_YAML = Path(__file__).resolve().parents[2] / "approvals" / "data" / "builtin_catalog.yaml"


# --- helpers -------------------------------------------------------------------------------


def assert_one_line(result, code: int, *names: str) -> str:
    """Exit `code`, exactly one `onevisit: ...` line on stderr naming every one of `names`, no traceback."""
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err and "Traceback" not in result.out
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    line = lines[0]
    assert line.startswith("onevisit: "), line
    for name in names:
        assert name in line, f"{name!r} not named in {line!r}"
    assert result.out == "", result.out
    return line


def rewrite(path: Path, change) -> Path:
    """Load an application file, let `change(body)` mutate it, write it back."""
    body = json.loads(path.read_text("utf-8"))
    change(body)
    path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    return path


def id_number(birth: str, *, check: str | None = None) -> str:
    body = "110105" + birth + f"{uuid.uuid4().int % 1000:03d}"
    return body + (check if check is not None else resident_id_check_char(body))


def id_ending_in_x() -> str:
    for serial in range(1000):
        body = "110105" + "19800315" + f"{serial:03d}"
        if resident_id_check_char(body) == "X":
            return body + "X"
    raise AssertionError("no serial gives check character X")


def approve_everything(run, case_no: str) -> dict:
    for _ in range(10):
        case = show(run, case_no)
        pending = [r for r in case["reviews"] if r["status"] == "pending"]
        if not pending:
            return case
        for task in pending:
            decided = run("decide", task["task_id"], "approve", "--operator", f"{task['agency']}-reviewer")
            assert decided.code == 0, decided.err
    raise AssertionError(f"{case_no} never settled")


# --- submit --------------------------------------------------------------------------------


def test_submit_nonexistent_file(env, run, tmp_path):
    missing = tmp_path / "no-such-application.json"
    with nothing_written(env.url):
        result = run("submit", missing, "--json")
    assert_one_line(result, 2, "no-such-application.json")


def test_submit_unreadable_file(env, run, tmp_path):
    if os.geteuid() == 0:
        target = tmp_path / "a-directory.json"  # root reads any file; a directory is unreadable for all
        target.mkdir()
    else:
        target = tmp_path / "locked.json"
        target.write_text("{}", "utf-8")
        target.chmod(0)
    with nothing_written(env.url):
        result = run("submit", target)
    assert_one_line(result, 2, target.name)


@pytest.mark.parametrize("name, content", [
    ("gbk.json", '{"bundle": "开办餐饮店"}'.encode("gbk")),
    ("broken.json", '{"bundle": "RESTAURANT", '.encode("utf-8")),
    ("list.json", '["RESTAURANT"]'.encode("utf-8")),
], ids=["not-utf8", "invalid-json", "json-that-is-not-an-object"])
def test_submit_file_that_is_not_a_json_object(env, run, tmp_path, name, content):
    target = tmp_path / name
    target.write_bytes(content)
    with nothing_written(env.url):
        result = run("submit", target)
    assert_one_line(result, 2, name)


@pytest.mark.parametrize("where, key", [("top", "colour"), ("applicant", "nickname"),
                                        ("legal_representative", "phone")])
def test_submit_unknown_key(env, run, application, where, key):
    def change(body):
        node = {"top": body, "applicant": body["applicant"],
                "legal_representative": body["applicant"]["legal_representative"]}[where]
        node[key] = "red"

    path = rewrite(application("RESTAURANT"), change)
    with nothing_written(env.url):
        result = run("submit", path, "--json")
    assert_one_line(result, 2, key)


def test_submit_missing_required_key(env, run, application):
    path = rewrite(application("RESTAURANT"), lambda body: body.pop("bundle"))
    with nothing_written(env.url):
        result = run("submit", path)
    assert_one_line(result, 2, "bundle")


def test_submit_unknown_bundle(env, run, application):
    path = rewrite(application("RESTAURANT"), lambda body: body.update(bundle="SPACE_STATION"))
    with nothing_written(env.url):
        result = run("submit", path, "--json")
    assert_one_line(result, 2, "SPACE_STATION")


def test_submit_uscc_with_wrong_check_character(env, run, application):
    def change(body):
        uscc = body["applicant"]["uscc"]
        wrong = next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != uscc[-1])
        body["applicant"]["uscc"] = uscc[:-1] + wrong

    path = rewrite(application("RESTAURANT"), change)
    with nothing_written(env.url):
        result = run("submit", path, "--json")
    assert_one_line(result, 2, "uscc", "check character")


@pytest.mark.parametrize("letter", ["I", "O"])
def test_submit_uscc_with_a_letter_outside_the_alphabet(env, run, application, letter):
    # I and O are not in the GB 32100 alphabet (they look like 1 and 0)
    body = "91350200MA2YJ1XR" + letter
    uscc = body + "9"
    path = rewrite(application("RESTAURANT"), lambda b: b["applicant"].update(uscc=uscc))
    with nothing_written(env.url):
        result = run("submit", path, "--json")
    assert_one_line(result, 2, "uscc", letter)


def test_submit_uscc_of_wrong_length(env, run, application):
    path = rewrite(application("RESTAURANT"), lambda b: b["applicant"].update(uscc="91350200MA2YJ1XR9"))
    with nothing_written(env.url):
        result = run("submit", path, "--json")
    assert_one_line(result, 2, "uscc")


def test_submit_resident_id_with_wrong_check_digit(env, run, application):
    good = id_number("19800315")
    wrong = next(c for c in "0123456789X" if c != good[-1])
    path = rewrite(application("RESTAURANT"),
                   lambda b: b["applicant"]["legal_representative"].update(id_number=good[:-1] + wrong))
    with nothing_written(env.url):
        result = run("submit", path, "--json")
    assert_one_line(result, 2, "id_number", "check character")


@pytest.mark.parametrize("birth", ["19490231", "20230229", "19801301", "19800100"])
def test_submit_resident_id_with_impossible_birth_date(env, run, application, birth):
    # the check digit is right: only the date is wrong
    number = id_number(birth)
    path = rewrite(application("RESTAURANT"),
                   lambda b: b["applicant"]["legal_representative"].update(id_number=number))
    with nothing_written(env.url):
        result = run("submit", path, "--json")
    assert_one_line(result, 2, "id_number", birth)


def test_submit_resident_id_born_in_the_future(env, run, application):
    number = id_number("20300101")  # after ONEVISIT_NOW (2026-03-02)
    path = rewrite(application("RESTAURANT"),
                   lambda b: b["applicant"]["legal_representative"].update(id_number=number))
    with nothing_written(env.url):
        result = run("submit", path, "--json")
    assert_one_line(result, 2, "id_number")


def test_submit_unknown_material(env, run, application, catalog):
    materials = list(catalog.materials_of(["BIZ_LICENCE", "FOOD_BUSINESS", "FIRE_CHECK", "SIGNBOARD",
                                           "TOBACCO_RETAIL"])) + ["UNICORN_HORN"]
    with nothing_written(env.url):
        result = run("submit", application("RESTAURANT", materials=materials), "--json")
    assert_one_line(result, 2, "UNICORN_HORN")


def test_submit_material_the_bundle_does_not_need(env, run, application, catalog):
    assert "SEAL_MANDATE" in catalog.material_names()  # known, but belongs to the company bundle
    materials = list(catalog.materials_of(["BIZ_LICENCE", "FOOD_BUSINESS", "FIRE_CHECK", "SIGNBOARD",
                                           "TOBACCO_RETAIL"])) + ["SEAL_MANDATE"]
    with nothing_written(env.url):
        result = run("submit", application("RESTAURANT", materials=materials), "--json")
    assert_one_line(result, 2, "SEAL_MANDATE")


def test_submit_optional_matters_naming_a_required_matter(env, run, application):
    with nothing_written(env.url):
        result = run("submit", application("RESTAURANT", optional_matters=["BIZ_LICENCE"]), "--json")
    assert_one_line(result, 2, "optional_matters", "BIZ_LICENCE")


def test_submit_optional_matters_naming_a_matter_outside_the_bundle(env, run, application):
    path = rewrite(application("RESTAURANT", optional_matters=["SIGNBOARD"]),
                   lambda b: b.update(optional_matters=["SEAL"]))
    with nothing_written(env.url):
        result = run("submit", path, "--json")
    assert_one_line(result, 2, "optional_matters", "SEAL")


@pytest.mark.parametrize("channel", ["fax", "WINDOW", ""])
def test_submit_unknown_channel(env, run, application, channel):
    with nothing_written(env.url):
        result = run("submit", application("RESTAURANT", channel=channel), "--json")
    assert_one_line(result, 2, "channel")


def test_submit_lower_case_x_in_resident_id_is_accepted_and_normalised(env, run, application):
    from sqlalchemy import text

    from services.db import engine_for

    number = id_ending_in_x()
    path = rewrite(application("RESTAURANT"),
                   lambda b: b["applicant"]["legal_representative"].update(id_number=number.lower()))
    result = run("submit", path, "--json")
    assert result.code == 0, result.err
    case_no = result.json()["case_no"]
    assert result.json()["status"] == "in_review"
    with engine_for(env.url, write=False).connect() as conn:
        stored = conn.execute(text("SELECT legal_rep_id_number FROM case_file WHERE case_no = :n"),
                              {"n": case_no}).scalar_one()
    assert stored == number
    assert show(run, case_no)["legal_representative_id"].endswith("X")


def test_submit_lower_case_uscc_is_accepted_and_normalised(env, run, application):
    from sqlalchemy import text

    from services.db import engine_for

    for _ in range(100):  # a code with letters in it, so lower case makes a difference
        body = "91350200MA" + uuid.uuid4().hex[:7].upper().replace("I", "J").replace("O", "P")
        body = "".join(c if c in "0123456789ABCDEFGHJKLMNPQRTUWXY" else "K" for c in body)
        uscc = body + uscc_check_char(body)
        if uscc != uscc.lower():
            break
    path = rewrite(application("RESTAURANT"), lambda b: b["applicant"].update(uscc=uscc.lower()))
    result = run("submit", path, "--json")
    assert result.code == 0, result.err
    with engine_for(env.url, write=False).connect() as conn:
        stored = conn.execute(text("SELECT uscc FROM case_file WHERE case_no = :n"),
                              {"n": result.json()["case_no"]}).scalar_one()
    assert stored == uscc


# --- decide --------------------------------------------------------------------------------


@pytest.fixture
def restaurant(env, run, application) -> dict:
    """A restaurant case in review: BIZ_LICENCE pending, the rest waiting for it."""
    case = show(run, submit(run, application("RESTAURANT"))["case_no"])
    assert review(case, "BIZ_LICENCE")["status"] == "pending"
    assert review(case, "FOOD_BUSINESS")["status"] == "waiting"
    return case


@contextmanager
def case_untouched(env, run, case_no: str):
    before = show(run, case_no)
    with nothing_written(env.url):
        yield
    assert show(run, case_no) == before


def test_decide_unknown_task(env, run, restaurant):
    with nothing_written(env.url):
        result = run("decide", 987654321, "approve", "--operator", "SAMR-reviewer")
    assert_one_line(result, 1, "987654321")


def test_decide_task_id_that_is_not_a_number(env, run, restaurant):
    with nothing_written(env.url):
        result = run("decide", "BIZ", "approve", "--operator", "SAMR-reviewer")
    assert_one_line(result, 2, "task_id")


@pytest.mark.parametrize("action", ["accept", "APPROVE", "reject"])
def test_decide_unknown_action(env, run, restaurant, action):
    task = review(restaurant, "BIZ_LICENCE")
    with case_untouched(env, run, restaurant["case_no"]):
        result = run("decide", task["task_id"], action, "--operator", "SAMR-reviewer")
    assert_one_line(result, 2, action)


def test_decide_without_operator(env, run, restaurant, monkeypatch):
    task = review(restaurant, "BIZ_LICENCE")
    with case_untouched(env, run, restaurant["case_no"]):
        monkeypatch.delenv("ONEVISIT_OPERATOR")
        result = run("decide", task["task_id"], "approve")
        monkeypatch.setenv("ONEVISIT_OPERATOR", "window-1")
    assert_one_line(result, 2, "--operator")


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_deny_without_reason(env, run, restaurant, reason):
    task = review(restaurant, "BIZ_LICENCE")
    args = ["decide", task["task_id"], "deny", "--operator", "SAMR-reviewer"]
    if reason is not None:
        args += ["--reason", reason]
    with case_untouched(env, run, restaurant["case_no"]):
        result = run(*args)
    assert_one_line(result, 2, "--reason")


def test_supplement_request_without_material(env, run, restaurant):
    task = review(restaurant, "BIZ_LICENCE")
    with case_untouched(env, run, restaurant["case_no"]):
        result = run("decide", task["task_id"], "supplement", "--operator", "SAMR-reviewer")
    assert_one_line(result, 2, "--material")


def test_supplement_request_for_unknown_material(env, run, restaurant):
    task = review(restaurant, "BIZ_LICENCE")
    with case_untouched(env, run, restaurant["case_no"]):
        result = run("decide", task["task_id"], "supplement", "--operator", "SAMR-reviewer",
                     "--material", "LEASE", "--material", "UNICORN_HORN")
    assert_one_line(result, 2, "UNICORN_HORN")


@pytest.mark.parametrize("action, extra", [("approve", []), ("deny", ["--reason", "no"])])
def test_material_with_approve_or_deny(env, run, restaurant, action, extra):
    task = review(restaurant, "BIZ_LICENCE")
    with case_untouched(env, run, restaurant["case_no"]):
        result = run("decide", task["task_id"], action, "--operator", "SAMR-reviewer", "--material", "LEASE", *extra)
    assert_one_line(result, 2, "--material")


@pytest.mark.parametrize("action, extra", [("approve", []), ("deny", ["--reason", "too early"]),
                                           ("supplement", ["--material", "LEASE"])])
def test_deciding_a_waiting_task_is_refused(env, run, restaurant, action, extra):
    task = review(restaurant, "FOOD_BUSINESS")
    with case_untouched(env, run, restaurant["case_no"]):
        result = run("decide", task["task_id"], action, "--operator", "SAMR-reviewer-2", *extra)
    assert_one_line(result, 1, "waiting")


def test_deciding_an_approved_task_again_is_refused(env, run, restaurant):
    task = review(restaurant, "BIZ_LICENCE")
    assert run("decide", task["task_id"], "approve", "--operator", "SAMR-reviewer").code == 0
    with case_untouched(env, run, restaurant["case_no"]):
        again = run("decide", task["task_id"], "approve", "--operator", "SAMR-reviewer")
        deny = run("decide", task["task_id"], "deny", "--operator", "SAMR-reviewer", "--reason", "changed my mind")
    assert_one_line(again, 1, "approved")
    assert_one_line(deny, 1, "approved")


# --- supplement ----------------------------------------------------------------------------


def test_supplement_unknown_case(env, run):
    with nothing_written(env.url):
        result = run("supplement", "OV20260302999999", "--material", "LEASE")
    assert_one_line(result, 1, "OV20260302999999")


def test_supplement_without_material(env, run, application):
    case = submit(run, application("RESTAURANT", omit=("LEASE",)))
    assert case["status"] == "correction_required"
    with case_untouched(env, run, case["case_no"]):
        result = run("supplement", case["case_no"])
    assert_one_line(result, 2, "--material")


def test_supplement_unknown_material(env, run, application):
    case = submit(run, application("RESTAURANT", omit=("LEASE",)))
    with case_untouched(env, run, case["case_no"]):
        result = run("supplement", case["case_no"], "--material", "LEASE", "--material", "UNICORN_HORN")
    assert_one_line(result, 2, "UNICORN_HORN")


def test_supplement_to_an_issued_case_is_refused(env, run, application):
    case_no = submit(run, application("COMPANY_START"))["case_no"]
    assert approve_everything(run, case_no)["status"] == "issued"
    with case_untouched(env, run, case_no):
        result = run("supplement", case_no, "--material", "ID_LEGAL_REP")
    assert_one_line(result, 1, case_no)


def test_supplement_of_a_material_nobody_asked_for_is_refused(env, run, restaurant):
    task = review(restaurant, "BIZ_LICENCE")
    asked = run("decide", task["task_id"], "supplement", "--operator", "SAMR-reviewer", "--material", "ARTICLES")
    assert asked.code == 0, asked.err
    with case_untouched(env, run, restaurant["case_no"]):
        result = run("supplement", restaurant["case_no"], "--material", "LEASE")
    assert_one_line(result, 1, "LEASE")


# --- reading -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["show", "runs"])
def test_reading_an_unknown_case(env, run, command):
    with nothing_written(env.url):
        result = run(command, "OV20260302999999", "--json")
    assert_one_line(result, 1, "OV20260302999999")


@pytest.mark.parametrize("command", ["tasks", "cases"])
def test_listing_with_an_unknown_status(env, run, command):
    with nothing_written(env.url):
        result = run(command, "--status", "bogus", "--json")
    assert_one_line(result, 2, "bogus")


def test_unknown_command(env, run):
    result = run("approve-everything")
    assert_one_line(result, 2, "approve-everything")


# --- catalog load --------------------------------------------------------------------------


def _builtin() -> dict:
    return yaml.safe_load(BUILTIN_YAML.read_text("utf-8"))


def _matter(doc: dict, code: str) -> dict:
    return next(m for m in doc["matters"] if m["code"] == code)


def _bundle(doc: dict, code: str) -> dict:
    return next(b for b in doc["bundles"] if b["code"] == code)


def _unknown_agency(doc):
    _matter(doc, "FOOD_BUSINESS")["agency"] = "MINISTRY_OF_MAGIC"


def _unknown_dependency(doc):
    _matter(doc, "FOOD_BUSINESS")["depends_on"] = ["BIZ_LICENCE", "GHOST_PERMIT"]


def _unknown_matter_in_bundle(doc):
    _bundle(doc, "RESTAURANT")["matters"].append({"matter": "GHOST_PERMIT"})


def _cycle(doc):
    _matter(doc, "BIZ_LICENCE")["depends_on"] = ["FOOD_BUSINESS"]


def _self_dependency(doc):
    _matter(doc, "SIGNBOARD")["depends_on"] = ["SIGNBOARD"]


def _dependency_outside_bundle(doc):
    doc["bundles"].append({"code": "FOOD_ONLY", "name": "只办食品许可", "promised_days": 3,
                           "matters": [{"matter": "FOOD_BUSINESS"}]})


def _promised_over_statutory(doc):
    _matter(doc, "FOOD_BUSINESS")["promised_days"] = 11  # statutory 10


def _duplicate_matter(doc):
    doc["matters"].append(dict(_matter(doc, "SIGNBOARD")))


def _duplicate_agency(doc):
    doc["agencies"].append({"code": "FIRE", "name": "另一个消防"})


def _duplicate_bundle(doc):
    doc["bundles"].append(dict(_bundle(doc, "HOTEL")))


def _wrong_type(doc):
    _matter(doc, "FOOD_BUSINESS")["promised_days"] = "five"


def _missing_bundles(doc):
    del doc["bundles"]


def _shared_material_named_twice(doc):
    _matter(doc, "FIRE_CHECK")["materials"][0] = {"code": "LEASE", "name": "租房合同", "core": True}


BAD_CATALOGS = [
    pytest.param(_unknown_agency, ["MINISTRY_OF_MAGIC", "FOOD_BUSINESS"], id="unknown-agency"),
    pytest.param(_unknown_dependency, ["GHOST_PERMIT", "depends_on"], id="unknown-matter-in-depends_on"),
    pytest.param(_unknown_matter_in_bundle, ["GHOST_PERMIT", "RESTAURANT"], id="unknown-matter-in-bundle"),
    pytest.param(_cycle, ["cycle", "BIZ_LICENCE", "FOOD_BUSINESS"], id="dependency-cycle"),
    pytest.param(_self_dependency, ["SIGNBOARD", "depends_on"], id="self-dependency"),
    pytest.param(_dependency_outside_bundle, ["FOOD_ONLY", "BIZ_LICENCE"], id="dependency-outside-bundle"),
    pytest.param(_promised_over_statutory, ["FOOD_BUSINESS", "promised_days"], id="promised-over-statutory"),
    pytest.param(_duplicate_matter, ["SIGNBOARD", "duplicate"], id="duplicate-matter"),
    pytest.param(_duplicate_agency, ["FIRE", "duplicate"], id="duplicate-agency"),
    pytest.param(_duplicate_bundle, ["HOTEL", "duplicate"], id="duplicate-bundle"),
    pytest.param(_wrong_type, ["FOOD_BUSINESS", "promised_days"], id="wrong-type"),
    pytest.param(_missing_bundles, ["bundles"], id="missing-bundles"),
    pytest.param(_shared_material_named_twice, ["LEASE", "FIRE_CHECK"], id="shared-material-named-twice"),
]


def _catalog_state(run, url: str) -> tuple[int, dict]:
    listed = run("catalog", "list", "--json")
    assert listed.code == 0, listed.err
    return snapshot(url)[0]["catalog_version"], listed.json()


@pytest.mark.parametrize("mutate, names", BAD_CATALOGS)
def test_catalog_load_refuses_a_bad_catalog(fresh_env, run, tmp_path, mutate, names):
    document = _builtin()
    mutate(document)
    path = tmp_path / "bad-catalog.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    before = _catalog_state(run, fresh_env.url)
    with nothing_written(fresh_env.url):
        result = run("catalog", "load", path, "--operator", "admin")
    assert_one_line(result, 2, *names)
    assert _catalog_state(run, fresh_env.url) == before


NOT_A_CATALOG = {
    "broken-yaml.yaml": "agencies: [\n  - {code: SAMR, name: x\n",
    "scalar.yaml": "just a string\n",
    "list.yaml": "- a\n- list\n",
    "empty.yaml": "",
}


def test_catalog_load_not_a_catalog(fresh_env, run, tmp_path):
    """A missing file, broken YAML, and YAML that is no mapping: one database for all of them."""
    before = _catalog_state(run, fresh_env.url)
    with nothing_written(fresh_env.url):
        result = run("catalog", "load", tmp_path / "no-such-catalog.yaml", "--operator", "admin")
    assert_one_line(result, 2, "no-such-catalog.yaml")
    for name, text in NOT_A_CATALOG.items():
        path = tmp_path / name
        path.write_text(text, "utf-8")
        with nothing_written(fresh_env.url):
            result = run("catalog", "load", path, "--operator", "admin")
        assert_one_line(result, 2, "catalog")
    assert "line" in run("catalog", "load", tmp_path / "broken-yaml.yaml", "--operator", "admin").err  # where it broke
    assert _catalog_state(run, fresh_env.url) == before


def test_catalog_load_valid_then_same_again(fresh_env, run, tmp_path):
    versions, listed = _catalog_state(run, fresh_env.url)
    document = _builtin()
    _bundle(document, "RESTAURANT")["name"] = "开办餐饮店（新版）"
    path = tmp_path / "local-catalog.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")

    loaded = run("catalog", "load", path, "--operator", "admin")
    assert loaded.code == 0, loaded.err
    assert "loaded" in loaded.out
    after_versions, after = _catalog_state(run, fresh_env.url)
    assert after_versions == versions + 1
    assert after["version"] != listed["version"]
    assert f"version {after['version']}" in loaded.out
    assert next(b for b in after["bundles"] if b["code"] == "RESTAURANT")["name"] == "开办餐饮店（新版）"

    with nothing_written(fresh_env.url):
        again = run("catalog", "load", path, "--operator", "admin")
    assert again.code == 0, again.err
    assert "unchanged" in again.out
    assert _catalog_state(run, fresh_env.url) == (after_versions, after)


# --- settings and set-up -------------------------------------------------------------------


@pytest.mark.parametrize("command", [["cases", "--json"], ["tasks"], ["show", "OV20260302000001"]])
def test_now_without_offset(env, run, command):
    with nothing_written(env.url):
        result = run(*command, now="2026-03-02T09:00:00")
    assert_one_line(result, 2, "ONEVISIT_NOW")


def test_now_without_offset_refuses_submit(env, run, application):
    path = application("RESTAURANT")
    with nothing_written(env.url):
        result = run("submit", path, now="2026-03-02T09:00:00")
    assert_one_line(result, 2, "ONEVISIT_NOW")


def test_now_that_is_not_a_time(env, run):
    with nothing_written(env.url):
        result = run("cases", now="next monday")
    assert_one_line(result, 2, "ONEVISIT_NOW")


def test_database_not_initialised(run, monkeypatch, tmp_path):
    from services.settings import get_settings

    database = tmp_path / "empty.db"
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("ONEVISIT_NOW", "2026-03-02T09:00:00+08:00")
    get_settings.cache_clear()
    for command in (["show", "OV20260302000001"], ["cases"], ["tasks", "--json"], ["catalog", "list"]):
        result = run(*command)
        assert_one_line(result, 1, "onevisit init")
    assert not database.exists(), "a read created the database file"


def test_database_not_initialised_refuses_writes(run, monkeypatch, tmp_path, application):
    from services.settings import get_settings

    database = tmp_path / "empty.db"
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("ONEVISIT_NOW", "2026-03-02T09:00:00+08:00")
    get_settings.cache_clear()
    for command in (["submit", application("RESTAURANT"), "--operator", "window-1"],
                    ["decide", "1", "approve", "--operator", "x"],
                    ["supplement", "OV20260302000001", "--material", "LEASE", "--operator", "window-1"]):
        result = run(*command)
        assert_one_line(result, 1, "onevisit init")


def test_postgresql_database_not_initialised(run, monkeypatch):
    import psycopg

    from services.settings import get_settings

    admin = os.environ.get("ONEVISIT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"onevisit_empty_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + "/" + name
    try:
        monkeypatch.setenv("ONEVISIT_DATABASE_URL", url)
        monkeypatch.setenv("ONEVISIT_NOW", "2026-03-02T09:00:00+08:00")
        monkeypatch.setenv("ONEVISIT_OPERATOR", "window-1")
        get_settings.cache_clear()
        assert_one_line(run("show", "OV20260302000001"), 1, "onevisit init")
        assert_one_line(run("supplement", "OV20260302000001", "--material", "LEASE"), 1, "onevisit init")
        with psycopg.connect(url) as conn:
            tables = conn.execute("SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_schema = 'public'").fetchone()[0]
        assert tables == 0
    finally:
        from services.db import engine_for

        for key in (url, url.replace("postgresql://", "postgresql+psycopg://")):
            engine_for(key).dispose()
            engine_for(key, write=False).dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- more bad input, found by probing --------------------------------------------------------


def test_submit_same_request_id_for_a_different_application_is_refused(env, run, application):
    first = application("RESTAURANT")
    request_id = json.loads(first.read_text("utf-8"))["request_id"]
    assert run("submit", first).code == 0
    other = application("COMPANY_START", request_id=request_id)
    with nothing_written(env.url):
        result = run("submit", other, "--json")
    assert_one_line(result, 1, request_id)


def test_decide_task_id_beyond_any_integer_column(env, run, restaurant):
    with nothing_written(env.url):
        result = run("decide", "99999999999999999999", "approve", "--operator", "SAMR-reviewer")
    assert_one_line(result, 1, "99999999999999999999")


def test_unknown_timezone(env, run, monkeypatch):
    monkeypatch.setenv("ONEVISIT_TIMEZONE", "Mars/Olympus")
    with nothing_written(env.url):
        result = run("cases", "--json")
    assert_one_line(result, 2, "ONEVISIT_TIMEZONE")


def test_unsupported_database_url_on_a_read(run, monkeypatch):
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", "mysql://someone@localhost/onevisit")
    monkeypatch.setenv("ONEVISIT_NOW", "2026-03-02T09:00:00+08:00")
    assert_one_line(run("cases"), 2, "mysql")


def test_unsupported_database_url_on_a_write(run, monkeypatch):
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", "mysql://someone@localhost/onevisit")
    monkeypatch.setenv("ONEVISIT_NOW", "2026-03-02T09:00:00+08:00")
    assert_one_line(run("supplement", "OV20260302000001", "--material", "LEASE", "--operator", "window-1"), 2, "mysql")


def test_refused_write_leaves_no_database_file_behind(run, monkeypatch, tmp_path, application):
    database = tmp_path / "typo" / "empty.db"
    monkeypatch.setenv("ONEVISIT_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("ONEVISIT_NOW", "2026-03-02T09:00:00+08:00")
    assert_one_line(run("submit", application("RESTAURANT"), "--operator", "window-1"), 1, "onevisit init")
    assert not database.parent.exists()
