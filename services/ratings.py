"""好差评 use cases: rate a finished case (at the window, or online with the token), rectify a bad rating
(回访, 整改, or an explanation), appeal it (申诉复核), and the sweep's part: rectification clocks and the ledger.

Each takes a Session inside an open unit of work and never commits; rules come from approvals.ratings.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel
from sqlmodel import Session, select

from approvals.calendar import CalendarUnknown
from approvals.deadlines import Clock, Light, bands, due_date
from approvals.errors import BadInput, NotFound, Refused
from approvals.permissions import Act, Role
from approvals.ratings import (
    CLOSED,
    HALL,
    RATABLE,
    Channel,
    RectificationStatus,
    Step,
    TokenClaims,
    agency_levels,
    answerable,
    indicators,
    level,
    next_status,
    read_token,
    sign_token,
)
from schemas.case import Case, CaseEvent
from schemas.ledger import LedgerItem
from schemas.inputs import RatingIn
from schemas.rating import Rating, RatingItem, Rectification
from schemas.review import ReviewTask
from schemas.staff import Operator
from services import staff
from services.case_repository import cases
from services.records import insert_ignore
from services.settings import Settings

LEDGER = LedgerItem.__table__


# --- the token ---------------------------------------------------------------------------------


def rating_key(settings: Settings) -> bytes:
    """The key rating tokens are signed with, derived from the installation's secret."""
    from services.installation import purpose_key

    return purpose_key(settings, b"rating")


def issue_token(key: bytes, case_no: str, today: date, days: int) -> str:
    """A token for the case's online rating, valid `days` calendar days (printed on the receipt, sent with
    the results)."""
    return sign_token(key, case_no, today + timedelta(days=days), secrets.token_hex(8))


def rating_link(base: str, token: str) -> str:
    return f"{base.rstrip('/')}/{token}"


def link_for(settings: Settings, case_no: str, today: date, key: bytes | None = None) -> tuple[str, str]:
    """(token, link) for the case's online rating, as the receipt and the results notice carry it."""
    token = issue_token(key or rating_key(settings), case_no, today, settings.rating_token_days)
    return token, rating_link(settings.rating_url, token)


# --- rate -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateResult:
    rating_id: int
    case_no: str
    channel: Channel
    level: int
    agencies: dict[str, int]
    rectifications: list[int]  # items opened by this rating (a bad one)


def rate(session: Session, case_no: str | None, given: RatingIn, *, clock: Clock, callback_days: int,
         fix_days: int, operator: str | None = None, token: str | None = None, key: bytes | None = None) -> RateResult:
    """At the window (`operator`, a clerk) or online (`token`, read with `key`). One rating per case and
    channel: a second is refused, and so is a token used before."""
    overall = level(given.level)
    claims: TokenClaims | None = None
    if token is not None:
        claims = read_token(key, token, clock.today)
        if case_no is not None and case_no != claims.case_no:
            raise Refused(f"this rating token is for case {claims.case_no}, not {case_no}")
        case_no, channel, actor, clerk = claims.case_no, Channel.ONLINE, "applicant", None
    else:
        if case_no is None:
            raise BadInput("give the case number (at the window) or --token (online)")
        staff.authorise(session, operator, Act.RATE)
        channel, actor, clerk = Channel.WINDOW, operator, operator
    scores = indicators(channel, given.indicators)
    phone = staff.phone_number(given.phone)
    comment = (given.comment or "").strip() or None
    case = cases(session).get(case_no)
    if case.status not in RATABLE:
        raise Refused(f"case {case_no} is {case.status}: a case is rated once it has ended")
    if claims is not None and session.exec(select(Rating.id).where(Rating.token_digest == claims.digest)).first():
        raise Refused("this rating token was used already")
    if session.exec(select(Rating.id).where(Rating.case_id == case.id, Rating.channel == channel)).first():
        raise Refused(f"case {case_no} was rated {'at the window' if channel is Channel.WINDOW else 'online'} "
                      "already: one rating per case and channel")
    tasks = list(session.exec(select(ReviewTask).where(ReviewTask.case_id == case.id).order_by(ReviewTask.id)))
    agencies = list(dict.fromkeys(t.agency for t in tasks))
    matter_agency = {t.matter: t.agency for t in tasks}
    for matter, value in given.matters.items():
        if matter not in matter_agency:
            raise BadInput(f"--matter {matter!r} is not a matter of case {case_no} ({', '.join(matter_agency)})")
        level(value, f"--level for {matter}")
    for agency, value in given.agencies.items():
        if agency not in agencies:
            raise BadInput(f"--agency {agency!r} did not review case {case_no} ({', '.join(agencies)})")
        level(value, f"--level for {agency}")
    by_agency = agency_levels(overall, given.matters, given.agencies, matter_agency, agencies)
    rating = Rating(case_id=case.id, channel=channel, level=overall, indicators=scores, comment=comment,
                    rater_phone=phone, created_at=clock.now, operator=clerk or _filing_clerk(session, case),
                    token_digest=claims.digest if claims else None)
    session.add(rating)
    session.flush()
    session.add_all([RatingItem(rating_id=rating.id, matter=m, agency=matter_agency[m], level=v)
                     for m, v in given.matters.items()])
    session.add_all([RatingItem(rating_id=rating.id, matter=None, agency=a, level=v, given=a in given.agencies)
                     for a, v in by_agency.items()])
    case.record(clock.now, "rated", actor, f"{channel}: {overall} {overall.label}")
    opened = [_open_rectification(session, case, rating, agency, tasks, clock, callback_days, fix_days)
              for agency in answerable(overall, by_agency)]
    case.last_acted_at = clock.now
    return RateResult(rating.id, case.case_no, channel, overall, by_agency, opened)


def _filing_clerk(session: Session, case: Case) -> str | None:
    """The window clerk who filed the case: an online rating counts for that window (None: an agent's)."""
    first = session.exec(select(CaseEvent.actor).where(CaseEvent.case_id == case.id, CaseEvent.kind == "submitted")
                         .order_by(CaseEvent.id)).first()
    who = session.get(Operator, first) if first else None
    return who.id if who is not None and who.role == Role.WINDOW else None


def _open_rectification(session: Session, case: Case, rating: Rating, agency: str, tasks: list[ReviewTask],
                        clock: Clock, callback_days: int, fix_days: int) -> int:
    deciders = [t.decided_by for t in tasks if t.agency == agency and t.decided_by and "@" not in t.decided_by]
    operator = rating.operator if agency == HALL else (deciders[-1] if deciders else None)
    item = Rectification(rating_id=rating.id, case_id=case.id, agency=agency, operator=operator,
                         status=RectificationStatus.OPEN, opened_at=clock.now)
    try:
        item.callback_due = due_date(clock.calendar, clock.today, callback_days)
        item.fix_due = due_date(clock.calendar, clock.today, fix_days)
    except CalendarUnknown:
        pass
    if item.callback_due is None or item.fix_due is None:
        item.due_note = "deadline unknown: the calendar of that year is not announced (onevisit calendar set)"
    session.add(item)
    session.flush()
    case.record(clock.now, "rectification_opened", "system",
           f"rectification {item.id} for {agency}: call back by {item.callback_due}, fix by {item.fix_due}")
    return item.id


# --- rectify, appeal ------------------------------------------------------------------------


@dataclass(frozen=True)
class RectifyResult:
    id: int
    case_no: str
    agency: str
    status: RectificationStatus
    appeal: str | None
    rating_voided: bool


def rectify(session: Session, item_id: int, step: Step, *, note: str | None, operator: str,
            clock: Clock) -> RectifyResult:
    """One step of a rectification item: call-back, fixed, explained; an appeal; a supervisor's decision on
    the appeal (upheld: the rating stands; voided: it leaves the statistics and closes its items)."""
    note = (note or "").strip() or None
    if note is None:
        raise BadInput("--reason is required" if step is Step.APPEAL else "--note is required")
    found = session.get(Rectification, item_id) if 0 < item_id < 2**31 else None
    if found is None:
        raise NotFound(f"no rectification item {item_id}")
    who = staff.authorise(session, operator, _ACT[step])
    if step in (Step.CALLBACK, Step.FIXED, Step.EXPLAINED, Step.APPEAL):
        _answers_for(who, found)
    case = cases(session).by_id(found.case_id)
    item = session.exec(select(Rectification).where(Rectification.id == item_id).with_for_update()).one()
    status = next_status(item.status, step, item.appeal)
    now, voided = clock.now, False
    if step is Step.CALLBACK:
        item.called_back_at, item.called_back_by, item.callback_note = now, operator, note
        _close_ledger(session, item, operator, clock, "called back", missed_due=item.callback_due)
        detail = "called back (回访)"
    elif step in (Step.FIXED, Step.EXPLAINED):
        item.closed_at, item.closed_by, item.closing_note, item.light = now, operator, note, None
        _close_ledger(session, item, operator, clock, step.value)
        detail = "fixed (整改)" if step is Step.FIXED else "explained: no legal basis to act"
    elif step is Step.APPEAL:
        item.appeal, item.appeal_reason, item.appealed_at, item.appealed_by = "pending", note, now, operator
        detail = "appealed (申诉)"
    else:
        item.appeal = "voided" if step is Step.VOID else "upheld"
        item.appeal_decided_at, item.appeal_decided_by, item.appeal_note = now, operator, note
        if step is Step.VOID:
            voided = True
            _void_rating(session, item.rating_id, operator, clock, note)
        detail = f"appeal {item.appeal} (复核)"
    item.status = status if not voided else RectificationStatus.VOIDED
    case.record(now, f"rectification_{step}", operator, f"rectification {item.id} {item.agency}: {detail}")
    return RectifyResult(item.id, case.case_no, item.agency, item.status, item.appeal, voided)


_ACT = {Step.CALLBACK: Act.RECTIFY, Step.FIXED: Act.RECTIFY, Step.EXPLAINED: Act.RECTIFY, Step.APPEAL: Act.APPEAL,
        Step.UPHOLD: Act.REVIEW_APPEAL, Step.VOID: Act.REVIEW_APPEAL}


def _answers_for(who, item: Rectification) -> None:
    """A reviewer acts on its own agency's items; a window clerk on the hall's; supervisors on any."""
    if who.role == Role.REVIEWER and who.agency != item.agency:
        raise Refused(f"operator {who.id} reviews for {who.agency}: rectification {item.id} is {item.agency}'s")
    if who.role == Role.WINDOW and item.agency != HALL:
        raise Refused(f"rectification {item.id} is {item.agency}'s: its reviewers answer it")


def _void_rating(session: Session, rating_id: int, operator: str, clock: Clock, reason: str) -> None:
    """申诉复核 voided the rating: kept, out of the statistics; every item it opened is closed."""
    rating = session.get(Rating, rating_id)
    rating.voided, rating.voided_at, rating.void_reason = True, clock.now, reason
    for other in session.exec(select(Rectification).where(Rectification.rating_id == rating_id)):
        if other.status not in CLOSED:
            other.status, other.light = RectificationStatus.VOIDED, None
            other.closed_at, other.closed_by, other.closing_note = clock.now, operator, f"rating voided: {reason}"
        _close_ledger(session, other, operator, clock, "rating voided on appeal")


def _close_ledger(session: Session, item: Rectification, actor: str, clock: Clock, note: str,
                  missed_due: date | None = None) -> None:
    """销号: the item's open ledger entries (only the missed call-back's, when `missed_due` says so)."""
    query = select(LedgerItem).where(LedgerItem.rectification_id == item.id, LedgerItem.status != "closed")
    if missed_due is not None:
        query = query.where(LedgerItem.missed_due == missed_due)
    for entry in session.exec(query):
        entry.status, entry.closed_at, entry.closed_by, entry.closing_note = "closed", clock.now, actor, note


# --- the sweep's part ---------------------------------------------------------------------------


class RectificationSweep(BaseModel):
    yellow: int = 0
    red: int = 0
    green: int = 0
    ledger_opened: int = 0
    case_ids: list[int] = []


def sweep_rectifications(session: Session, clock: Clock, run_id: str | None = None) -> RectificationSweep:
    """Light every open item by the due date it waits on (the call-back's, then the fix's) and open a ledger
    item (交办) for every one that turns red; the ledger's 督查 escalates it like an overdue task. Open
    items are few (bad ratings not yet fixed), so they are read whole. Safe to repeat."""
    report = RectificationSweep()
    b = bands(clock.calendar, clock.today)
    touched: set[int] = set()
    open_items = session.exec(select(Rectification).where(Rectification.closed_at.is_(None))
                              .order_by(Rectification.case_id, Rectification.id)).all()
    for item in open_items:
        waiting = item.callback_due if item.status == RectificationStatus.OPEN else item.fix_due
        if waiting is None:
            continue
        light = Light.RED if waiting < b.today else Light.YELLOW if waiting <= b.last_yellow else Light.GREEN
        if light == item.light:
            continue
        case = cases(session).by_id(item.case_id)
        step = "call-back" if item.status == RectificationStatus.OPEN else "fix"
        if item.light is not None or light != Light.GREEN:
            setattr(report, light, getattr(report, light) + 1)
            case.record(clock.now, "light", "system",
                        f"rectification {item.id} {item.agency}: {light} ({step} due {waiting})", run_id)
            touched.add(case.id)
        item.light = light
        if light != Light.RED:
            continue
        opened = session.execute(
            insert_ignore(session, LEDGER, ["rectification_id", "missed_due"]).returning(LEDGER.c.id),
            [{"task_id": None, "rectification_id": item.id, "case_id": item.case_id, "agency": item.agency,
              "kind": "rectification", "missed_due": waiting, "status": "assigned",
              "assigned_to": item.operator or item.agency, "opened_at": clock.now, "opened_on": clock.today}],
        ).all()
        if opened:
            report.ledger_opened += 1
            case.record(clock.now, "ledger_assigned", "system",
                        f"rectification {item.id} {item.agency}: {step} due {waiting} missed: assigned to "
                        f"{item.operator or item.agency} (交办)", run_id)
    report.case_ids = sorted(touched)
    return report
