"""好差评 online: the link on the receipt and the results notice (`/rate/TOKEN`) reaches these without
sign-in; the signed, single-use token is the applicant's only credential."""

from __future__ import annotations

from fastapi import APIRouter, Request

from schemas.inputs import RatingIn
from web.api.responses import out
from web.deps import reading, settings_of, write

router = APIRouter(tags=["ratings"])


def _claims(request: Request, token: str):
    from approvals.ratings import read_token
    from services.ratings import rating_key

    settings = settings_of(request)
    return read_token(rating_key(settings), token, settings.current_time().date())


@router.get("/ratings/online/{token}")
def rating_form(token: str, request: Request):
    """What to rate: the case's matters and agencies by name, the online indicators, the five levels;
    whether the case can be rated (it has ended) and was rated online already."""
    from services.queries.ratings import rating_form as form

    claims = _claims(request, token)  # a forged or expired token: 403, before anything is read
    with reading(request) as read:
        return out(request, {**form(read, claims.case_no), "expires": claims.expires})


@router.post("/ratings/online/{token}", status_code=201)
def rate_online(token: str, body: RatingIn, request: Request):
    """The applicant's rating (一事一评): once per case online; the token cannot be used again."""
    from services import ratings

    settings = settings_of(request)
    key = ratings.rating_key(settings)
    result = write(request, lambda s, clock: ratings.rate(s, None, body, clock=clock, token=token, key=key,
                                                          callback_days=settings.rating_callback_days,
                                                          fix_days=settings.rating_fix_days))
    return out(request, result.__dict__, 201)
