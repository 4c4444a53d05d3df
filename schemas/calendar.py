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
