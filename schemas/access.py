"""Access over the network: people's sign-in sessions and attempts, and systems' tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from schemas.types import UTCDateTime


class WebSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries its id, signed; signing out or disabling the operator ends it."""

    __tablename__ = "web_session"

    id: str = Field(primary_key=True, max_length=64)  # random, 32 bytes hex
    operator_id: str = Field(foreign_key="operator.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInAttempt(SQLModel, table=True):
    """Every sign-in tried, kept: who, when, from where, and whether it worked (or what locked it)."""

    __tablename__ = "sign_in_attempt"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    outcome: str = Field(max_length=16)  # ok, failed, locked (the fifth failure), refused (while locked), unknown
    remote: str | None = Field(default=None, max_length=64)


class ApiToken(SQLModel, table=True):
    """A system's token (the provincial platform, an agency's own review system): kept as its SHA-256 only."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    digest: str = Field(max_length=64, unique=True)  # SHA-256 of the token, which has 256 random bits
    scopes: list[str] = Field(sa_type=JSON)
    agency: str | None = None  # a token that decides is bound to one agency
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = None
