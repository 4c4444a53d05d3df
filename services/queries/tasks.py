"""Work queues: an agency's open review tasks, key projects and the reddest first."""

from __future__ import annotations

from datetime import date

from approvals.calendar import WorkingCalendar
from approvals.errors import BadInput, NotFound
from approvals.review import OPEN_TASK, TaskStatus
from schemas.views import (
    TaskRow,
)
from services.queries.catalog import catalog_document
from services.queries.clocks import LIGHT_ORDER, clock_label, task_due
from services.queries.connection import Reader


def list_tasks(
    read: Reader, calendar: WorkingCalendar, today: date, *, agency: str | None, status: str | None
) -> list[TaskRow]:
    """An agency's queue: key projects first, then the reddest light, then the earliest due date."""
    if status is not None and status not in set(TaskStatus):
        raise BadInput(f"unknown task status {status!r} (one of: {', '.join(TaskStatus)})")
    if agency is not None:
        _, document = catalog_document(read)
        known = {a["code"] for a in document["agencies"]}
        if agency not in known:
            raise BadInput(f"unknown agency {agency!r} (known: {', '.join(sorted(known))})")
    statuses = [status] if status else sorted(s.value for s in OPEN_TASK)
    marks = ", ".join(f"%(s{i})s" for i in range(len(statuses)))
    sql = (
        "SELECT t.*, c.case_no, c.key_project, c.applicant_name "
        "FROM review_task t JOIN case_file c ON c.id = t.case_id "
        f"WHERE t.status IN ({marks})" + (" AND t.agency = %(agency)s" if agency else "") + " ORDER BY t.id"
    )
    params = {f"s{i}": s for i, s in enumerate(statuses)}
    if agency:
        params["agency"] = agency
    rows = [_task_row(calendar, today, r) for r in read.rows(sql, **params)]
    rows.sort(key=lambda r: (not r.key_project, LIGHT_ORDER[r.light], r.due_date or date.max, r.task_id))
    return rows


def _task_row(calendar: WorkingCalendar, today: date, r: dict) -> TaskRow:
    due, light, note = task_due(calendar, r, today)
    return TaskRow(task_id=r["id"], case_no=r["case_no"], matter=r["matter"], agency=r["agency"],
                   status=r["status"], due_date=due, light=light, due_note=note, clock=clock_label(r),
                   assignee=r["assignee"], key_project=bool(r["key_project"]), applicant=r["applicant_name"])


def task_agency(read: Reader, task_id: int) -> str | None:
    row = read.one("SELECT agency FROM review_task WHERE id = %(i)s", i=task_id) if 0 < task_id < 2**31 else None
    return row["agency"] if row else None


def one_task(read: Reader, calendar: WorkingCalendar, today: date, task_id: int) -> TaskRow:
    row = read.one("SELECT t.*, c.case_no, c.key_project, c.applicant_name FROM review_task t JOIN case_file c ON c.id = t.case_id "
                   "WHERE t.id = %(i)s", i=task_id) if 0 < task_id < 2**31 else None
    if row is None:
        raise NotFound(f"no review task {task_id}")
    return _task_row(calendar, today, row)
