"""Search over what letters say: number, subject, parties, message and the text of their documents.

Both the correspondence's ``search_text`` and each document's text are stored as ``index_forms``
(services/platform/text.py: folded words and their Arabic light stems, joined Latin names), and indexed with a
plain tokenizer: SQLite FTS5 tables whose rowid is the letter's id (its fields; its documents' text, one
row per letter), PostgreSQL ``tsvector`` GIN indexes ('simple'). A query word matches when any of its
forms is a prefix of an indexed word; every word must match, in the letter's own fields or in its
documents (on PostgreSQL, in one of its documents). Lists read the matches newest first, a range of
ids at a time (``inbox._newest_matching``). Ranking and snippets are computed in Python over a bounded
candidate set, so both databases give the same order and the same highlighted excerpt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import TextClause, func, select, text
from sqlmodel import Session

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


def fts5_query(terms: Terms) -> str:
    """FTS5 MATCH text: every word, each as any of its forms, as quoted prefixes (no FTS5 syntax
    can come from the user's text)."""
    return " AND ".join("(" + " OR ".join('"' + f.replace('"', '""') + '"*' for f in forms) + ")" for forms in terms)


def tsquery(terms: Terms) -> str:
    """PostgreSQL ``to_tsquery`` text with the same meaning (forms hold only letters and digits)."""
    def alnum(f: str) -> str:
        return "".join(c for c in f if c.isalnum())
    groups = ["(" + " | ".join(alnum(f) + ":*" for f in forms if alnum(f)) + ")" for forms in terms]
    return " & ".join(g for g in groups if g != "()")


def matching_ids(session: Session, terms: Terms, ids: range | None = None) -> TextClause:
    """Ids of the letters whose fields, or one of whose documents, contain every query word; with ``ids``,
    only letters whose id is in that range, read from the index's postings for those ids alone."""
    lo, hi = (ids.start, ids.stop) if ids is not None else (0, MAX_ID + 1)
    if session.get_bind().dialect.name == "postgresql":
        return text(
            "SELECT id FROM correspondence WHERE search_vector @@ to_tsquery('simple', :tsq) "
            "AND id >= :lo AND id < :hi "
            "UNION SELECT correspondence_id FROM document_text WHERE search_vector @@ to_tsquery('simple', :tsq) "
            "AND correspondence_id >= :lo AND correspondence_id < :hi"
        ).bindparams(tsq=tsquery(terms), lo=lo, hi=hi)
    # Both FTS5 indexes have the letter's id as rowid (documents: one row per letter, ``letter_text_fts``),
    # so each seeks straight to the range.
    return text(
        "SELECT rowid FROM correspondence_fts WHERE correspondence_fts MATCH :m AND rowid >= :lo AND rowid < :hi "
        "UNION SELECT rowid FROM letter_text_fts WHERE letter_text_fts MATCH :m AND rowid >= :lo AND rowid < :hi"
    ).bindparams(m=fts5_query(terms), lo=lo, hi=hi)


def _hits(forms: tuple[str, ...], indexed: Iterable[str]) -> bool:
    return any(word.startswith(f) for word in indexed for f in forms)


def rank(session: Session, ids: Sequence[int], terms: Terms) -> list[int]:
    """``ids`` best first: each query word scores by where it is found (subject, other fields, documents
    only); ties keep the newest first."""
    fields = {i: (set(index_forms(subject)), set(search_text.split())) for i, subject, search_text in session.execute(
        select(Correspondence.id, Correspondence.subject, Correspondence.search_text)
        .where(Correspondence.id.in_(ids))).all()}

    def score(i: int) -> int:
        subject, other = fields.get(i, (set(), set()))
        return sum(WEIGHT_SUBJECT if _hits(f, subject) else WEIGHT_FIELDS if _hits(f, other) else WEIGHT_DOCUMENTS
                   for f in terms)
    return sorted(ids, key=lambda i: (-score(i), -i))


def _snippet(value: str, terms: Terms) -> Snippet | None:
    """The excerpt of ``value`` around its first word matching a query word, or None."""
    found = words(value)
    for n, word in enumerate(found):
        forms = word_forms(word)
        if any(any(form.startswith(f) for form in forms for f in t) for t in terms):
            return Snippet(("… " if n > SNIPPET_WORDS else "") + " ".join(found[max(0, n - SNIPPET_WORDS):n]),
                           word, " ".join(found[n + 1:n + 1 + SNIPPET_WORDS]) +
                           (" …" if n + 1 + SNIPPET_WORDS < len(found) else ""))
    return None


def snippets(session: Session, ids: Sequence[int], terms: Terms) -> dict[int, Snippet]:
    """For each letter, an excerpt of its message or of its documents' text around a query word (the
    subject is shown anyway, so it is not repeated)."""
    if not ids or not terms:
        return {}
    sources: dict[int, list[str]] = {i: [m] for i, m in session.execute(
        select(Correspondence.id, Correspondence.message).where(Correspondence.id.in_(ids))).all()}
    # Read through the correspondence_id index only, status and order checked here: with ``status`` and
    # ``ORDER BY id`` in the query, SQLite walked every read document in id order (a second at 1M letters).
    texts = session.execute(
        select(DocumentText.id, DocumentText.correspondence_id, DocumentText.status,
               func.substr(DocumentText.body, 1, SNIPPET_SCAN)).where(DocumentText.correspondence_id.in_(ids))).all()
    for _, i, status, body in sorted(texts):
        if status == TextStatus.done:
            sources.setdefault(i, []).append(body)
    out: dict[int, Snippet] = {}
    for i, texts in sources.items():
        for value in texts:
            if value and (found := _snippet(value, terms)) is not None:
                out[i] = found
                break
    return out
