"""One typed input model per human action: the CLI builds them from its options, the API receives them as
JSON bodies, and both hand the same model to the same use case."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from schemas.case import ApplicationIn

SubmitIn = ApplicationIn  # an application for a bundle, as filed at the window or online (schemas.case)

_Code = Field(min_length=1, max_length=64)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SupplementIn(_In):
    """Materials the applicant supplied: completes a correction (补正) or resumes a review (补齐补正)."""

    materials: list[str] = Field(max_length=100)  # none named: the use case says so


class DecisionIn(_In):
    """A reviewer's decision on a task; deny needs a reason, supplement the materials asked for."""

    action: Literal["approve", "deny", "supplement", "special-start", "special-end"]
    reason: str | None = Field(default=None, max_length=2000)
    materials: list[str] = Field(default=[], max_length=100)


class AgencyDecisionIn(DecisionIn):
    """A decision posted by an agency's own review system (its callback), naming the task."""

    task_id: int = Field(gt=0, lt=2**31)


class KeyProjectIn(_In):
    """The green channel (重点项目) and its responsible leader."""

    leader: str = Field(max_length=100)  # blank: the use case says so


class VerifyIn(_In):
    """The check of a 告知承诺: failed revokes that certificate and writes a credit record."""

    matter: str = _Code
    passed: bool
    reason: str | None = Field(default=None, max_length=2000)


class AgentIn(_In):
    """An agent (代办员) registered by an administrator."""

    id: str = Field(max_length=64)  # its form: the use case checks it
    name: str = Field(max_length=100)
    phone: str | None = Field(default=None, max_length=32)


class MandateIn(_In):
    """A mandate (委托书) from an applicant to an agent."""

    agent: str = _Code
    applicant: str = Field(min_length=1, max_length=32)  # the applicant's USCC
    scopes: list[Literal["submit", "supplement", "sign_commitment", "receive_results"]] = Field(min_length=1)
    # named as a mandate is shown (`valid_until`); `until`, the CLI's word, is taken too
    valid_until: date = Field(validation_alias=AliasChoices("valid_until", "until"))


class RevokeIn(_In):
    """Why a mandate is revoked."""

    reason: str = Field(min_length=1, max_length=2000)


class RatingIn(_In):
    """好差评: what the applicant says (at the window, or through the online link): the case's level, levels
    for some matters or agencies by code, indicators by their Chinese names, a comment, a phone number."""

    level: int
    matters: dict[str, int] = {}
    agencies: dict[str, int] = {}
    indicators: dict[str, int] = {}
    comment: str | None = Field(default=None, max_length=2000)
    phone: str | None = Field(default=None, max_length=32)
