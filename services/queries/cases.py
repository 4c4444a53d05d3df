"""Cases: one case in full, lists of cases (an agent's worklist, stalled, overdue), the flow runs of a case."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from approvals.calendar import CalendarUnknown, WorkingCalendar
from approvals.errors import BadInput, NotFound, Refused
from approvals.identifiers import mask, mask_phone, mask_text
from approvals.review import FINISHED_CASE, OPEN_TASK, CaseStatus, TaskStatus
from schemas.views import (
    CasePublic,
    CaseSummary,
    CertificatePublic,
    CommitmentPublic,
    EventPublic,
    ExtensionPublic,
    ReviewPublic,
    RunRow,
    SharedMaterialPublic,
    SignOffPublic,
    SuspensionPublic,
)
from services.queries.clocks import LIGHT_ORDER, case_due, clock_label, task_due
from services.queries.connection import Reader, day, from_json, timestamp, utc


def show_case(read: Reader, case_no: str, calendar: WorkingCalendar, today: date, tz=UTC, *,
              unmasked: bool = False, agent: str | None = None) -> CasePublic:
    """One case; personal identifiers masked unless `unmasked`; for an agent, only its own cases."""
    case = read.one("SELECT * FROM case_file WHERE case_no = %(n)s", n=case_no)
    if case is None or (agent is not None and case["agent"] != agent):
        raise NotFound(f"no case {case_no}" + (f" filed by agent {agent}" if agent is not None else ""))
    hide = (lambda text: text) if unmasked else mask_text
    document = from_json(read.one("SELECT document FROM catalog_version WHERE id = %(v)s", v=case["catalog_version"])["document"])
    named = document["matters"] if case["single_matter"] else document["bundles"]  # 事项单办: the matter's name
    bundle_name = next((b["name"] for b in named if b["code"] == case["bundle"]), case["bundle"])
    steps = {m["code"]: [x["name"] for x in m.get("steps", [])] for m in document["matters"]}
    signed = read.rows("SELECT * FROM sign_off WHERE case_id = %(c)s ORDER BY task_id, step", c=case["id"])
    extensions = {x["task_id"]: x for x in read.rows("SELECT * FROM extension WHERE case_id = %(c)s", c=case["id"])}
    tasks = read.rows("SELECT * FROM review_task WHERE case_id = %(c)s ORDER BY id", c=case["id"])
    certificates = read.rows("SELECT * FROM certificate WHERE case_id = %(c)s ORDER BY id", c=case["id"])
    events = read.rows("SELECT * FROM case_event WHERE case_id = %(c)s ORDER BY id", c=case["id"])
    required, provided = from_json(case["required_materials"]), from_json(case["provided_materials"])
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
        submitted_at=utc(case["submitted_at"]),
        accepted_at=utc(case["accepted_at"]),
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
                depends_on=from_json(t["depends_on"]),
                **dict(zip(("due_date", "light", "due_note"), task_due(calendar, t, today), strict=True)),
                clock=clock_label(t),
                assignee=t["assignee"],
                requested_materials=from_json(t["requested_materials"]),
                reason=hide(t["reason"]) if t["reason"] else None,
                decided_by=t["decided_by"],
                decided_at=utc(t["decided_at"]),
                remote_ticket=t["remote_ticket"],
                incident=t["remote_incident"],
                sign_offs=[SignOffPublic(step=x["step"] + 1, name=x["name"], operator=x["operator"], action=x["action"],
                                         signed_at=utc(x["signed_at"])) for x in signed if x["task_id"] == t["id"]],
                next_step=_next_step(steps.get(t["matter"], []), t),
                extension=_extension(extensions.get(t["id"])),
            )
            for t in tasks
        ],
        commitments=[_commitment(p) for p in promises],
        certificates=[
            CertificatePublic(number=c["number"], matter=c["matter"], status=c["status"],
                              issued_at=utc(c["issued_at"]), delivered_at=utc(c["delivered_at"]),
                              revoked_at=utc(c["revoked_at"]), revoked_by=c["revoked_by"],
                              revoke_reason=hide(c["revoke_reason"]) if c["revoke_reason"] else None)
            for c in certificates
        ],
        suspensions=[
            SuspensionPublic(task_id=x["task_id"], kind=x["kind"], reason=hide(x["reason"]),
                             started_at=utc(x["started_at"]), ended_at=utc(x["ended_at"]),
                             working_days=x["working_days"])
            for x in stops
        ],
        shared_materials=[
            SharedMaterialPublic(material=m["material"], source=m["source"], status=m["status"],
                                 reference=m["reference"], digest=m["digest"], fetched_at=utc(m["fetched_at"]))
            for m in read.rows("SELECT * FROM shared_material WHERE case_id = %(c)s ORDER BY id", c=case["id"])
        ],
        single_matter=bool(case["single_matter"]),
        end_reason=hide(case["end_reason"]) if case["end_reason"] else None,
        delivery_mode=case["delivery_mode"],
        delivery_address=hide(case["delivery_address"]) if case["delivery_address"] else None,
        visits=case["visits"],
        collected_at=utc(case["collected_at"]),
        events=[
            EventPublic(at=utc(e["at"]), kind=e["kind"], actor=e["actor"], detail=hide(e["detail"]),
                        flow_run_id=e["flow_run_id"])
            for e in events
        ],
    )


def _next_step(steps: list[str], task: dict) -> str | None:
    open_ = task["status"] in OPEN_TASK and task["status"] != TaskStatus.WAITING
    return steps[task["step"]] if open_ and steps and task["step"] < len(steps) else None


def _extension(row: dict | None) -> ExtensionPublic | None:
    if row is None:
        return None
    return ExtensionPublic(days=row["days"], reason=row["reason"], status=row["status"],
                           requested_by=row["requested_by"], requested_at=utc(row["requested_at"]),
                           decided_by=row["decided_by"], decided_at=utc(row["decided_at"]), note=row["note"])


def _commitment(row: dict) -> CommitmentPublic:
    """`{"id", "kind", "materials" or "matter", "due_date", "status", ...}` (承诺书)."""
    return CommitmentPublic(id=row["id"], kind=row["kind"], materials=from_json(row["materials"]), matter=row["matter"],
                            due_date=day(row["due_date"]), status=row["status"], signed_at=utc(row["signed_at"]),
                            resolved_at=utc(row["resolved_at"]), resolved_by=row["resolved_by"], note=row["note"])

def list_cases(read: Reader, calendar: WorkingCalendar, today: date, *, status: str | None, tz=UTC,
               agent: str | None = None) -> list[CaseSummary]:
    """Cases, oldest first; with `agent`, the agent's worklist (帮代办): its cases, key projects first."""
    if status is not None and status not in set(CaseStatus):
        raise BadInput(f"unknown case status {status!r} (one of: {', '.join(CaseStatus)})")
    where = [w for w, given in (("c.status = %(status)s", status), ("c.agent = %(agent)s", agent)) if given]
    sql = _CASES_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY c.id"
    rows = [_summary(calendar, today, tz, r) for r in read.rows(sql, status=status, agent=agent)]
    if agent is not None:
        rows.sort(key=lambda r: (not r.key_project, r.status in FINISHED_CASE,
                                 LIGHT_ORDER[r.light], r.due_date or date.max))
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
                       uscc=r["uscc"], submitted_at=utc(r["submitted_at"]), due_date=due, light=light,
                       open_tasks=r["open_tasks"], certificates=r["certificates"], reason=reason,
                       agent=r["agent"], key_project=bool(r["key_project"]), delivery_mode=r["delivery_mode"],
                       collected_at=utc(r["collected_at"]))

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
        "AND last_acted_at < %(cutoff)s", cutoff=timestamp(read, cutoff),
    ):
        last = utc(r["last_acted_at"]).astimezone(tz).date()
        try:
            quiet = calendar.working_days_between(last, today)
        except CalendarUnknown:
            quiet = after_days
        reasons[r["id"]] = f"no one has acted for {quiet} working days (last {last.isoformat()})"
    stale = timestamp(read, now - timedelta(seconds=lease_seconds))
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
        reasons.setdefault(r["id"], []).append(f"case due {day(r['due_date']).isoformat()}")
    for r in read.rows(
        "SELECT case_id, id, matter, due_date FROM review_task WHERE status IN ('pending', 'supplement_requested') "
        "AND stopped IS NULL AND due_date < %(today)s ORDER BY id",
        today=today,
    ):
        reasons.setdefault(r["case_id"], []).append(f"task {r['id']} {r['matter']} due {day(r['due_date']).isoformat()}")
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
        RunRow(id=r["id"], flow=r["flow_name"], name=r["name"], state=r["state"], started_at=utc(r["started_at"]),
               ended_at=utc(r["ended_at"]))
        for r in rows
    ]

def case_exists(read: Reader, case_no: str) -> None:
    if read.one("SELECT id FROM case_file WHERE case_no = %(n)s", n=case_no) is None:
        raise NotFound(f"no case {case_no}")


def visit_counts(read: Reader, start: datetime | None = None, end: datetime | None = None) -> dict:
    """最多跑一次: finished cases (in [start, end) when given) by visits to the hall, and by delivery mode."""
    where, params = f"status IN ({_FINISHED_MARKS})", {}
    if start is not None:
        where, params["start"] = where + " AND finished_at >= %(start)s", timestamp(read, start)
    if end is not None:
        where, params["end"] = where + " AND finished_at < %(end)s", timestamp(read, end)
    rows = read.rows(f"SELECT visits, delivery_mode, COUNT(*) AS n FROM case_file WHERE {where} "
                     "GROUP BY visits, delivery_mode ORDER BY visits, delivery_mode", **params)
    total = sum(r["n"] for r in rows)
    once = sum(r["n"] for r in rows if r["visits"] <= 1)
    by_visits: dict[str, int] = {}
    by_delivery: dict[str, int] = {}
    for r in rows:
        by_visits[str(r["visits"])] = by_visits.get(str(r["visits"]), 0) + r["n"]
        by_delivery[r["delivery_mode"]] = by_delivery.get(r["delivery_mode"], 0) + r["n"]
    return {"cases": total, "at_most_one_visit": once, "share": round(once / total, 4) if total else None,
            "by_visits": by_visits, "by_delivery": by_delivery}
