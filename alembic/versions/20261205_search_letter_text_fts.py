"""search: documents' text indexed per letter on SQLite; query words looked up in the indexes' vocabulary

The documents' text was indexed one row per document (``document_text_fts``, rowid = the
document_text id). A search reads the newest letters first, window by window of correspondence ids;
per-document rowids cannot be sought by letter id, and turning the matching documents into their
letters cost one table read per document (a quarter of a second for a common Arabic word at one
million letters). ``letter_text_fts`` holds one row per letter — the search forms of all its read
documents, in document order — with the letter's id as rowid, so both indexes are sought by the same
id range and the words of a query may be found across a letter's documents. Triggers on
``document_text`` rewrite a letter's row whenever one of its documents' text changes.

Both indexes get an ``fts5vocab`` table (``*_vocab``): a query word is looked up there and searched as
the few indexed words it begins, not as a prefix — FTS5 merges every posting of a prefix's words
before it can seek to an id range (40 ms for ``reclamation*`` at one million letters, 0.1 ms for its
words).

PostgreSQL keeps its per-document GIN index (intersected with the ``correspondence_id`` index) and gets
the same word lookup: ``search_word`` lists every word either index holds (kept by triggers, words are
never removed: a stale one only matches nothing), in byte order, so a query word becomes the indexed
words it begins and the GIN indexes are read for whole words, which they can skip through, instead of
a prefix, whose postings they must all gather first (a quarter of a second for two common Arabic words).

Revision ID: 8b3e5d1f7a42
Revises: 5e1a7c3b9f20
Create Date: 2026-12-05 10:30:00
"""

from typing import Sequence, Union

from alembic import op

revision: str = "8b3e5d1f7a42"
down_revision: Union[str, None] = "5e1a7c3b9f20"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _rewrite(letter: str) -> str:
    """Trigger statements: the letter's row replaced by its documents' forms (none left: no row)."""
    return (
        f"DELETE FROM letter_text_fts WHERE rowid = {letter}; "
        "INSERT INTO letter_text_fts(rowid, search_text) "
        f"SELECT {letter}, group_concat(search_text, ' ') FROM "
        f"(SELECT search_text FROM document_text WHERE correspondence_id = {letter} AND search_text != '' "
        "ORDER BY id) HAVING count(*) > 0; "
    )


VOCABULARIES = ("correspondence_fts", "letter_text_fts")
LETTER_TRIGGERS = {
    # a document's row is made pending (no text yet) at registration: nothing to index until it is read
    "letter_text_fts_ai": f"AFTER INSERT ON document_text WHEN new.search_text != '' "
    f"BEGIN {_rewrite('new.correspondence_id')}END",
    "letter_text_fts_ad": f"AFTER DELETE ON document_text BEGIN {_rewrite('old.correspondence_id')}END",
    "letter_text_fts_au": f"AFTER UPDATE OF search_text ON document_text BEGIN {_rewrite('new.correspondence_id')}END",
}
DOCUMENT_TRIGGERS = {  # as revision 6d2a4f8c1e37 made them (downgrade)
    "document_text_fts_ai": "AFTER INSERT ON document_text BEGIN "
    "INSERT INTO document_text_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "document_text_fts_ad": "AFTER DELETE ON document_text BEGIN "
    "INSERT INTO document_text_fts(document_text_fts, rowid, search_text) VALUES ('delete', old.id, "
    "old.search_text); END",
    "document_text_fts_au": "AFTER UPDATE OF search_text ON document_text BEGIN "
    "INSERT INTO document_text_fts(document_text_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO document_text_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
}


PG_WORDS_FUNCTION = (
    "CREATE FUNCTION mrasla_search_words() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO search_word(word) SELECT unnest(tsvector_to_array(NEW.search_vector)) ON CONFLICT DO NOTHING; "
    "RETURN NULL; END $$"
)
PG_WORDS_TRIGGERS = {"correspondence": "search_word_of_correspondence", "document_text": "search_word_of_document"}


def _upgrade_postgresql() -> None:
    op.execute('CREATE TABLE search_word (word text COLLATE "C" PRIMARY KEY)')
    op.execute(
        "INSERT INTO search_word(word) SELECT unnest(tsvector_to_array(search_vector)) FROM correspondence "
        "UNION SELECT unnest(tsvector_to_array(search_vector)) FROM document_text"
    )
    op.execute(PG_WORDS_FUNCTION)
    for table, name in PG_WORDS_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OF search_text ON {table} "
            "FOR EACH ROW WHEN (NEW.search_text <> '') EXECUTE FUNCTION mrasla_search_words()"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
        return
    for name in DOCUMENT_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS document_text_fts")
    op.execute("CREATE VIRTUAL TABLE letter_text_fts USING fts5(search_text, tokenize='unicode61')")
    op.execute(
        "INSERT INTO letter_text_fts(rowid, search_text) "
        "SELECT correspondence_id, group_concat(search_text, ' ') FROM "
        "(SELECT correspondence_id, search_text FROM document_text WHERE search_text != '' "
        "ORDER BY correspondence_id, id) GROUP BY correspondence_id"
    )
    for name, body in LETTER_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    for index in VOCABULARIES:
        op.execute(f"CREATE VIRTUAL TABLE {index}_vocab USING fts5vocab({index}, row)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, name in PG_WORDS_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS mrasla_search_words()")
        op.execute("DROP TABLE IF EXISTS search_word")
        return
    for index in VOCABULARIES:
        op.execute(f"DROP TABLE IF EXISTS {index}_vocab")
    for name in LETTER_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS letter_text_fts")
    op.execute(
        "CREATE VIRTUAL TABLE document_text_fts USING fts5("
        "search_text, content='document_text', content_rowid='id', tokenize='unicode61')"
    )
    op.execute("INSERT INTO document_text_fts(document_text_fts) VALUES ('rebuild')")
    for name, body in DOCUMENT_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
