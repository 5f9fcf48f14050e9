"""Search over what letters say: number, subject, parties, message and the text of their documents.

Both the correspondence's ``search_text`` and each document's text are stored as ``index_forms``
(services/platform/text.py: folded words and their Arabic light stems, joined Latin names), and indexed with a
plain tokenizer: SQLite FTS5 tables whose rowid is the letter's id (its fields; its documents' text, one
row per letter), PostgreSQL ``tsvector`` GIN indexes of the stored words split on spaces only (its own
parser would re-split words such as ``0e96d926``). A query word matches when any of its
forms is a prefix of an indexed word; every word must match, in the letter's own fields or in its
documents (on PostgreSQL, in one of its documents). Lists read the matches newest first, a range of
ids at a time (``inbox._newest_matching``). Ranking and snippets are computed in Python over a bounded
candidate set, so both databases give the same order and the same highlighted excerpt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ARRAY, ColumnElement, Integer, TextClause, any_, bindparam, func, select, text
from sqlmodel import Session, col

from mrasla_app.models import Correspondence, DocumentText, TextStatus
from mrasla_app.models.base import MAX_ID
from mrasla_app.services.platform.text import index_forms, word_forms, words

Terms = Sequence[tuple[str, ...]]
RANK_POOL = 200  # newest matching letters ranked by relevance (a search is refined, not paged for ever)
SNIPPET_WORDS = 10  # words shown on each side of the hit
SNIPPET_SCAN = 20_000  # characters of a document's text looked at for a snippet
#: Score of a query word found in: the subject, the letter's other fields (number, parties, message),
#: only in its documents.
WEIGHT_SUBJECT, WEIGHT_FIELDS, WEIGHT_DOCUMENTS = 3, 2, 1


@dataclass(frozen=True)
class Snippet:
    """An excerpt around the first hit: the text before it, the hit as written, the text after it."""

    before: str
    hit: str
    after: str


#: A query form → the indexed words it begins, or None (search it as a prefix).
Vocabulary = Callable[[str], list[str] | None]


def _no_vocabulary(form: str) -> list[str] | None:
    return None


def _query(
    terms: Terms,
    words: Vocabulary,
    *,
    exact: Callable[[str], str],
    prefix: Callable[[str], str],
    any_of: str,
    all_of: str,
) -> str:
    """Every query word (``all_of``), each as any of its forms (``any_of``); a form as the indexed words it
    begins (``words(form)``, each written by ``exact``) when known, else as a prefix (``prefix``).
    "" when some query word can match nothing."""
    groups = []
    for forms in terms:
        alternatives = []
        for form in forms:
            known = words(form)
            alternatives += [prefix(form)] if known is None else [exact(w) for w in known]
        if not alternatives:
            return ""
        groups.append("(" + any_of.join(alternatives) + ")")
    return all_of.join(groups)


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts5_query(terms: Terms, words: Vocabulary = _no_vocabulary) -> str:
    """FTS5 MATCH text (``_query``); every word and prefix quoted, so no FTS5 syntax can come from the
    user's text."""
    return _query(terms, words, exact=_quoted, prefix=lambda f: _quoted(f) + "*", any_of=" OR ", all_of=" AND ")


def _lexeme(term: str) -> str:
    return "'" + "".join(c for c in term if c.isalnum()) + "'"


def tsquery(terms: Terms, words: Vocabulary = _no_vocabulary) -> str:
    """PostgreSQL ``tsquery`` text with the same meaning, read as is (``CAST``, not ``to_tsquery``, whose
    parser would split ``0e96d926`` into a number and a word; the vectors hold the stored words whole).
    Forms and words hold only letters and digits; anything else is dropped, so no tsquery syntax can
    come from the user's text."""
    alnum = [tuple(f for f in ("".join(c for c in form if c.isalnum()) for form in forms) if f) for forms in terms]
    return _query(alnum, words, exact=_lexeme, prefix=lambda f: _lexeme(f) + ":*", any_of=" | ", all_of=" & ")


#: A form of at least this many characters is looked up in the index's vocabulary (shorter ones begin
#: too many words: the lookup would cost more than the prefix search).
VOCABULARY_MIN_CHARS = 3
#: More indexed words than this beginning with a form: searched as a prefix instead.
VOCABULARY_MAX_WORDS = 32


def _vocabulary(session: Session, table: str, column: str) -> Vocabulary:
    """The indexed words (``column`` of ``table``: an FTS5 vocabulary, PostgreSQL's ``search_word``) that
    begin with a form, or None (search the prefix)."""

    def words(form: str) -> list[str] | None:
        if len(form) < VOCABULARY_MIN_CHARS:
            return None
        found = list(
            session.execute(
                text(
                    f"SELECT {column} FROM {table} WHERE {column} >= :form AND {column} <= :end ORDER BY {column} "
                    f"LIMIT :n"
                ).bindparams(form=form, end=form + "\U0010ffff", n=VOCABULARY_MAX_WORDS + 1)
            ).scalars()
        )
        return None if len(found) > VOCABULARY_MAX_WORDS else found

    return words


#: PostgreSQL: id ranges up to this wide are read through the id indexes (``Match.ids``).
PG_INDEXED_RANGE = 2**17


@dataclass(frozen=True)
class Match:
    """A search's words as each index reads them, worked out once and used for every range of ids read."""

    postgresql: bool
    tsq: str = ""  # PostgreSQL
    fields: str = ""  # SQLite: MATCH text for the letters' fields ("" = nothing can match there)
    documents: str = ""  # SQLite: MATCH text for their documents' text

    def ids(self, ids: range | None = None) -> TextClause:
        """Ids of the letters whose fields, or whose documents, contain every query word; with ``ids``,
        only letters whose id is in that range, read from the index's postings for those ids alone."""
        lo, hi = (ids.start, ids.stop) if ids is not None else (0, MAX_ID + 1)
        if self.postgresql:
            if not self.tsq:
                return text("SELECT 0 WHERE false")
            # A narrow range is intersected with the id indexes (only its matches are read from the
            # table); a wide one is only a filter: building the bitmap of half a million ids costs more
            # than reading the matches of a rarer word.
            add = "" if hi - lo <= PG_INDEXED_RANGE else " + 0"
            return text(
                "SELECT id FROM correspondence WHERE search_vector @@ CAST(:tsq AS tsquery) "
                f"AND id{add} >= :lo AND id{add} < :hi "
                "UNION SELECT correspondence_id FROM document_text WHERE search_vector @@ CAST(:tsq AS tsquery) "
                f"AND correspondence_id{add} >= :lo AND correspondence_id{add} < :hi"
            ).bindparams(tsq=self.tsq, lo=lo, hi=hi)
        # Both FTS5 indexes have the letter's id as rowid (documents: one row per letter, ``letter_text_fts``),
        # so each seeks straight to the range.
        parts, params = [], {}
        for index, name, query in (("correspondence_fts", "f", self.fields), ("letter_text_fts", "d", self.documents)):
            if query:  # else nothing there can match
                parts.append(f"SELECT rowid FROM {index} WHERE {index} MATCH :{name} AND rowid >= :lo AND rowid < :hi")
                params[name] = query
        if not parts:
            return text("SELECT 0 WHERE 0")
        return text(" UNION ".join(parts)).bindparams(lo=lo, hi=hi, **params)

    def of_row(self) -> TextClause:
        """PostgreSQL: the same test on each row of a query over ``correspondence`` (a stored vector
        compared in place): cheaper than listing every match when the rows to test are few."""
        return text(
            "(correspondence.search_vector @@ CAST(:tsq AS tsquery) OR EXISTS (SELECT 1 FROM document_text "
            "WHERE document_text.correspondence_id = correspondence.id "
            "AND document_text.search_vector @@ CAST(:tsq AS tsquery)))"
        ).bindparams(tsq=self.tsq)

    def among(self, session: Session, ids: range) -> ColumnElement[bool]:
        """A condition on ``Correspondence``: its id is in ``ids`` and it matches. On PostgreSQL the
        matching ids are read first and passed as one array: the planner cannot estimate how many
        letters a set of words matches (it guessed 27,000 for 184) and would walk the primary key."""
        if not self.postgresql:
            return Correspondence.id.in_(self.ids(ids))
        found = list(session.execute(self.ids(ids)).scalars())
        return col(Correspondence.id) == any_(bindparam("matched", found, type_=ARRAY(Integer)))


def match(session: Session, terms: Terms) -> Match:
    """``terms`` prepared for the session's database (on SQLite, each form looked up in the vocabularies)."""
    if session.get_bind().dialect.name == "postgresql":
        return Match(postgresql=True, tsq=tsquery(terms, _vocabulary(session, "search_word", "word")))
    return Match(
        postgresql=False,
        fields=fts5_query(terms, _vocabulary(session, "correspondence_fts_vocab", "term")),
        documents=fts5_query(terms, _vocabulary(session, "letter_text_fts_vocab", "term")),
    )


def matching_ids(session: Session, terms: Terms) -> TextClause:
    """Ids of the letters whose fields, or whose documents, contain every query word."""
    return match(session, terms).ids()


def _hits(forms: tuple[str, ...], indexed: Iterable[str]) -> bool:
    return any(word.startswith(f) for word in indexed for f in forms)


def rank(session: Session, ids: Sequence[int], terms: Terms) -> list[int]:
    """``ids`` best first: each query word scores by where it is found (subject, other fields, documents
    only); ties keep the newest first."""
    fields = {
        i: (set(index_forms(subject)), set(search_text.split()))
        for i, subject, search_text in session.execute(
            select(Correspondence.id, Correspondence.subject, Correspondence.search_text).where(
                Correspondence.id.in_(ids)
            )
        ).all()
    }

    def score(i: int) -> int:
        subject, other = fields.get(i, (set(), set()))
        return sum(
            WEIGHT_SUBJECT if _hits(f, subject) else WEIGHT_FIELDS if _hits(f, other) else WEIGHT_DOCUMENTS
            for f in terms
        )

    return sorted(ids, key=lambda i: (-score(i), -i))


def _snippet(value: str, terms: Terms) -> Snippet | None:
    """The excerpt of ``value`` around its first word matching a query word, or None."""
    found = words(value)
    for n, word in enumerate(found):
        forms = word_forms(word)
        if any(any(form.startswith(f) for form in forms for f in t) for t in terms):
            return Snippet(
                ("… " if n > SNIPPET_WORDS else "") + " ".join(found[max(0, n - SNIPPET_WORDS) : n]),
                word,
                " ".join(found[n + 1 : n + 1 + SNIPPET_WORDS]) + (" …" if n + 1 + SNIPPET_WORDS < len(found) else ""),
            )
    return None


def snippets(session: Session, ids: Sequence[int], terms: Terms) -> dict[int, Snippet]:
    """For each letter, an excerpt of its message or of its documents' text around a query word (the
    subject is shown anyway, so it is not repeated)."""
    if not ids or not terms:
        return {}
    sources: dict[int, list[str]] = {
        i: [m]
        for i, m in session.execute(
            select(Correspondence.id, Correspondence.message).where(Correspondence.id.in_(ids))
        ).all()
    }
    # Read through the correspondence_id index only, status and order checked here: with ``status`` and
    # ``ORDER BY id`` in the query, SQLite walked every read document in id order (a second at 1M letters).
    texts = session.execute(
        select(
            DocumentText.id,
            DocumentText.correspondence_id,
            DocumentText.status,
            func.substr(DocumentText.body, 1, SNIPPET_SCAN),
        ).where(DocumentText.correspondence_id.in_(ids))
    ).all()
    for _, i, status, body in sorted(texts):
        if status == TextStatus.done:
            sources.setdefault(i, []).append(body)
    out: dict[int, Snippet] = {}
    for i, values in sources.items():
        for value in values:
            if value and (found := _snippet(value, terms)) is not None:
                out[i] = found
                break
    return out
