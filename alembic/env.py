"""Alembic environment: one metadata (SQLModel's), the URL from Mrasla's settings."""

from alembic import context
from sqlmodel import SQLModel

import mrasla_app.models  # noqa: F401  (registers every table)
from mrasla_app.db import engine

target_metadata = SQLModel.metadata


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Ignore the search index made by the migrations, not by SQLModel: the FTS5 shadow tables
    (SQLite), the generated ``search_vector`` column and its GIN index (PostgreSQL)."""
    if (type_ == "table" and name and name.startswith("correspondence_fts")) or (type_ == "index" and name == "ix_corr_search"):
        return False
    return not (type_ == "column" and name == "search_vector" and getattr(obj, "table", None) is not None
                and obj.table.name == "correspondence")


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
