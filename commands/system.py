"""Setting up and running: init, serve, demo, and the simulators on loopback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from commands.common import JsonOpt, app_settings, print_json, read_only, say

app = typer.Typer()
simulate_app = typer.Typer(name="simulate", help="Simulators of the systems around onevisit, on loopback.",
                           no_args_is_help=True)


@app.command()
def init(
    no_catalog: Annotated[bool, typer.Option("--no-catalog", help="Do not load the built-in catalog.")] = False,
    admin: Annotated[str, typer.Option("--admin", help="The first administrator's operator id.")] = "admin",
    test_clock: Annotated[bool, typer.Option("--test-clock", help="A test or demo database: honour ONEVISIT_NOW "
                                             "(only when the database is made).")] = False,
) -> None:
    """Create or upgrade the database; create the administrator; load the built-in catalog if none is."""
    from services import catalog as catalogs
    from services.db import UnitOfWork
    from services.installation import ensure_installation, secret_key
    from services.migrate import upgrade
    from services.staff import admin_absent, ensure_admin

    settings = app_settings(test_clock_checked=False)
    if settings.now is not None:
        _test_clock_at_init(settings, test_clock)
    secret_key(settings)  # made now, beside the database's settings, not on some later first use
    upgrade(settings.url)
    with UnitOfWork(settings.url) as uow:
        installation = ensure_installation(uow.session, settings.current_time(), test_clock=test_clock)
        made_admin = ensure_admin(uow.session, admin, settings.current_time())
        uow.commit()
        if made_admin:
            say(f"administrator {admin} created")
        elif admin_absent(uow.session, admin):
            say(f"note: the database has operators: nobody created (an administrator adds {admin}: "
                "onevisit operator add)", err=True)
    if test_clock and not installation.test_clock:
        say("note: this database was made without --test-clock; it keeps ignoring ONEVISIT_NOW", err=True)
    with UnitOfWork(settings.url) as uow:
        from sqlmodel import select

        from schemas.catalog import CatalogVersion

        loaded = uow.session.exec(select(CatalogVersion.id).limit(1)).first()
        if loaded is None and not no_catalog:
            version, _ = catalogs.load_catalog(uow.session, catalogs.builtin_catalog_text(), source=catalogs.BUILTIN,
                                               actor="init", now=settings.current_time())
            uow.commit()
            say(f"loaded the built-in catalog (version {version.id})")
    say(f"database ready: {_safe_url(settings.url)}")


def _test_clock_at_init(settings, test_clock: bool) -> None:
    """A set ONEVISIT_NOW: fine for a database being made with --test-clock, or one made so; refused otherwise."""
    from approvals.errors import BadInput, Refused
    from services.queries.connection import reader
    from services.test_clock import REFUSAL, require_honoured

    try:
        with reader(settings.url) as read:
            require_honoured(settings, read)
            return
    except Refused:  # no database yet: it is being made now
        if not test_clock:
            raise BadInput(REFUSAL + " (or make the database with --test-clock)") from None


@app.command()
def info(as_json: JsonOpt = False) -> None:
    """What this installation is: its id, database, schema revision, test clock, key file, catalog in force."""
    from services.db import require_schema
    from services.queries.connection import utc

    settings = app_settings()
    require_schema(settings.url)
    with read_only() as read:
        installation = read.one("SELECT installation_id, test_clock, created_at FROM installation") or {}
        revision = read.one("SELECT version_num FROM alembic_version") or {}
        catalog = read.one("SELECT id, source, loaded_at FROM catalog_version ORDER BY id DESC LIMIT 1") or {}
    facts = {
        "installation": installation.get("installation_id"),
        "created_at": created.astimezone(settings.tz) if (created := utc(installation.get("created_at"))) else None,
        "test_clock": bool(installation.get("test_clock")),
        "database": _safe_url(settings.url),
        "schema_revision": revision.get("version_num"),
        "key_file": str(settings.secret_path),
        "key_file_present": settings.secret_path.exists(),
        "catalog_version": catalog.get("id"),
        "catalog_source": catalog.get("source"),
    }
    if as_json:
        print_json(facts)
        return
    if facts["installation"] is None:
        say("installation: none yet (run onevisit init)")
    for name, value in facts.items():
        say(f"{name.replace('_', ' ')}: {'-' if value is None else value}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def serve(
    pool: Annotated[str | None, typer.Option("--pool", help="Register the deployments on this process work pool "
                                             "(PREFECT_API_URL) and run a worker for it.")] = None,
    web: Annotated[bool, typer.Option("--web", help="Also serve the web (API and pages) on ONEVISIT_WEB_HOST:"
                                      "ONEVISIT_WEB_PORT, beside the flows.")] = False,
) -> None:
    """Run the flows continuously: on the embedded API a loop, on a Prefect server its deployments."""
    with read_only():
        pass
    if web:
        import threading

        from commands.web import web_server

        threading.Thread(target=web_server().run, name="onevisit-web", daemon=True).start()
    from flows.lifeline import tie_prefect_server
    from flows.serving import serve_forever

    tie_prefect_server()
    serve_forever(pool)


@app.command()
def demo(
    keep: Annotated[Path | None, typer.Option("--database", help="Keep the demo database at this SQLite path.")] = None,
    remote: Annotated[bool, typer.Option("--remote", help="Agencies review in their own (simulated) systems.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace the file at --database if there is one.")] = False,
) -> None:
    """Play a handful of cases across bundles on a new database of its own, and show what happened."""
    from approvals.errors import BadInput
    from flows.lifeline import tie_prefect_server

    if keep is not None and (keep.exists() or keep.is_symlink()) and not force:
        raise BadInput(f"--database {keep} exists: the demo writes only to a new database of its own "
                       "(--force replaces the file)")
    tie_prefect_server()
    if remote:
        from flows.demo_remote import run_remote_demo

        run_remote_demo(keep)
        return
    from flows.demo import run_demo

    run_demo(keep)


@simulate_app.command("agencies")
def simulate_agencies(
    port: Annotated[int, typer.Option("--port", help="The loopback port to serve on.")],
    latency_ms: Annotated[float, typer.Option("--latency-ms", help="Added to every answer.")] = 0.0,
    failure_rate: Annotated[float, typer.Option("--failure-rate", help="Share of requests that fail (0-1).")] = 0.0,
    approve_rate: Annotated[float, typer.Option("--approve-rate", help="Share of reviews approved (0-1).")] = 1.0,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the failure and decision draws.")] = None,
    catalog_file: Annotated[Path | None, typer.Option("--catalog", help="Serve this catalog's agencies "
                                                      "(default: the built-in catalog).")] = None,
    write_catalog: Annotated[Path | None, typer.Option("--write-catalog", help="Write the catalog with every "
                                                       "agency pointed at this simulator, to load.")] = None,
) -> None:
    """Serve every catalog agency's review system, a data-sharing service and a notification gateway."""
    from approvals.errors import BadInput
    from services.catalog import builtin_catalog_text, parse_catalog_text, read_catalog_file
    from simulator.catalog import agency_codes, gateway_url, remote_catalog, sharing_url
    from simulator.server import Simulator

    if not 0 < port < 65536:
        raise BadInput(f"--port {port}: a port is 1-65535")
    for name, value in (("--failure-rate", failure_rate), ("--approve-rate", approve_rate)):
        if not 0 <= value <= 1:
            raise BadInput(f"{name} {value}: a share is between 0 and 1")
    if latency_ms < 0:
        raise BadInput(f"--latency-ms {latency_ms}: cannot be negative")
    text = read_catalog_file(catalog_file) if catalog_file else builtin_catalog_text()
    parse_catalog_text(text)
    simulator = Simulator(agency_codes(text), port=port, seed=seed, latency_ms=latency_ms,
                          failure_rate=failure_rate, approve_rate=approve_rate)
    try:
        simulator.bind()
    except OSError as exc:
        raise BadInput(f"--port {port}: {exc.strerror}") from None
    if write_catalog is not None:
        write_catalog.write_text(remote_catalog(text, simulator.url), "utf-8")
        say(f"catalog pointing at the simulator written to {write_catalog}: `onevisit catalog load` it")
    say(f"agencies at {simulator.url}/agencies/{{CODE}}: {', '.join(sorted(simulator.agencies))}")
    say(f"data sharing: ONEVISIT_SHARING_SERVICES='{{\"licence_registry\": \"{sharing_url(simulator.url, 'licence_registry')}\"}}'")
    say(f"gateway: ONEVISIT_NOTIFY_GATEWAY_URL={gateway_url(simulator.url)}")
    say(f"records: GET {simulator.url}/_records (Ctrl+C stops)")
    sys.stdout.flush()
    try:
        simulator.serve_forever()
    except KeyboardInterrupt:
        say("stopped")
