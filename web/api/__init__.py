"""The JSON API under /api/v1: the same use cases and input models as the CLI, one router per noun."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from schemas.views import plain


def out(request: Request, data: Any, status: int = 200, *, unmasked: bool = False) -> JSONResponse:
    """JSON as the CLI's `--json` prints it: times in the jurisdiction's zone, dates YYYY-MM-DD, every string
    printable and its identifiers masked unless an administrator asked `unmasked` (commands.common.shown)."""
    from commands.common import shown

    return JSONResponse(shown(plain(data, request.app.state.settings.tz), unmasked=unmasked), status_code=status)


def page(request: Request, rows: list, limit: int, offset: int) -> JSONResponse:
    """A page of a listing: `{"items", "total", "limit", "offset"}`."""
    return out(request, {"items": rows[offset:offset + limit], "total": len(rows), "limit": limit, "offset": offset})


def _router() -> APIRouter:
    from web.api import cases, reference, staff, supervision, tasks
    from web.auth import api_router as session

    router = APIRouter()
    for module in (cases, tasks, staff, supervision, reference):
        router.include_router(module.router)
    router.include_router(session)
    return router


router = _router()
