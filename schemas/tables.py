"""Every table, imported once so that SQLModel.metadata knows them all (Alembic, tests)."""

from schemas.case import Case, CaseEvent
from schemas.catalog import CatalogVersion
from schemas.certificate import Certificate
from schemas.orchestration import FlowRunCase, FlowRunRecord, Notification, OutboxItem
from schemas.review import ReviewTask

__all__ = [
    "Case",
    "CaseEvent",
    "CatalogVersion",
    "Certificate",
    "FlowRunCase",
    "FlowRunRecord",
    "Notification",
    "OutboxItem",
    "ReviewTask",
]
