"""Administrator overrides of the working-day calendar (调休 announced late, local holidays)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from schemas.types import UTCDateTime


class CalendarOverride(SQLModel, table=True):
    __tablename__ = "calendar_override"

    day: date = Field(primary_key=True)
    workday: bool
    reason: str
    set_by: str
    set_at: datetime = Field(sa_type=UTCDateTime)


class CalendarOverrideChange(SQLModel, table=True):
    """Every setting of a day, in order, kept: an override says what a day is now, its history what it was,
    who changed it and why (a later `calendar set` or import no longer erases the earlier reason)."""

    __tablename__ = "calendar_override_change"

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    workday: bool
    reason: str
    set_by: str
    set_at: datetime = Field(sa_type=UTCDateTime)
