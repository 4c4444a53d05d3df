"""The supervision ledger (交办, 督查, 销号): one item per overdue review task, late verification or late
rectification of a bad rating, and items supervisors enter by hand (问题清单, 责任清单, 任务清单)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

import schemas.rating  # noqa: F401  (the `rectification` table its foreign key names, known wherever this one is)
from approvals.deadlines import Light
from schemas.types import RuleEnum, UTCDateTime


class LedgerItem(SQLModel, table=True):
    __tablename__ = "ledger_item"
    __table_args__ = (
        UniqueConstraint("task_id", "missed_due"),  # one item per missed deadline, however often swept
        UniqueConstraint("rectification_id", "missed_due"),
        Index("ix_ledger_item_status_opened", "status", "opened_on"),
        Index("ix_ledger_item_light_due", "light", "missed_due"),  # hand-entered items' lights, swept by due date
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int | None = Field(default=None, foreign_key="review_task.id", index=True)  # None: a rectification, by hand
    rectification_id: int | None = Field(default=None, foreign_key="rectification.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case_file.id", index=True)  # None: entered by hand, no case
    agency: str
    kind: str = "review"  # review: a task past its due date; verification: a 告知承诺 not verified in time;
    # rectification: a bad rating not called back or not fixed in time (好差评);
    # problem | duty | task: entered by a supervisor (问题清单, 责任清单, 任务清单)
    missed_due: date  # the due date: missed already for automatic items, ahead for hand-entered ones
    title: str | None = None  # a hand-entered item's text
    leader: str | None = None  # the leader who follows a hand-entered item (包联领导)
    light: Light | None = Field(default=None, sa_type=RuleEnum(Light))  # a hand-entered item's light by its due date, as last swept
    created_by: str | None = None  # the supervisor who entered it
    status: str  # assigned (交办) | supervised (督查) | closed (销号)
    assigned_to: str
    opened_at: datetime = Field(sa_type=UTCDateTime)
    opened_on: date
    escalated_to: str | None = None
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = None
    closing_note: str | None = None
