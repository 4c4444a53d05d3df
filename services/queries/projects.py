"""Key projects and their progress, as of a day: cases, issued, running tasks and red lights (“五个一”)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from approvals.calendar import WorkingCalendar
from approvals.deadlines import Light, light
from approvals.reports import rate
from schemas.report import ProjectLine
from services.queries.connection import Reader, day, timestamp, utc

ISSUED = ("issued", "partially_issued")


def project_progress(read: Reader, calendar: WorkingCalendar, on: date, end: datetime, tz, *,
                     agency: str | None = None, leader: str | None = None) -> list[ProjectLine]:
    """Every project (one leader's, one agency's) with its cases filed before `end`, as things stood on `on`."""
    projects = read.rows(
        "SELECT p.*, o.name AS leader_name FROM key_project p JOIN operator o ON o.id = p.leader"
        + (" WHERE p.leader = %(leader)s" if leader else "") + " ORDER BY p.code", leader=leader)
    if not projects:
        return []
    local = lambda value: utc(value).astimezone(tz).date() if value is not None else None  # noqa: E731
    members = read.rows(
        "SELECT k.project_id, c.id, c.status, c.finished_at FROM key_project_case k "
        "JOIN case_file c ON c.id = k.case_id WHERE c.submitted_at < %(end)s", end=timestamp(read, end))
    tasks: dict[int, list[dict]] = defaultdict(list)
    for t in read.rows(
        "SELECT t.case_id, t.agency, t.status, t.started_on, t.due_date, t.stopped, t.decided_at, t.updated_at "
        "FROM review_task t JOIN key_project_case k ON k.case_id = t.case_id"
    ):
        tasks[t["case_id"]].append(t)
    lines = []
    for p in projects:
        mine = [m for m in members if m["project_id"] == p["id"]]
        if agency is not None and not any(t["agency"] == agency for m in mine for t in tasks[m["id"]]):
            continue
        finished = [m for m in mine if m["finished_at"] is not None and local(m["finished_at"]) <= on]
        running = [t for m in mine for t in tasks[m["id"]] if running_on(t, on, local)]
        red = sum(t["stopped"] is None and light(calendar, day(t["due_date"]), on) == Light.RED for t in running)
        lines.append(ProjectLine(
            code=p["code"], name=p["name"], leader=p["leader"], leader_name=p["leader_name"] or p["leader"],
            team=p["team"], plan=p["plan"], cases=len(mine), issued=sum(m["status"] in ISSUED for m in finished),
            in_review=len(mine) - len(finished), open_tasks=len(running), red_tasks=red,
            progress=rate(len(finished), len(mine)) or 0.0))
    return lines


def running_on(task: dict, on: date, local) -> bool:
    """A task's clock was running on that day: started by then, neither decided nor cancelled by then."""
    started = day(task["started_on"])
    if started is None or started > on:
        return False
    if task["decided_at"] is not None:
        return local(task["decided_at"]) > on
    return not (task["status"] == "cancelled" and local(task["updated_at"]) <= on)
