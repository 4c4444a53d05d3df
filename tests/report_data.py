"""A generated month of work for the report tests: a few hundred cases over four weeks, made in-process
through the use cases (submit, decide, supplement, the sweep, ledger items, a key project), one short
transaction each, on the clock of the day they happen. Seeded: the same seed makes the same data.

It keeps its own log of what it did (cases filed a day, decisions a day), which the tests hold the reports'
figures against.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from approvals.deadlines import Clock
from approvals.errors import Refused
from approvals.identifiers import USCC_ALPHABET, resident_id_check_char, uscc_check_char
from approvals.review import Action
from schemas.case import ApplicationIn
from services import cases, ledger, projects, ratings
from services.catalog import builtin_catalog_text, parse_catalog_text
from services.db import UnitOfWork
from services.settings import get_settings
from services.staff import add_operator
from services.sweep import sweep
from services.workdays import calendar_for

TZ = ZoneInfo("Asia/Shanghai")
START = date(2026, 3, 2)  # a Monday; four plain weeks, no holiday until Qingming (4 April)
WEEKS = 4
BUNDLES = ("RESTAURANT", "COMPANY_START", "HOTEL", "PHARMACY")
LEADER = "leader-wang"
PROJECT = "KP-EAST-PARK"


@dataclass
class Generated:
    url: str
    start: date
    end: date
    submitted: dict[date, list[str]] = field(default_factory=lambda: defaultdict(list))  # day -> case numbers
    decided: dict[int, tuple[date, str, str]] = field(default_factory=dict)  # task id -> (day, agency, status)
    hand_items: list[int] = field(default_factory=list)
    rated: dict[date, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))  # day -> agency -> ratings


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TZ)


def generate(url: str, *, seed: int = 25, per_day: int = 12, weeks: int = WEEKS) -> Generated:
    rng = random.Random(seed)
    _, catalog = parse_catalog_text(builtin_catalog_text())
    made = Generated(url, START, START + timedelta(days=7 * weeks - 1))
    speed = {agency: rng.uniform(0.3, 0.8) for agency in sorted(catalog.agencies)}  # some agencies lag: red lights
    enterprise = _uscc(rng)
    act(url, at(START, 8), lambda s, c: add_operator(s, LEADER, "leader", agency=None, name="王副县长", phone=None,
                                                     by="admin", now=c.now))
    act(url, at(START, 8), lambda s, c: projects.add_project(
        s, code=PROJECT, name="东部工业园智能制造项目", uscc=enterprise, leader=LEADER, team="招商专班",
        plan="4月底前办齐用地、规划、施工手续", actor="window-1", clock=c))
    waiting_supply: list[tuple[str, list[str]]] = []
    for n in range(7 * weeks):
        today = START + timedelta(days=n)
        if chinese_calendar.is_workday(today):
            for i in range(per_day + rng.randint(-3, 3)):
                bundle = rng.choice(BUNDLES)
                application = _application(rng, catalog, bundle, enterprise if i == 0 and n % 7 == 0 else None)
                result = act(url, at(today, 9, 0) + timedelta(minutes=20 * i),
                             lambda s, c: cases.submit(s, application, actor="window-1", clock=c))
                made.submitted[today].append(result.case_no)
                if application.applicant.uscc == enterprise:
                    stage = ("land", "planning", "construction", "completion")[n // 7]
                    act(url, at(today, 12), lambda s, c: projects.attach_case(
                        s, PROJECT, result.case_no, stage=stage, actor="window-1", clock=c))
                if result.status == "correction_required":
                    waiting_supply.append((result.case_no, result.missing))
            rng.shuffle(waiting_supply)
            keep = []
            for case_no, materials in waiting_supply:  # the applicant supplies, most of them within a day or two
                if rng.random() < 0.6:
                    try:
                        act(url, at(today, 10), lambda s, c: cases.supplement(s, case_no, materials, actor="window-1",
                                                                               clock=c))
                    except Refused:  # a required matter was denied meanwhile: nothing is awaited any more
                        pass
                else:
                    keep.append((case_no, materials))
            waiting_supply = keep
            for task_id, agency, matter in _pending(url):
                if rng.random() > speed[agency]:
                    continue
                roll = rng.random()
                action = Action.APPROVE if roll < 0.88 else Action.DENY if roll < 0.93 else Action.SUPPLEMENT
                asked = [rng.choice(catalog.matters[matter].materials).code] if action is Action.SUPPLEMENT else []
                try:
                    outcome = act(url, at(today, 15) + timedelta(seconds=task_id), lambda s, c: cases.decide(
                        s, task_id, action, operator=f"{agency}-reviewer", materials=asked, clock=c,
                        reason="材料与现场不符" if action is not Action.APPROVE else None))
                except Refused:  # a sibling's denial cancelled it a moment ago
                    continue
                if action is Action.SUPPLEMENT:
                    waiting_supply.append((outcome.case_no, asked))
                else:
                    made.decided[task_id] = (today, agency, outcome.task_status)
            for case_no, agencies in _finished_on(url, today):  # about half the applicants rate at the window
                if rng.random() < 0.5:
                    levels = {a: rng.choice((5, 5, 5, 4, 4, 3, 2, 1)) for a in agencies}
                    act(url, at(today, 17), lambda s, c: ratings.rate(
                        s, case_no, ratings.RatingIn(level=min(levels.values()), agencies=levels), clock=c,
                        callback_days=1, fix_days=15, operator="window-1"))
                    for agency in levels:
                        made.rated[today][agency] = made.rated[today].get(agency, 0) + 1
            if n % 7 in (1, 3):  # supervisors enter items by hand twice a week
                agency = rng.choice(sorted(catalog.agencies))
                item = act(url, at(today, 11), lambda s, c: ledger.add_item(
                    s, kind=rng.choice(ledger.HAND_KINDS), title=f"第{n}天交办：窗口材料清单更新", agency=agency,
                    due=c.calendar.add_working_days(today, rng.randint(1, 4)), case_no=None,
                    leader="王副县长" if rng.random() < 0.5 else None, actor="supervisor-1", clock=c))
                made.hand_items.append(item.id)
            if n % 7 == 4 and made.hand_items[:-1]:
                item_id = made.hand_items[len(made.hand_items) // 2 - 1]
                if item_id not in made.hand_items[-1:]:
                    act(url, at(today, 16), lambda s, c: _close_once(s, item_id, c))
        act(url, at(today, 18), lambda s, c: sweep(s, c, escalate_after_days=get_settings().escalate_after_days))
    return made


def act(url: str, now: datetime, use_case):
    """One use case, one transaction, at `now`."""
    with UnitOfWork(url) as uow:
        result = use_case(uow.session, Clock(now, calendar_for(uow.session)))
        uow.commit()
        return result


def _close_once(session, item_id: int, clock: Clock):
    from schemas.ledger import LedgerItem

    if session.get(LedgerItem, item_id).status != "closed":
        ledger.close_item(session, item_id, note="已整改", actor="supervisor-1", clock=clock)


def _pending(url: str) -> list[tuple[int, str, str]]:
    from services.queries.connection import reader

    plain = url.replace("+psycopg", "")
    with reader(plain) as read:
        return [(r["id"], r["agency"], r["matter"]) for r in read.rows(
            "SELECT id, agency, matter FROM review_task WHERE status = 'pending' ORDER BY id")]


def _finished_on(url: str, day: date) -> list[tuple[str, list[str]]]:
    """Cases that ended that day, with the agencies that reviewed them."""
    from services.queries.connection import reader, timestamp

    with reader(url) as read:
        found = read.rows(
            "SELECT c.case_no, t.agency FROM case_file c JOIN review_task t ON t.case_id = c.id "
            "WHERE c.finished_at >= %(start)s AND c.finished_at < %(end)s ORDER BY c.id, t.agency",
            start=timestamp(read, at(day, 0)), end=timestamp(read, at(day + timedelta(days=1), 0)))
    agencies: dict[str, list[str]] = {}
    for r in found:
        if r["agency"] not in agencies.setdefault(r["case_no"], []):
            agencies[r["case_no"]].append(r["agency"])
    return list(agencies.items())


def _application(rng: random.Random, catalog, bundle: str, uscc: str | None) -> ApplicationIn:
    spec = catalog.bundles[bundle]
    optional = [m.matter for m in spec.matters if m.optional and rng.random() < 0.5]
    codes = [m.matter for m in spec.matters if not m.optional or m.matter in optional]
    materials = list(catalog.materials_of(codes))
    if rng.random() < 0.08:  # 补正: a core material forgotten
        materials.remove(rng.choice(materials))
    return ApplicationIn.model_validate({
        "request_id": f"gen-{rng.getrandbits(64):016x}", "bundle": bundle, "channel": "window",
        "applicant": {"name": f"生成企业{rng.randint(1000, 9999)}有限公司", "uscc": uscc or _uscc(rng),
                      "legal_representative": {"name": "张三", "id_number": _resident_id(rng)}},
        "materials": materials, "optional_matters": optional,
    })


def _uscc(rng: random.Random) -> str:
    body = "9135" + "".join(rng.choice("0123456789") for _ in range(4)) + "".join(
        rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_char(body)


def _resident_id(rng: random.Random) -> str:
    body = f"110105{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)
