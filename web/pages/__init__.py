"""The service hall's pages (服务大厅): server-rendered, Chinese first; `include_pages(app)` mounts them."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent.parent / "static"


def include_pages(app: FastAPI) -> None:
    from web.pages import admin, agents, cases, home, rate, review, signin, supervision, window
    from web.pages.common import PageError, SignInNeeded

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (signin, rate, home, window, cases, review, agents, supervision, admin):
        app.include_router(module.router)
    app.add_exception_handler(PageError, home.page_error)
    app.add_exception_handler(SignInNeeded, home.sign_in_needed)
