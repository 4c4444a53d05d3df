"""Alembic environment: runs on the connection `services.migrate` hands it."""

from alembic import context
from sqlmodel import SQLModel

import schemas.tables  # noqa: F401  (registers every table on SQLModel.metadata)

config = context.config
connection = config.attributes.get("connection")


def run() -> None:
    if connection is None:
        from sqlalchemy import create_engine

        with create_engine(config.get_main_option("sqlalchemy.url")).connect() as conn:
            _migrate(conn)
    else:
        _migrate(connection)


def _migrate(conn) -> None:
    context.configure(
        connection=conn,
        target_metadata=SQLModel.metadata,
        render_as_batch=conn.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    if conn.in_transaction():
        conn.commit()


run()
