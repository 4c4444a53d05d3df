"""The audit over the whole state: case numbers handed out per day, and the system chain of everything of
consequence that is not a case's (operators, roles, mandates, calendar overrides, credit records, catalogs)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from schemas.types import UTCDateTime


class CaseNumberDay(SQLModel, table=True):
    """The last case number handed out on a day: numbers run 1, 2, 3... with no gap on either database
    (the row is taken in the submitting transaction, so a rolled-back submission gives its number back)."""

    __tablename__ = "case_number_day"

    day: date = Field(primary_key=True)
    last: int = 0


class AuditEvent(SQLModel, table=True):
    """One change of consequence outside any case, hash-chained (keyed) after the one before it."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str  # added, changed
    actor: str
    subject: str = Field(index=True, max_length=200)  # `operator:admin`, `mandate:3`, `calendar_override:2026-10-08`
    state: str  # the subject's row as it was left (JSON), or "null" when it was removed
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The system chain's head: locked by every writer, so two writers never fork the chain."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)
