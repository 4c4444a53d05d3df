"""Helpers shared by the tests that drive the `onevisit` CLI through the `run` fixture (conftest.py).

Each helper runs one command with `--json`, asserts it exited 0 (showing stderr if not) and returns
the parsed output. Extra keyword arguments go on to `run`, so `now=at(day)` moves the clock for that
one command. Import them with `from tests.support import ...`: tests run with `python -m pytest`
from the project root, which puts the root on sys.path.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date

MONDAY = date(2026, 3, 2)  # env's and fresh_env's clock: 2026-03-02T09:00:00+08:00
OPEN = {"waiting", "pending", "supplement_requested"}  # the statuses of a task still to be decided


def at(day: date, time: str = "09:00:00") -> str:
    """A moment of `day` in Beijing time, as `run(..., now=...)` takes it."""
    return f"{day.isoformat()}T{time}+08:00"


def _as(operator: str | None) -> tuple[str, ...]:
    return ("--operator", operator) if operator else ()  # else ONEVISIT_OPERATOR: conftest's window-1


def submit(run, path, operator: str | None = None, **kw) -> dict:
    result = run("submit", path, "--json", *_as(operator), **kw)
    assert result.code == 0, result.err
    return result.json()


def show(run, case_no: str, operator: str | None = None, **kw) -> dict:
    result = run("show", case_no, "--json", *_as(operator), **kw)
    assert result.code == 0, result.err
    return result.json()


def review(shown: dict, matter: str) -> dict:
    """The review task of `matter` in a shown case."""
    return next(r for r in shown["reviews"] if r["matter"] == matter)


def reviewer_of(task_id: int) -> str:
    """The reviewer who may decide a task: `{AGENCY}-reviewer` of the task's agency (conftest's staff)."""
    from services.queries.connection import reader

    with reader(os.environ["ONEVISIT_DATABASE_URL"]) as read:
        row = read.one("SELECT agency FROM review_task WHERE id = %(i)s", i=int(task_id))
    return f"{row['agency']}-reviewer" if row else "SAMR-reviewer"


def decide(run, task_id: int, action: str, *extra: str, operator: str | None = None, **kw) -> dict:
    operator = operator or reviewer_of(task_id)
    result = run("decide", task_id, action, "--operator", operator, *extra, "--json", **kw)
    assert result.code == 0, (action, result.err)
    return result.json()


def approve(run, task_id: int, **kw) -> dict:
    return decide(run, task_id, "approve", **kw)


def approve_matter(run, case_no: str, matter: str, **kw) -> dict:
    """Approve the task of `matter` in the case, whatever its task id."""
    return decide(run, review(show(run, case_no), matter)["task_id"], "approve", **kw)


def listed(run, *args: str, operator: str | None = None, **kw) -> list[dict]:
    """A listing command (`tasks`, `cases`, ...) as JSON rows."""
    result = run(*args, "--json", *_as(operator), **kw)
    assert result.code == 0, result.err
    return result.json()


def approve_all(run, case_no: str, *, rounds: int = 6, **kw) -> dict:
    """Approve every pending task, round after round (prerequisites first, then what they release),
    each by its agency's reviewer; returns the case as shown once nothing is pending."""
    for _ in range(rounds):
        shown = show(run, case_no, **kw)
        pending = [r for r in shown["reviews"] if r["status"] == "pending"]
        if not pending:
            return shown
        for r in pending:
            result = run("decide", r["task_id"], "approve", "--operator", f"{r['agency']}-reviewer", **kw)
            assert result.code == 0, result.err
    raise AssertionError(f"{case_no}: still pending after {rounds} rounds")


# --- "nothing written" ------------------------------------------------------------------------


def snapshot(url: str) -> tuple[dict[str, int], dict[str, list]]:
    """Row counts and full contents of every table the database has (as it says, so a table added later is
    watched too), through SQLAlchemy, not the CLI's read side. Alembic's own version table aside."""
    from sqlalchemy import inspect, text

    from services.db import engine_for

    engine = engine_for(url, write=False)
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
        rows = {t: sorted(tuple(map(str, r)) for r in conn.execute(text(f'SELECT * FROM "{t}"'))) for t in tables}
    return counts, rows


@contextmanager
def nothing_written(url: str):
    """Whatever runs inside leaves every table exactly as it was: row counts first (a readable failure),
    then every row."""
    counts, rows = snapshot(url)
    yield
    after_counts, after_rows = snapshot(url)
    assert after_counts == counts
    for table, before in rows.items():
        assert after_rows[table] == before, f"{table} changed"

