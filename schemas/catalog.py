"""The catalog file (YAML) as loaded, and the table that keeps every loaded version."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field as PydField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from approvals.catalog import (
    REFORM_MODES,
    Agency,
    Bundle,
    BundleMatter,
    Catalog,
    Material,
    Matter,
    build_catalog,
    catalog_of,
)
from approvals.permissions import Role
from approvals.signoff import Step
from schemas.types import UTCDateTime

CODE = r"^[A-Z0-9][A-Z0-9_]*$"  # a province's numeric 事项编码 too


class _In(BaseModel):
    # More keys are welcome; a number where text is expected is its digits (a province's numeric 事项编码).
    model_config = ConfigDict(extra="allow", frozen=True, coerce_numbers_to_str=True)


class AgencyIn(_In):
    code: str = PydField(pattern=CODE)
    name: str = PydField(min_length=1)
    endpoint: str | None = PydField(default=None, pattern=r"^https?://[^\s/]+(/\S*)?$")  # its own review system


class MaterialIn(_In):
    code: str = PydField(pattern=CODE)
    name: str = PydField(min_length=1)
    core: bool = True
    shared_from: str | None = PydField(default=None, pattern=r"^[a-z][a-z0-9_]*$")  # a data-sharing service


class StepIn(_In):
    name: str = PydField(min_length=1)  # 初审, 审核, 签发
    role: Role = Role.REVIEWER  # who signs it: reviewer or head (of the matter's agency)


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
    fee_yuan: Decimal = PydField(default=Decimal(0), ge=0, decimal_places=2)  # 0: free
    reform_mode: Literal[tuple(REFORM_MODES)] | None = None  # 证照分离 mode  # type: ignore[valid-type]
    promisable: list[str] = []  # 告知承诺: materials a signed promise stands in for
    on_the_spot: bool = False  # 当场办结: approved at the window on acceptance
    steps: list[StepIn] = []  # sign-off chain, in order; none: one reviewer decides


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



def catalog_from_document(document: dict, *, checked: bool = False) -> Catalog:
    """The domain catalog from a document validated by CatalogFile (its `model_dump`, as stored).

    `checked`: a stored version, checked whole when it was loaded: built as it is, without pydantic
    or the cross-reference checks, so that reading the catalog in force costs a `submit` or a
    `decide` little even with 10,000 materials. A key a stored document lacks (it predates the key)
    takes the domain's default. Equal material entries become one object (a shared list of 80
    materials in 800 matters is 80 objects).
    """
    materials: dict[tuple, Material] = {}

    def material(entry: dict) -> Material:
        key = (entry["code"], entry["name"], entry.get("core", True), entry.get("shared_from"))
        found = materials.get(key)
        if found is None:
            found = materials[key] = Material(*key)
        return found

    return (catalog_of if checked else build_catalog)(
        [Agency(a["code"], a["name"], a.get("endpoint")) for a in document["agencies"]],
        [
            Matter(
                code=m["code"],
                name=m["name"],
                agency=m["agency"],
                promised_days=m["promised_days"],
                statutory_days=m["statutory_days"],
                depends_on=tuple(m.get("depends_on", ())),
                notification_commitment=m.get("notification_commitment", False),
                materials=tuple(material(x) for x in m.get("materials", ())),
                fee_yuan=Decimal(m.get("fee_yuan", 0)),
                reform_mode=m.get("reform_mode"),
                **_present(m, "promise_days", "grace_days", "verify_days"),
                promisable=tuple(m.get("promisable", ())),
                on_the_spot=m.get("on_the_spot", False),
                steps=tuple(Step(x["name"], Role(x.get("role", Role.REVIEWER.value))) for x in m.get("steps", ())),
            )
            for m in document["matters"]
        ],
        [
            Bundle(
                code=b["code"],
                name=b["name"],
                promised_days=b["promised_days"],
                matters=tuple(BundleMatter(x["matter"], x.get("optional", False)) for x in b["matters"]),
                **_present(b, "max_promised_materials"),
            )
            for b in document["bundles"]
        ],
    )


def _present(entry: dict, *keys: str) -> dict:
    return {key: entry[key] for key in keys if key in entry}


class CatalogVersion(SQLModel, table=True):
    """Every catalog ever loaded; the newest is in force. Cases keep the version they were accepted under."""

    __tablename__ = "catalog_version"

    id: int | None = Field(default=None, primary_key=True)
    loaded_at: datetime = Field(sa_type=UTCDateTime)
    loaded_by: str
    source: str
    digest: str = Field(max_length=64)
    document: dict = Field(sa_type=JSON)
