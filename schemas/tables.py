"""Every table, imported once so that SQLModel.metadata knows them all (Alembic, tests)."""

from schemas.access import ApiToken, SignInAttempt, WebSession
from schemas.audit import AuditEvent, AuditHead, CaseNumberDay
from schemas.calendar import CalendarOverride, CalendarOverrideChange
from schemas.case import Case, CaseEvent
from schemas.catalog import CatalogVersion
from schemas.certificate import Certificate
from schemas.clock import ClockStop
from schemas.commitment import Commitment, CreditRecord
from schemas.installation import Installation
from schemas.ledger import LedgerItem
from schemas.orchestration import FlowRunCase, FlowRunRecord, Notification, OutboxItem
from schemas.project import KeyProject, KeyProjectCase
from schemas.rating import Rating, RatingItem, Rectification
from schemas.report import ReportIssue
from schemas.review import Extension, ReviewTask, SignOff
from schemas.sharing import SharedMaterial
from schemas.staff import EventChain, Mandate, Operator

__all__ = [
    "AuditEvent",
    "AuditHead",
    "CaseNumberDay",
    "ApiToken",
    "SignInAttempt",
    "WebSession",
    "CalendarOverride",
    "CalendarOverrideChange",
    "ClockStop",
    "Commitment",
    "CreditRecord",
    "LedgerItem",
    "Case",
    "CaseEvent",
    "CatalogVersion",
    "Certificate",
    "FlowRunCase",
    "FlowRunRecord",
    "Installation",
    "Notification",
    "OutboxItem",
    "KeyProject",
    "KeyProjectCase",
    "Rating",
    "RatingItem",
    "Rectification",
    "ReportIssue",
    "ReviewTask",
    "Extension",
    "SignOff",
    "EventChain",
    "Mandate",
    "Operator",
    "SharedMaterial",
]
