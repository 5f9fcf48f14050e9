"""search: PostgreSQL indexes the stored search words whole (split on spaces only), like FTS5

``search_text`` already holds the words a letter is found by (``services.platform.text.index_forms``:
letters and digits only, one space between them). PostgreSQL's ``to_tsvector`` re-parsed them with its
own parser, which reads ``0e96d926`` as the number ``0e96`` and the word ``d926``: a reference or code of
that shape was indexed as two words and a search for it found nothing (SQLite's ``unicode61`` keeps it
whole). The vectors are now the words themselves (``array_to_tsvector``), and queries are read as
``tsquery`` text without re-parsing (``services.correspondence.search``), so both databases index and
match the same words. ``search_word`` is refilled from the new vectors.

Revision ID: a4c9e2f7b613
Revises: 8b3e5d1f7a42
Create Date: 2026-12-05 13:10:00
"""

from typing import Sequence, Union

from alembic import op

revision: str = "a4c9e2f7b613"
down_revision: Union[str, None] = "8b3e5d1f7a42"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

#: table → its GIN index on ``search_vector``
INDEXES = {"correspondence": "ix_corr_search", "document_text": "ix_doctext_search"}
WHOLE_WORDS = "array_to_tsvector(array_remove(string_to_array(search_text, ' '), ''))"
PARSED = "to_tsvector('simple', search_text)"


def _vectors(expression: str) -> None:
    for table, index in INDEXES.items():
        op.execute(f"ALTER TABLE {table} DROP COLUMN search_vector")  # drops its index too
        op.execute(f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({expression}) STORED")
        op.execute(f"CREATE INDEX {index} ON {table} USING GIN (search_vector)")
        op.execute(f"ANALYZE {table}")
    op.execute("TRUNCATE search_word")
    op.execute(
        "INSERT INTO search_word(word) SELECT unnest(tsvector_to_array(search_vector)) FROM correspondence "
        "UNION SELECT unnest(tsvector_to_array(search_vector)) FROM document_text"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _vectors(WHOLE_WORDS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _vectors(PARSED)
