"""好差评: ratings of finished cases, their per-matter and per-agency levels, and rectification items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from approvals.deadlines import Light
from approvals.ratings import Channel, Level, RectificationStatus
from schemas.types import IntRuleEnum, RuleEnum, UTCDateTime


class Rating(SQLModel, table=True):
    """One rating of one case through one channel (一次一评, 一事一评). A voided rating keeps its row and
    leaves the statistics."""

    __tablename__ = "rating"
    __table_args__ = (UniqueConstraint("case_id", "channel"), Index("ix_rating_created_at", "created_at"))

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    channel: Channel = Field(sa_type=RuleEnum(Channel))  # window | online
    level: Level = Field(sa_type=IntRuleEnum(Level))  # 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意
    indicators: dict = Field(default_factory=dict, sa_type=JSON)  # indicator name (Chinese) -> level
    comment: str | None = None  # as written; shown masked
    rater_phone: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime)
    operator: str | None = Field(default=None, index=True)  # the window clerk it counts for; None: none
    token_digest: str | None = Field(default=None, max_length=64, unique=True)  # online: the token used
    voided: bool = False
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = None


class RatingItem(SQLModel, table=True):
    """A level for one matter (as given), or for one agency (given, or derived: the lowest of its matters'
    levels, else the rating's level). Every agency of the case has exactly one row with no matter."""

    __tablename__ = "rating_item"
    __table_args__ = (UniqueConstraint("rating_id", "agency", "matter"), Index("ix_rating_item_agency", "agency"))

    id: int | None = Field(default=None, primary_key=True)
    rating_id: int = Field(foreign_key="rating.id", index=True)
    matter: str | None = None  # None: the agency's level
    agency: str
    level: Level = Field(sa_type=IntRuleEnum(Level))
    given: bool = True  # False: derived for an agency the applicant did not rate by name


class Rectification(SQLModel, table=True):
    """回访 and 整改 of a bad rating for one agency (or the hall), on a working-day clock."""

    __tablename__ = "rectification"
    __table_args__ = (UniqueConstraint("rating_id", "agency"), Index("ix_rectification_status", "status"))

    id: int | None = Field(default=None, primary_key=True)
    rating_id: int = Field(foreign_key="rating.id", index=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    agency: str  # an agency code, or HALL
    operator: str | None = None  # who answers for it: the agency's deciding reviewer, or the window clerk
    status: RectificationStatus = Field(sa_type=RuleEnum(RectificationStatus))  # open | called_back | fixed | explained | voided
    opened_at: datetime = Field(sa_type=UTCDateTime)
    callback_due: date | None = None
    fix_due: date | None = None
    due_note: str | None = None  # why a due date is unknown
    light: Light | None = Field(default=None, sa_type=RuleEnum(Light))  # as last swept
    called_back_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    called_back_by: str | None = None
    callback_note: str | None = None
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = None
    closing_note: str | None = None
    appeal: str | None = None  # None | pending | upheld | voided (申诉复核)
    appeal_reason: str | None = None
    appealed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    appealed_by: str | None = None
    appeal_decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    appeal_decided_by: str | None = None
    appeal_note: str | None = None
