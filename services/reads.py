"""The read side: `show`, `tasks`, `cases`, `runs`, `catalog list` straight over the DB-API.

Reading a case must answer in well under half a second, and importing SQLAlchemy and SQLModel
alone costs more than that on a small machine; so reads use sqlite3 or psycopg directly, with
plain SQL against the tables that `schemas` defines. Writes never come through here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from approvals import deadlines
from approvals.calendar import WorkingCalendar
from approvals.errors import BadInput, NotFound, Refused
from approvals.identifiers import mask
from approvals.review import OPEN_TASK, CaseStatus, TaskStatus
from schemas.views import (
    CasePublic,
    CaseSummary,
    CertificatePublic,
    EventPublic,
    ReviewPublic,
    RunRow,
    TaskRow,
)

_LIGHT_ORDER = {"red": 0, "yellow": 1, "green": 2, None: 3}
_RUNNING = {TaskStatus.PENDING.value, TaskStatus.SUPPLEMENT_REQUESTED.value}
_NAMED = re.compile(r"%\((\w+)\)s")


class Reader:
    """A read-only connection that answers `rows(sql, **params)` as dicts on SQLite and PostgreSQL."""

    def __init__(self, connection, sqlite: bool):
        self.connection = connection
        self.sqlite = sqlite

    def rows(self, sql: str, **params: Any) -> list[dict]:
        if self.sqlite:
            sql = _NAMED.sub(r":\1", sql)
        cursor = self.connection.cursor()
        cursor.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def one(self, sql: str, **params: Any) -> dict | None:
        found = self.rows(sql, **params)
        return found[0] if found else None


@contextmanager
def reader(url: str) -> Iterator[Reader]:
    scheme, _, rest = url.partition("://")
    backend = scheme.split("+")[0]
    if backend == "sqlite":
        import sqlite3

        path = rest[1:] if rest.startswith("/") else rest
        try:
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        except sqlite3.OperationalError:
            raise Refused(f"cannot open the database {path}: run `onevisit init` first") from None
        sqlite = True
    elif backend == "postgresql":
        import psycopg

        try:
            connection = psycopg.connect(f"postgresql://{rest}", autocommit=True)
        except psycopg.OperationalError as exc:
            raise Refused(f"cannot open the database: {str(exc).strip().splitlines()[0]}") from None
        sqlite = False
    else:
        raise BadInput(f"ONEVISIT_DATABASE_URL: unsupported database {scheme!r} (sqlite or postgresql)")
    try:
        read = Reader(connection, sqlite)
        table = read.one(
            "SELECT name FROM sqlite_master WHERE name = 'alembic_version'"
            if sqlite
            else "SELECT to_regclass('alembic_version') AS name"
        )
        if not table or not table["name"]:
            raise Refused("the database is not initialised: run `onevisit init` first")
        yield read
    finally:
        connection.close()


def calendar(read: Reader) -> WorkingCalendar:
    """The working-day calendar in force (the announced calendar; overrides come with time limits)."""
    return WorkingCalendar()


# --- value normalisation: SQLite hands back text, PostgreSQL typed values ---------------------


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _light(calendar: WorkingCalendar, due: date | None, today: date) -> str | None:
    value = deadlines.light(calendar, due, today)
    return value.value if value else None


def task_light(calendar: WorkingCalendar, status: str, due: date | None, today: date) -> str | None:
    return _light(calendar, due, today) if status in _RUNNING else None


def case_light(calendar: WorkingCalendar, status: str, due: date | None, today: date) -> str | None:
    return _light(calendar, due, today) if status == CaseStatus.IN_REVIEW.value else None


# --- queries -------------------------------------------------------------------------------


def show_case(read: Reader, case_no: str, calendar: WorkingCalendar, today: date) -> CasePublic:
    case = read.one("SELECT * FROM case_file WHERE case_no = %(n)s", n=case_no)
    if case is None:
        raise NotFound(f"no case {case_no}")
    document = _json(read.one("SELECT document FROM catalog_version WHERE id = %(v)s", v=case["catalog_version"])["document"])
    bundle_name = next((b["name"] for b in document["bundles"] if b["code"] == case["bundle"]), case["bundle"])
    tasks = read.rows("SELECT * FROM review_task WHERE case_id = %(c)s ORDER BY id", c=case["id"])
    certificates = read.rows("SELECT * FROM certificate WHERE case_id = %(c)s ORDER BY id", c=case["id"])
    events = read.rows("SELECT * FROM case_event WHERE case_id = %(c)s ORDER BY id", c=case["id"])
    required, provided = _json(case["required_materials"]), _json(case["provided_materials"])
    due = _day(case["due_date"])
    return CasePublic(
        case_no=case["case_no"],
        status=case["status"],
        bundle=case["bundle"],
        bundle_name=bundle_name,
        channel=case["channel"],
        applicant=case["applicant_name"],
        uscc=case["uscc"],
        legal_representative=case["legal_rep_name"],
        legal_representative_id=mask(case["legal_rep_id_number"]),
        key_project=bool(case["key_project"]),
        submitted_at=_utc(case["submitted_at"]),
        accepted_at=_utc(case["accepted_at"]),
        due_date=due,
        light=case_light(calendar, case["status"], due, today),
        missing=[m for m in required if m not in provided],
        reviews=[
            ReviewPublic(
                task_id=t["id"],
                matter=t["matter"],
                agency=t["agency"],
                status=t["status"],
                optional=bool(t["optional"]),
                depends_on=_json(t["depends_on"]),
                due_date=_day(t["due_date"]),
                light=task_light(calendar, t["status"], _day(t["due_date"]), today),
                requested_materials=_json(t["requested_materials"]),
                reason=t["reason"],
                decided_by=t["decided_by"],
                decided_at=_utc(t["decided_at"]),
            )
            for t in tasks
        ],
        certificates=[
            CertificatePublic(number=c["number"], matter=c["matter"], status=c["status"],
                              issued_at=_utc(c["issued_at"]), delivered_at=_utc(c["delivered_at"]))
            for c in certificates
        ],
        events=[
            EventPublic(at=_utc(e["at"]), kind=e["kind"], actor=e["actor"], detail=e["detail"],
                        flow_run_id=e["flow_run_id"])
            for e in events
        ],
    )


def list_tasks(
    read: Reader, calendar: WorkingCalendar, today: date, *, agency: str | None, status: str | None
) -> list[TaskRow]:
    """An agency's queue: key projects first, then the reddest light, then the earliest due date."""
    if status is not None and status not in {s.value for s in TaskStatus}:
        raise BadInput(f"unknown task status {status!r} (one of: {', '.join(s.value for s in TaskStatus)})")
    if agency is not None:
        _, document = catalog_document(read)
        known = {a["code"] for a in document["agencies"]}
        if agency not in known:
            raise BadInput(f"unknown agency {agency!r} (known: {', '.join(sorted(known))})")
    statuses = [status] if status else sorted(s.value for s in OPEN_TASK)
    marks = ", ".join(f"%(s{i})s" for i in range(len(statuses)))
    sql = (
        "SELECT t.id, t.matter, t.agency, t.status, t.due_date, c.case_no, c.key_project "
        "FROM review_task t JOIN case_file c ON c.id = t.case_id "
        f"WHERE t.status IN ({marks})" + (" AND t.agency = %(agency)s" if agency else "") + " ORDER BY t.id"
    )
    params = {f"s{i}": s for i, s in enumerate(statuses)}
    if agency:
        params["agency"] = agency
    rows = [
        TaskRow(task_id=r["id"], case_no=r["case_no"], matter=r["matter"], agency=r["agency"], status=r["status"],
                due_date=_day(r["due_date"]), light=task_light(calendar, r["status"], _day(r["due_date"]), today),
                key_project=bool(r["key_project"]))
        for r in read.rows(sql, **params)
    ]
    rows.sort(key=lambda r: (not r.key_project, _LIGHT_ORDER[r.light], r.due_date or date.max, r.task_id))
    return rows


def list_cases(read: Reader, calendar: WorkingCalendar, today: date, *, status: str | None) -> list[CaseSummary]:
    if status is not None and status not in {s.value for s in CaseStatus}:
        raise BadInput(f"unknown case status {status!r} (one of: {', '.join(s.value for s in CaseStatus)})")
    open_marks = ", ".join(f"'{s.value}'" for s in sorted(OPEN_TASK))
    sql = (
        "SELECT c.case_no, c.status, c.bundle, c.applicant_name, c.uscc, c.submitted_at, c.due_date, "
        f"(SELECT count(*) FROM review_task t WHERE t.case_id = c.id AND t.status IN ({open_marks})) AS open_tasks, "
        "(SELECT count(*) FROM certificate x WHERE x.case_id = c.id) AS certificates "
        "FROM case_file c" + (" WHERE c.status = %(status)s" if status else "") + " ORDER BY c.id"
    )
    params = {"status": status} if status else {}
    return [
        CaseSummary(case_no=r["case_no"], status=r["status"], bundle=r["bundle"], applicant=r["applicant_name"],
                    uscc=r["uscc"], submitted_at=_utc(r["submitted_at"]), due_date=_day(r["due_date"]),
                    light=case_light(calendar, r["status"], _day(r["due_date"]), today),
                    open_tasks=r["open_tasks"], certificates=r["certificates"])
        for r in read.rows(sql, **params)
    ]


def list_runs(read: Reader, case_no: str) -> list[RunRow]:
    case = read.one("SELECT id FROM case_file WHERE case_no = %(n)s", n=case_no)
    if case is None:
        raise NotFound(f"no case {case_no}")
    rows = read.rows(
        "SELECT r.* FROM flow_run r JOIN flow_run_case l ON l.flow_run_id = r.id "
        "WHERE l.case_id = %(c)s ORDER BY r.started_at",
        c=case["id"],
    )
    return [
        RunRow(id=r["id"], flow=r["flow_name"], name=r["name"], state=r["state"], started_at=_utc(r["started_at"]),
               ended_at=_utc(r["ended_at"]))
        for r in rows
    ]


def catalog_document(read: Reader) -> tuple[int, dict]:
    row = read.one("SELECT id, document FROM catalog_version ORDER BY id DESC LIMIT 1")
    if row is None:
        raise Refused("no catalog is loaded: run `onevisit catalog load FILE` (or `onevisit init`)")
    return row["id"], _json(row["document"])
