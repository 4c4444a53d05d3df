"""好差评 online: the page the link on the receipt and the results notice opens (`/rate/TOKEN`), without
sign-in: the signed, single-use token is the applicant's only credential. The same use case and input
model as `onevisit rate --token` and `POST /api/v1/ratings/online/TOKEN`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from approvals.errors import OnevisitError
from schemas.inputs import RatingIn
from web.deps import settings_of, write
from web.pages.common import problem_of, reading, render

router = APIRouter()


def _form(request: Request, token: str) -> dict:
    from approvals.ratings import read_token
    from services.queries.ratings import rating_form
    from services.ratings import rating_key

    settings = settings_of(request)
    claims = read_token(rating_key(settings), token, settings.current_time().date())  # forged, expired: refused
    with reading(request) as (read, _clock):
        return rating_form(read, claims.case_no)


@router.get("/rate/{token}", response_class=HTMLResponse)
def rating_page(token: str, request: Request):
    try:
        form = _form(request, token)
    except OnevisitError as exc:
        return render(request, "rate.html", status_code=problem_of(exc)["status"], form=None, error=problem_of(exc))
    return render(request, "rate.html", form=form, error=None, done=False)


@router.post("/rate/{token}", response_class=HTMLResponse)
async def rate(token: str, request: Request):
    from services import ratings

    posted = await request.form()
    form = None
    try:
        form = _form(request, token)
        given = rating_given(form, posted)
        settings = settings_of(request)
        key = ratings.rating_key(settings)
        write(request, lambda s, clock: ratings.rate(s, None, given, clock=clock, token=token, key=key,
                                                     callback_days=settings.rating_callback_days,
                                                     fix_days=settings.rating_fix_days))
    except (OnevisitError, ValueError) as exc:
        problem = problem_of(exc if isinstance(exc, OnevisitError) else bad_form(exc))
        return render(request, "rate.html", status_code=problem["status"], form=form, error=problem, done=False)
    return render(request, "rate.html", form=form, error=None, done=True)


def rating_given(form: dict, posted) -> RatingIn:
    """The rating the form's fields give (the whole case's level, each matter's and indicator's if chosen)."""
    return RatingIn(
        level=int(posted.get("level") or 0),
        matters={m["code"]: int(posted[f"matter-{m['code']}"]) for m in form["matters"]
                 if posted.get(f"matter-{m['code']}")},
        indicators={name: int(posted[f"indicator-{n}"]) for n, name in enumerate(form["indicators"])
                    if posted.get(f"indicator-{n}")},
        comment=(posted.get("comment") or "").strip() or None,
    )


def bad_form(error: ValueError):
    from approvals.errors import BadInput

    return BadInput(f"the rating form: {error}".splitlines()[0])
