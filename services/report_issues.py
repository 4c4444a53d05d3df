"""Scheduled reports issued once per period: the record of what was written, keyed on (kind, period, scope)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from approvals.reports import ReportKind
from schemas.report import ReportIssue
from services.records import insert_ignore


def issued(session: Session, kind: ReportKind, period_start: date, scope: str = "") -> ReportIssue | None:
    return session.exec(select(ReportIssue).where(ReportIssue.kind == kind, ReportIssue.period_start == period_start,
                                                  ReportIssue.scope == scope)).first()


def record_issue(session: Session, *, kind: ReportKind, period_start: date, period_end: date, scope: str, digest: str,
                 files: list[str], flow_run_id: str | None, now: datetime) -> bool:
    """True when this call issued the period's report; False when another run had (nothing is written then)."""
    table = ReportIssue.__table__
    inserted = session.execute(
        insert_ignore(session, table, ["kind", "period_start", "scope"]).returning(table.c.id),
        [{"kind": kind, "period_start": period_start, "period_end": period_end, "scope": scope, "digest": digest,
          "files": files, "flow_run_id": flow_run_id, "issued_at": now}],
    ).all()
    return bool(inserted)
