"""The JSON API under /api/v1: the same use cases and input models as the CLI, one router per noun."""

from __future__ import annotations

from fastapi import APIRouter

from web.api import cases, ratings, reference, staff, supervision, tasks
from web.auth import api_router as session

router = APIRouter()
for module in (cases, tasks, staff, supervision, reference, ratings):
    router.include_router(module.router)
router.include_router(session)
