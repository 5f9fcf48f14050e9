"""Search over what letters say (issue 16): Arabic clitics and spellings, Latin names however spaced,
ranking, snippets, and the text of born-digital PDF attachments read by the background job. Runs on
SQLite and, with MRASLA_TEST_PG, on PostgreSQL: the expected results are the same."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from mrasla_app import db
from mrasla_app.models import Document, DocumentKind, DocumentText, TextSource, TextStatus
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import extraction, inbox
from mrasla_app.services.correspondence import search as full_text
from mrasla_app.services.correspondence.inbox import InboxFilter, Sort
from mrasla_app.services.errors import FieldErrors
from mrasla_app.services.platform import storage
from mrasla_app.services.platform.text import search_document, search_terms, word_forms
from mrasla_app.services.portal import deposits
from tests.files import pdf_bytes

CLERK = "clerk.mef@mrasla.ma"


def deposit(seeded, subject, message="", name="Salma Bennis", files=()) -> int:
    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name=name,
        id_kind="CIN",
        id_value="AB123456",
        email="",
        phone="0612345678",
        subject=subject,
        message=message,
        files=list(files),
    )
    with db.write_session() as s:
        return deposits.submit(s, form).correspondence_id


def search(seeded, q, sort=Sort.newest, email=CLERK) -> list[inbox.InboxRow]:
    with db.read_session() as s:
        rows, _ = inbox.page(s, seeded.actor(email), InboxFilter(q=q, sort=sort), limit=100)
    return rows


def found(seeded, q) -> set[int]:
    return {r.id for r in search(seeded, q)}


def test_clitics_article_and_ta_marbuta_share_one_stem():
    stems = {word_forms(w)[-1] for w in ("ضريبة", "الضريبة", "للضريبة", "الضريبه", "الضَّرِيبَة", "الضـريبة")}
    assert stems == {"ضريب"}
    assert word_forms("الخضوع")[-1] == word_forms("خضوع")[-1] == "خضوع"
    assert word_forms("وبالمدرسة")[-1] == word_forms("مدرسة")[-1]
    assert word_forms("El") == ("el",) and "elfassi" in search_document("Karim El-Fassi").split()
    assert search_terms('x" OR y*') == [("x",), ("or",), ("y",)]  # no FTS syntax survives


def test_issue_cases_are_found_and_nothing_else(seeded):
    tax = deposit(seeded, "طلب الإعفاء", message="نلتمس منكم الإعفاء للضريبة المستحقة برسم سنة 2026")
    submission = deposit(seeded, "إشعار بشأن الخضوع للمراقبة", name="شركة النور")
    subject_tax = deposit(seeded, "الضريبة على الدخل")
    fassi = deposit(seeded, "Demande de raccordement", name="Karim El Fassi")
    other = deposit(seeded, "مدرسة ابتدائية", name="Omar Tazi")
    assert found(seeded, "ضريبة") == found(seeded, "الضريبة") == {tax, subject_tax}
    assert found(seeded, "الضريبه") == {tax, subject_tax}
    assert found(seeded, "خضوع") == {submission}
    for typed in ("elfassi", "El Fassi", "el-fassi", "ELFASSI", "Elfassi Karim"):
        assert found(seeded, typed) == {fassi}, typed
    assert found(seeded, "مدارس") == set()  # a broken plural: not the light stemmer's job
    assert found(seeded, "ابتدائيه") == {other}
    assert found(seeded, "للضريبة خضوع") == set()  # every word must match


def test_ranked_by_where_the_words_are_with_a_snippet(seeded):
    in_subject = deposit(seeded, "الضريبة على القيمة المضافة")
    in_message = deposit(seeded, "طلب", message="يشرفني أن أطلب منكم الإعفاء للضريبة المستحقة على الشركة برسم 2026")
    newest_first = search(seeded, "ضريبة")
    assert [r.id for r in newest_first] == [in_message, in_subject]
    ranked = search(seeded, "ضريبة", sort=Sort.relevance)
    assert [r.id for r in ranked] == [in_subject, in_message]
    snippet = ranked[1].snippet
    assert snippet is not None and snippet.hit == "للضريبة"
    assert snippet.before.endswith("الإعفاء") and snippet.after.startswith("المستحقة")
    assert ranked[0].snippet is None  # the subject is shown anyway


def test_relevance_pages_and_bad_cursors(seeded):
    made = [deposit(seeded, f"Réclamation {i}") for i in range(3)]
    clerk = seeded.actor(CLERK)
    with db.read_session() as s:
        first, cursor = inbox.page(s, clerk, InboxFilter(q="reclamation", sort=Sort.relevance), limit=2)
        second, end = inbox.page(s, clerk, InboxFilter(q="reclamation", sort=Sort.relevance), after=cursor, limit=2)
        assert [r.id for r in first + second] == sorted(made, reverse=True) and end == ""
        for bad in ("x", "-1", "100000"):
            with pytest.raises(FieldErrors) as err:
                inbox.page(s, clerk, InboxFilter(q="reclamation", sort=Sort.relevance), after=bad)
            assert err.value.fields == {"after": "error.invalid_value"}


@pytest.mark.parametrize("row_by_row", [0, 2000], ids=["windows", "row-by-row-on-postgresql"])
def test_a_search_read_window_by_window_pages_through_every_match_newest_first(seeded, monkeypatch, row_by_row):
    """Matches across windows of ids (four ids, then 16, 64…), some found only in a document's text, others
    not visible to an agent: every page and the relevance pool agree with the whole match set."""
    monkeypatch.setattr(inbox, "SEARCH_WINDOW", 4)
    monkeypatch.setattr(inbox, "ROW_BY_ROW", row_by_row)
    monkeypatch.setattr(full_text, "PG_INDEXED_RANGE", 8)  # PostgreSQL: wider windows read as a filter
    made = []
    for i in range(7):
        made.append(deposit(seeded, f"Réclamation voirie {i}"))
        deposit(seeded, f"Demande sans rapport {i}")
    in_text = deposit(seeded, "Demande", files=[("plainte.pdf", pdf_bytes(text="Reclamation voirie quartier"))])
    extraction.run_job()
    made.append(in_text)
    expected = sorted(made, reverse=True)
    clerk = seeded.actor(CLERK)
    with db.read_session() as s:
        seen, cursor = [], ""
        while True:
            rows, cursor = inbox.page(s, clerk, InboxFilter(q="reclamation voirie"), after=cursor, limit=3)
            seen += [r.id for r in rows]
            if not cursor:
                break
        assert seen == expected
        oldest, _ = inbox.page(s, clerk, InboxFilter(q="reclamation voirie", sort=Sort.oldest), limit=100)
        assert [r.id for r in oldest] == expected[::-1]  # the whole-set path agrees
        ranked, _ = inbox.page(s, clerk, InboxFilter(q="reclamation voirie", sort=Sort.relevance), limit=100)
        assert sorted(r.id for r in ranked) == sorted(made) and ranked[-1].id == in_text  # text-only: last
        agent, _ = inbox.page(s, seeded.actor("agent.mef@mrasla.ma"), InboxFilter(q="reclamation voirie"), limit=100)
        assert agent == []  # not dispatched yet: nothing of it is the agent's


def test_query_words_become_the_indexed_words_they_begin_or_stay_prefixes(seeded, monkeypatch):
    vocabulary = {"reclam": ["reclamation", "reclamations"], "vo": None, "zzz": []}
    assert (
        full_text.fts5_query([("reclam",), ("vo",)], vocabulary.get) == '("reclamation" OR "reclamations") AND ("vo"*)'
    )
    assert full_text.fts5_query([("reclam",), ("zzz",)], vocabulary.get) == ""  # a word found nowhere: no match
    assert full_text.fts5_query([('x"y',)]) == '("x""y"*)'
    letter = deposit(seeded, "Réclamation voirie", message="Ma réclamation concerne la chaussée")
    for most in (32, 0):  # looked up in the vocabulary; too many words begin it: searched as a prefix
        monkeypatch.setattr(full_text, "VOCABULARY_MAX_WORDS", most)
        assert found(seeded, "reclam chauss") == found(seeded, "RÉCLAMATION") == {letter}
        assert found(seeded, "reclamx") == set()


def test_every_stored_word_is_found_whole_and_overlong_words_are_left_out(seeded):
    """A code PostgreSQL's own parser reads as a number and a word (``0e96d926``) is found whole, as on
    SQLite; a run of 3,000 characters (over PostgreSQL's 2 KB lexeme limit) in a message or a PDF's text is
    left out of the index without losing the letter or its other words."""
    code = deposit(seeded, "Dossier 0e96d926", message="Référence 1e5 ter")
    long_run = "7" * 3000
    other = deposit(
        seeded,
        "Pièce jointe",
        message=f"début {long_run} fin",
        files=[("annexe.pdf", pdf_bytes(text=f"Annexe du dossier de raccordement {long_run} suite"))],
    )
    extraction.run_job()
    assert found(seeded, "0e96d926") == found(seeded, "0E96") == found(seeded, "1e5 ter") == {code}
    assert found(seeded, "0e96d926 d926") == set()  # d926 is not a word of it
    assert found(seeded, "début fin") == found(seeded, "annexe suite") == {other}
    with db.read_session() as s:
        status = s.scalars(select(DocumentText.status).where(DocumentText.correspondence_id == other)).all()
    assert status and set(status) == {TextStatus.done}


def test_pdf_attachment_text_is_read_once_by_the_job_and_searchable(seeded):
    original = pdf_bytes(text="Convention hydraulique Sebou")
    cid = deposit(seeded, "Demande", files=[("convention.pdf", original)])
    with db.read_session() as s:
        rows = s.execute(select(DocumentText)).scalars().all()
        doc = s.get(Document, rows[0].document_id)
    assert [(r.correspondence_id, r.status) for r in rows] == [(cid, TextStatus.pending)]  # receipt not queued
    assert doc.kind is DocumentKind.attachment
    assert found(seeded, "hydraulique") == set()  # not read yet: never in the request

    assert extraction.run_job() == "0 queued, 1 read"
    with db.read_session() as s:
        row = s.get(DocumentText, rows[0].id)
    assert row.status is TextStatus.done and row.source is TextSource.pdf and row.language == "fr"
    assert "Convention hydraulique Sebou" in row.body and row.char_count == len(row.body) and row.pages == 1
    assert found(seeded, "hydrauliques") == set() and found(seeded, "hydraul") == {cid}
    assert search(seeded, "sebou")[0].snippet.hit == "Sebou"
    assert storage.get(doc.sha256) == original  # the stored original is untouched

    # Idempotent: a second run (any worker) reads nothing again.
    assert extraction.run_job() == "0 queued, 0 read"
    with db.read_session() as s:
        assert s.get(DocumentText, row.id).extracted_at == row.extracted_at


def test_a_dead_workers_lease_expires_and_attempts_are_bounded(seeded):
    deposit(seeded, "Demande", files=[("a.pdf", pdf_bytes(text="Premier document lisible"))])
    with db.write_session() as s:
        s.execute(update(DocumentText).values(lease_until=utcnow() + timedelta(minutes=5), attempts=1))
    assert extraction.extract_pending() == 0  # leased by a worker that may still be reading
    with db.write_session() as s:
        s.execute(update(DocumentText).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert extraction.extract_pending() == 1  # that worker died: its lease expired
    with db.write_session() as s:  # a document that killed every worker that tried it
        s.execute(
            update(DocumentText).values(status=TextStatus.pending, lease_until=None, attempts=extraction.MAX_ATTEMPTS)
        )
    assert extraction.extract_pending() == 0
    with db.read_session() as s:
        assert s.execute(select(DocumentText.status)).scalars().all() == [TextStatus.failed]


def test_documents_are_read_in_batches_and_an_unread_lease_is_released_with_its_attempt(seeded, monkeypatch):
    for word in ("Alpha", "Bravo", "Charlie"):
        deposit(seeded, "Demande", files=[(f"{word}.pdf", pdf_bytes(text=f"Document {word} lisible"))])
    real_read = extraction.read

    def slow_read(doc):
        time.sleep(0.3)
        return real_read(doc)

    monkeypatch.setattr(extraction, "read", slow_read)
    assert extraction.extract_pending(budget=0.5) == 2  # the budget ran out with the third one leased
    with db.read_session() as s:
        rows = s.execute(select(DocumentText).order_by(DocumentText.id)).scalars().all()
    assert [r.status for r in rows] == [TextStatus.done, TextStatus.done, TextStatus.pending]
    assert (rows[2].lease_until, rows[2].attempts) == (None, 0)  # free at once, its attempt not spent
    monkeypatch.setattr(extraction, "read", real_read)
    assert extraction.extract_pending() == 1
    assert found(seeded, "charlie") and found(seeded, "alpha")


def test_the_job_queues_documents_stored_without_a_row(seeded):
    deposit(seeded, "Demande", files=[("a.pdf", pdf_bytes(text="Texte ancien"))])
    with db.write_session() as s:
        s.execute(DocumentText.__table__.delete())
    assert extraction.sweep() == 1 and extraction.sweep() == 0
    with db.read_session() as s:
        assert s.execute(select(func.count()).select_from(DocumentText)).scalar_one() == 1
