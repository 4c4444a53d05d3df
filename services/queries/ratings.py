"""好差评 as read: ratings, rectification items, and the statistics that rank agencies, windows and months.

Statistics count ratings made in a period (jurisdiction dates, both ends included), without voided ones:
- an agency's figures use its level in each rating (`rating_item` rows with no matter: given by name, or
  derived) and its own rectification items; the hall's items (agency HALL) count with the window;
- a window's (the clerk a rating counts for) and a month's use the rating's level and all its items, or,
  given an agency, that agency's level and items;
- satisfaction rate: share of 非常满意, 满意 and 基本满意 (levels 5, 4, 3); call-back on time: items called
  back on or before their call-back due date, over all items; fix on time: items fixed or explained on or
  before their fix due date, over all items (an item still open counts as not on time).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from approvals.errors import BadInput
from approvals.ratings import HALL, LEVEL_NAMES, SATISFIED_LEVELS, RectificationStatus, on_time, rate, ranked
from services.queries.catalog import catalog_document
from services.queries.connection import Reader, day, from_json, timestamp, utc

GROUPINGS = ("agency", "window", "month")


def _bounds(read: Reader, start: date, end: date, tz: ZoneInfo) -> dict:
    if end < start:
        raise BadInput(f"--to {end.isoformat()} is before --from {start.isoformat()}")
    low = datetime.combine(start, time.min, tz)
    high = datetime.combine(end + timedelta(days=1), time.min, tz)
    return {"low": timestamp(read, low), "high": timestamp(read, high)}


_IN_PERIOD = "r.created_at >= %(low)s AND r.created_at < %(high)s"


def _zone(tz) -> ZoneInfo:
    if tz is None:
        from services.settings import get_settings

        return get_settings().tz
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _local_day(moment: datetime | None, tz: ZoneInfo) -> date | None:
    return moment.astimezone(tz).date() if moment is not None else None


def agency_names(read: Reader) -> dict[str, str]:
    _, document = catalog_document(read)
    names = {a["code"]: a["name"] for a in document.get("agencies", [])}
    return {**names, HALL: "政务服务中心"}


def rating_statistics(read: Reader, start: date, end: date, agency: str | None = None, *, by: str = "agency",
                      tz: ZoneInfo | str | None = None) -> list[dict]:
    """Per agency (or window, or month): count, distribution (levels "5".."1"), satisfaction_rate, bad,
    rectifications, callback_on_time_rate, fix_on_time_rate and rank (best first; equal figures share a
    rank). Rates are shares in 0..1 rounded to four places, None when nothing is counted. Voided ratings
    leave the figures; `voided` says how many of the group's were voided."""
    if by not in GROUPINGS:
        raise BadInput(f"--by {by!r}: one of {', '.join(GROUPINGS)}")
    zone = _zone(tz)
    params = _bounds(read, start, end, zone)
    ratings = {r["id"]: r for r in read.rows(
        f"SELECT r.id, r.level, r.operator, r.created_at, r.voided FROM rating r WHERE {_IN_PERIOD}", **params)}
    levels = read.rows(
        f"SELECT i.rating_id, i.agency, i.level FROM rating_item i JOIN rating r ON r.id = i.rating_id "
        f"WHERE i.matter IS NULL AND {_IN_PERIOD}", **params)
    items = read.rows(
        f"SELECT x.rating_id, x.agency, x.status, x.callback_due, x.fix_due, x.called_back_at, x.closed_at "
        f"FROM rectification x JOIN rating r ON r.id = x.rating_id WHERE {_IN_PERIOD}", **params)
    rectifications = defaultdict(list)
    for x in items:
        rectifications[x["rating_id"]].append(x)

    # observations: (group, rating, level, its rectification items)
    observations: list[tuple[str, dict, int, list[dict]]] = []
    if by == "agency" or agency is not None:
        for row in levels:
            if agency is not None and row["agency"] != agency:
                continue
            rating = ratings[row["rating_id"]]
            mine = [x for x in rectifications[row["rating_id"]] if x["agency"] == row["agency"]]
            observations.append((row["agency"], rating, row["level"], mine))
        if agency == HALL:  # the hall has no level of its own: its items, under the rating's level
            for rating_id, found in rectifications.items():
                mine = [x for x in found if x["agency"] == HALL]
                if mine:
                    observations.append((HALL, ratings[rating_id], ratings[rating_id]["level"], mine))
    else:
        observations = [(None, r, r["level"], rectifications[r["id"]]) for r in ratings.values()]
    if by != "agency":
        def key(rating):
            if by == "window":
                return rating["operator"] or "-"
            return utc(rating["created_at"]).astimezone(zone).strftime("%Y-%m")

        observations = [(key(rating), rating, lvl, mine) for _, rating, lvl, mine in observations]

    groups: dict[str, list] = defaultdict(list)
    for group, rating, lvl, mine in observations:
        groups[group].append((rating, lvl, mine))
    names = agency_names(read) if by == "agency" else {}
    result = []
    for group, rows in groups.items():
        counted = [(lvl, mine) for rating, lvl, mine in rows if not rating["voided"]]
        distribution = {str(n): 0 for n in sorted(LEVEL_NAMES, reverse=True)}
        for lvl, _ in counted:
            distribution[str(lvl)] += 1
        owed = [x for _, mine in counted for x in mine]
        callback = sum(on_time(_local_day(utc(x["called_back_at"]), zone), day(x["callback_due"])) for x in owed)
        fixed = sum(on_time(_local_day(utc(x["closed_at"]), zone), day(x["fix_due"])) for x in owed
                    if x["status"] in (RectificationStatus.FIXED, RectificationStatus.EXPLAINED))
        row = {by: group}
        if by == "agency":
            row["name"] = names.get(group, group)
        row |= {
            "count": len(counted),
            "voided": len(rows) - len(counted),
            "distribution": distribution,
            "satisfaction_rate": rate(sum(distribution[str(n)] for n in SATISFIED_LEVELS), len(counted)),
            "bad": distribution["2"] + distribution["1"],
            "rectifications": len(owed),
            "callback_on_time": callback,
            "callback_on_time_rate": rate(callback, len(owed)),
            "fix_on_time": fixed,
            "fix_on_time_rate": rate(fixed, len(owed)),
        }
        result.append(row)
    if by == "month":
        return [{**row, "rank": None} for row in sorted(result, key=lambda r: r["month"])]
    return ranked(result, by)


# --- listings ----------------------------------------------------------------------------------


def ratings(read: Reader, *, start: date | None = None, end: date | None = None, agency: str | None = None,
            case_no: str | None = None, tz: ZoneInfo | str | None = None) -> list[dict]:
    """Ratings (oldest first) with their levels per matter and agency and their rectification items.
    The comment and the phone number are as stored: the caller masks them."""
    zone = _zone(tz)
    where, params = ["1 = 1"], {}
    if start is not None or end is not None:
        params |= _bounds(read, start or date(2000, 1, 1), end or date(9998, 12, 31), zone)
        where.append(_IN_PERIOD)
    if agency is not None:
        where.append("EXISTS (SELECT 1 FROM rating_item i WHERE i.rating_id = r.id AND i.agency = %(agency)s)")
        params["agency"] = agency
    if case_no is not None:
        where.append("c.case_no = %(case_no)s")
        params["case_no"] = case_no
    rows = read.rows("SELECT r.*, c.case_no FROM rating r JOIN case_file c ON c.id = r.case_id WHERE "
                     + " AND ".join(where) + " ORDER BY r.id", **params)
    if not rows:
        return []
    ids = ", ".join(str(int(r["id"])) for r in rows)
    items = defaultdict(list)
    for i in read.rows(f"SELECT * FROM rating_item WHERE rating_id IN ({ids}) ORDER BY id"):
        items[i["rating_id"]].append({"matter": i["matter"], "agency": i["agency"], "level": i["level"],
                                      "given": bool(i["given"])})
    owed = defaultdict(list)
    for x in _rectification_rows(read, f"x.rating_id IN ({ids})"):
        owed[x["rating_id"]].append(x)
    return [{
        "id": r["id"], "case_no": r["case_no"], "channel": r["channel"], "level": r["level"],
        "level_name": LEVEL_NAMES[r["level"]], "indicators": from_json(r["indicators"]) or {},
        "comment": r["comment"], "rater_phone": r["rater_phone"], "created_at": utc(r["created_at"]),
        "operator": r["operator"], "voided": bool(r["voided"]), "voided_at": utc(r["voided_at"]),
        "void_reason": r["void_reason"], "items": items[r["id"]], "rectifications": owed[r["id"]],
    } for r in rows]


def rectifications(read: Reader, *, open_only: bool = False, agency: str | None = None) -> list[dict]:
    where, params = ["1 = 1"], {}
    if open_only:
        where.append("x.closed_at IS NULL")
    if agency is not None:
        where.append("x.agency = %(agency)s")
        params["agency"] = agency
    return _rectification_rows(read, " AND ".join(where), **params)


def _rectification_rows(read: Reader, where: str, **params) -> list[dict]:
    # the level the item answers for: its agency's in the rating (the hall's: the rating's own)
    rows = read.rows("SELECT x.*, c.case_no, COALESCE(i.level, r.level) AS level, r.channel FROM rectification x "
                     "JOIN case_file c ON c.id = x.case_id JOIN rating r ON r.id = x.rating_id "
                     "LEFT JOIN rating_item i ON i.rating_id = x.rating_id AND i.agency = x.agency "
                     f"AND i.matter IS NULL WHERE {where} ORDER BY x.id", **params)
    times = ("opened_at", "called_back_at", "closed_at", "appealed_at", "appeal_decided_at")
    return [{**{k: v for k, v in r.items() if k not in times + ("callback_due", "fix_due")},
             **{k: utc(r[k]) for k in times}, "callback_due": day(r["callback_due"]), "fix_due": day(r["fix_due"])}
            for r in rows]


def rating_form(read: Reader, case_no: str, channel: str = "online") -> dict:
    """What the rating form of a channel (online, or at the window) shows for a case: its matters and agencies
    by name, the channel's indicators, the levels, and whether it was rated through that channel already."""
    from approvals.errors import NotFound
    from approvals.ratings import INDICATORS, RATABLE, Channel

    case = read.one("SELECT id, case_no, bundle, status FROM case_file WHERE case_no = %(n)s", n=case_no)
    if case is None:
        raise NotFound(f"no case {case_no}")
    _, document = catalog_document(read)
    matter_names = {m["code"]: m["name"] for m in document.get("matters", [])}
    bundle_names = {b["code"]: b["name"] for b in document.get("bundles", [])}
    agencies = agency_names(read)
    tasks = read.rows("SELECT matter, agency FROM review_task WHERE case_id = %(c)s ORDER BY id", c=case["id"])
    rated = read.one("SELECT id FROM rating WHERE case_id = %(c)s AND channel = %(ch)s", c=case["id"],
                     ch=Channel(channel).value)
    return {
        "case_no": case["case_no"], "bundle": case["bundle"], "bundle_name": bundle_names.get(case["bundle"]),
        "status": case["status"], "ratable": case["status"] in RATABLE, "rated": rated is not None,
        "matters": [{"code": t["matter"], "name": matter_names.get(t["matter"], t["matter"]), "agency": t["agency"],
                     "agency_name": agencies.get(t["agency"], t["agency"])} for t in tasks],
        "indicators": list(INDICATORS[Channel(channel)]),
        "levels": {str(n): name for n, name in sorted(LEVEL_NAMES.items(), reverse=True)},
    }
