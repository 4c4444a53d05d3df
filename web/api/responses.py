"""What every API router answers with: JSON as the CLI's `--json` prints it, and pages of listings."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from approvals.text import shown
from schemas.views import plain


def out(request: Request, data: Any, status: int = 200, *, unmasked: bool = False) -> JSONResponse:
    """JSON as the CLI's `--json` prints it: times in the jurisdiction's zone, dates YYYY-MM-DD, every string
    printable and its identifiers masked unless an administrator asked `unmasked` (approvals.text.shown)."""
    return JSONResponse(shown(plain(data, request.app.state.settings.tz), unmasked=unmasked), status_code=status)


def page(request: Request, rows: list, limit: int, offset: int) -> JSONResponse:
    """A page of a listing: `{"items", "total", "limit", "offset"}`."""
    return out(request, {"items": rows[offset:offset + limit], "total": len(rows), "limit": limit, "offset": offset})
