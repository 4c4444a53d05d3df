"""Promises the applicant signed (承诺书), and the credit records a broken or false one leaves."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from approvals.commitments import CommitmentKind, CommitmentStatus
from schemas.types import RuleEnum, UTCDateTime


class Commitment(SQLModel, table=True):
    __tablename__ = "commitment"
    __table_args__ = (Index("ix_commitment_kind_status_due", "kind", "status", "due_date"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    kind: CommitmentKind = Field(sa_type=RuleEnum(CommitmentKind))  # deficiency | notification
    materials: list[str] = Field(sa_type=JSON)  # deficiency: what was promised
    matter: str | None = None  # notification: the matter decided on the promise
    status: CommitmentStatus = Field(sa_type=RuleEnum(CommitmentStatus))  # open | fulfilled | broken | verified | failed | void
    signed_at: datetime = Field(sa_type=UTCDateTime)
    due_date: date | None = None  # deficiency: supply by; notification: verify by (set at issuance)
    grace_days: int = 15
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = None
    note: str | None = None


class CreditRecord(SQLModel, table=True):
    """A broken 容缺 promise or a failed 告知承诺, against the applicant's USCC, until repaired."""

    __tablename__ = "credit_record"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, index=True)
    commitment_id: int = Field(foreign_key="commitment.id", unique=True)  # one record per broken promise
    case_id: int = Field(foreign_key="case_file.id")
    kind: str  # broken_promise | false_commitment
    reason: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    status: str = "open"  # open | repaired
    repaired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    repaired_by: str | None = None
    repair_reason: str | None = None
