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
        command.upgrade(config, "head")
