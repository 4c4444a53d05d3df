"""Helpers of the county paths' tests (refusal, withdrawal, extension, single matters, sign-off chains,
delivery): a refusal must exit with its code, say one line, and leave every table as it was."""

from __future__ import annotations

from tests.support import nothing_written


def refused(run, url: str, *args: str, code: int = 1, says: str = "", **kw):
    """Run a command that must be refused: exit `code`, one line on stderr (naming `says`), nothing written."""
    with nothing_written(url):
        result = run(*args, **kw)
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err and len(result.err.splitlines()) == 1, result.err
    assert says in result.err, result.err
    return result


def outbox(url: str, case_no: str) -> dict[str, dict]:
    """The case's outbox rows by key: {"kind", "payload", "done"}."""
    import json

    from sqlalchemy import text

    from services.db import engine_for

    with engine_for(url, write=False).connect() as conn:
        rows = conn.execute(text("SELECT o.key, o.kind, o.payload, o.done_at FROM outbox_item o "
                                 "JOIN case_file c ON c.id = o.case_id WHERE c.case_no = :n"), {"n": case_no}).all()
    return {key: {"kind": kind, "payload": payload if isinstance(payload, dict) else json.loads(payload),
                  "done": done is not None} for key, kind, payload, done in rows}
