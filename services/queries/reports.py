"""The figures of a report (天调度, 周通报, 月报), read from the tables for one period.

A report is a function of the rows and the period alone, never of the clock: the same command on the
same data gives the same report. Snapshots (open tasks by light, overdue and stalled cases, open ledger
items) are taken as of the period's last day, from the due dates stored now.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from approvals.calendar import CalendarUnknown, WorkingCalendar
from approvals.deadlines import light
from approvals.errors import BadInput
from approvals.reports import TITLES, Period, Standing, p90, rank, rate
from schemas.report import (AgencyFigures, CaseLine, Counts, LedgerFigures, LedgerLine, MatterFigures,
                            RankLine, Report)
from services.queries.catalog import catalog_document
from services.queries.connection import Reader, calendar as read_calendar, day, timestamp, utc
from services.queries.projects import project_progress, running_on

ISSUED = ("issued", "partially_issued")
DECIDED_CASE = ("issued", "partially_issued", "denied")  # ended by a decision: measured against the due date
DECIDED_TASK = ("approved", "denied")
LIGHTS = ("green", "yellow", "red", "stopped", "unknown")


def build_report(read: Reader, period: Period, tz: ZoneInfo, *, agency: str | None = None,
                 stalled_after_days: int = 3) -> Report:
    calendar = read_calendar(read)
    _, document = catalog_document(read)
    agencies = {a["code"]: a["name"] for a in document["agencies"]}
    matters = {m["code"]: m for m in document["matters"]}
    bundles = {b["code"]: b["name"] for b in document["bundles"]}
    if agency is not None and agency not in agencies:
        raise BadInput(f"unknown agency {agency!r} (known: {', '.join(sorted(agencies))})")
    start = datetime.combine(period.start, time(), tz)
    end = datetime.combine(period.end + timedelta(days=1), time(), tz)  # exclusive
    local = lambda value: utc(value).astimezone(tz).date() if value is not None else None  # noqa: E731
    within = lambda d: d is not None and period.start <= d <= period.end  # noqa: E731

    cases = read.rows(
        "SELECT id, case_no, bundle, applicant_name, status, submitted_at, accepted_at, finished_at, due_date, "
        "stops_open FROM case_file WHERE submitted_at < %(end)s AND (finished_at IS NULL OR finished_at >= %(start)s) "
        "ORDER BY id", start=timestamp(read, start), end=timestamp(read, end))
    case_ids = [c["id"] for c in cases]
    tasks = _tasks_of(read, case_ids)
    if agency is not None:
        concerned = {t["case_id"] for t in tasks if t["agency"] == agency}
        cases = [c for c in cases if c["id"] in concerned]
        tasks = [t for t in tasks if t["agency"] == agency]
    by_id = {c["id"]: c for c in cases}
    for c in cases:
        c["bundle"] = bundles.get(c["bundle"], c["bundle"])  # people read names (一件事)

    hall, per_day = Counts(), Counter()
    for c in cases:
        submitted, finished = local(c["submitted_at"]), local(c["finished_at"])
        if within(submitted):
            hall.received += 1
            per_day[submitted.isoformat()] += 1
        hall.accepted += within(local(c["accepted_at"]))
        if within(finished):
            hall.issued += c["status"] in ISSUED
            hall.denied += c["status"] == "denied"
            hall.returned += c["status"] == "returned"
            hall.refused += c["status"] == "refused"
            hall.withdrawn += c["status"] == "withdrawn"
            if c["status"] in DECIDED_CASE and c["due_date"] is not None:
                hall.decided += 1
                hall.on_time += finished <= day(c["due_date"])
    hall.on_time_rate = rate(hall.on_time, hall.decided)

    counts: dict[str, Counts] = defaultdict(Counts)
    used: dict[str, list[tuple[int, int]]] = defaultdict(list)  # matter -> (working days used, promised)
    ratios: dict[str, list[float]] = defaultdict(list)
    open_lights: dict[str, Counter] = defaultdict(Counter)
    red_tasks: dict[int, list[str]] = defaultdict(list)
    for t in tasks:
        a, decided, started = counts[t["agency"]], local(t["decided_at"]), day(t["started_on"])
        a.received += within(started)
        if t["status"] in DECIDED_TASK and within(decided):
            a.issued += t["status"] == "approved"
            a.denied += t["status"] == "denied"
            if t["due_date"] is not None:
                a.decided += 1
                a.on_time += decided <= day(t["due_date"])
            days = _working_days(calendar, started, decided, t)
            if days is not None:
                used[t["matter"]].append((days, t["promised_days"]))
                ratios[t["agency"]].append(days / t["promised_days"])
        if t["status"] == "cancelled" and within(local(t["updated_at"])):
            a.returned += 1
        if running_on(t, period.end, local):
            shade = _light_on(calendar, t, period.end)
            open_lights[t["agency"]][shade] += 1
            if shade == "red":
                red_tasks[t["case_id"]].append(f"任务{t['id']} {_name(matters, t['matter'])}（{agencies.get(t['agency'], t['agency'])}）"
                                               f"逾期，应于{day(t['due_date']).isoformat()}办结")
    for figures in counts.values():
        figures.on_time_rate = rate(figures.on_time, figures.decided)

    shown = sorted({t["agency"] for t in tasks} | ({agency} if agency else set()))
    agency_rows = [
        AgencyFigures(agency=code, name=agencies.get(code, code), counts=counts[code],
                      open_by_light={k: open_lights[code][k] for k in LIGHTS},
                      average_ratio=round(sum(ratios[code]) / len(ratios[code]), 4) if ratios[code] else None)
        for code in shown
    ]
    matter_rows = [
        MatterFigures(matter=code, name=_name(matters, code), agency=matters.get(code, {}).get("agency", ""),
                      promised_days=matters.get(code, {}).get("promised_days"), decided=len(values),
                      average_days=round(sum(d for d, _ in values) / len(values), 2), p90_days=p90([d for d, _ in values]),
                      over_limit=sum(d > limit for d, limit in values))
        for code, values in sorted(used.items())
    ]
    total_lights = Counter()
    for shades in open_lights.values():
        total_lights.update(shades)

    overdue = _overdue(by_id, red_tasks, period.end, local)
    stalled = _stalled(read, calendar, by_id, period.end, end, local, stalled_after_days)
    ranking = [
        RankLine(rank=r, agency=s.agency, name=agencies.get(s.agency, s.agency), on_time_rate=s.on_time_rate,
                 average_ratio=s.average_ratio, decided=s.decided, last_place=flag)
        for r, s, flag in rank(_standings(read, calendar, period, local, within))
    ]
    return Report(
        kind=period.kind, title=TITLES[period.kind] + (f"（{agencies[agency]}）" if agency else ""),
        period_start=period.start, period_end=period.end, scope=agency, hall=hall, agencies=agency_rows,
        matters=matter_rows, cases_per_day={d.isoformat(): per_day[d.isoformat()] for d in period.days()},
        open_by_light={k: total_lights[k] for k in LIGHTS}, overdue=overdue, stalled=stalled,
        ledger=_ledger(read, calendar, period, local, within, agency),
        projects=project_progress(read, calendar, period.end, end, tz, agency=agency),
        ratings=_ratings(read, period, agency, tz), ranking=ranking,
    )


def _tasks_of(read: Reader, case_ids: list[int]) -> list[dict]:
    found: list[dict] = []
    for chunk in range(0, len(case_ids), 500):
        part = case_ids[chunk:chunk + 500]
        marks = ", ".join(f"%(i{n})s" for n in range(len(part)))
        found += read.rows(
            "SELECT id, case_id, matter, agency, status, promised_days, started_on, due_date, supplement_days, "
            f"special_days, stopped, stopped_on, decided_at, updated_at FROM review_task WHERE case_id IN ({marks}) "
            "ORDER BY id", **{f"i{n}": i for n, i in enumerate(part)})
    return found


def _name(matters: dict, code: str) -> str:
    return matters.get(code, {}).get("name", code)


def _working_days(calendar: WorkingCalendar, started: date | None, decided: date | None, task: dict) -> int | None:
    """Working days the task's clock ran: from its start to its decision, less the days it stood stopped."""
    if started is None or decided is None:
        return None
    try:
        return max(0, calendar.working_days_between(started, decided) - task["supplement_days"] - task["special_days"])
    except CalendarUnknown:
        return None


def _light_on(calendar: WorkingCalendar, task: dict, on: date) -> str:
    stopped_on = day(task["stopped_on"])
    if task["stopped"] is not None and stopped_on is not None and stopped_on <= on:
        return "stopped"
    shade = light(calendar, day(task["due_date"]), on)
    return shade if shade is not None else "unknown"


def _overdue(cases: dict[int, dict], red_tasks: dict[int, list[str]], on: date, local) -> list[CaseLine]:
    lines = []
    for case_id, c in cases.items():
        finished, due = local(c["finished_at"]), day(c["due_date"])
        reasons = []
        accepted = local(c["accepted_at"])
        if (finished is None or finished > on) and accepted is not None and accepted <= on and due is not None \
                and due < on and c["stops_open"] == 0:
            reasons.append(f"办件应于{due.isoformat()}办结")
        reasons += red_tasks.get(case_id, [])
        if reasons:
            lines.append(CaseLine(case_no=c["case_no"], bundle=c["bundle"], applicant=c["applicant_name"],
                                  status=c["status"], reason="；".join(reasons)))
    return lines


def _stalled(read: Reader, calendar: WorkingCalendar, cases: dict[int, dict], on: date, end: datetime, local,
             after_days: int) -> list[CaseLine]:
    """Cases open that day on which no person or agency had acted for `after_days` working days."""
    try:
        quiet_since = calendar.subtract_working_days(on, after_days)
    except CalendarUnknown:
        return []
    last = {r["case_id"]: local(r["at"]) for r in read.rows(
        "SELECT case_id, MAX(at) AS at FROM case_event WHERE actor <> 'system' AND at < %(end)s GROUP BY case_id",
        end=timestamp(read, end))}
    lines = []
    for case_id, c in cases.items():
        finished = local(c["finished_at"])
        acted = last.get(case_id)
        if (finished is None or finished > on) and acted is not None and acted <= quiet_since:
            quiet = calendar.working_days_between(acted, on)
            lines.append(CaseLine(case_no=c["case_no"], bundle=c["bundle"], applicant=c["applicant_name"],
                                  status=c["status"], reason=f"{quiet}个工作日无人办理（最后办理{acted.isoformat()}）"))
    return lines


def _standings(read: Reader, calendar: WorkingCalendar, period: Period, local, within) -> list[Standing]:
    """Every agency that decided a task in the period, whatever the report's scope: the ranking is the hall's."""
    start = datetime.combine(period.start, time(), UTC) - timedelta(days=1)
    end = datetime.combine(period.end, time(), UTC) + timedelta(days=2)
    decided: dict[str, list[tuple[bool, float | None]]] = defaultdict(list)
    for t in read.rows(
        "SELECT agency, status, started_on, due_date, decided_at, promised_days, supplement_days, special_days "
        "FROM review_task WHERE decided_at >= %(start)s AND decided_at < %(end)s AND status IN ('approved', 'denied')",
        start=timestamp(read, start), end=timestamp(read, end),
    ):
        when = local(t["decided_at"])
        if not within(when) or t["due_date"] is None:
            continue
        days = _working_days(calendar, day(t["started_on"]), when, t)
        decided[t["agency"]].append((when <= day(t["due_date"]), days / t["promised_days"] if days is not None else None))
    standings = []
    for code, results in decided.items():
        ratios = [r for _, r in results if r is not None]
        standings.append(Standing(code, rate(sum(ok for ok, _ in results), len(results)),
                                  round(sum(ratios) / len(ratios), 4) if ratios else None, len(results)))
    return standings


def _ledger(read: Reader, calendar: WorkingCalendar, period: Period, local, within, agency: str | None) -> LedgerFigures:
    rows = read.rows(
        "SELECT l.*, t.matter FROM ledger_item l LEFT JOIN review_task t ON t.id = l.task_id"
        + (" WHERE l.agency = %(agency)s" if agency else "") + " ORDER BY l.id", agency=agency)
    opened = escalated = closed = 0
    by_agency: dict[str, Counter] = defaultdict(Counter)
    items = []
    for r in rows:
        opened_on, escalated_on, closed_on = day(r["opened_on"]), local(r["escalated_at"]), local(r["closed_at"])
        for label, when in (("opened", opened_on), ("escalated", escalated_on), ("closed", closed_on)):
            if within(when):
                by_agency[r["agency"]][label] += 1
        opened += within(opened_on)
        escalated += within(escalated_on)
        closed += within(closed_on)
        if opened_on <= period.end and (closed_on is None or closed_on > period.end):
            by_agency[r["agency"]]["open"] += 1
            status = "supervised" if escalated_on is not None and escalated_on <= period.end else "assigned"
            shade = light(calendar, day(r["missed_due"]), period.end)
            items.append(LedgerLine(id=r["id"], kind=r["kind"], agency=r["agency"],
                                    title=_ledger_title(r), status=status,
                                    due=day(r["missed_due"]), light=shade,
                                    assigned_to=r["assigned_to"], escalated_to=r["escalated_to"] if status == "supervised" else None,
                                    leader=r["leader"]))
    return LedgerFigures(opened=opened, escalated=escalated, closed=closed,
                         by_agency={a: {k: c[k] for k in ("opened", "escalated", "closed", "open")}
                                    for a, c in sorted(by_agency.items())},
                         open_items=items)


def _ledger_title(item: dict) -> str:
    if item["title"]:
        return item["title"]
    if item["kind"] == "rectification":
        return f"差评整改逾期（整改{item['rectification_id']}）"
    if item["kind"] == "verification":
        return f"{item['matter'] or ''}告知承诺核查逾期（任务{item['task_id']}）"
    return f"{item['matter'] or ''}逾期（任务{item['task_id']}）"


def _ratings(read: Reader, period: Period, agency: str | None, tz: ZoneInfo) -> list[dict] | None:
    """好差评 per agency when the ratings module is there (a report without it still works: "no ratings")."""
    try:
        from services.queries.ratings import rating_statistics
    except ImportError:
        return None
    return rating_statistics(read, period.start, period.end, agency, tz=tz)
