"""Batch scanning: separator sheets, splitting a stack, indexing proposals, confirmation numbering."""

from __future__ import annotations

import io
import json
import time

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from mrasla_app import db
from mrasla_app.models import AuditEvent, BatchLetter, BatchStatus, Correspondence, Document, LetterStatus, ScanBatch
from mrasla_app.services.correspondence import batches, indexing, reading, separators, splitting
from mrasla_app.services.errors import DomainError, FieldErrors, PermissionDenied
from mrasla_app.services.platform import fsck, storage
from tests.scanned_letters import letters, scan_pdf, stack_pdf, text_pdf

CLERK = "clerk.mef@mrasla.ma"
AGENT = "agent.mef@mrasla.ma"
TEXT_LAYER_THRESHOLD = 0.85  # measured 0.92 (bench/indexing.py): Arabic-Indic digits in text layers are the misses
#: OCR'd scans (tesserocr, Debian 4.1.0 models): French is read well; Arabic scans misread the Latin CIN, the
#: slash of a reference and some names (bench/indexing.py: about a third of Arabic fields right), so the clerk
#: confirms every field on the confirmation page.
OCR_FRENCH_THRESHOLD = 0.8
OCR_ARABIC_THRESHOLD = 0.15


def _sheet(code: str = "MEF", type_code: str = "") -> bytes:
    return separators.render(code, "وزارة الاقتصاد", "Ministère de l'Économie", type_code=type_code)


def accuracy(cases: list[tuple[dict[str, str], dict[str, str]]]) -> float:
    hits = sum(expected[k] == got[k] for expected, got in cases for k in indexing.FIELDS)
    return hits / (len(cases) * len(indexing.FIELDS))


def test_separator_payload_round_trip_and_foreign_codes():
    assert separators.parse(separators.payload("MEF", "invoice")) == separators.Separator("MEF", "invoice")
    assert separators.parse("https://example.org/verify/x") is None
    assert separators.parse("MRASLA-SEP/1/MEF/a/b") is None
    with pytest.raises(ValueError):
        separators.payload("MEF", "x/y")


def test_split_finds_separators_and_skips_empty_letters(tmp_path, monkeypatch):
    monkeypatch.setattr(splitting, "CHUNK", 4)  # two chunks: pages 1-4, then 5-6
    a, b = letters(2)
    sheet = _sheet(type_code="invoice")
    stack = stack_pdf([text_pdf(a), text_pdf(b) + b""], sheet)  # sep, A, sep, B
    # a stray page before the first separator, and two separators in a row (no empty letter)
    stack = stack_pdf([text_pdf(a), stack, sheet], None)
    path = tmp_path / "stack.pdf"
    path.write_bytes(stack)
    seen: list[int] = []
    count, found = splitting.find_separators(path, on_page=seen.append)
    assert count == 6 and sorted(found) == [2, 4, 6] and seen == [4, 6]
    segs = splitting.segments(count, found)
    assert [(s.first_page, s.pages) for s in segs] == [(1, 1), (3, 1), (5, 1)]
    assert segs[0].separator is None and segs[1].separator.type_code == "invoice"
    letter_pdf = splitting.extract(path, segs[2])
    assert b.subject in PdfReader(io.BytesIO(letter_pdf)).pages[0].extract_text()


def test_text_layer_proposals_accuracy():
    cases = []
    for letter in letters(24):
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(text_pdf(letter))).pages)
        cases.append((letter.fields(), indexing.propose(text).as_dict()))
    assert accuracy(cases) >= TEXT_LAYER_THRESHOLD
    french = [c for c, letter in zip(cases, letters(24)) if letter.lang == "fr"]
    assert accuracy(french) == 1.0


def test_ocr_proposals_accuracy(tmp_path):
    cases = []
    for k, letter in enumerate(letters(4, seed=7)[:2]):  # one French, one Arabic scan (no text layer)
        path = tmp_path / f"s{k}.pdf"
        path.write_bytes(scan_pdf(letter))
        assert PdfReader(str(path)).pages[0].extract_text().strip() == ""
        cases.append((letter.fields(), indexing.propose("\n".join(reading.read_pdf_pages(path))).as_dict()))
    assert accuracy(cases[:1]) >= OCR_FRENCH_THRESHOLD, cases[0]
    assert accuracy(cases[1:]) >= OCR_ARABIC_THRESHOLD, cases[1]


def test_proposals_from_arabic_and_french_formats():
    p = indexing.propose(
        "المملكة المغربية\nشركة النور ش.م.م\nالتعريف الموحد ICE: ٠٠١٢٣٤٥٦٧٠٠٠٠٨٩\n"
        "فاس في ٣ غشت ٢٠٢٦\nعدد: ١٢/٢٠٢٦\nالموضوع: طلب رخصة"
    )
    assert p == indexing.Proposal("شركة النور ش.م.م", "12/2026", "2026-08-03", "ICE", "001234567000089", "طلب رخصة")
    p = indexing.propose(
        "ROYAUME DU MAROC\nDe : Ahmed Amrani\nC.I.N. : BK 123456\nRabat, le 1er mars 2026\n"
        "V/Réf : DG/45/2026\nObjet : Demande de mutation"
    )
    assert p == indexing.Proposal("Ahmed Amrani", "DG/45/2026", "2026-03-01", "CIN", "BK123456", "Demande de mutation")
    assert indexing.propose("") == indexing.Proposal()


def _batch(seeded, parts: list[bytes]) -> int:
    with db.write_session() as s:
        return batches.create(s, seeded.actor(CLERK), [("pile.pdf", stack_pdf(parts, _sheet()))]).id


def _fields(letter: BatchLetter) -> batches.LetterFields:
    p = json.loads(letter.proposal)
    return batches.LetterFields(
        sender_name=p["sender"],
        subject=p["subject"],
        reference=p["reference"],
        dated=p["dated"],
        sender_id_kind=p["id_kind"],
        sender_id_value=p["id_value"],
    )


def test_batch_confirmation_numbers_are_gap_free_and_discarded_take_none(seeded):
    sample = letters(3)
    batch_id = _batch(seeded, [text_pdf(x) for x in sample])
    with db.read_session() as s:
        assert s.get(ScanBatch, batch_id).status is BatchStatus.uploaded
    assert batches.process(batch_id) and not batches.process(batch_id)  # claimed once
    with db.read_session() as s:
        batch, rows = batches.letters_of(s, seeded.actor(CLERK), batch_id)
        assert batch.status is BatchStatus.ready and batch.separators == 3 and batch.pages_done == 6
        assert [r.status for r in rows] == [LetterStatus.ready] * 3
        assert json.loads(rows[0].proposal)["subject"] == sample[0].subject
        stack_sha = batch.stack_sha256
        assert stack_sha in fsck.referenced_blobs(s) and rows[0].pdf_sha256 in fsck.referenced_blobs(s)
    with db.write_session() as s:
        first = batches.confirm(s, seeded.actor(CLERK), rows[0].id, _fields(rows[0]))
    with db.write_session() as s:
        batches.discard(s, seeded.actor(CLERK), rows[1].id)
    with pytest.raises(DomainError):
        with db.write_session() as s:  # a discarded letter cannot be confirmed later
            batches.confirm(s, seeded.actor(CLERK), rows[1].id, _fields(rows[1]))
    for bad in (
        batches.LetterFields(sender_name="", subject=""),
        batches.LetterFields(sender_name="X", subject="Y", dated="31/02/2026"),
    ):
        with pytest.raises(FieldErrors):
            with db.write_session() as s:  # bad fields: nothing registered, the number is given back
                batches.confirm(s, seeded.actor(CLERK), rows[2].id, bad)
    with db.write_session() as s:
        third = batches.confirm(s, seeded.actor(CLERK), rows[2].id, _fields(rows[2]))
    seq = lambda n: int(n.rsplit("/", 1)[1])  # noqa: E731
    assert seq(third.registry_number) == seq(first.registry_number) + 1
    with db.read_session() as s:
        batch, rows = batches.letters_of(s, seeded.actor(CLERK), batch_id)
        assert batch.status is BatchStatus.closed and batch.stack_sha256 == ""
        assert stack_sha not in fsck.referenced_blobs(s)
        assert [r.status for r in rows] == [LetterStatus.confirmed, LetterStatus.discarded, LetterStatus.confirmed]
        corr = s.get(Correspondence, rows[2].correspondence_id)
        assert corr.subject == sample[2].subject and sample[2].reference in corr.message
        doc = s.execute(select(Document).where(Document.correspondence_id == corr.id)).scalar_one()
        assert sample[2].subject.split()[0] in PdfReader(io.BytesIO(storage.get(doc.sha256))).pages[0].extract_text()
        actions = set(s.execute(select(AuditEvent.action).where(AuditEvent.action.like("batch.%"))).scalars())
        assert {
            "batch.created",
            "batch.split",
            "batch.ready",
            "batch.letter_confirmed",
            "batch.letter_discarded",
            "batch.closed",
        } <= actions


def test_only_clerks_of_the_administration(seeded):
    batch_id = _batch(seeded, [text_pdf(letters(1)[0])])
    for email in (AGENT, "clerk.crb@mrasla.ma"):
        with db.read_session() as s:
            with pytest.raises(PermissionDenied):
                batches.letters_of(s, seeded.actor(email), batch_id)
        with db.write_session() as s, pytest.raises(PermissionDenied):
            batches.create(s, seeded.actor(AGENT), [("x.pdf", text_pdf(letters(1)[0]))])
    with db.read_session() as s, pytest.raises(PermissionDenied):
        batches.separator_sheets(s, seeded.actor(AGENT))


def test_stale_claim_is_taken_over_and_a_bad_stack_fails(seeded, monkeypatch):
    batch_id = _batch(seeded, [text_pdf(letters(1)[0])])
    assert batches.claim(batch_id)  # a worker that then died
    assert batches.process_pending() == "0 batches"
    monkeypatch.setattr(batches, "STALE_AFTER", batches.STALE_AFTER * 0)
    time.sleep(0.01)
    assert batches.process_pending() == "1 batches"
    monkeypatch.setattr(splitting, "find_separators", lambda *a, **k: 1 / 0)
    broken = _batch(seeded, [text_pdf(letters(1)[0])])
    assert batches.process(broken)
    with db.read_session() as s:
        assert s.get(ScanBatch, batch_id).status is BatchStatus.ready
        assert s.get(ScanBatch, broken).status is BatchStatus.failed
        assert (
            s.execute(select(func.count()).select_from(BatchLetter).where(BatchLetter.batch_id == broken)).scalar_one()
            == 0
        )
    with db.write_session() as s, pytest.raises(DomainError):
        batches.close_failed(s, seeded.actor(CLERK), batch_id)  # a ready batch closes by its letters only
    with db.write_session() as s:
        batches.close_failed(s, seeded.actor(CLERK), broken)
    with db.read_session() as s:
        assert s.get(ScanBatch, broken).status is BatchStatus.closed and s.get(ScanBatch, broken).stack_sha256 == ""
