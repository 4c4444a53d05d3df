"""Who acts: operators (window clerks, reviewers, supervisors, administrators, agents) and mandates."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from approvals.permissions import Role
from schemas.types import RuleEnum, UTCDateTime


class Operator(SQLModel, table=True):
    """A person who may act through onevisit; agents (代办员) are operators of role `agent`."""

    __tablename__ = "operator"

    id: str = Field(primary_key=True, max_length=64)
    role: Role = Field(sa_type=RuleEnum(Role), index=True)
    agency: str | None = None  # a reviewer's agency
    name: str = ""
    phone: str | None = Field(default=None, max_length=32)  # masked wherever it is shown
    enabled: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_by: str | None = None
    password_hash: str | None = Field(default=None, max_length=256)  # argon2id; None: cannot sign in
    failed_sign_ins: int = 0  # in a row; the fifth locks the account
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Mandate(SQLModel, table=True):
    """委托书: an applicant lets an agent act for it, for some acts, until a day."""

    __tablename__ = "mandate"

    id: int | None = Field(default=None, primary_key=True)
    agent: str = Field(foreign_key="operator.id", index=True)
    uscc: str = Field(index=True, max_length=18)
    scopes: list[str] = Field(sa_type=JSON)
    valid_until: date
    granted_at: datetime = Field(sa_type=UTCDateTime)
    granted_by: str
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = None
    revoke_reason: str | None = None


class EventChain(SQLModel, table=True):
    """The head of a case's timeline hash chain: the last event's sequence number and hash."""

    __tablename__ = "event_chain"

    case_id: int = Field(primary_key=True, foreign_key="case_file.id")
    seq: int = 0
    hash: str = Field(max_length=64)
    at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the last event's time: none is recorded earlier
