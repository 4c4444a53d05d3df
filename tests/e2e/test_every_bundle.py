"""Every bundle of the built-in catalog, end to end: filed complete, every matter approved, issued.

Generated from the catalog itself, so a bundle added to it is driven here too. The use cases run
in-process (one transaction per submission and per decision, as the CLI runs them), on SQLite and
PostgreSQL, each bundle in dependency order: a task released by its prerequisite is approved next.
"""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from approvals.deadlines import Clock
from approvals.review import Action
from schemas.case import ApplicationIn, Case
from schemas.certificate import Certificate
from schemas.review import ReviewTask
from services import cases
from services.catalog import builtin_catalog_text, parse_catalog_text
from services.db import UnitOfWork
from services.settings import get_settings
from services.workdays import calendar_for
from tests.conftest import new_resident_id, new_uscc

_, CATALOG = parse_catalog_text(builtin_catalog_text())


def test_the_builtin_catalog_is_a_county_hall_s():
    assert len(CATALOG.bundles) >= 20 and len(CATALOG.matters) >= 80
    for code in ("RESTAURANT", "COMPANY_START", "INDUSTRIAL_PROJECT", "PHARMACY", "HOTEL"):  # kept as they were
        assert code in CATALOG.bundles
    used = {entry.matter for bundle in CATALOG.bundles.values() for entry in bundle.matters}
    assert used == set(CATALOG.matters), "every matter is in some bundle"


@pytest.mark.parametrize("code", sorted(CATALOG.bundles))
def test_a_bundle_s_promise_covers_its_longest_chain_of_promised_limits(code):
    bundle = CATALOG.bundles[code]
    longest: dict[str, int] = {}
    for matter in (CATALOG.matters[c] for c in _in_dependency_order(bundle.matter_codes())):
        longest[matter.code] = matter.promised_days + max((longest[d] for d in matter.depends_on), default=0)
    assert max(longest.values()) <= bundle.promised_days


@pytest.mark.parametrize("code", sorted(CATALOG.bundles))
def test_every_builtin_bundle_is_filed_approved_and_issued(env, code):
    bundle = CATALOG.bundles[code]
    application = ApplicationIn.model_validate({
        "request_id": f"every-bundle-{uuid.uuid4().hex}", "bundle": code, "channel": "window",
        "applicant": {"name": f"全量测试企业{uuid.uuid4().hex[:6]}", "uscc": new_uscc(),
                      "legal_representative": {"name": "张三", "id_number": new_resident_id()}},
        "materials": CATALOG.materials_of(bundle.matter_codes()),
    })
    filed = _in_transaction(env.url, lambda s, clock: cases.submit(s, application, actor="window-1", clock=clock))
    assert filed.status == "in_review" and filed.missing == []

    decided = 0
    for _ in range(len(bundle.matters)):  # each round approves what is open; prerequisites release the next
        pending = _pending(env.url, filed.case_no)
        if not pending:
            break
        for task_id, agency in pending:
            _in_transaction(env.url, lambda s, clock, t=task_id, a=agency: cases.decide(
                s, t, Action.APPROVE, operator=f"{a}-reviewer", reason=None, materials=(), clock=clock))
            decided += 1
    assert decided == len(bundle.matters)

    with UnitOfWork(env.url, write=False) as uow:
        case = uow.session.exec(select(Case).where(Case.case_no == filed.case_no)).one()
        tasks = uow.session.exec(select(ReviewTask).where(ReviewTask.case_id == case.id)).all()
        certificates = uow.session.exec(select(Certificate).where(Certificate.case_id == case.id)).all()
    assert case.status == "issued"
    assert sorted(t.matter for t in tasks) == sorted(bundle.matter_codes())
    assert {t.status for t in tasks} == {"approved"}
    assert {t.agency for t in tasks} == {CATALOG.matters[m].agency for m in bundle.matter_codes()}
    assert sorted(c.matter for c in certificates) == sorted(bundle.matter_codes())


def _in_transaction(url: str, work):
    with UnitOfWork(url) as uow:
        result = work(uow.session, Clock(get_settings().current_time(), calendar_for(uow.session)))
        uow.commit()
    return result


def _pending(url: str, case_no: str) -> list[tuple[int, str]]:
    with UnitOfWork(url, write=False) as uow:
        case_id = uow.session.exec(select(Case.id).where(Case.case_no == case_no)).one()
        return list(uow.session.exec(select(ReviewTask.id, ReviewTask.agency).where(
            ReviewTask.case_id == case_id, ReviewTask.status == "pending").order_by(ReviewTask.id)))


def _in_dependency_order(codes: tuple[str, ...]) -> list[str]:
    from approvals.catalog import dependency_order

    return dependency_order({c: CATALOG.matters[c].depends_on for c in codes})
