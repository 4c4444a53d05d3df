"""The floor: what the database alone allows for the bench's whole cases, with no engine in the way.

Each case is what `lifecycle.py` makes the engine do, reduced to its statements: a submission (the
operator, the request id, the catalog in force, the case, its five tasks, the acceptance notice, the
timeline and its chain head) and five decisions (the case locked, its chain head, its tasks, the
operator, open ledger items and promises; then the case, the task, the event, the head, and at the
fifth the certificates and the delivery), one transaction and one real commit an action, on the
engine's own schema. Straight over sqlite3 or psycopg, no SQLAlchemy, no rules, no hashing, no
`serve`: on PostgreSQL each action is two round trips (psycopg's pipeline: the reads, then the writes
with COMMIT), the fewest an action that reads before it writes can take. No design that commits every
human action can beat this on the same machine, so it bounds what the engine can reach here.

    python bench/floor.py --cases 300                                   # SQLite file in a temp folder
    python bench/floor.py --cases 300 --postgres postgresql://postgres@127.0.0.1:5432/postgres
    python bench/floor.py --cases 300 --clerks 2 --spiff [--postgres ADMIN_URL]

The last line is JSON: {"cases", "clerks", "seconds", "cases_per_s", "backend"} (with --spiff, also
"spiff_cases_per_s" and "ratio", SpiffWorkflow in memory, and "spiff_durable_cases_per_s" and
"ratio_durable", SpiffWorkflow committing every step to the same kind of database, both run right after
in the same invocation).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _cases import bench_database, prepare  # noqa: E402
from _rounds import child, run_clerks, spiff_peers  # noqa: E402

MATTERS = [("SAMR_FILING", "SAMR"), ("SIGN_FILING", "CITY_MGMT"), ("FIRE_FILING", "FIRE"), ("TAX_FILING", "STA"),
           ("HR_FILING", "HRSS")]
_CASE = ("INSERT INTO case_file (case_no, request_id, request_digest, catalog_version, bundle, channel, applicant_name, "
         "uscc, legal_rep_name, legal_rep_id_number, key_project, status, promised_days, matters, commitment_matters, "
         "required_materials, provided_materials, submitted_at, accepted_at, due_date, light, suspended_days, "
         "stops_open, last_acted_at, updated_at) VALUES (%s, %s, %s, %s, 'PARALLEL5', 'window', %s, "
         "'91350200MA00000010', '测试', '350203198501010011', %s, 'in_review', 5, %s, '[]', %s, %s, %s, %s, %s, "
         "'green', 0, 0, %s, %s) RETURNING id")
_TASK = ("INSERT INTO review_task (case_id, matter, agency, optional, depends_on, status, promised_days, statutory_days, "
         "started_on, due_date, light, requested_materials, supplement_days, special_days, dispatched_at, updated_at) "
         "VALUES (%s, %s, %s, %s, '[]', 'pending', 3, 20, %s, %s, 'green', '[]', 0, 0, %s, %s)")
_OUTBOX = ('INSERT INTO outbox_item ("key", kind, case_id, payload, created_at, attempts) VALUES (%s, %s, %s, %s, %s, 0) '
           'ON CONFLICT ("key") DO NOTHING')
_EVENT = ("INSERT INTO case_event (case_id, at, kind, actor, detail, seq, prev_hash, hash) "
          "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)")
_OF_TASK = "(SELECT case_id FROM review_task WHERE id = %s)"
_CERTIFICATE = ("INSERT INTO certificate (number, case_id, task_id, matter, agency, status, issued_at) "
                "VALUES (%s, %s, %s, %s, %s, 'issued', %s)")
HASH = "0" * 64


class Floor:
    """One clerk's connection and the statements of a submission and of a decision."""

    def __init__(self, url: str):
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            import sqlite3

            self.db = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA synchronous=NORMAL")
        else:
            import psycopg

            # Autocommit, and the batches open and close the transaction themselves: otherwise psycopg's
            # pipeline sends its own BEGIN and waits for it, and commit() syncs once more (5 round trips an
            # action instead of 2, as libpq's trace shows)
            self.db = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.sqlite else sql

    def _stamp(self, value: datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ") if self.sqlite else value

    def _json(self, value):
        if self.sqlite:
            return json.dumps(value)
        from psycopg.types.json import Json

        return Json(value)

    def _reads(self, statements: list[tuple[str, tuple]]) -> list[list[tuple]]:
        """Run the reads in order; on PostgreSQL in one round trip, BEGIN included."""
        if self.sqlite:
            self.db.execute("BEGIN IMMEDIATE")
            return [self.db.execute(self._sql(sql), args).fetchall() for sql, args in statements]
        with self.db.pipeline():  # one Sync, when the block ends
            self.db.execute("BEGIN")
            cursors = [self.db.execute(sql, args) for sql, args in statements]
        return [cursor.fetchall() for cursor in cursors]

    def _writes(self, statements: list[tuple[str, list[tuple]]]) -> None:
        """Run the writes and COMMIT; on PostgreSQL in one round trip."""
        if self.sqlite:
            for sql, rows in statements:
                self.db.executemany(self._sql(sql), rows)
            self.db.execute("COMMIT")
            return
        with self.db.pipeline():
            for sql, rows in statements:
                self.db.cursor().executemany(sql, rows)
            self.db.execute("COMMIT")

    def submit(self, request_id: str, seq: int) -> int:
        now = datetime.now(UTC)
        stamp, today = self._stamp(now), now.date()
        reads = self._reads([
            ("SELECT id, role, agency, enabled FROM operator WHERE id = %s", ("window-1",)),
            ("SELECT id FROM case_file WHERE request_id = %s", (request_id,)),
            ("SELECT max(id) FROM catalog_version", ()),
            (_CASE, (f"pending-{request_id}", request_id, HASH, 1, f"基准测试企业{seq}", False,
                     self._json([m for m, _ in MATTERS]), self._json(["ID_LEGAL_REP", "LEASE"]),
                     self._json(["ID_LEGAL_REP", "LEASE"]), stamp, stamp, today, stamp, stamp)),
        ])
        case_id = reads[3][0][0]
        events = ["submitted", "accepted"] + ["dispatched"] * len(MATTERS)
        self._writes([
            ("UPDATE case_file SET case_no = %s WHERE id = %s", [(f"OV{case_id:014d}", case_id)]),
            (_TASK, [(case_id, matter, agency, False, today, today, stamp, stamp) for matter, agency in MATTERS]),
            (_OUTBOX, [(f"notify:case:{case_id}:accepted", "notify", case_id, self._json({"kind": "accepted"}), stamp)]),
            (_EVENT, [(case_id, stamp, kind, "window-1", "", seq, HASH, HASH) for seq, kind in enumerate(events, 1)]),
            ("INSERT INTO event_chain (case_id, seq, hash) VALUES (%s, %s, %s)", [(case_id, len(events), HASH)]),
        ])
        return case_id

    def decide(self, task_id: int, agency: str) -> None:
        now = datetime.now(UTC)
        stamp = self._stamp(now)
        lock = "" if self.sqlite else " FOR NO KEY UPDATE OF case_file"
        operator = f"{agency}-reviewer"
        case, head, tasks, _, _, _ = self._reads([
            ("SELECT case_file.* FROM case_file JOIN review_task ON review_task.case_id = case_file.id "
             "WHERE review_task.id = %s" + lock, (task_id,)),
            ("SELECT case_id, seq, hash FROM event_chain WHERE case_id = " + _OF_TASK
             + ("" if self.sqlite else " FOR UPDATE"), (task_id,)),
            ("SELECT id, matter, agency, status, review_task.* FROM review_task WHERE case_id = " + _OF_TASK + " ORDER BY id", (task_id,)),
            ("SELECT id, role, agency, enabled FROM operator WHERE id = %s", (operator,)),
            ("SELECT 1 FROM ledger_item WHERE task_id = %s AND status <> 'closed' LIMIT 1", (task_id,)),
            ("SELECT DISTINCT kind FROM commitment WHERE case_id = " + _OF_TASK + " AND status = 'open'", (task_id,)),
        ])
        case_id, seq = case[0][0], head[0][1]
        last = all(row[0] == task_id or row[3] == "approved" for row in tasks)
        events = [(case_id, stamp, "approved", operator, f"task {task_id}", seq + 1, HASH, HASH)]
        writes = [("UPDATE review_task SET status = 'approved', decided_by = %s, decided_at = %s, light = NULL, "
                   "updated_at = %s WHERE id = %s", [(operator, stamp, stamp, task_id)])]
        if last:
            events.append((case_id, stamp, "issued", "system", "", seq + 2, HASH, HASH))
            writes += [
                ("UPDATE case_file SET status = 'issued', light = NULL, finished_at = %s, last_acted_at = %s, "
                 "updated_at = %s WHERE id = %s", [(stamp, stamp, stamp, case_id)]),
                (_CERTIFICATE, [(f"OV{case_id:014d}-{row[1]}", case_id, row[0], row[1], row[2], stamp) for row in tasks]),
                (_OUTBOX, [(f"deliver:case:{case_id}", "deliver_results", case_id, self._json({}), stamp)]),
            ]
        else:
            writes.append(("UPDATE case_file SET last_acted_at = %s WHERE id = %s", [(stamp, case_id)]))
        writes += [(_EVENT, events),
                   ("UPDATE event_chain SET seq = %s, hash = %s WHERE case_id = %s", [(seq + len(events), HASH, case_id)])]
        self._writes(writes)

    def queue(self, case_ids: list[int]) -> list[tuple[int, str]]:
        marks = ", ".join("%s" for _ in case_ids)
        return self.db.execute(self._sql(f"SELECT id, agency FROM review_task WHERE case_id IN ({marks}) ORDER BY id"),
                               case_ids).fetchall()


def clerk(url: str, cases: int) -> dict:
    """Submit `cases` cases, then approve their reviews; the seconds it took."""
    floor = Floor(url)
    tag = uuid.uuid4().hex[:8]
    print("ready", flush=True)
    sys.stdin.readline()  # every clerk starts at once
    start = time.perf_counter()
    case_ids = [floor.submit(f"floor-{tag}-{seq}", seq) for seq in range(cases)]
    for task_id, agency in floor.queue(case_ids):
        floor.decide(task_id, agency)
    return {"seconds": time.perf_counter() - start}


def run(url: str, cases: int, clerks: int) -> dict:
    os.environ["ONEVISIT_DATABASE_URL"] = url
    prepare(url)
    share = cases // clerks
    seconds, _ = run_clerks(__file__, url, share, clerks)
    check(url, share * clerks)
    return {"cases": share * clerks, "clerks": clerks, "seconds": round(seconds, 3),
            "cases_per_s": round(share * clerks / seconds, 1), "backend": url.split(":", 1)[0].split("+")[0]}


def check(url: str, cases: int) -> None:
    """Every case issued once, with its five certificates."""
    from sqlalchemy import text

    from services.db import UnitOfWork

    with UnitOfWork(url, write=False) as uow:
        issued = uow.session.execute(text("SELECT count(*) FROM case_file WHERE status = 'issued'")).scalar()
        certificates = uow.session.execute(text("SELECT count(*) FROM certificate")).scalar()
    if (issued, certificates) != (cases, len(MATTERS) * cases):
        raise SystemExit(f"bench run is wrong: {issued} issued, {certificates} certificates for {cases} cases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--clerks", type=int, default=1, help="processes acting at once, each on its share")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="create a fresh PostgreSQL database, drop it after")
    parser.add_argument("--spiff", action="store_true", help="also run SpiffWorkflow, in memory and durable; both ratios")
    parser.add_argument("--clerk", metavar="URL", help=argparse.SUPPRESS)  # one clerk process
    options = parser.parse_args()
    if options.clerk:
        print(json.dumps(clerk(options.clerk, options.cases)), flush=True)
        return
    with bench_database(options.postgres) as url:
        result = run(url, options.cases, options.clerks)
    if options.spiff:
        for name, args in spiff_peers(max(options.cases, 1000), 500, options.postgres).items():
            key = "" if name == "memory" else f"_{name}"
            result[f"spiff{key}_cases_per_s"] = child(args)["cases_per_s"]
            result[f"ratio{key}"] = round(result["cases_per_s"] / result[f"spiff{key}_cases_per_s"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
