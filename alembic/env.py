"""Alembic environment: one metadata (SQLModel's), the URL from Mrasla's settings."""

from alembic import context
from sqlmodel import SQLModel

import mrasla_app.models  # noqa: F401  (registers every table)
from mrasla_app.db import engine

target_metadata = SQLModel.metadata


SEARCH_TABLES = ("correspondence_fts", "document_text_fts", "letter_text_fts")  # and their shadow/vocab tables


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Ignore the search indexes made by the migrations, not by SQLModel: the FTS5 shadow tables
    (SQLite), the generated ``search_vector`` columns, their GIN indexes and the word list (PostgreSQL)."""
    if type_ == "table" and name and (name.startswith(SEARCH_TABLES) or name == "search_word"):
        return False
    if type_ == "index" and name in ("ix_corr_search", "ix_doctext_search"):
        return False
    return not (
        type_ == "column"
        and name == "search_vector"
        and getattr(obj, "table", None) is not None
        and obj.table.name in ("correspondence", "document_text")
    )


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
