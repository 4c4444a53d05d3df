"""Key projects (重点项目) as projects: one enterprise's investment, its cases and its responsible leader (“五个一”)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from schemas.types import UTCDateTime


class KeyProject(SQLModel, table=True):
    """One leader, one team, one plan: the leader is an operator with the leader role."""

    __tablename__ = "key_project"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str
    uscc: str = Field(max_length=18)  # the investing enterprise
    leader: str = Field(max_length=64, foreign_key="operator.id", index=True)
    team: str = ""
    plan: str = ""
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str


class KeyProjectCase(SQLModel, table=True):
    """A case of the project, at one stage of the investment (land, planning, construction, completion)."""

    __tablename__ = "key_project_case"

    case_id: int = Field(primary_key=True, foreign_key="case_file.id")  # a case belongs to one project at most
    project_id: int = Field(foreign_key="key_project.id", index=True)
    stage: str
    added_at: datetime = Field(sa_type=UTCDateTime)
