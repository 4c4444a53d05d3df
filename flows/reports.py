"""Scheduled reports: the daily dispatch (天调度) at 08:30 and the weekly bulletin (周通报) on the week's first
working day, written under the reports folder and published as Prefect artifacts, once per period.

The schedules fire every morning; the flow itself knows the Chinese calendar and does nothing on a day
off (make-up workdays included), so a Monday holiday moves the bulletin to the next working day.
"""

from __future__ import annotations

import hashlib
from datetime import date

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run
from pydantic import BaseModel

from approvals.deadlines import Clock
from approvals.reports import ReportKind, last_complete, parse_kind, period_of, scheduled_today
from schemas.report import Report
from services import report_issues
from services.db import UnitOfWork
from services.reporting.files import as_json, render
from services.reporting.markdown import render as markdown
from services.settings import get_settings
from services.workdays import calendar_for

FLOW_NAME = "onevisit-report"
FORMATS = ("md", "json", "xlsx", "pdf")


class ReportInput(BaseModel):
    kind: str = "daily"  # daily | weekly | monthly
    day: date | None = None  # a day of the period; None: the period a report made today is about


class ReportOutcome(BaseModel):
    kind: ReportKind
    status: str  # issued | already_issued | not_a_working_day
    period_start: date | None = None
    period_end: date | None = None
    files: list[str] = []


@task(name="build-report")
def build(kind: ReportKind, day: date) -> Report:
    from services.queries.connection import reader
    from services.queries.reports import build_report

    settings = get_settings()
    with reader(settings.url) as read:
        return build_report(read, period_of(kind, day), settings.tz,
                            stalled_after_days=settings.stalled_after_days)


@task(name="write-report-files")
def write_files(report: Report) -> list[str]:
    """The report in every format under the reports folder, named by its period (rewriting gives the same file)."""
    folder = get_settings().reports_folder / report.kind
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in FORMATS:
        path = folder / f"{report.kind}-{report.period_start.isoformat()}.{fmt}"
        path.write_bytes(render(report, fmt))
        written.append(str(path))
    return written


@task(name="record-report-issue")
def record(report: Report, files: list[str], run_id: str) -> bool:
    settings = get_settings()
    with UnitOfWork(settings.url) as uow:
        fresh = report_issues.record_issue(
            uow.session, kind=report.kind, period_start=report.period_start, period_end=report.period_end, scope="",
            digest=hashlib.sha256(as_json(report).encode()).hexdigest(), files=files, flow_run_id=run_id,
            now=settings.current_time())
        uow.commit()
    return fresh


@task(name="publish-report-artifacts")
def publish(report: Report) -> None:
    """A markdown summary and the agencies' table, keyed by period: what an administrator reads in the UI."""
    key = f"{report.kind}-report-{report.period_start.isoformat()}"
    create_markdown_artifact(key=key, markdown=markdown(report), description=report.title)
    create_table_artifact(key=f"{key}-agencies", description=f"{report.title}：各部门", table=[
        {"部门": a.name, "收件": a.counts.received, "准予": a.counts.issued, "不予": a.counts.denied,
         "按时率": a.counts.on_time_rate, "红灯": a.open_by_light["red"], "黄灯": a.open_by_light["yellow"]}
        for a in report.agencies])
    create_table_artifact(key=f"{key}-ranking", description=f"{report.title}：排名", table=[
        {"名次": r.rank, "部门": r.name, "按时率": r.on_time_rate, "末位": r.last_place} for r in report.ranking])


@flow(name=FLOW_NAME)
def report_flow(request: ReportInput) -> ReportOutcome:
    """Idempotent per period: a period already issued is neither written nor published again."""
    settings = get_settings()
    kind = parse_kind(request.kind)
    day = request.day
    if day is None:
        with UnitOfWork(settings.url, write=False) as uow:
            clock = Clock(settings.current_time(), calendar_for(uow.session))
            if not scheduled_today(kind, clock.today, clock.calendar):
                return ReportOutcome(kind=kind, status="not_a_working_day")
            day = last_complete(kind, clock.today, clock.calendar)
    period = period_of(kind, day)
    with UnitOfWork(settings.url, write=False) as uow:
        done = report_issues.issued(uow.session, kind, period.start)
        if done is not None:
            return ReportOutcome(kind=kind, status="already_issued", period_start=period.start,
                                 period_end=period.end, files=done.files)
    report = build(kind, day)
    files = write_files(report)
    if record(report, files, str(flow_run.id)):
        publish(report)
        status = "issued"
    else:  # another run of the same period got there first: it published
        status = "already_issued"
    return ReportOutcome(kind=kind, status=status, period_start=period.start, period_end=period.end, files=files)


def report_deployments(**pool) -> list:
    """Daily at 08:30 and weekly (the flow picks the week's first working day), jurisdiction time."""
    from prefect.schedules import Cron

    tz = get_settings().timezone
    return [
        report_flow.to_deployment(name="report-daily", schedule=Cron("30 8 * * *", timezone=tz), tags=["onevisit"],
                                  parameters={"request": ReportInput(kind=ReportKind.DAILY).model_dump()}, **pool),
        report_flow.to_deployment(name="report-weekly", schedule=Cron("35 8 * * *", timezone=tz), tags=["onevisit"],
                                  parameters={"request": ReportInput(kind=ReportKind.WEEKLY).model_dump()}, **pool),
    ]
