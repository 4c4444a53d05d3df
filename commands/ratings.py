"""好差评: rate a finished case, list ratings and their statistics, rectify and appeal bad ratings."""

from __future__ import annotations

from typing import Annotated

import typer

from commands.common import (
    JsonOpt,
    OperatorOpt,
    UnmaskedOpt,
    acting_operator,
    app_settings,
    build,
    clock_of,
    local_time,
    parse_day,
    print_json,
    print_table,
    reading,
    say,
    unmasking,
    write,
)

app = typer.Typer()


@app.command()
def rate(
    case_no: Annotated[str | None, typer.Argument(help="The case number (at the window; online, the token says).")] = None,
    level: Annotated[list[int] | None, typer.Option(
        "--level", help="1..5 (5 非常满意 ... 1 非常不满意): first the case's, then one after each --matter, then "
                        "one after each --agency, in that order.")] = None,
    matter: Annotated[list[str] | None, typer.Option("--matter", help="A matter rated on its own (repeat).")] = None,
    agency: Annotated[list[str] | None, typer.Option("--agency", help="An agency rated on its own (repeat).")] = None,
    indicator: Annotated[list[str] | None, typer.Option(
        "--indicator", help="NAME=LEVEL, e.g. 服务态度=5 (window: 整体满意度 服务效率 服务水平 服务态度; online: "
                            "整体满意度 办事效率 办事指南精确度 办事便捷度 平台操作性).")] = None,
    comment: Annotated[str | None, typer.Option("--comment", help="What the applicant says, as written.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="The rater's phone number.")] = None,
    token: Annotated[str | None, typer.Option("--token", help="Online: the token of the link (after /rate/).")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the applicant's rating of a finished case: at the window (a clerk), or online with the token
    from the receipt or the results notice (no sign-in). One rating per case and channel."""
    from approvals.errors import BadInput
    from services import ratings

    given = _rating_in(level or [], matter or [], agency or [], indicator or [], comment, phone)
    settings = app_settings()
    who = None if token is not None else acting_operator(operator)
    key = ratings.rating_key(settings) if token is not None else None
    if token is None and case_no is None:
        raise BadInput("give the case number (at the window) or --token (online)")
    result = write(lambda s: ratings.rate(s, case_no, given, clock=clock_of(s), operator=who, token=token, key=key,
                                          callback_days=settings.rating_callback_days,
                                          fix_days=settings.rating_fix_days))
    if as_json:
        print_json(result.__dict__)
        return
    say(f"case {result.case_no} rated {result.channel}: {result.level} "
               + "; ".join(f"{a} {lvl}" for a, lvl in result.agencies.items()))
    if result.rectifications:
        say("bad rating: rectification " + ", ".join(str(i) for i in result.rectifications) + " opened")


def _rating_in(levels: list[int], matters: list[str], agencies: list[str], indicators: list[str],
               comment: str | None, phone: str | None):
    from approvals.errors import BadInput
    from schemas.inputs import RatingIn

    if len(levels) != 1 + len(matters) + len(agencies):
        raise BadInput(f"--level: one for the case and one after each --matter and --agency "
                       f"({1 + len(matters) + len(agencies)} expected, {len(levels)} given)")
    scores = {}
    for text in indicators:
        name, sep, value = text.partition("=")
        if not sep or not value.strip().isdigit():
            raise BadInput(f"--indicator {text!r}: NAME=LEVEL, e.g. 服务态度=5")
        scores[name.strip()] = int(value)
    if len(set(matters)) != len(matters) or len(set(agencies)) != len(agencies):
        raise BadInput("a matter or agency is rated once")
    return build(RatingIn, level=levels[0], matters=dict(zip(matters, levels[1:1 + len(matters)], strict=True)),
                 agencies=dict(zip(agencies, levels[1 + len(matters):], strict=True)), indicators=scores,
                 comment=comment, phone=phone)


@app.command("ratings")
def list_ratings(
    agency: Annotated[str | None, typer.Option("--agency", help="Only ratings concerning this agency.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    case_no: Annotated[str | None, typer.Option("--case", help="Only this case's ratings.")] = None,
    stats: Annotated[bool, typer.Option("--stats", help="Statistics and ranking instead of the ratings.")] = False,
    by: Annotated[str, typer.Option("--by", help="Statistics per agency, window or month.")] = "agency",
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
    unmasked: UnmaskedOpt = False,
) -> None:
    """Ratings (comments and phone numbers masked), or with --stats their figures per agency, window or
    month: count, distribution, satisfaction rate, call-back and fix on time, rank (this month by default)."""
    from approvals.identifiers import mask_phone
    from services.queries import ratings as queries

    first, last = (parse_day(start) if start else None), (parse_day(end) if end else None)
    with reading(operator) as (read, who):
        show_all = unmasking(who, unmasked, as_json)
        if stats:
            today = app_settings().current_time().date()
            rows = queries.rating_statistics(read, first or today.replace(day=1), last or today, agency, by=by)
        else:
            rows = queries.ratings(read, start=first, end=last, agency=agency, case_no=case_no)
    if stats:
        _print_statistics(rows, by, as_json)
        return
    if not show_all:  # comments are masked on the way out, like every text; a phone is masked whatever its form
        for row in rows:
            row["rater_phone"] = mask_phone(row["rater_phone"])
    if as_json:
        print_json(rows, unmasked=show_all)
        return
    print_table("ratings (好差评)", ["id", "case", "channel", "level", "agencies", "comment", "phone", "rated",
                                    "window", "rectification", "voided"],
                [[r["id"], r["case_no"], r["channel"], f"{r['level']} {r['level_name']}",
                  " ".join(f"{i['agency']}:{i['level']}" for i in r["items"] if i["matter"] is None),
                  r["comment"], r["rater_phone"], local_time(r["created_at"]), r["operator"],
                  " ".join(f"{x['id']}:{x['status']}" for x in r["rectifications"]),
                  "voided" if r["voided"] else ""] for r in rows])


def _print_statistics(rows: list[dict], by: str, as_json: bool) -> None:
    if as_json:
        print_json(rows)
        return

    def pct(value):
        return "-" if value is None else f"{value * 100:.1f}%"

    print_table(f"ratings per {by} (好差评)", ["rank", by, *(["name"] if by == "agency" else []), "count",
                                              "5/4/3/2/1", "satisfied", "bad", "call-back on time", "fixed on time",
                                              "voided"],
                [[r["rank"], r[by], *([r["name"]] if by == "agency" else []), r["count"],
                  "/".join(str(v) for v in r["distribution"].values()), pct(r["satisfaction_rate"]), r["bad"],
                  pct(r["callback_on_time_rate"]), pct(r["fix_on_time_rate"]), r["voided"]] for r in rows])


@app.command()
def rectify(
    item_id: Annotated[int, typer.Argument(help="The rectification item.")],
    callback: Annotated[bool, typer.Option("--callback", help="The applicant was called back (回访).")] = False,
    fixed: Annotated[bool, typer.Option("--fixed", help="Fixed (整改), and called back again.")] = False,
    explained: Annotated[bool, typer.Option("--explained", help="No legal basis to act: explained.")] = False,
    appeal: Annotated[bool, typer.Option("--appeal", help="Appeal a mistaken or malicious rating (申诉).")] = False,
    uphold: Annotated[bool, typer.Option("--uphold", help="Supervisor: the appeal fails, the rating stands.")] = False,
    void: Annotated[bool, typer.Option("--void", help="Supervisor: the appeal succeeds, the rating is voided.")] = False,
    note: Annotated[str | None, typer.Option("--note", help="What was done or decided.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why the rating is appealed.")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One step of a bad rating's rectification: --callback, --fixed, --explained (with --note); --appeal
    --reason; a supervisor's --uphold or --void (with --note)."""
    from approvals.errors import BadInput
    from approvals.ratings import Step
    from services import ratings

    chosen = [step for step, on in ((Step.CALLBACK, callback), (Step.FIXED, fixed), (Step.EXPLAINED, explained),
                                    (Step.APPEAL, appeal), (Step.UPHOLD, uphold), (Step.VOID, void)) if on]
    if len(chosen) != 1:
        raise BadInput("give one of --callback, --fixed, --explained, --appeal, --uphold, --void")
    step = chosen[0]
    text = reason if step is Step.APPEAL else note
    if (reason if step is not Step.APPEAL else note) is not None:
        raise BadInput("--reason goes with --appeal; --note with the other steps")
    who = acting_operator(operator)
    result = write(lambda s: ratings.rectify(s, item_id, step, note=text, operator=who, clock=clock_of(s)))
    if as_json:
        print_json(result.__dict__)
        return
    say(f"rectification {result.id} ({result.case_no}, {result.agency}): {result.status}"
               + (f"; appeal {result.appeal}" if result.appeal else "")
               + ("; the rating is voided" if result.rating_voided else ""))


@app.command("rectifications")
def list_rectifications(
    open_only: Annotated[bool, typer.Option("--open", help="Only items not closed.")] = False,
    agency: Annotated[str | None, typer.Option("--agency", help="Only this agency's items.")] = None,
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Bad ratings' rectification items: call-back and fix due dates, light, appeal."""
    from services.queries.ratings import rectifications

    with reading(operator) as (read, _):
        rows = rectifications(read, open_only=open_only, agency=agency)
    if as_json:
        print_json(rows)
        return
    print_table("rectification (回访, 整改)", ["id", "case", "agency", "operator", "level", "status", "call back by",
                                              "fix by", "light", "appeal", "closed"],
                [[r["id"], r["case_no"], r["agency"], r["operator"], r["level"], r["status"], r["callback_due"],
                  r["fix_due"], r["light"], r["appeal"], local_time(r["closed_at"])] for r in rows])


@app.command("rating-token")
def rating_token(
    case_no: Annotated[str, typer.Argument(help="The case number.")],
    operator: OperatorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The link to rate the case online (signed, single use), to print on the receipt (window clerks)."""
    from approvals.permissions import Act
    from services.queries.cases import case_exists
    from services.ratings import link_for

    settings = app_settings()
    with reading(operator, Act.RATE) as (read, _):
        case_exists(read, case_no)
    token, link = link_for(settings, case_no, settings.current_time().date())
    if as_json:  # a token is no identifier: never masked
        print_json({"case_no": case_no, "token": token, "link": link}, unmasked=True)
        return
    typer.echo(link)  # a token is no identifier: never masked
