"""Alembic environment: one metadata (SQLModel's), the URL from Mrasla's settings."""

from alembic import context
from sqlmodel import SQLModel

import mrasla_app.models  # noqa: F401  (registers every table)
from mrasla_app.db import engine

target_metadata = SQLModel.metadata


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Ignore the FTS5 shadow tables made by the search-index migration (not SQLModel tables)."""
    return not (type_ == "table" and name and name.startswith("correspondence_fts"))


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
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
