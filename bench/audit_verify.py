"""`onevisit audit verify` over 10,000 cases on SQLite: every keyed chain, the recorded states replayed
against the rows, the case numbers counted, a checkpoint's heads found again.

A few cases are filed and decided through the CLI (an issued company, a restaurant in review, a hotel
waiting for its correction); they are then cloned in the database with fresh ids, case numbers and
certificate numbers, and every clone's chain is hashed again with the key, its last event carrying the
clone's own state (the events before it carry none: verification only compares the last). Then `audit
verify` and `audit verify --against` run in-process, timed, a few rounds; medians are printed.

    python bench/audit_verify.py                  # 10,000 cases, 3 rounds
    python bench/audit_verify.py --cases 2000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = "2026-03-02T09:00:00+08:00"


def cli(*args: str) -> tuple[int, str]:
    import contextlib
    import io

    import cli as entry
    from services.settings import get_settings

    get_settings.cache_clear()
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            entry.main([str(a) for a in args])
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
    return code, out.getvalue()


def templates(folder: Path) -> list[str]:
    """A few real cases, made through the CLI."""
    from tests.conftest import new_resident_id, new_uscc

    made = []
    for n, (bundle, omit, approve) in enumerate((("COMPANY_START", (), True), ("RESTAURANT", (), False),
                                                  ("HOTEL", ("HYGIENE_TEST",), False))):
        from services.catalog import builtin_catalog_text, parse_catalog_text

        catalog = parse_catalog_text(builtin_catalog_text())[1]
        codes = [m.matter for m in catalog.bundles[bundle].matters]
        body = {"bundle": bundle, "request_id": f"bench-{n}",
                "applicant": {"name": f"基准企业{n}", "uscc": new_uscc(),
                              "legal_representative": {"name": "张三", "id_number": new_resident_id()}},
                "materials": [m for m in catalog.materials_of(codes) if m not in omit]}
        path = folder / f"application-{n}.json"
        path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
        code, out = cli("submit", path, "--json", "--operator", "window-1")
        assert code == 0, out
        case_no = json.loads(out)["case_no"]
        for _ in range(6 if approve else 0):
            code, out = cli("show", case_no, "--json", "--operator", "admin")
            pending = [r for r in json.loads(out)["reviews"] if r["status"] == "pending"]
            for r in pending:
                assert cli("decide", r["task_id"], "approve", "--operator", f"{r['agency']}-reviewer")[0] == 0
        made.append(case_no)
    return made


def clone(path: Path, case_nos: list[str], total: int) -> None:
    """Copies of the template cases until there are `total` cases, chains hashed again with the key."""
    from approvals.audit import GENESIS, event_hash
    from services.audit import audit_key, case_states
    from services.queries.connection import Reader, utc

    key = audit_key()
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER IF EXISTS case_event_no_update")
    db.execute("DROP TRIGGER IF EXISTS case_event_no_delete")

    def rows(table: str, where: str, value) -> tuple[list[str], list[list]]:
        cursor = db.execute(f"SELECT * FROM {table} WHERE {where} = ?", (value,))
        return [d[0] for d in cursor.description], [list(r) for r in cursor.fetchall()]

    shapes = []
    for case_no in case_nos:
        case_id = db.execute("SELECT id FROM case_file WHERE case_no = ?", (case_no,)).fetchone()[0]
        shapes.append({table: rows(table, "case_id" if table != "case_file" else "id", case_id)
                       for table in ("case_file", "review_task", "certificate", "case_event")})
    day = case_nos[0][2:10]
    next_case = db.execute("SELECT max(id) FROM case_file").fetchone()[0] + 1
    next_task = db.execute("SELECT max(id) FROM review_task").fetchone()[0] + 1
    number = db.execute("SELECT last FROM case_number_day").fetchone()[0]
    made = []
    for n in range(total - len(case_nos)):
        shape = shapes[n % len(shapes)]
        number += 1
        case_id, case_no = next_case, f"OV{day}{number:06d}"
        next_case += 1
        columns, (row,) = shape["case_file"]
        row = dict(zip(columns, row))
        row.update(id=case_id, case_no=case_no, request_id=f"clone-{case_id}")
        insert(db, "case_file", row)
        tasks = {}
        columns, task_rows = shape["review_task"]
        for task in task_rows:
            task = dict(zip(columns, task))
            tasks[task["id"]] = next_task
            task.update(id=next_task, case_id=case_id)
            next_task += 1
            insert(db, "review_task", task)
        columns, certificates = shape["certificate"]
        for certificate in certificates:
            certificate = dict(zip(columns, certificate))
            certificate.update(id=None, case_id=case_id, task_id=tasks[certificate["task_id"]],
                               number=f"{case_no}-{certificate['matter']}")
            insert(db, "certificate", certificate)
        made.append((case_id, shape["case_event"]))
    db.commit()
    reader = Reader(db, True)
    for start in range(0, len(made), 500):
        part = made[start:start + 500]
        states = case_states(reader, [case_id for case_id, _ in part])
        events, heads = [], []
        for case_id, (columns, template) in part:
            prev = GENESIS
            for index, event in enumerate(template):
                event = dict(zip(columns, event))
                state = states[case_id] if index == len(template) - 1 else None
                digest = event_hash(key, prev, case_id, event["seq"], utc(event["at"]), event["kind"], event["actor"],
                                    event["detail"], event["flow_run_id"], state)
                event.update(id=None, case_id=case_id, prev_hash=prev, hash=digest, state=state)
                events.append(event)
                prev = digest
            heads.append((case_id, len(template), prev, template[-1][columns.index("at")]))
        db.executemany(f"INSERT INTO case_event ({', '.join(events[0])}) VALUES ({', '.join('?' * len(events[0]))})",
                       [list(e.values()) for e in events])
        db.executemany("INSERT INTO event_chain (case_id, seq, hash, at) VALUES (?, ?, ?, ?)", heads)
    db.execute("UPDATE case_number_day SET last = ?", (number,))
    db.commit()
    db.close()


def insert(db, table: str, row: dict) -> None:
    db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="onevisit-bench-audit-"))
    try:
        os.environ.update(ONEVISIT_DATABASE_URL=f"sqlite:///{folder / 'audit.db'}", ONEVISIT_NOW=NOW,
                          ONEVISIT_KEY_FILE=str(folder / "secret.key"), ONEVISIT_HOME=str(folder),
                          PREFECT_HOME=str(folder / "prefect"), PREFECT_LOGGING_LEVEL="ERROR")
        assert cli("init", "--test-clock")[0] == 0
        from datetime import datetime

        from services.db import UnitOfWork
        from services.staff import staff_the_hall

        with UnitOfWork(os.environ["ONEVISIT_DATABASE_URL"]) as uow:
            staff_the_hall(uow.session, datetime.fromisoformat(NOW))
            uow.commit()
        started = time.perf_counter()
        clone(folder / "audit.db", templates(folder), options.cases)
        print(f"made {options.cases:,} cases in {time.perf_counter() - started:.1f} s")
        checkpoint = folder / "checkpoint.json"
        assert cli("audit", "checkpoint", "--out", checkpoint, "--operator", "admin")[0] == 0
        for label, extra in (("audit verify", []), ("audit verify --against", ["--against", checkpoint])):
            times = []
            for _ in range(options.rounds):
                began = time.perf_counter()
                code, out = cli("audit", "verify", "--json", "--operator", "admin", *extra)
                times.append(time.perf_counter() - began)
                report = json.loads(out)
                assert code == 0 and report["ok"], report["problems"][:3]
            print(f"{label}: {report['cases']:,} cases, {report['events']:,} events, {report['system_events']} system "
                  f"events: median {statistics.median(times):.2f} s of {options.rounds} "
                  f"({', '.join(f'{t:.2f}' for t in times)}); target < 10 s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
