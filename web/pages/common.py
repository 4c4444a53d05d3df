"""What every page of the hall shares: templates in the operator's language, reading, acting, names, errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from approvals.calendar import CalendarUnknown, WorkingCalendar
from approvals.deadlines import Clock
from web import labels
from web.auth import csrf_token as bound_token
from web.i18n import LANG_COOKIE, LANGUAGES, N_, language_of, translations
from web.refusals import detail, reasons

TEMPLATES = Path(__file__).parent.parent / "templates"


@cache
def environment(language: str) -> Environment:
    """One Jinja2 environment a language, its gettext installed (autoescaped, new-style placeholders)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(language), newstyle=True)
    locale = "zh_CN" if language == "zh_CN" else "en"
    # a date, or one as the engine writes it in a sentence (2026-03-03): 2026年3月3日
    env.filters["day"] = lambda d: format_date(date.fromisoformat(d) if isinstance(d, str) else d, "long",
                                               locale=locale) if d else "—"
    env.globals["labels"] = labels.ALL
    env.globals["why"] = reasons
    env.globals["said"] = detail
    env.filters["name_in"] = lambda code, known: known.get(code, code)
    env.globals["languages"] = LANGUAGES
    env.globals["language"] = language
    env.globals["html_lang"] = "zh-CN" if language == "zh_CN" else "en"
    env.globals["locale"] = locale
    return env


def language(request: Request) -> str:
    return language_of(request.cookies.get(LANG_COOKIE))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    tz = request.app.state.settings.tz
    locale = "zh_CN" if lang == "zh_CN" else "en"
    env = environment(lang)
    context.setdefault("operator", getattr(request.state, "hall_operator", None))
    html = env.get_template(template).render(
        request=request,
        csrf_token=csrf_token(request),
        moment=lambda t: format_datetime(t.astimezone(tz), "short", tzinfo=tz, locale=locale) if t else "—",
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def csrf_token(request: Request) -> str:
    """The token every form posts back (the sign-in's CSRF protection checks it)."""
    return bound_token(request)


@contextmanager
def reading(request: Request) -> Iterator[tuple[Any, Clock]]:
    """A read-only connection and the clock (now, the calendar in force) for one page."""
    from web.deps import read_clock, reading as read_side

    with read_side(request) as read:
        yield read, read_clock(request, read)


def acting(request: Request, use_case: Callable[[Any, Clock], Any]) -> Any:
    """Run one use case in one transaction, committed once (as the CLI and the API do); a form filed twice
    (the same request_id) finds the first one's case."""
    from web.deps import write

    return write(request, use_case, retry_on_conflict=True)


@dataclass(frozen=True)
class Names:
    """Catalog names of agencies, matters, materials and bundles: people read names, codes in small print."""

    agencies: dict[str, str]
    matters: dict[str, str]
    materials: dict[str, str]
    bundles: dict[str, str]

    def named(self, kind: str, code: str | None) -> Markup:
        if not code:
            return Markup("—")
        name = getattr(self, kind).get(code)
        if name is None and kind == "bundles":  # a single matter's case (事项单办) names its matter
            name = self.matters.get(code)
        if name is None:
            return Markup('<span class="code">{}</span>').format(code)
        return Markup('{} <small class="code">{}</small>').format(name, code)


def names_of(document: dict) -> Names:
    return Names(
        agencies={a["code"]: a["name"] for a in document.get("agencies", [])},
        matters={m["code"]: m["name"] for m in document.get("matters", [])},
        materials={mat["code"]: mat["name"] for m in document.get("matters", []) for mat in m.get("materials", [])},
        bundles={b["code"]: b["name"] for b in document.get("bundles", [])},
    )


def catalog_of(read):
    """The catalog in force, as the rules see it (built from its stored, checked document)."""
    from schemas.catalog import catalog_from_document
    from services.queries.catalog import catalog_document

    return catalog_from_document(catalog_document(read)[1], checked=True)


def catalog_names(read) -> Names:
    from services.queries.catalog import catalog_document

    return names_of(catalog_document(read)[1])


def remaining_days(calendar: WorkingCalendar, due: date | None, today: date) -> int | None:
    """Working days left until `due` (negative: overdue by that many); None when it cannot be counted."""
    if due is None:
        return None
    try:
        if due >= today:
            return calendar.working_days_between(today, due)
        return -calendar.working_days_between(due, today)
    except CalendarUnknown:
        return None


# --- who is at the desk ---------------------------------------------------------------------


@dataclass(frozen=True)
class HallOperator:
    """The signed-in operator as the pages show and check it."""

    id: str
    role: str
    agency: str | None = None
    name: str | None = None
    agency_name: str | None = None


class SignInNeeded(Exception):
    """No (valid) session: the browser is sent to the sign-in page."""


class PageError(Exception):
    """A page that cannot be shown or an act that was refused: a translated title, the engine's detail."""

    def __init__(self, status: int, title: str, detail: str | None = None):
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail


_TITLES = {
    "bad_input": N_("The form has a problem"),
    "refused": N_("Refused by the rules"),
    "not_found": N_("Not found"),
}


def problem_of(exc: Exception) -> dict:
    """What a page shows of a domain error: a translated title and the engine's own words."""
    from approvals.errors import BadInput, Forbidden, NotFound

    from web.refusals import explained

    kind = "not_found" if isinstance(exc, NotFound) else "bad_input" if isinstance(exc, BadInput) else "refused"
    status = 403 if isinstance(exc, Forbidden) else {"not_found": 404, "bad_input": 400, "refused": 409}[kind]
    return {"title": _TITLES[kind], "detail": str(exc), "status": status, "explained": explained(str(exc))}
