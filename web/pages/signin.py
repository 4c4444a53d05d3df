"""The sign-in page and its form, and signing out (the session itself: web/auth.py)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from web.auth import PRE_COOKIE, SESSION_COOKIE, end_session, safe_next, seal, set_session_cookie, sign_in
from web.pages.common import render

router = APIRouter()


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str = "/hall"):
    return render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login", include_in_schema=False)
def login(request: Request, username: str = Form(max_length=64), password: str = Form(max_length=1024),
          next: str = Form("/hall")):
    result = sign_in(request, username, password)
    if result.session_id is None:
        return render(request, "login.html", status_code=401, next=safe_next(next),
                      error="locked" if result.locked else "wrong")
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, request, seal(request.app.state.keys, result.session_id, int(time.time())))
    response.delete_cookie(PRE_COOKIE, path="/")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request):
    end_session(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
