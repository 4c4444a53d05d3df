"""Shared fixtures: a real SQLite file and a real PostgreSQL database, the CLI run in-process.

Every database test runs on both backends. PostgreSQL is required: if it is down the tests fail,
they never skip. Set ONEVISIT_TEST_PG_URL to point at another server.
"""

from __future__ import annotations

import atexit
import os
import random
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

# Prefect's embedded server keeps its state under PREFECT_HOME: one throwaway home per test session, removed
# at exit (registered before Prefect is imported, so after Prefect's own exit handlers stop the server).
if "PREFECT_HOME" not in os.environ:
    os.environ["PREFECT_HOME"] = _home = tempfile.mkdtemp(prefix="onevisit-prefect-")
    atexit.register(shutil.rmtree, _home, ignore_errors=True)
# The installation's secret (services/installation.py): one throwaway key file per test session, never ~/.onevisit
if "ONEVISIT_KEY_FILE" not in os.environ:
    _keys = tempfile.mkdtemp(prefix="onevisit-keys-")
    os.environ["ONEVISIT_KEY_FILE"] = os.path.join(_keys, "secret.key")
    atexit.register(shutil.rmtree, _keys, ignore_errors=True)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")  # a busy 2-core machine

import pytest  # noqa: E402

from approvals.identifiers import USCC_ALPHABET, resident_id_check_char, uscc_check_char  # noqa: E402

WINDOWS, SUPERVISORS = ("window-1", "window-2"), ("supervisor-1",)  # besides admin and the reviewers
PG_ADMIN_URL = os.environ.get("ONEVISIT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MONDAY = "2026-03-02T09:00:00+08:00"  # a plain working week, far from holidays


@dataclass
class Database:
    backend: str
    url: str


def _sqlite_database(directory: Path) -> Database:
    return Database("sqlite", f"sqlite:///{directory / 'onevisit.db'}")


def _pg_database() -> tuple[Database, str]:
    import psycopg

    name = f"onevisit_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return Database("postgresql", f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://")), name


def _drop_pg(name: str) -> None:
    import psycopg

    from services.db import engine_for

    for url in [u for u in _CREATED_URLS if u.endswith(name)]:
        engine_for(url).dispose()
        engine_for(url, write=False).dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_CREATED_URLS: list[str] = []


def _initialise(db: Database) -> Database:
    from services.catalog import BUILTIN, builtin_catalog_text, load_catalog
    from services.db import UnitOfWork
    from services.migrate import upgrade
    from datetime import datetime, timezone

    _CREATED_URLS.append(db.url)
    upgrade(db.url)
    from services.installation import ensure_installation

    with UnitOfWork(db.url) as uow:
        ensure_installation(uow.session, datetime.now(timezone.utc), test_clock=True)
        load_catalog(uow.session, builtin_catalog_text(), source=BUILTIN, actor="tests",
                     now=datetime.now(timezone.utc))
        uow.commit()
    _add_staff(db.url)
    return db


def _add_staff(url: str) -> None:
    """The test county's staff (STAFF): the administrator `admin` (as `init` makes it), window clerks,
    a supervisor, and two reviewers per agency, `{AGENCY}-reviewer` and `{AGENCY}-reviewer-2`."""
    from datetime import datetime, timezone

    from services.db import UnitOfWork
    from services.staff import staff_the_hall

    with UnitOfWork(url) as uow:
        staff_the_hall(uow.session, datetime.now(timezone.utc), windows=WINDOWS, supervisors=SUPERVISORS,
                       reviewer_suffixes=("", "-2"))
        uow.commit()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request, tmp_path_factory) -> Database:
    """One initialised database per backend for the whole session; tests use unique ids."""
    if request.param == "sqlite":
        yield _initialise(_sqlite_database(tmp_path_factory.mktemp("db")))
        return
    db, name = _pg_database()
    yield _initialise(db)
    _drop_pg(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request, tmp_path) -> Database:
    """A database of its own, for tests that change what every other test relies on (the catalog)."""
    if request.param == "sqlite":
        yield _initialise(_sqlite_database(tmp_path))
        return
    db, name = _pg_database()
    yield _initialise(db)
    _drop_pg(name)


@pytest.fixture
def stack(tmp_path):
    """A Prefect server on loopback and whatever else a test starts beside it (flows.local_stack); at the end
    every process of it is stopped, and none is left."""
    from flows.local_stack import Stack, leftovers

    started = Stack(folder=tmp_path, admin_url=PG_ADMIN_URL)
    try:
        yield started
    finally:
        started.stop()
        assert leftovers(started.marker) == [], "processes of the stack still running"
        for _, process in started.processes:
            assert _living_in_group(process.pid) == [], "a process of the stack's groups is still running"


def _living_in_group(pgid: int) -> list[int]:
    """Processes of a process group that still run. A zombie has ended: whether it was reaped yet depends on
    its parent (in a container, often a PID 1 that reaps nobody), not on us."""
    living = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        state, group = fields[0], int(fields[2])
        if group == pgid and state not in ("Z", "X"):
            living.append(int(stat.parent.name))
    return living


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory) -> Database:
    """A SQLite file alone, for tests of processes and Prefect that do not depend on the database."""
    return _initialise(_sqlite_database(tmp_path_factory.mktemp("db")))


@pytest.fixture
def sqlite_env(monkeypatch, sqlite_database):
    return _point_at(monkeypatch, sqlite_database)


@pytest.fixture
def env(monkeypatch, database):
    """Point the settings at the session database and pin the clock to a Monday morning."""
    return _point_at(monkeypatch, database)


@pytest.fixture
def fresh_env(monkeypatch, fresh_database):
    return _point_at(monkeypatch, fresh_database)


def _point_at(monkeypatch, db: Database) -> Database:
    from services.settings import get_settings

    monkeypatch.setenv("ONEVISIT_DATABASE_URL", db.url)
    monkeypatch.setenv("ONEVISIT_NOW", MONDAY)
    monkeypatch.setenv("ONEVISIT_OPERATOR", "window-1")  # who acts when a test does not say
    get_settings.cache_clear()
    return db


@pytest.fixture(autouse=True)
def _fresh_settings():
    from services.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        import json

        return json.loads(self.out)


@pytest.fixture
def run(capsys, monkeypatch):
    """Run `onevisit ARGS...` in-process exactly as the console script does; returns code, stdout, stderr."""
    import cli
    from services.settings import get_settings

    def invoke(*args: str, now: str | None = None) -> Result:
        if now is not None:
            monkeypatch.setenv("ONEVISIT_NOW", now)
        get_settings.cache_clear()
        capsys.readouterr()
        try:
            cli.main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


# --- unique test data ----------------------------------------------------------------------


def new_uscc() -> str:
    body = "9135" + "".join(random.choice("0123456789") for _ in range(4)) + "".join(
        random.choice(USCC_ALPHABET) for _ in range(9)
    )
    return body + uscc_check_char(body)


def new_resident_id() -> str:
    body = "110105" + f"{random.randint(1950, 2000)}{random.randint(1, 12):02d}{random.randint(1, 28):02d}" + \
        f"{random.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


@pytest.fixture
def application(tmp_path):
    """Write an application file for a bundle; every material of the bundle unless told otherwise."""
    import json

    from services.catalog import parse_catalog_text, builtin_catalog_text

    _, catalog = parse_catalog_text(builtin_catalog_text())

    def make(bundle: str = "RESTAURANT", *, materials: list[str] | None = None, omit: tuple[str, ...] = (),
             request_id: str | None = "auto", **extra) -> Path:
        chosen = extra.get("optional_matters")
        codes = [m.matter for m in catalog.bundles[bundle].matters
                 if not m.optional or chosen is None or m.matter in chosen]
        if materials is None:
            materials = [m for m in catalog.materials_of(codes) if m not in omit]
        body = {
            "bundle": bundle,
            "channel": "window",
            "applicant": {"name": f"测试企业{uuid.uuid4().hex[:6]}", "uscc": new_uscc(),
                          "legal_representative": {"name": "张三", "id_number": new_resident_id()}},
            "materials": materials,
            "key_project": False,
            **extra,
        }
        if request_id == "auto":
            body["request_id"] = f"test-{uuid.uuid4().hex}"
        elif request_id is not None:
            body["request_id"] = request_id
        path = tmp_path / f"application-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
        return path

    return make


@pytest.fixture
def catalog():
    from services.catalog import builtin_catalog_text, parse_catalog_text

    return parse_catalog_text(builtin_catalog_text())[1]
