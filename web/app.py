"""The application factory: `create_app(settings)` wires sign-in, the JSON API, errors and guards."""

from __future__ import annotations

import json

from fastapi import Depends, FastAPI, HTTPException

from web import errors
from web.auth import PRE_COOKIE, Keys, csrf_protected


def create_app(settings=None) -> FastAPI:
    from services.settings import get_settings
    from web.api import router as api_router
    from web.pages import include_pages

    settings = settings or get_settings()
    app = FastAPI(title="onevisit", summary="一件事一次办: one thing, one visit", version="1",
                  dependencies=[Depends(csrf_protected)], docs_url="/docs", redoc_url=None)
    app.state.settings = settings
    app.state.keys = Keys.of(settings)
    errors.install(app)
    app.include_router(api_router, prefix="/api/v1")
    include_pages(app)
    app.add_middleware(Guard, max_body=settings.web_max_body_bytes)
    return app


class Guard:
    """Plain ASGI: refuse a body over `max_body` bytes (413) before anything parses it, whether it
    announces its length or streams; set the cookies the request's handling asked for (a renewed session,
    the pre-session one behind a sign-in form) and the headers every answer carries."""

    def __init__(self, app, *, max_body: int):
        self.app, self.max_body = app, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.max_body:
            return await _too_large(scope, send, self.max_body)
        received = 0

        async def counted_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:  # a streamed body: the router answers 413 (web.errors)
                raise HTTPException(413, f"request body over {self.max_body} bytes")
            return message

        async def send_with_cookies(message):
            if message["type"] == "http.response.start":
                state = scope.get("state", {})
                extra = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                         (b"referrer-policy", b"same-origin")]
                if state.get("renew_cookie"):
                    extra.append((b"set-cookie", _cookie("ov_session", state["renew_cookie"], scope)))
                if state.get("new_pre"):
                    extra.append((b"set-cookie", _cookie(PRE_COOKIE, state["new_pre"], scope)))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, counted_receive, send_with_cookies)


def _cookie(name: str, value: str, scope) -> bytes:
    secure = "; Secure" if scope.get("scheme") == "https" else ""
    return f"{name}={value}; HttpOnly; Path=/; SameSite=Strict{secure}".encode()


async def _too_large(scope, send, limit: int) -> None:
    api = scope["path"].startswith("/api/")
    body = (json.dumps({"error": {"code": "too_large", "message": f"request body over {limit} bytes"}}).encode()
            if api else f"request body over {limit} bytes".encode())
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json" if api else b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
