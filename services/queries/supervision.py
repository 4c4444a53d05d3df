"""Supervision: the ledger, applicants' credit records, and the audit of every case's timeline chain."""

from __future__ import annotations

from approvals.audit import Link, check_chain
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


def audit(read: Reader) -> dict:
    """Walk every case's timeline chain in one pass; report the first broken link (approvals.audit)."""
    heads = {r["case_id"]: (r["seq"], r["hash"]) for r in read.rows("SELECT case_id, seq, hash FROM event_chain")}
    numbers = {r["id"]: r["case_no"] for r in read.rows("SELECT id, case_no FROM case_file")}
    events, first = 0, None
    rows = read.rows("SELECT * FROM case_event ORDER BY case_id, seq, id")
    by_case: dict[int, list[Link]] = {case_id: [] for case_id in numbers}
    for r in rows:
        events += 1
        if r["case_id"] not in numbers:
            first = first or {"case_no": None, "event_id": r["id"], "seq": r["seq"],
                              "problem": f"event {r['id']} belongs to no case"}
            continue
        by_case[r["case_id"]].append(Link(r["id"], r["case_id"], r["seq"], utc(r["at"]), r["kind"], r["actor"],
                                          r["detail"], r["flow_run_id"], r["prev_hash"], r["hash"]))
    for case_id in sorted(by_case):
        broken = check_chain(case_id, by_case[case_id], *heads.get(case_id, (0, None)))
        if broken is not None:
            found = {"case_no": numbers[case_id], "event_id": broken.event_id, "seq": broken.seq,
                     "problem": broken.problem}
            first = first if first is not None and first["case_no"] is None else found
            break
    return {"ok": first is None, "cases": len(numbers), "events": events, "first_broken": first}
