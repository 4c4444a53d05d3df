"""Create or upgrade onevisit's schema with Alembic (`onevisit init`)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from services.db import engine_for


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "schemas:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    engine = engine_for(url)
    with engine.connect() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        config.attributes["audit_key"] = _audit_key  # a migration that chains rows asks for it
        command.upgrade(config, "head")


def _audit_key() -> bytes:
    from services.audit import audit_key

    return audit_key()


def drop_append_only_guard(url: str) -> None:
    """Let case_event rows be changed or deleted: only for throwaway databases (benchmarks that reset
    their backlog, tests that tamper with the timeline or wipe it between examples)."""
    from sqlalchemy import text

    engine = engine_for(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE case_event DISABLE TRIGGER case_event_append_only"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS case_event_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS case_event_no_delete"))
