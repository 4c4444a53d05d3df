"""The case (办件): the application as submitted, its state, and its append-only timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field as PydField, field_validator
from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from approvals.deadlines import Light
from approvals.review import CaseStatus
from schemas.types import Line, Name, RuleEnum, UTCDateTime


class LegalRepresentativeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name = PydField(min_length=1, max_length=100)
    id_number: str = PydField(min_length=1, max_length=32)
    phone: str | None = PydField(default=None, pattern=r"^\+?[0-9][0-9 -]{5,18}[0-9]$")

    @field_validator("id_number")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return value.strip().upper()  # a trailing x is the same check character as X


class ApplicantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name = PydField(min_length=1, max_length=200)
    uscc: str = PydField(min_length=1, max_length=32)

    @field_validator("uscc")
    @classmethod
    def _normalise(cls, value: str) -> str:
        return value.strip().upper()
    legal_representative: LegalRepresentativeIn


class DeliveryIn(BaseModel):
    """How the results leave (出件): picked up at the window, posted, or sent electronically."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["pickup", "post", "electronic"] = "pickup"
    address: Line | None = PydField(default=None, min_length=1, max_length=300)  # post: where to; electronic: e-mail


class ApplicationIn(BaseModel):
    """One application for one bundle, or for one matter alone (事项单办), as filed at the window (JSON file)."""

    model_config = ConfigDict(extra="forbid")
    request_id: Line | None = PydField(default=None, min_length=1, max_length=128)
    bundle: Line | None = None
    matter: Line | None = None  # 事项单办: one matter without a bundle (instead of `bundle`)
    channel: Literal["window", "online", "proxy"] = "window"
    applicant: ApplicantIn
    materials: list[str] = []
    optional_matters: list[str] | None = None  # None: every optional matter of the bundle
    deficiency_promise: list[str] = []  # 容缺: secondary materials the applicant promises to supply
    commitment_matters: list[str] = []  # 告知承诺: matters to decide on the applicant's written promise
    agent: str | None = PydField(default=None, min_length=1, max_length=64)  # channel "proxy": who files it
    key_project: bool = False  # 重点项目: green channel (window clerks and administrators)
    leader: Name | None = PydField(default=None, min_length=1, max_length=100)  # a key project's responsible leader
    delivery: DeliveryIn = DeliveryIn()  # 出件: pick-up at the window unless said otherwise


class Case(SQLModel, table=True):
    __tablename__ = "case_file"  # "case" is a reserved word in SQL
    __table_args__ = (Index("ix_case_file_light_due", "light", "due_date"),)

    id: int | None = Field(default=None, primary_key=True)
    case_no: str = Field(max_length=32, unique=True, index=True)
    request_id: str | None = Field(default=None, max_length=128, unique=True)
    request_digest: str = Field(max_length=64)
    catalog_version: int
    bundle: str = Field(index=True)
    channel: str
    applicant_name: str
    uscc: str = Field(index=True, max_length=18)
    legal_rep_name: str
    legal_rep_id_number: str = Field(max_length=18)
    legal_rep_phone: str | None = Field(default=None, max_length=32)
    agent: str | None = Field(default=None, index=True)  # 代办员 filing and following the case
    key_project: bool = False
    leader: str | None = None  # a key project's responsible leader (包联领导)
    status: CaseStatus = Field(sa_type=RuleEnum(CaseStatus), index=True)
    promised_days: int
    matters: list[str] = Field(sa_type=JSON)
    commitment_matters: list[str] = Field(default_factory=list, sa_type=JSON)  # 告知承诺 asked for
    required_materials: list[str] = Field(sa_type=JSON)
    provided_materials: list[str] = Field(sa_type=JSON)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_date: date | None = None
    due_note: str | None = None
    light: Light | None = Field(default=None, sa_type=RuleEnum(Light))  # as last swept; None unless in review with a running clock
    suspended_days: int = 0  # working days during which some task waited (closed stops)
    stops_open: int = 0  # tasks whose clock is stopped now; the case clock stops with the first
    stopped_on: date | None = None
    suspended_from: CaseStatus | None = Field(default=None, sa_type=RuleEnum(CaseStatus))  # the status a suspension (broken 容缺 promise) interrupted
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_acted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # by a person or agency
    single_matter: bool = False  # 事项单办: `bundle` holds the one matter's code
    end_reason: str | None = None  # 不予受理 or 撤回: why the case ended without a decision
    delivery_mode: str = Field(default="pickup", max_length=16)  # 出件: pickup | post | electronic
    delivery_address: str | None = Field(default=None, max_length=300)
    visits: int = 0  # times the applicant (or its agent) came to the hall for this case
    collected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # results picked up at the window
    updated_at: datetime = Field(sa_type=UTCDateTime)


class CaseEvent(SQLModel, table=True):
    """One line of a case's timeline; rows are only ever added."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str
    actor: str
    detail: str = ""
    flow_run_id: str | None = None
    seq: int | None = None  # position in the case's hash chain (approvals.audit)
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)
    state: str | None = None  # the last event of a transaction: the case as it left it (JSON; services.audit)


class SubmitResult(BaseModel):
    case_no: str
    status: CaseStatus
    missing: list[str]
    created: bool
    notes: list[str] = []  # e.g. why a deadline cannot be computed
    shared: list[str] = []  # materials queued to be fetched from data-sharing services (数据共享)
