"""The web's security, over real HTTP: every role against every endpoint (allowed, or 403 with nothing
written), another agency's task out of reach whatever id is guessed, CSRF, hostile text kept verbatim,
oversized bodies refused before parsing."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

NOBODY = "anonymous"
ROLES = ["window-1", "SAMR-reviewer", "supervisor-1", "admin", "agent", "token:read", "token:submit", NOBODY]
STAFF = {"window-1", "SAMR-reviewer", "supervisor-1", "admin"}
READERS = STAFF | {"agent", "token:read"}


@pytest.fixture
def county(web, run, application):
    """A filed restaurant case (SAMR's licence pending, FIRE's waiting), an agent and two tokens."""
    agent = f"AG-{uuid.uuid4().hex[:6]}"
    assert run("agent", "add", agent, "--name", "代办员", "--operator", "admin").code == 0
    tokens = {}
    for scope in ("read", "submit"):
        made = run("token", "create", f"{scope}-{uuid.uuid4().hex[:6]}", "--scope", scope, "--json", "--operator", "admin")
        tokens[f"token:{scope}"] = made.json()["token"]
    body = json.loads(application("RESTAURANT", optional_matters=["SIGNBOARD"]).read_text("utf-8"))
    with web.client("window-1") as clerk:
        case_no = clerk.post("/api/v1/applications", json=body).json()["case_no"]
        reviews = clerk.get(f"/api/v1/applications/{case_no}").json()["reviews"]
    tasks = {r["matter"]: r["task_id"] for r in reviews}
    return {"agent": agent, "tokens": tokens, "case_no": case_no, "tasks": tasks}


def _client(web, county, role: str) -> httpx.Client:
    if role == NOBODY:
        return web.client()
    if role.startswith("token:"):
        return web.token(county["tokens"][role])
    return web.client(county["agent"] if role == "agent" else role)


def _endpoints(county, application) -> list[tuple[str, str, dict | None, set[str]]]:
    """(method, path, body, roles allowed). Bodies are well formed, so the permission check is what answers;
    where an allowed role would change something real, the body is refused later by the rules (deny with
    no reason, a mandate for an unknown agent), so nothing is written by anyone."""
    case, licence = county["case_no"], county["tasks"]["BIZ_LICENCE"]
    online = json.loads(application("RESTAURANT").read_text("utf-8")) | {"channel": "online"}
    return [
        ("GET", "/api/v1/applications", None, READERS),
        ("GET", f"/api/v1/applications/{case}", None, READERS - {"agent"}),  # an agent: its own cases (404 here)
        ("GET", f"/api/v1/applications/{case}/runs", None, STAFF | {"token:read"}),
        ("POST", "/api/v1/applications", online | {"request_id": None}, {"window-1", "agent", "token:submit"}),
        ("POST", f"/api/v1/applications/{case}/supplements", {"materials": ["FIRE_ACCEPTANCE"]}, {"window-1", "agent"}),
        ("POST", f"/api/v1/applications/{case}/key-project", {"leader": " "}, {"window-1", "admin"}),
        ("POST", f"/api/v1/applications/{case}/verifications", {"matter": "BIZ_LICENCE", "passed": True},
         {"SAMR-reviewer"}),
        ("GET", "/api/v1/tasks", None, STAFF | {"token:read"}),
        ("GET", f"/api/v1/tasks/{licence}", None, STAFF | {"token:read"}),
        ("POST", f"/api/v1/tasks/{licence}/decisions", {"action": "deny"}, {"SAMR-reviewer"}),
        ("POST", "/api/v1/agencies/SAMR/decisions", {"task_id": licence, "action": "deny"}, set()),
        ("GET", "/api/v1/operators", None, STAFF),
        ("GET", "/api/v1/operators?unmasked=true", None, {"admin"}),
        ("POST", "/api/v1/agents", {"id": "bad id!", "name": "x"}, {"admin"}),
        ("GET", "/api/v1/mandates", None, STAFF | {"agent"}),
        ("POST", "/api/v1/mandates", {"agent": "AG-nobody", "applicant": "91350200MA2YJ1XR9G", "scopes": ["submit"],
                                      "until": "2026-12-31"}, {"admin"}),
        ("POST", "/api/v1/mandates/2147483000/revocation", {"reason": "x"}, {"admin"}),
        ("GET", "/api/v1/ledger", None, STAFF),
        ("GET", "/api/v1/stalled", None, STAFF),
        ("GET", "/api/v1/overdue", None, STAFF),
        ("GET", "/api/v1/catalog", None, READERS),
        ("GET", "/api/v1/calendar/2026", None, READERS),
    ]


def _events(database_url: str, case_no: str) -> int:
    from services.queries.connection import reader

    with reader(database_url.replace("+psycopg", "")) as read:
        return read.one("SELECT count(*) AS n FROM case_event e JOIN case_file c ON c.id = e.case_id "
                        "WHERE c.case_no = %(n)s", n=case_no)["n"]


def test_every_role_against_every_endpoint(web, county, application):
    before = _events(web.database.url, county["case_no"])
    wrong = []
    clients = {role: _client(web, county, role) for role in ROLES}
    for method, path, body, allowed in _endpoints(county, application):
        for role in ROLES:
            answer = clients[role].request(method, path, json=body)
            if role == NOBODY:
                expected_ok = answer.status_code == 401
            elif role in allowed:
                expected_ok = answer.status_code not in (401, 403) and answer.status_code < 500
            else:
                expected_ok = answer.status_code == 403 or (role == "agent" and answer.status_code == 404)
            if not expected_ok:
                wrong.append((method, path, role, answer.status_code, answer.text[:120]))
            assert "Traceback" not in answer.text
    for client in clients.values():
        client.close()
    assert wrong == []
    assert _events(web.database.url, county["case_no"]) == before  # nobody wrote anything on the case


def test_a_reviewer_cannot_read_or_decide_another_agencys_task(web, county):
    with web.client("window-1") as clerk:
        case = clerk.get(f"/api/v1/applications/{county['case_no']}").json()
    with web.client("FIRE-reviewer") as fire:
        licence = county["tasks"]["BIZ_LICENCE"]
        assert fire.get(f"/api/v1/tasks/{licence}").status_code == 403
        assert fire.post(f"/api/v1/tasks/{licence}/decisions", json={"action": "approve"}).status_code == 403
        assert fire.get("/api/v1/tasks", params={"agency": "SAMR"}).status_code == 403
        assert all(t["agency"] == "FIRE" for t in fire.get("/api/v1/tasks", params={"limit": 500}).json()["items"])
    with web.client("CITY_MGMT-reviewer") as signboard:  # its agency has a task in the case: it reads the case
        assert signboard.get(f"/api/v1/applications/{county['case_no']}").status_code == 200
    with web.client("TOBACCO-reviewer") as tobacco:  # no task of its own in the case: not even its number
        assert tobacco.get(f"/api/v1/applications/{county['case_no']}").status_code == 404
    with web.client("window-1") as clerk:
        assert clerk.get(f"/api/v1/applications/{county['case_no']}").json()["events"] == case["events"]


def test_a_write_without_the_sessions_csrf_token_writes_nothing(web, county):
    licence = county["tasks"]["BIZ_LICENCE"]
    with web.client("SAMR-reviewer") as reviewer:
        for headers in ({"X-CSRF-Token": ""}, {"X-CSRF-Token": "0" * 40}):
            reviewer.headers.update(headers)
            answer = reviewer.post(f"/api/v1/tasks/{licence}/decisions", json={"action": "approve"})
            assert answer.status_code == 403 and answer.json()["error"]["code"] == "csrf"
        del reviewer.headers["X-CSRF-Token"]
        form = reviewer.post(f"/api/v1/tasks/{licence}/decisions", data={"action": "approve"})
        assert form.status_code == 403
        assert reviewer.get(f"/api/v1/tasks/{licence}").json()["status"] == "pending"


HOSTILE = ["Robert'); DROP TABLE case_file;--", "<script>alert('x')</script>", "1' OR '1'='1", "\" onmouseover=\"x",
           "{{7*7}} ${7*7} %(n)s", "湘味小馆 & <b>餐饮</b>"]


def test_hostile_text_is_stored_and_shown_verbatim(web, county, application):
    body = json.loads(application("RESTAURANT", optional_matters=["SIGNBOARD"]).read_text("utf-8"))
    name = " ".join(HOSTILE)
    body["applicant"]["name"] = name[:200]
    body["applicant"]["legal_representative"]["name"] = HOSTILE[1]
    body["request_id"] = HOSTILE[0] + uuid.uuid4().hex
    with web.client("window-1") as clerk:
        filed = clerk.post("/api/v1/applications", json=body)
        assert filed.status_code == 201, filed.text
        case_no = filed.json()["case_no"]
        shown = clerk.get(f"/api/v1/applications/{case_no}").json()
        assert shown["applicant"] == name[:200] and shown["legal_representative"] == HOSTILE[1]
        licence = next(r["task_id"] for r in shown["reviews"] if r["matter"] == "BIZ_LICENCE")
    with web.client("SAMR-reviewer") as reviewer:
        denied = reviewer.post(f"/api/v1/tasks/{licence}/decisions", json={"action": "deny", "reason": HOSTILE[2] + HOSTILE[4]})
        assert denied.status_code == 200, denied.text
    with web.client("window-1") as clerk:
        shown = clerk.get(f"/api/v1/applications/{case_no}").json()
        assert next(r for r in shown["reviews"] if r["task_id"] == licence)["reason"] == HOSTILE[2] + HOSTILE[4]
        listed = clerk.get("/api/v1/applications", params={"status": shown["status"], "limit": 500}).json()["items"]
        assert any(c["applicant"] == name[:200] for c in listed)


def test_oversized_bodies_are_refused_before_parsing(web, county):
    from services.settings import get_settings

    limit = get_settings().web_max_body_bytes
    before = _events(web.database.url, county["case_no"])
    big = b'{"materials": ["' + b"A" * limit + b'"]}'
    with web.client("window-1") as clerk:
        announced = clerk.post(f"/api/v1/applications/{county['case_no']}/supplements", content=big,
                               headers={"content-type": "application/json"})
        assert announced.status_code == 413 and announced.json()["error"]["code"] == "too_large"

        def stream():
            for start in range(0, len(big), 65536):
                yield big[start:start + 65536]

        streamed = clerk.post(f"/api/v1/applications/{county['case_no']}/supplements", content=stream(),
                              headers={"content-type": "application/json"})
        assert streamed.status_code == 413
    with web.client() as browser:
        assert browser.post("/login", content=b"username=" + b"a" * limit,
                            headers={"content-type": "application/x-www-form-urlencoded"}).status_code == 413
    assert _events(web.database.url, county["case_no"]) == before
