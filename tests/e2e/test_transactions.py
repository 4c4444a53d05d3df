"""services.db.transact's policy: what the database refused as a whole is run again, nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.db import transact


def _clash(runs: list[int], *, times: int):
    """A use case that writes, then loses a race on the operator table's primary key `times` times."""
    def use_case(session):
        runs.append(1)
        session.execute(text("UPDATE operator SET role = role WHERE id = 'admin'"))
        if len(runs) <= times:
            session.execute(text("INSERT INTO operator (id, role, enabled, created_at) "
                                 "SELECT id, role, enabled, created_at FROM operator WHERE id = 'admin'"))
        return len(runs)
    return use_case


def test_a_lost_race_on_a_unique_key_is_run_again_once_when_asked(env):
    runs: list[int] = []
    assert transact(env.url, _clash(runs, times=1), retry_on_conflict=True) == 2

    runs.clear()
    with pytest.raises(IntegrityError):
        transact(env.url, _clash(runs, times=2), retry_on_conflict=True)
    assert len(runs) == 2  # once again, not for ever


def test_a_lost_race_is_not_run_again_unless_asked_and_a_refusal_never(env):
    runs: list[int] = []
    with pytest.raises(IntegrityError):
        transact(env.url, _clash(runs, times=1))
    assert len(runs) == 1

    def refused(session):
        runs.append(1)
        raise ValueError("a decision, not a fault")

    runs.clear()
    with pytest.raises(ValueError):
        transact(env.url, refused, retry_on_conflict=True)
    assert len(runs) == 1
