"""The engine's paths driven through the JSON API over real HTTP (uvicorn on loopback), as the people and
systems who act: a window clerk files, reviewers of three agencies decide in their own queues, results are
issued; 容缺 (a promise of a missing material); 帮代办 (an agent under a mandate); an online application by
the provincial platform's token; an agency's own system posting its decision with its token."""

from __future__ import annotations

import json
import uuid

RESTAURANT_AGENCIES = {"SAMR", "FIRE", "CITY_MGMT"}


def _body(application, bundle: str = "RESTAURANT", **extra) -> dict:
    return json.loads(application(bundle, **extra).read_text("utf-8"))


def _ok(answer, status: int = 200) -> dict:
    assert answer.status_code == status, (answer.status_code, answer.text)
    return answer.json()


def _approve_in_queues(web, case_no: str) -> set[str]:
    """Each agency's reviewer opens its own queue and approves this case's tasks, until none is left."""
    agencies = set()
    for _ in range(5):
        acted = False
        for agency in sorted(RESTAURANT_AGENCIES):
            with web.client(f"{agency}-reviewer") as reviewer:
                queue = _ok(reviewer.get("/api/v1/tasks", params={"limit": 500}))
                assert all(t["agency"] == agency for t in queue["items"])
                for task in [t for t in queue["items"] if t["case_no"] == case_no and t["status"] == "pending"]:
                    decided = _ok(reviewer.post(f"/api/v1/tasks/{task['task_id']}/decisions",
                                                json={"action": "approve"}))
                    assert decided["task_status"] == "approved"
                    agencies.add(agency)
                    acted = True
        if not acted:
            return agencies
    raise AssertionError(f"{case_no}: tasks still pending")


def test_restaurant_end_to_end_through_the_api(web, application):
    body = _body(application, optional_matters=["SIGNBOARD"])
    with web.client("window-1") as clerk:
        filed = _ok(clerk.post("/api/v1/applications", json=body), 201)
        assert filed["status"] == "in_review" and filed["created"] is True
        again = _ok(clerk.post("/api/v1/applications", json=body))  # the same request_id: the same case
        assert again["case_no"] == filed["case_no"] and again["created"] is False
        case_no = filed["case_no"]
        assert _approve_in_queues(web, case_no) == RESTAURANT_AGENCIES
        shown = _ok(clerk.get(f"/api/v1/applications/{case_no}"))
        assert shown["status"] == "issued"
        assert {c["matter"] for c in shown["certificates"]} == {"BIZ_LICENCE", "FOOD_BUSINESS", "FIRE_CHECK", "SIGNBOARD"}
        assert shown["bundle_name"] == "开办餐饮店"
        assert "*" in shown["legal_representative_id"]  # masked, as in the CLI
        assert body["applicant"]["legal_representative"]["id_number"] not in json.dumps(shown)
        assert shown["submitted_at"].endswith("+08:00")
        listed = _ok(clerk.get("/api/v1/applications", params={"status": "issued", "limit": 1, "offset": 0}))
        assert listed["limit"] == 1 and len(listed["items"]) == 1 and listed["total"] >= 1
        assert {e["actor"] for e in shown["events"]} >= {"window-1", "SAMR-reviewer", "FIRE-reviewer",
                                                          "CITY_MGMT-reviewer"}  # who acted: their sessions
    with web.client("admin") as admin:
        full = _ok(admin.get(f"/api/v1/applications/{case_no}", params={"unmasked": True}))
        assert full["legal_representative_id"] == body["applicant"]["legal_representative"]["id_number"]


def test_deficiency_tolerant_acceptance_through_the_api(web, application):
    body = _body(application, omit=("FLOOR_PLAN",), deficiency_promise=["FLOOR_PLAN"], optional_matters=["SIGNBOARD"])
    with web.client("window-1") as clerk:
        filed = _ok(clerk.post("/api/v1/applications", json=body), 201)
        assert filed["status"] == "in_review"
        _approve_in_queues(web, filed["case_no"])
        held = _ok(clerk.get(f"/api/v1/applications/{filed['case_no']}"))
        assert held["status"] == "awaiting_materials" and held["certificates"] == []
        supplied = _ok(clerk.post(f"/api/v1/applications/{filed['case_no']}/supplements",
                                  json={"materials": ["FLOOR_PLAN"]}))
        assert supplied["status"] == "issued"


def test_proxy_path_an_agent_under_a_mandate(web, application):
    agent = f"AG-{uuid.uuid4().hex[:6]}"
    body = _body(application, channel="proxy", agent=agent, optional_matters=["SIGNBOARD"])
    with web.client("admin") as admin:
        _ok(admin.post("/api/v1/agents", json={"id": agent, "name": "代办员王五"}), 201)
        mandate = _ok(admin.post("/api/v1/mandates", json={"agent": agent, "applicant": body["applicant"]["uscc"],
                                                            "scopes": ["submit", "supplement", "receive_results"],
                                                            "valid_until": "2026-12-31"}), 201)
        assert mandate["valid_until"] == "2026-12-31"  # the field is named going in as coming out
    with web.client(agent) as proxy:
        filed = _ok(proxy.post("/api/v1/applications", json=body), 201)
        mine = _ok(proxy.get("/api/v1/applications"))
        assert [c["case_no"] for c in mine["items"]] == [filed["case_no"]]
        assert proxy.get("/api/v1/tasks").status_code == 403
        assert _ok(proxy.get("/api/v1/mandates"))[0]["id"] == mandate["id"]
    with web.client("admin") as admin:
        _ok(admin.post(f"/api/v1/mandates/{mandate['id']}/revocation", json={"reason": "委托终止"}))
    with web.client(agent) as proxy:
        other = _body(application, channel="proxy", agent=agent)
        other["applicant"] = body["applicant"]
        refused = proxy.post("/api/v1/applications", json=other)
        assert refused.status_code == 409 and "revoked" in refused.json()["error"]["message"]


def test_online_application_by_token_and_an_agency_callback(web, run, application):
    platform, fire_system = f"platform-{uuid.uuid4().hex[:6]}", f"fire-{uuid.uuid4().hex[:6]}"
    made = run("token", "create", platform, "--scope", "submit,read", "--json", "--operator", "admin")
    assert made.code == 0, made.err
    token = made.json()["token"]
    fire = run("token", "create", fire_system, "--scope", "decide,read", "--agency", "FIRE", "--json",
               "--operator", "admin").json()["token"]
    assert token not in run("token", "list", "--json", "--operator", "admin").out  # only its hash is kept
    body = _body(application, optional_matters=["SIGNBOARD"])
    with web.token(token) as system:
        window = system.post("/api/v1/applications", json=body)
        assert window.status_code == 403  # a token files online applications only
        filed = _ok(system.post("/api/v1/applications", json={**body, "channel": "online"}), 201)
        assert filed["status"] == "in_review"
        assert system.post(f"/api/v1/applications/{filed['case_no']}/supplements",
                           json={"materials": ["LEASE"]}).status_code == 403  # no supplement scope
        shown = _ok(system.get(f"/api/v1/applications/{filed['case_no']}"))
        assert any(e["actor"] == f"token:{platform}" for e in shown["events"])
    with web.client("SAMR-reviewer") as samr:
        licence = next(t for t in _ok(samr.get("/api/v1/tasks", params={"limit": 500}))["items"]
                       if t["case_no"] == filed["case_no"])
        _ok(samr.post(f"/api/v1/tasks/{licence['task_id']}/decisions", json={"action": "approve"}))
    with web.token(fire) as agency_system:
        queue = _ok(agency_system.get("/api/v1/tasks", params={"limit": 500}))["items"]
        task = next(t for t in queue if t["case_no"] == filed["case_no"])
        assert all(t["agency"] == "FIRE" for t in queue)
        elsewhere = agency_system.post("/api/v1/agencies/SAMR/decisions", json={"task_id": task["task_id"],
                                                                             "action": "approve"})
        assert elsewhere.status_code == 403
        decided = _ok(agency_system.post("/api/v1/agencies/FIRE/decisions",
                                         json={"task_id": task["task_id"], "action": "approve"}))
        assert decided["task_status"] == "approved"
        assert run("token", "revoke", fire_system, "--operator", "admin").code == 0
        revoked = agency_system.get("/api/v1/tasks")
        assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]
