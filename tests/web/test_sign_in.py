"""Sign-in for people over real HTTP: the form and its CSRF token, the session cookie, sign-out,
inactivity, the lock after five failures, a disabled operator, and tokens for systems."""

from __future__ import annotations

import re
import time
import uuid

from tests.web.conftest import PASSWORD, set_password


def _form_token(client) -> str:
    page = client.get("/login")
    assert page.status_code == 200 and "登录" in page.text, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _attempts(url: str, username: str) -> list[str]:
    from services.queries.connection import reader

    with reader(url.replace("+psycopg", "")) as read:
        return [r["outcome"] for r in read.rows("SELECT outcome FROM sign_in_attempt WHERE username = %(u)s "
                                                "ORDER BY id", u=username)]


def _new_operator(run, role: str = "window") -> str:
    who = f"w-{uuid.uuid4().hex[:8]}"
    assert run("operator", "add", who, "--role", role, "--operator", "admin").code == 0
    return who


def test_the_sign_in_form_needs_its_csrf_token_and_opens_a_session(web, run):
    who = _new_operator(run)
    set_password(web.database.url, who)
    with web.client() as browser:
        assert browser.get("/api/v1/tasks").status_code == 401
        redirected = browser.get("/some/page")
        assert redirected.status_code in (303, 404)
        no_token = browser.post("/login", data={"username": who, "password": PASSWORD})
        assert no_token.status_code == 403
        wrong = browser.post("/login", data={"username": who, "password": PASSWORD, "csrf_token": "x" * 40})
        assert wrong.status_code == 403
        assert _attempts(web.database.url, who) == []  # refused before anything was looked at or written
        token = _form_token(browser)
        signed = browser.post("/login", data={"username": who, "password": PASSWORD, "csrf_token": token,
                                              "next": "/api/v1/catalog"}, follow_redirects=False)
        assert signed.status_code == 303 and signed.headers["location"] == "/api/v1/catalog"
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        catalog = browser.get("/api/v1/catalog")
        assert catalog.status_code == 200
        assert any(b["name"] == "开办餐饮店" for b in catalog.json()["bundles"])
        # a signed-in write without the session's CSRF token is refused, and nothing is written
        refused = browser.post("/api/v1/applications/OV0/supplements", json={"materials": ["LEASE"]})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf"
        assert browser.post("/logout", data={"csrf_token": "nope"}).status_code == 403
        assert browser.get("/api/v1/catalog").status_code == 200
    assert _attempts(web.database.url, who) == ["ok"]


def test_sign_out_ends_the_session_even_for_a_copied_cookie(web, run):
    who = _new_operator(run)
    with web.client(who) as client:
        copied = dict(client.cookies)
        assert client.delete("/api/v1/session").status_code == 200
        assert client.get("/api/v1/catalog").status_code == 401
    with web.client() as thief:
        thief.cookies.update(copied)
        answer = thief.get("/api/v1/catalog")
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "not_signed_in"


def test_an_idle_session_expires_and_a_forged_cookie_is_refused(web, run):
    from services.settings import get_settings
    from web.auth import Keys, seal, unseal

    who = _new_operator(run)
    with web.client(who) as client:
        session_id, _ = unseal(Keys.of(get_settings()), client.cookies["ov_session"])
        idle = get_settings().session_idle_seconds
        client.cookies.set("ov_session", seal(Keys.of(get_settings()), session_id, int(time.time()) - idle - 5))
        assert "inactivity" in client.get("/api/v1/catalog").json()["error"]["message"]
        sid, seen, _mac = seal(Keys.of(get_settings()), session_id, int(time.time())).split(".")
        client.cookies.set("ov_session", f"{sid}.{seen}.{'0' * 64}")
        assert client.get("/api/v1/catalog").status_code == 401


def test_five_failures_lock_the_account_and_are_recorded(web, run):
    who = _new_operator(run)
    set_password(web.database.url, who)
    with web.client() as client:
        for _ in range(4):
            wrong = client.post("/api/v1/session", json={"username": who, "password": "not it at all"})
            assert wrong.status_code == 401 and "wrong username or password" in wrong.json()["error"]["message"]
        fifth = client.post("/api/v1/session", json={"username": who, "password": "still not it"})
        assert "locked" in fifth.json()["error"]["message"]
        right = client.post("/api/v1/session", json={"username": who, "password": PASSWORD})
        assert right.status_code == 401 and "locked" in right.json()["error"]["message"]
    assert _attempts(web.database.url, who) == ["failed"] * 4 + ["locked", "refused"]


def test_a_disabled_operator_is_signed_out_at_once(web, run):
    who = _new_operator(run)
    with web.client(who) as client:
        assert client.get("/api/v1/catalog").status_code == 200
        assert run("operator", "disable", who, "--operator", "admin").code == 0
        assert client.get("/api/v1/catalog").status_code == 401
        assert client.post("/api/v1/session", json={"username": who, "password": PASSWORD}).status_code == 401


def test_operator_password_is_prompted_never_an_argument(web, run, monkeypatch):
    import typer

    who = _new_operator(run)
    monkeypatch.setattr(typer, "prompt", lambda *a, **k: "a long enough secret")
    assert run("operator", "password", who, "--operator", "admin").code == 0
    assert run("operator", "password", who, "--operator", "window-1").code == 1  # administrators only
    monkeypatch.setattr(typer, "prompt", lambda *a, **k: "short")
    assert run("operator", "password", who, "--operator", "admin").code == 2
    with web.client() as client:
        assert client.post("/api/v1/session", json={"username": who, "password": "a long enough secret"}).status_code == 200
