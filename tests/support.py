"""Helpers shared by the tests that drive the `onevisit` CLI through the `run` fixture (conftest.py).

Each helper runs one command with `--json`, asserts it exited 0 (showing stderr if not) and returns
the parsed output. Extra keyword arguments go on to `run`, so `now=at(day)` moves the clock for that
one command. Import them with `from tests.support import ...`: tests run with `python -m pytest`
from the project root, which puts the root on sys.path.
"""

from __future__ import annotations

from datetime import date

MONDAY = date(2026, 3, 2)  # env's and fresh_env's clock: 2026-03-02T09:00:00+08:00
OPEN = {"waiting", "pending", "supplement_requested"}  # the statuses of a task still to be decided


def at(day: date, time: str = "09:00:00") -> str:
    """A moment of `day` in Beijing time, as `run(..., now=...)` takes it."""
    return f"{day.isoformat()}T{time}+08:00"


def submit(run, path, **kw) -> dict:
    result = run("submit", path, "--json", **kw)
    assert result.code == 0, result.err
    return result.json()


def show(run, case_no: str, **kw) -> dict:
    result = run("show", case_no, "--json", **kw)
    assert result.code == 0, result.err
    return result.json()


def review(shown: dict, matter: str) -> dict:
    """The review task of `matter` in a shown case."""
    return next(r for r in shown["reviews"] if r["matter"] == matter)


def decide(run, task_id: int, action: str, *extra: str, operator: str = "reviewer-1", **kw) -> dict:
    result = run("decide", task_id, action, "--operator", operator, *extra, "--json", **kw)
    assert result.code == 0, (action, result.err)
    return result.json()


def approve(run, task_id: int, **kw) -> dict:
    return decide(run, task_id, "approve", **kw)


def approve_matter(run, case_no: str, matter: str, **kw) -> dict:
    """Approve the task of `matter` in the case, whatever its task id."""
    return decide(run, review(show(run, case_no), matter)["task_id"], "approve", **kw)


def listed(run, *args: str, **kw) -> list[dict]:
    """A listing command (`tasks`, `cases`, ...) as JSON rows."""
    result = run(*args, "--json", **kw)
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
