"""The same case shape in SpiffWorkflow 3.2, the in-process Python BPMN engine we measure ourselves against.

A BPMN process: start → parallel gateway → 5 user tasks (one per agency) → join → end. A case is a
submission, which starts a workflow, and five approvals, one per agency, the last of which completes the
join and so the workflow (the application's "issued"). Two ways to run it:

- **In memory** (the default): each case's workflow stays in this process; it is serialised to JSON
  after the start and after each approval (what an application would store between two clicks), but
  nothing is stored.
- **Durable** (`--durable`, on a SQLite file in a temp folder; `--postgres ADMIN_URL`, on a fresh
  PostgreSQL database dropped afterwards): what an application built on SpiffWorkflow must do, its state
  committed to the database after every step. One table, a row per workflow holding its JSON. A
  submission starts the workflow and inserts its row; each approval, a human action of its own, reads
  the row back under lock, deserialises the workflow, completes its agency's task, runs the engine,
  serialises the workflow, writes the row and commits. Done as competently as such an application can:
  on SQLite a plain `BEGIN IMMEDIATE` transaction (WAL, `synchronous=NORMAL`, as onevisit's); on
  PostgreSQL one round trip to load under lock (psycopg's `BEGIN` and `SELECT … FOR UPDATE`, pipelined)
  and one to write and commit (`UPDATE` and `COMMIT`, pipelined), and one for a submission (`BEGIN`,
  `INSERT`, `COMMIT`); statements prepared by psycopg after their fifth use. Cases go in waves (submitted,
  then approved) like onevisit's bench; the clock starts once the table exists, and at the end every
  row must say its workflow completed.

The last line is JSON: {"engine": "spiffworkflow", "store": "memory"|"sqlite"|"postgresql", "cases": N,
"seconds": s, "cases_per_s": x, "peak_rss_mb": m}.

    pip install -e ".[bench]"; python bench/spiff_lifecycle.py --cases 1000
    python bench/spiff_lifecycle.py --cases 1000 --durable                      # SQLite file
    python bench/spiff_lifecycle.py --cases 1000 --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _postgres import scratch_postgres  # noqa: E402

MATTERS = 5
_FLOWS = "\n".join(
    f'<bpmn:sequenceFlow id="to_{i}" sourceRef="fork" targetRef="review_{i}"/>'
    f'<bpmn:userTask id="review_{i}" name="review {i}"/>'
    f'<bpmn:sequenceFlow id="from_{i}" sourceRef="review_{i}" targetRef="join"/>'
    for i in range(MATTERS)
)
BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="onevisit-bench">
  <bpmn:process id="one_visit" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="start_fork" sourceRef="start" targetRef="fork"/>
    <bpmn:parallelGateway id="fork"/>
    {_FLOWS}
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="join_end" sourceRef="join" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""
TABLE = "spiff_workflow"


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def process_spec():
    from SpiffWorkflow.bpmn.parser import BpmnParser

    parser = BpmnParser()
    parser.add_bpmn_str(BPMN.encode())
    return parser.get_spec("one_visit")


def start(spec):
    """A submission: a new workflow, run up to the five reviews waiting at their agencies."""
    from SpiffWorkflow.bpmn import BpmnWorkflow

    workflow = BpmnWorkflow(spec)
    workflow.do_engine_steps()
    return workflow


def approve(workflow, matter: int) -> None:
    """Agency `matter`'s reviewer approves its task; the engine runs on (through the join, at the last)."""
    from SpiffWorkflow.util.task import TaskState

    task = workflow.get_next_task(state=TaskState.READY, spec_name=f"review_{matter}")
    task.data["decision"] = "approve"
    task.run()
    workflow.do_engine_steps()


def in_memory(cases: int) -> float:
    """Every case start to end in this process, serialised after each step; the seconds it took."""
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

    spec, serializer = process_spec(), BpmnWorkflowSerializer()
    began = time.perf_counter()
    for _ in range(cases):
        workflow = start(spec)
        stored = serializer.serialize_json(workflow)
        for matter in range(MATTERS):
            approve(workflow, matter)
            stored = serializer.serialize_json(workflow)
        assert workflow.completed and stored, "the join did not complete"
    return time.perf_counter() - began


@dataclass
class Row:
    """A workflow's row as one action reads and changes it."""

    state: str
    completed: bool = False


class SqliteStore:
    """Workflows in a SQLite file, one `BEGIN IMMEDIATE` transaction an action."""

    def __init__(self, path: str) -> None:
        import sqlite3

        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)  # we say BEGIN ourselves
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, state TEXT NOT NULL, "
                        "completed BOOLEAN NOT NULL, updated_at TEXT NOT NULL)")

    def insert(self, state: str) -> int:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            workflow_id = self.db.execute(f"INSERT INTO {TABLE} (state, completed, updated_at) "
                                          "VALUES (?, 0, datetime('now'))", (state,)).lastrowid
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return workflow_id

    @contextmanager
    def locked(self, workflow_id: int) -> Iterator[Row]:
        """The row, locked (the database's write lock) until the block ends: written and committed then,
        rolled back if the block raises."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            row = Row(self.db.execute(f"SELECT state FROM {TABLE} WHERE id = ?", (workflow_id,)).fetchone()[0])
            yield row
            self.db.execute(f"UPDATE {TABLE} SET state = ?, completed = ?, updated_at = datetime('now') WHERE id = ?",
                            (row.state, row.completed, workflow_id))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def completed(self) -> int:
        return self.db.execute(f"SELECT count(*) FROM {TABLE} WHERE completed").fetchone()[0]


class PostgresStore:
    """Workflows in PostgreSQL: a submission one round trip (an INSERT on its own commits), an approval two
    (`BEGIN` and the load under lock, pipelined; the `UPDATE` and `COMMIT`, pipelined).

    The connection is in autocommit mode and the transaction is opened and closed by the batches
    themselves: in a non-autocommit connection psycopg's pipeline sends its own `BEGIN` and waits for it,
    and `commit()` syncs once more, a round trip each."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.db = psycopg.connect(url, autocommit=True)
        self.db.execute(f"CREATE TABLE {TABLE} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                        "state text NOT NULL, completed boolean NOT NULL, updated_at timestamptz NOT NULL)")

    def insert(self, state: str) -> int:
        return self.db.execute(f"INSERT INTO {TABLE} (state, completed, updated_at) VALUES (%s, false, now()) "
                               "RETURNING id", (state,)).fetchone()[0]

    @contextmanager
    def locked(self, workflow_id: int) -> Iterator[Row]:
        """The row, locked (`FOR UPDATE`) until the block ends: written and committed then, rolled back if
        the block raises."""
        with self.db.pipeline():  # one Sync, when the block ends
            self.db.execute("BEGIN")
            loaded = self.db.execute(f"SELECT state FROM {TABLE} WHERE id = %s FOR UPDATE", (workflow_id,))
        try:
            row = Row(loaded.fetchone()[0])
            yield row
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        with self.db.pipeline():
            self.db.execute(f"UPDATE {TABLE} SET state = %s, completed = %s, updated_at = now() WHERE id = %s",
                            (row.state, row.completed, workflow_id))
            self.db.execute("COMMIT")

    def completed(self) -> int:
        return self.db.execute(f"SELECT count(*) FROM {TABLE} WHERE completed").fetchone()[0]


def durable(store, cases: int, wave: int) -> float:
    """Every case as human actions on `store`, a transaction each, in waves; the seconds it took."""
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

    spec, serializer = process_spec(), BpmnWorkflowSerializer()
    began = time.perf_counter()
    for first in range(0, cases, wave):
        submitted = [store.insert(serializer.serialize_json(start(spec))) for _ in range(min(wave, cases - first))]
        for workflow_id in submitted:
            for matter in range(MATTERS):  # each approval a request of its own: nothing kept between them
                with store.locked(workflow_id) as row:
                    workflow = serializer.deserialize_json(row.state)
                    approve(workflow, matter)
                    row.state, row.completed = serializer.serialize_json(workflow), workflow.completed
    seconds = time.perf_counter() - began
    if store.completed() != cases:
        raise SystemExit(f"bench run is wrong: {store.completed()} of {cases} workflows completed")
    return seconds


def run(cases: int, store: str = "memory", admin_url: str | None = None, wave: int = 500) -> dict:
    if store == "memory":
        seconds = in_memory(cases)
    elif store == "sqlite":
        with tempfile.TemporaryDirectory(prefix="onevisit-bench-spiff-") as folder:
            seconds = durable(SqliteStore(f"{folder}/spiff.db"), cases, wave)
    else:
        with scratch_postgres(admin_url) as url:
            seconds = durable(PostgresStore(url), cases, wave)
    return {"engine": "spiffworkflow", "store": store, "cases": cases, "seconds": round(seconds, 3),
            "cases_per_s": round(cases / seconds, 1), "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--durable", action="store_true", help="commit every step to a SQLite file in a temp folder")
    parser.add_argument("--postgres", metavar="ADMIN_URL",
                        help="commit every step to a fresh PostgreSQL database, dropped afterwards")
    parser.add_argument("--wave", type=int, default=500, help="durable: cases submitted before they are approved")
    options = parser.parse_args()
    store = "postgresql" if options.postgres else "sqlite" if options.durable else "memory"
    print(json.dumps(run(options.cases, store, options.postgres, options.wave)))


if __name__ == "__main__":
    main()
