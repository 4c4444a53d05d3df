"""Supervision: the ledger, applicants' credit records, and the audit of every case's timeline chain."""

from __future__ import annotations

from approvals.errors import BadInput
from approvals.identifiers import uscc_problem
from schemas.views import (
    CreditRow,
    LedgerRow,
)
from services.queries.connection import Reader, day, utc


def credit_records(read: Reader, uscc: str) -> list[CreditRow]:
    uscc = uscc.strip().upper()
    problem = uscc_problem(uscc)
    if problem:
        raise BadInput(f"{uscc!r} is not a valid unified social credit code: {problem}")
    rows = read.rows(
        "SELECT r.*, c.case_no FROM credit_record r JOIN case_file c ON c.id = r.case_id "
        "WHERE r.uscc = %(u)s ORDER BY r.id", u=uscc.strip().upper(),
    )
    return [
        CreditRow(id=r["id"], uscc=r["uscc"], case_no=r["case_no"], kind=r["kind"], reason=r["reason"],
                  created_at=utc(r["created_at"]), status=r["status"], repaired_at=utc(r["repaired_at"]),
                  repaired_by=r["repaired_by"], repair_reason=r["repair_reason"])
        for r in rows
    ]

def ledger(read: Reader, *, open_only: bool, agency: str | None = None, leader: str | None = None) -> list[LedgerRow]:
    """The ledger, or one agency's or one leader's part of it (a hand-entered item names its leader)."""
    where = [w for w, given in (("l.status != 'closed'", open_only), ("l.agency = %(agency)s", agency),
                                ("l.leader = %(leader)s", leader)) if given]
    rows = read.rows(
        "SELECT l.*, c.case_no, t.matter FROM ledger_item l LEFT JOIN case_file c ON c.id = l.case_id "
        "LEFT JOIN review_task t ON t.id = l.task_id" + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY l.id", agency=agency, leader=leader,
    )
    return [
        LedgerRow(id=r["id"], kind=r["kind"], case_no=r["case_no"], task_id=r["task_id"], matter=r["matter"],
                  title=r["title"], agency=r["agency"], missed_due=day(r["missed_due"]), light=r["light"],
                  leader=r["leader"], rectification_id=r["rectification_id"], status=r["status"],
                  assigned_to=r["assigned_to"],
                  opened_at=utc(r["opened_at"]), escalated_to=r["escalated_to"], escalated_at=utc(r["escalated_at"]),
                  closed_at=utc(r["closed_at"]), closed_by=r["closed_by"], closing_note=r["closing_note"])
        for r in rows
    ]


def audit(read: Reader, against: dict | None = None) -> dict:
    """Every chain (keyed), every recorded state against the rows, the case numbers, and a checkpoint's heads
    (services.audit.verify); `first_broken` is the first problem, `problems` all of them (up to 50)."""
    from services.audit import audit_key, verify

    report = verify(read, audit_key(), against=against)
    first = report["problems"][0] if report["problems"] else None
    return {**report, "first_broken": first and {"case_no": first["row"].removeprefix("case "),
                                                 "event_id": first["event_id"],
                                                 "seq": None, "problem": first["problem"]}}
