"""The read side: `show`, `tasks`, `cases`, `runs`, `catalog list` straight over the DB-API.

Reading a case must answer in well under half a second, and importing SQLAlchemy and SQLModel
alone costs more than that on a small machine; so reads use sqlite3 or psycopg directly, with
plain SQL against the tables that `schemas` defines. Writes never come through here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from approvals import deadlines
from approvals.calendar import CalendarUnknown, WorkingCalendar
from approvals.deadlines import ClockState, StopKind
from approvals.errors import BadInput, NotFound, Refused
from approvals.audit import Link, check_chain
from approvals.identifiers import mask, mask_phone, mask_text, uscc_problem
from approvals.permissions import Act, Actor, Role, check
from approvals.review import FINISHED_CASE, OPEN_TASK, CaseStatus, TaskStatus
from schemas.views import (
    CasePublic,
    CaseSummary,
    CertificatePublic,
    CommitmentPublic,
    EventPublic,
    CreditRow,
    LedgerRow,
    ReviewPublic,
    RunRow,
    SharedMaterialPublic,
    SuspensionPublic,
    TaskRow,
)

_LIGHT_ORDER = {"red": 0, "yellow": 1, "green": 2, None: 3}
_RUNNING = {TaskStatus.PENDING.value, TaskStatus.SUPPLEMENT_REQUESTED.value}
_NAMED = re.compile(r"%\((\w+)\)s")


class Reader:
    """A DB-API connection (sqlite3 or psycopg) that answers `rows(sql, **params)` as dicts; SQL is written
    with `%(name)s` parameters for both. The read commands open one read-only; a unit of work lends its
    own (`services.db.raw`) for its hot statements."""

    def __init__(self, connection, sqlite: bool, errors: Callable[[str, Any, Exception], Exception] | None = None):
        self.connection = connection
        self.sqlite = sqlite
        self.errors = errors  # a unit of work's: a DB-API error raised as SQLAlchemy's, which its callers handle

    def cursor(self, sql: str, params: dict[str, Any]):
        """The DB-API cursor that ran `sql`, to fetch plain tuples from."""
        cursor = self.connection.cursor()
        with self._raising(sql, params):
            cursor.execute(self._dialect(sql), params)
        return cursor

    def rows(self, sql: str, **params: Any) -> list[dict]:
        cursor = self.cursor(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def many(self, sql: str, rows: list[dict]) -> None:
        """One statement for every row (psycopg sends them all before it waits for an answer)."""
        with self._raising(sql, rows):
            self.connection.cursor().executemany(self._dialect(sql), rows)

    @contextmanager
    def together(self) -> Iterator[None]:
        """Statements sent without waiting for each answer (psycopg's pipeline: one round trip for all of
        them, errors raised at the end of the block); on SQLite, in-process, nothing to save."""
        if self.sqlite:
            yield
            return
        with self._raising("(pipeline)", None), self.connection.pipeline():
            yield

    @contextmanager
    def _raising(self, sql: str, params: Any) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            translated = self.errors(sql, params, exc) if self.errors else exc
            if translated is exc:
                raise
            raise translated from exc

    def stamp(self, value: datetime | None) -> Any:
        """An aware datetime as the UTC columns keep it (`schemas.types.UTCDateTime`): naive UTC, which
        SQLite holds as text with microseconds, as SQLAlchemy writes it."""
        if value is None:
            return None
        value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else value

    def _dialect(self, sql: str) -> str:
        return _for_sqlite(sql) if self.sqlite else sql

    def one(self, sql: str, **params: Any) -> dict | None:
        found = self.rows(sql, **params)
        return found[0] if found else None


@lru_cache(maxsize=512)
def _for_sqlite(sql: str) -> str:
    return _NAMED.sub(r":\1", sql)


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
    """The working-day calendar in force: the announced one plus administrators' overrides."""
    return WorkingCalendar(overrides(read))


def overrides(read: Reader) -> dict[date, bool]:
    """Administrators' overrides of the announced calendar: day -> working day or not."""
    return {_day(r["day"]): bool(r["workday"]) for r in read.rows("SELECT day, workday FROM calendar_override")}


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


def task_due(calendar: WorkingCalendar, row: dict, today: date) -> tuple[date | None, str | None, str | None]:
    """(due date, light, note) of a task as of today: a stopped clock's due date moves day by day."""
    if row["status"] not in _RUNNING or row["started_on"] is None:
        return _day(row["due_date"]), None, row["due_note"]
    if not row["stopped"]:
        due = _day(row["due_date"])
        return due, _light(calendar, due, today), row["due_note"]
    state = ClockState(
        started_on=_day(row["started_on"]), promised_days=row["promised_days"], statutory_days=row["statutory_days"],
        supplement_days=row["supplement_days"], special_days=row["special_days"],
        stopped=StopKind(row["stopped"]), stopped_on=_day(row["stopped_on"]),
    )
    projected = deadlines.due(calendar, state, today)
    return projected.date, None, projected.note


def case_due(calendar: WorkingCalendar, row: dict, today: date, tz) -> tuple[date | None, str | None]:
    """(due date, light) of a case's clock as of today."""
    due = _day(row["due_date"])
    if row["status"] != CaseStatus.IN_REVIEW.value:
        return due, None
    if not row["stops_open"]:
        return due, _light(calendar, due, today)
    state = ClockState(
        started_on=_utc(row["accepted_at"]).astimezone(tz).date(), promised_days=row["promised_days"],
        supplement_days=row["suspended_days"], stopped=StopKind.SUPPLEMENT, stopped_on=_day(row["stopped_on"]),
    )
    return deadlines.due(calendar, state, today).date, None


def _clock_label(row: dict) -> str | None:
    if row["status"] not in _RUNNING or row["started_on"] is None:
        return None
    return f"stopped:{row['stopped']}" if row["stopped"] else "running"


# --- queries -------------------------------------------------------------------------------


def show_case(read: Reader, case_no: str, calendar: WorkingCalendar, today: date, tz=UTC, *,
              unmasked: bool = False, agent: str | None = None) -> CasePublic:
    """One case; personal identifiers masked unless `unmasked`; for an agent, only its own cases."""
    case = read.one("SELECT * FROM case_file WHERE case_no = %(n)s", n=case_no)
    if case is None or (agent is not None and case["agent"] != agent):
        raise NotFound(f"no case {case_no}" + (f" filed by agent {agent}" if agent is not None else ""))
    hide = (lambda text: text) if unmasked else mask_text
    document = _json(read.one("SELECT document FROM catalog_version WHERE id = %(v)s", v=case["catalog_version"])["document"])
    bundle_name = next((b["name"] for b in document["bundles"] if b["code"] == case["bundle"]), case["bundle"])
    tasks = read.rows("SELECT * FROM review_task WHERE case_id = %(c)s ORDER BY id", c=case["id"])
    certificates = read.rows("SELECT * FROM certificate WHERE case_id = %(c)s ORDER BY id", c=case["id"])
    events = read.rows("SELECT * FROM case_event WHERE case_id = %(c)s ORDER BY id", c=case["id"])
    required, provided = _json(case["required_materials"]), _json(case["provided_materials"])
    due, light = case_due(calendar, case, today, tz)
    stops = read.rows("SELECT * FROM clock_stop WHERE case_id = %(c)s ORDER BY id", c=case["id"])
    promises = read.rows("SELECT * FROM commitment WHERE case_id = %(c)s ORDER BY id", c=case["id"])
    return CasePublic(
        case_no=case["case_no"],
        status=case["status"],
        bundle=case["bundle"],
        bundle_name=bundle_name,
        channel=case["channel"],
        applicant=case["applicant_name"],
        uscc=case["uscc"],
        legal_representative=case["legal_rep_name"],
        legal_representative_id=case["legal_rep_id_number"] if unmasked else mask(case["legal_rep_id_number"]),
        legal_representative_phone=case["legal_rep_phone"] if unmasked else mask_phone(case["legal_rep_phone"]),
        agent=case["agent"],
        key_project=bool(case["key_project"]),
        leader=case["leader"],
        submitted_at=_utc(case["submitted_at"]),
        accepted_at=_utc(case["accepted_at"]),
        due_date=due,
        due_note=case["due_note"],
        light=light,
        missing=[m for m in required if m not in provided],
        reviews=[
            ReviewPublic(
                task_id=t["id"],
                matter=t["matter"],
                agency=t["agency"],
                status=t["status"],
                optional=bool(t["optional"]),
                depends_on=_json(t["depends_on"]),
                **dict(zip(("due_date", "light", "due_note"), task_due(calendar, t, today), strict=True)),
                clock=_clock_label(t),
                assignee=t["assignee"],
                requested_materials=_json(t["requested_materials"]),
                reason=hide(t["reason"]) if t["reason"] else None,
                decided_by=t["decided_by"],
                decided_at=_utc(t["decided_at"]),
                remote_ticket=t["remote_ticket"],
                incident=t["remote_incident"],
            )
            for t in tasks
        ],
        commitments=[_commitment(p) for p in promises],
        certificates=[
            CertificatePublic(number=c["number"], matter=c["matter"], status=c["status"],
                              issued_at=_utc(c["issued_at"]), delivered_at=_utc(c["delivered_at"]),
                              revoked_at=_utc(c["revoked_at"]), revoked_by=c["revoked_by"],
                              revoke_reason=hide(c["revoke_reason"]) if c["revoke_reason"] else None)
            for c in certificates
        ],
        suspensions=[
            SuspensionPublic(task_id=x["task_id"], kind=x["kind"], reason=hide(x["reason"]),
                             started_at=_utc(x["started_at"]), ended_at=_utc(x["ended_at"]),
                             working_days=x["working_days"])
            for x in stops
        ],
        shared_materials=[
            SharedMaterialPublic(material=m["material"], source=m["source"], status=m["status"],
                                 reference=m["reference"], digest=m["digest"], fetched_at=_utc(m["fetched_at"]))
            for m in read.rows("SELECT * FROM shared_material WHERE case_id = %(c)s ORDER BY id", c=case["id"])
        ],
        events=[
            EventPublic(at=_utc(e["at"]), kind=e["kind"], actor=e["actor"], detail=hide(e["detail"]),
                        flow_run_id=e["flow_run_id"])
            for e in events
        ],
    )


def _commitment(row: dict) -> CommitmentPublic:
    """`{"id", "kind", "materials" or "matter", "due_date", "status", ...}` (承诺书)."""
    return CommitmentPublic(id=row["id"], kind=row["kind"], materials=_json(row["materials"]), matter=row["matter"],
                            due_date=_day(row["due_date"]), status=row["status"], signed_at=_utc(row["signed_at"]),
                            resolved_at=_utc(row["resolved_at"]), resolved_by=row["resolved_by"], note=row["note"])


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
                  created_at=_utc(r["created_at"]), status=r["status"], repaired_at=_utc(r["repaired_at"]),
                  repaired_by=r["repaired_by"], repair_reason=r["repair_reason"])
        for r in rows
    ]


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
        "SELECT t.*, c.case_no, c.key_project "
        "FROM review_task t JOIN case_file c ON c.id = t.case_id "
        f"WHERE t.status IN ({marks})" + (" AND t.agency = %(agency)s" if agency else "") + " ORDER BY t.id"
    )
    params = {f"s{i}": s for i, s in enumerate(statuses)}
    if agency:
        params["agency"] = agency
    rows = []
    for r in read.rows(sql, **params):
        due, light, note = task_due(calendar, r, today)
        rows.append(TaskRow(task_id=r["id"], case_no=r["case_no"], matter=r["matter"], agency=r["agency"],
                            status=r["status"], due_date=due, light=light, due_note=note, clock=_clock_label(r),
                            assignee=r["assignee"], key_project=bool(r["key_project"])))
    rows.sort(key=lambda r: (not r.key_project, _LIGHT_ORDER[r.light], r.due_date or date.max, r.task_id))
    return rows


def list_cases(read: Reader, calendar: WorkingCalendar, today: date, *, status: str | None, tz=UTC,
               agent: str | None = None) -> list[CaseSummary]:
    """Cases, oldest first; with `agent`, the agent's worklist (帮代办): its cases, key projects first."""
    if status is not None and status not in {s.value for s in CaseStatus}:
        raise BadInput(f"unknown case status {status!r} (one of: {', '.join(s.value for s in CaseStatus)})")
    where = [w for w, given in (("c.status = %(status)s", status), ("c.agent = %(agent)s", agent)) if given]
    sql = _CASES_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY c.id"
    rows = [_summary(calendar, today, tz, r) for r in read.rows(sql, status=status, agent=agent)]
    if agent is not None:
        rows.sort(key=lambda r: (not r.key_project, r.status in {s.value for s in FINISHED_CASE},
                                 _LIGHT_ORDER[r.light], r.due_date or date.max))
    return rows


_OPEN_MARKS = ", ".join(f"'{s.value}'" for s in sorted(OPEN_TASK))
_FINISHED_MARKS = ", ".join(f"'{s.value}'" for s in sorted(FINISHED_CASE))
_CASES_SQL = (
    "SELECT c.*, "
    f"(SELECT count(*) FROM review_task t WHERE t.case_id = c.id AND t.status IN ({_OPEN_MARKS})) AS open_tasks, "
    "(SELECT count(*) FROM certificate x WHERE x.case_id = c.id) AS certificates "
    "FROM case_file c"
)


def _summary(calendar: WorkingCalendar, today: date, tz, r: dict, reason: str | None = None) -> CaseSummary:
    due, light = case_due(calendar, r, today, tz)
    return CaseSummary(case_no=r["case_no"], status=r["status"], bundle=r["bundle"], applicant=r["applicant_name"],
                       uscc=r["uscc"], submitted_at=_utc(r["submitted_at"]), due_date=due, light=light,
                       open_tasks=r["open_tasks"], certificates=r["certificates"], reason=reason,
                       agent=r["agent"], key_project=bool(r["key_project"]))


def _timestamp(read: Reader, moment: datetime):
    """A bind value comparable with a UTCDateTime column on either backend."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if read.sqlite else naive


def stalled_cases(read: Reader, calendar: WorkingCalendar, now: datetime, *, after_days: int,
                  lease_seconds: int) -> list[CaseSummary]:
    """Unfinished cases nobody acted on for `after_days` working days, and cases whose last flow run
    failed or crashed (a run still RUNNING past the claim lease has stopped reporting: crashed)."""
    today, tz = now.date(), now.tzinfo
    try:
        quiet_since = calendar.subtract_working_days(today, after_days)  # acted on or before: stalled
    except CalendarUnknown as unknown:
        raise Refused(f"cannot count working days back from {today}: {unknown}; set the days with "
                      "`onevisit calendar set`") from None
    cutoff = datetime.combine(quiet_since + timedelta(days=1), time(), tz)
    reasons: dict[int, str] = {}
    for r in read.rows(
        f"SELECT id, last_acted_at FROM case_file WHERE status NOT IN ({_FINISHED_MARKS}) "
        "AND last_acted_at < %(cutoff)s", cutoff=_timestamp(read, cutoff),
    ):
        last = _utc(r["last_acted_at"]).astimezone(tz).date()
        try:
            quiet = calendar.working_days_between(last, today)
        except CalendarUnknown:
            quiet = after_days
        reasons[r["id"]] = f"no one has acted for {quiet} working days (last {last.isoformat()})"
    stale = _timestamp(read, now - timedelta(seconds=lease_seconds))
    for r in read.rows(
        "SELECT case_id, id, state, started_at FROM ("
        "  SELECT l.case_id, r.id, r.state, r.started_at,"
        "         ROW_NUMBER() OVER (PARTITION BY l.case_id ORDER BY r.started_at DESC, r.id DESC) AS rn"
        "  FROM flow_run_case l JOIN flow_run r ON r.id = l.flow_run_id) last_run "
        "WHERE rn = 1 AND (state IN ('FAILED', 'CRASHED') OR (state = 'RUNNING' AND started_at < %(stale)s))",
        stale=stale,
    ):
        verdict = "failed" if r["state"] == "FAILED" else "crashed"
        reason = f"last flow run {r['id']} {verdict}"
        reasons[r["case_id"]] = f"{reasons[r['case_id']]}; {reason}" if r["case_id"] in reasons else reason
    for r in _incidents(read):
        reason = f"incident: {r['what']}: {r['cause']}"
        reasons[r["case_id"]] = f"{reasons[r['case_id']]}; {reason}" if r["case_id"] in reasons else reason
    return _cases_by_id(read, calendar, today, tz, reasons)


def _incidents(read: Reader) -> list[dict]:
    """Outward work whose retries are spent (or that was refused): parked until `reopen`."""
    return read.rows(
        "SELECT case_id, key AS what, last_error AS cause FROM outbox_item "
        "WHERE incident_at IS NOT NULL AND done_at IS NULL "
        "UNION ALL SELECT case_id, 'poll:task:' || CAST(id AS VARCHAR(20)) AS what, remote_incident AS cause "
        "FROM review_task WHERE remote_incident IS NOT NULL ORDER BY 1, 2"
    )


def overdue_cases(read: Reader, calendar: WorkingCalendar, today: date, tz=UTC) -> list[CaseSummary]:
    """Cases in review with a red task (its due date passed, clock running) or a red case clock."""
    reasons: dict[int, list[str]] = {}
    for r in read.rows(
        "SELECT id, due_date FROM case_file WHERE status = 'in_review' AND stops_open = 0 AND due_date < %(today)s",
        today=today,
    ):
        reasons.setdefault(r["id"], []).append(f"case due {_day(r['due_date']).isoformat()}")
    for r in read.rows(
        "SELECT case_id, id, matter, due_date FROM review_task WHERE status IN ('pending', 'supplement_requested') "
        "AND stopped IS NULL AND due_date < %(today)s ORDER BY id",
        today=today,
    ):
        reasons.setdefault(r["case_id"], []).append(f"task {r['id']} {r['matter']} due {_day(r['due_date']).isoformat()}")
    return _cases_by_id(read, calendar, today, tz, {k: "; ".join(v) for k, v in reasons.items()})


def _cases_by_id(read: Reader, calendar: WorkingCalendar, today: date, tz, reasons: dict[int, str]) -> list[CaseSummary]:
    if not reasons:
        return []
    ids = sorted(reasons)
    found = []
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        marks = ", ".join(f"%(i{n})s" for n in range(len(part)))
        found += read.rows(f"{_CASES_SQL} WHERE c.id IN ({marks}) ORDER BY c.id", **{f"i{n}": i for n, i in enumerate(part)})
    return [_summary(calendar, today, tz, r, reasons[r["id"]]) for r in found]


def ledger(read: Reader, *, open_only: bool) -> list[LedgerRow]:
    rows = read.rows(
        "SELECT l.*, c.case_no, t.matter FROM ledger_item l JOIN case_file c ON c.id = l.case_id "
        "JOIN review_task t ON t.id = l.task_id" + (" WHERE l.status != 'closed'" if open_only else "")
        + " ORDER BY l.id"
    )
    return [
        LedgerRow(id=r["id"], case_no=r["case_no"], task_id=r["task_id"], matter=r["matter"], agency=r["agency"],
                  missed_due=_day(r["missed_due"]), status=r["status"], assigned_to=r["assigned_to"],
                  opened_at=_utc(r["opened_at"]), escalated_to=r["escalated_to"], escalated_at=_utc(r["escalated_at"]),
                  closed_at=_utc(r["closed_at"]), closed_by=r["closed_by"], closing_note=r["closing_note"])
        for r in rows
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


def calendar_overrides(read: Reader) -> list[dict]:
    return [{"day": _day(r["day"]), "workday": bool(r["workday"]), "reason": r["reason"], "set_by": r["set_by"]}
            for r in read.rows("SELECT day, workday, reason, set_by FROM calendar_override ORDER BY day")]


def case_exists(read: Reader, case_no: str) -> None:
    if read.one("SELECT id FROM case_file WHERE case_no = %(n)s", n=case_no) is None:
        raise NotFound(f"no case {case_no}")


# --- who reads, operators, mandates, audit ---------------------------------------------------


def operator(read: Reader, operator_id: str | None) -> Actor:
    """The operator behind a command; reading too needs an enabled one."""
    if not operator_id:
        raise BadInput("--operator is required (or set ONEVISIT_OPERATOR)")
    row = read.one("SELECT id, role, agency, enabled FROM operator WHERE id = %(i)s", i=operator_id)
    if row is None:
        raise Refused(f"unknown operator {operator_id!r} (an administrator adds it: onevisit operator add)")
    return Actor(row["id"], Role(row["role"]), row["agency"], bool(row["enabled"]))


def require(read: Reader, operator_id: str | None, act: Act = Act.READ) -> Actor:
    who = operator(read, operator_id)
    check(who, act)
    return who


def list_operators(read: Reader, *, unmasked: bool = False) -> list[dict]:
    return [
        {"id": r["id"], "role": r["role"], "agency": r["agency"], "name": r["name"],
         "phone": r["phone"] if unmasked else mask_phone(r["phone"]), "enabled": bool(r["enabled"]),
         "created_at": _utc(r["created_at"]), "created_by": r["created_by"], "disabled_at": _utc(r["disabled_at"])}
        for r in read.rows("SELECT * FROM operator ORDER BY role, id")
    ]


def list_mandates(read: Reader, today: date, *, agent: str | None) -> list[dict]:
    rows = read.rows("SELECT * FROM mandate" + (" WHERE agent = %(a)s" if agent else "") + " ORDER BY id", a=agent)
    return [
        {"id": r["id"], "agent": r["agent"], "applicant": r["uscc"], "scopes": _json(r["scopes"]),
         "valid_until": _day(r["valid_until"]),
         "status": "revoked" if r["revoked_at"] else "expired" if _day(r["valid_until"]) < today else "valid",
         "granted_at": _utc(r["granted_at"]), "granted_by": r["granted_by"], "revoked_at": _utc(r["revoked_at"]),
         "revoked_by": r["revoked_by"], "revoke_reason": r["revoke_reason"]}
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
        by_case[r["case_id"]].append(Link(r["id"], r["case_id"], r["seq"], _utc(r["at"]), r["kind"], r["actor"],
                                          r["detail"], r["flow_run_id"], r["prev_hash"], r["hash"]))
    for case_id in sorted(by_case):
        broken = check_chain(case_id, by_case[case_id], *heads.get(case_id, (0, None)))
        if broken is not None:
            found = {"case_no": numbers[case_id], "event_id": broken.event_id, "seq": broken.seq,
                     "problem": broken.problem}
            first = first if first is not None and first["case_no"] is None else found
            break
    return {"ok": first is None, "cases": len(numbers), "events": events, "first_broken": first}
