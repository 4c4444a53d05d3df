"""Every error as the API answers it: JSON `{"error": {"code", "message"}}` with a stable code, never a trace.

The same refusals as the CLI's exit codes: bad input 400 (422 for a body that does not fit its model),
not allowed 403, unknown 404, refused by the rules 409. Pages (not /api) get a short HTML message, and a
visitor who is not signed in is sent to the sign-in page.
"""

from __future__ import annotations

import html
import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from approvals.errors import BadInput, Forbidden, NotFound, OnevisitError, Refused

log = logging.getLogger("onevisit.web")


class NotSignedIn(OnevisitError):
    """No session, an expired or ended one, or no valid token (401)."""


class BadCsrf(Forbidden):
    """A form post or a signed-in JSON write without the right CSRF token (403)."""


# most specific first
_STATUS: list[tuple[type[OnevisitError], int, str]] = [
    (NotSignedIn, 401, "not_signed_in"),
    (BadCsrf, 403, "csrf"),
    (Forbidden, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (BadInput, 400, "bad_input"),
    (Refused, 409, "refused"),
]


def status_of(exc: OnevisitError) -> tuple[int, str]:
    return next(((status, code) for kind, status, code in _STATUS if isinstance(exc, kind)), (409, "refused"))


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def answer(request: Request, status: int, code: str, message: str):
    if is_api(request):
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
    if status == 401 and request.method == "GET":
        return RedirectResponse("/login?next=" + quote(request.url.path), status_code=303)
    return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>{status}</title>"
                        f"<p>{html.escape(message)}</p><p><a href=\"/\">返回</a></p>", status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(OnevisitError)
    async def _ours(request: Request, exc: OnevisitError):
        status, code = status_of(exc)
        return answer(request, status, code, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _unfit(request: Request, exc: RequestValidationError):
        error = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in error["loc"] if p != "body") or "request"
        return answer(request, 422, "invalid", f"{where}: {error['msg']}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
        return answer(request, exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            return answer(request, 503, "unavailable", "database unavailable, try again")
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return answer(request, 500, "internal", "internal error (logged)")
