"""What the flows work from and leave behind: the outbox, notifications, and flow-run records.

A use case writes an outbox row in the same transaction as the change that calls for it; a flow
claims rows in batches and carries them out. Keys are unique, so nothing is queued or done twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from schemas.types import UTCDateTime


class OutboxItem(SQLModel, table=True):
    __tablename__ = "outbox_item"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # e.g. "dispatch:task:12"
    kind: str = Field(index=True)  # dispatch_review | deliver_results | notify
    case_id: int = Field(foreign_key="case_file.id", index=True)
    task_id: int | None = Field(default=None, foreign_key="review_task.id")
    payload: dict = Field(sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = None
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    attempts: int = 0
    last_error: str | None = None
    incident_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # retries spent: parked until reopen


class Notification(SQLModel, table=True):
    """A message to the applicant (or agent), kept as sent."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    recipient: str
    kind: str
    message: str
    sent_at: datetime = Field(sa_type=UTCDateTime)
    flow_run_id: str | None = None
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the gateway took it (None: no gateway)


class FlowRunRecord(SQLModel, table=True):
    """A Prefect flow run that acted on cases, as the run itself reported it."""

    __tablename__ = "flow_run"

    id: str = Field(primary_key=True, max_length=64)  # Prefect's flow run id
    flow_name: str
    name: str
    state: str  # RUNNING, COMPLETED, FAILED; a run killed mid-way stays RUNNING
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message: str | None = None


class FlowRunCase(SQLModel, table=True):
    __tablename__ = "flow_run_case"

    flow_run_id: str = Field(foreign_key="flow_run.id", primary_key=True, max_length=64)
    case_id: int = Field(foreign_key="case_file.id", primary_key=True, index=True)
