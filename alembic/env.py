"""Alembic environment: one metadata (SQLModel's), the URL from Mrasla's settings."""

from alembic import context
from sqlmodel import SQLModel

import mrasla_app.models  # noqa: F401  (registers every table)
from mrasla_app.db import engine

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connectable = context.config.attributes.get("connection") or engine(write=True)
    if hasattr(connectable, "connect"):
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
