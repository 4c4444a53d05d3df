"""The catalog file (YAML) as loaded, and the table that keeps every loaded version."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field as PydField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from approvals.catalog import Agency, Bundle, BundleMatter, Catalog, Material, Matter, build_catalog
from schemas.types import UTCDateTime

CODE = r"^[A-Z][A-Z0-9_]*$"


class _In(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)  # more keys are welcome


class AgencyIn(_In):
    code: str = PydField(pattern=CODE)
    name: str = PydField(min_length=1)
    endpoint: str | None = PydField(default=None, pattern=r"^https?://[^\s/]+(/\S*)?$")  # its own review system


class MaterialIn(_In):
    code: str = PydField(pattern=CODE)
    name: str = PydField(min_length=1)
    core: bool = True
    shared_from: str | None = PydField(default=None, pattern=r"^[a-z][a-z0-9_]*$")  # a data-sharing service


class MatterIn(_In):
    code: str = PydField(pattern=CODE)
    name: str = PydField(min_length=1)
    agency: str
    promised_days: int = PydField(ge=1)
    statutory_days: int = PydField(ge=1)
    depends_on: list[str] = []
    notification_commitment: bool = False
    materials: list[MaterialIn] = []
    promise_days: int | None = PydField(default=None, ge=1)
    grace_days: int = PydField(default=15, ge=1)
    verify_days: int = PydField(default=30, ge=1)


class BundleMatterIn(_In):
    matter: str
    optional: bool = False


class BundleIn(_In):
    code: str = PydField(pattern=CODE)
    name: str = PydField(min_length=1)
    promised_days: int = PydField(ge=1)
    matters: list[BundleMatterIn]
    max_promised_materials: int = PydField(default=3, ge=0)


class CatalogFile(_In):
    agencies: list[AgencyIn]
    matters: list[MatterIn]
    bundles: list[BundleIn]

    def to_domain(self) -> Catalog:
        """Check the cross-references (approvals.catalog) and build the domain catalog."""
        return build_catalog(
            [Agency(a.code, a.name, a.endpoint) for a in self.agencies],
            [
                Matter(
                    code=m.code,
                    name=m.name,
                    agency=m.agency,
                    promised_days=m.promised_days,
                    statutory_days=m.statutory_days,
                    depends_on=tuple(m.depends_on),
                    notification_commitment=m.notification_commitment,
                    materials=tuple(Material(x.code, x.name, x.core, x.shared_from) for x in m.materials),
                    promise_days=m.promise_days,
                    grace_days=m.grace_days,
                    verify_days=m.verify_days,
                )
                for m in self.matters
            ],
            [
                Bundle(
                    code=b.code,
                    name=b.name,
                    promised_days=b.promised_days,
                    matters=tuple(BundleMatter(x.matter, x.optional) for x in b.matters),
                    max_promised_materials=b.max_promised_materials,
                )
                for b in self.bundles
            ],
        )


class CatalogVersion(SQLModel, table=True):
    """Every catalog ever loaded; the newest is in force. Cases keep the version they were accepted under."""

    __tablename__ = "catalog_version"

    id: int | None = Field(default=None, primary_key=True)
    loaded_at: datetime = Field(sa_type=UTCDateTime)
    loaded_by: str
    source: str
    digest: str = Field(max_length=64)
    document: dict = Field(sa_type=JSON)
