"""The hall's front door: each operator's own page, the language switch, and the error pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from web.i18n import LANG_COOKIE, LANGUAGES
from web.pages.common import HallOperator, PageError, SignInNeeded, render
from web.pages.session import signed_in

router = APIRouter()

START = {"window": "/hall/window", "reviewer": "/hall/review", "head": "/hall/review", "agent": "/hall/agent",
         "supervisor": "/hall/supervision", "admin": "/hall/admin", "leader": "/hall/leader"}


@router.get("/hall")
def start(operator: HallOperator = Depends(signed_in)):
    return RedirectResponse(START.get(operator.role, "/hall/cases"), status_code=303)


@router.post("/hall/language")
async def choose_language(request: Request):
    form = await request.form()
    language = form.get("language")
    back = form.get("back") or "/hall"
    if not back.startswith("/") or back.startswith("//"):
        back = "/hall"  # only a page of this hall
    response = RedirectResponse(back, status_code=303)
    if language in LANGUAGES:
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, httponly=True, samesite="lax")
    return response


def page_error(request: Request, exc: PageError):
    return render(request, "error.html", status_code=exc.status, error=exc)


def sign_in_needed(request: Request, exc: SignInNeeded):
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
