"""document text (PDF text layer / OCR) and Arabic-stemmed search forms

- ``document_text``: the text read from each stored document by the background job (derived data:
  the document's bytes are never rewritten), with its source (pdf/ocr), language guess, character
  count and extraction time; full-text indexed like ``correspondence.search_text`` (FTS5 external
  content table + triggers on SQLite, a generated ``search_vector`` with a GIN index on PostgreSQL).
  Every document but receipts gets a pending row, so what was stored before is read too.
- ``correspondence.search_text`` is recomputed with ``services.text.index_forms`` (Arabic light
  stems, joined Latin names) from the folded text it held.

Revision ID: 6d2a4f8c1e37
Revises: 4a1f7c3e9b20
Create Date: 2026-12-05 07:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import mrasla_app.models.base
from mrasla_app.services.platform.text import search_document

revision: str = "6d2a4f8c1e37"
down_revision: Union[str, None] = "4a1f7c3e9b20"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 5000

FTS_TRIGGERS = {
    "document_text_fts_ai": "AFTER INSERT ON document_text BEGIN "
    "INSERT INTO document_text_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "document_text_fts_ad": "AFTER DELETE ON document_text BEGIN "
    "INSERT INTO document_text_fts(document_text_fts, rowid, search_text) VALUES ('delete', old.id, "
    "old.search_text); END",
    "document_text_fts_au": "AFTER UPDATE OF search_text ON document_text BEGIN "
    "INSERT INTO document_text_fts(document_text_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO document_text_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
}


def upgrade() -> None:
    op.create_table(
        "document_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("correspondence_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "done", "failed", name="textstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column(
            "source", sa.Enum("pdf", "ocr", "none", name="textsource", native_enum=False, length=24), nullable=False
        ),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("char_count", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", mrasla_app.models.base.UTCDateTime(), nullable=True),
        sa.Column("extracted_at", mrasla_app.models.base.UTCDateTime(), nullable=True),
        sa.Column("created_at", mrasla_app.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["correspondence_id"], ["correspondence.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id"),
    )
    op.create_index(op.f("ix_document_text_correspondence_id"), "document_text", ["correspondence_id"])
    op.create_index(op.f("ix_document_text_status"), "document_text", ["status"])
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE document_text_fts USING fts5("
            "search_text, content='document_text', content_rowid='id', tokenize='unicode61')"
        )
        for name, body in FTS_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        op.execute(
            "ALTER TABLE document_text ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED"
        )
        op.execute("CREATE INDEX ix_doctext_search ON document_text USING GIN (search_vector)")
    conn.execute(
        sa.text(
            "INSERT INTO document_text (document_id, correspondence_id, status, source, language, char_count, pages, "
            "body, search_text, attempts, created_at) "
            "SELECT id, correspondence_id, 'pending', 'none', '', 0, 0, '', '', 0, created_at FROM document "
            "WHERE kind <> 'receipt'"
        )
    )
    _reindex(conn)


def _reindex(conn) -> None:
    """Recompute every ``search_text`` from the folded text it holds (folding is idempotent), by id batches."""
    last = 0
    while True:
        rows = conn.execute(
            sa.text("SELECT id, search_text FROM correspondence WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            return
        conn.execute(
            sa.text("UPDATE correspondence SET search_text = :s WHERE id = :id"),
            [{"id": i, "s": search_document(t)} for i, t in rows],
        )
        last = rows[-1][0]


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS document_text_fts")
    op.drop_index(op.f("ix_document_text_status"), table_name="document_text")
    op.drop_index(op.f("ix_document_text_correspondence_id"), table_name="document_text")
    op.drop_table("document_text")
    # correspondence.search_text keeps its stemmed forms: a superset the previous search still matches.
