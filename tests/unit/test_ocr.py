"""OCR of generated Arabic and French scans (rotated, speckled, blurred): Tesseract through tesserocr
reads the letters' key words, and a word found only inside a scanned attachment becomes searchable
once the background job has run. The scans are rendered once for the module (OCR is slow)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import Document, DocumentText, TextSource, TextStatus
from mrasla_app.services.correspondence import extraction, inbox, reading
from mrasla_app.services.correspondence.inbox import InboxFilter
from mrasla_app.services.platform import storage
from mrasla_app.services.platform.text import normalize
from mrasla_app.services.portal import deposits
from tests import scans
from tests.files import pdf_bytes

pytestmark = pytest.mark.external  # drives an outside server/program (see pyproject markers)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("scans")
    arabic = scans.render(scans.ARABIC_LETTER, arabic=True)
    french = scans.render(scans.FRENCH_LETTER, arabic=False, rotate=-1.0)
    files = {
        "arabic.png": scans.png(arabic),
        "stack.pdf": scans.image_pdf([arabic, french]),
        "digital.pdf": pdf_bytes(pages=2, text="Convention de partenariat"),
    }
    for name, data in files.items():
        (out / name).write_bytes(data)
    return {name: out / name for name in files}


def has_words(text: str, *expected: str) -> bool:
    folded = normalize(text)
    return all(normalize(w) in folded for w in expected)


def test_an_arabic_photo_is_read(scanned):
    text = reading.read_image(scanned["arabic.png"])
    assert has_words(text, "الضريبة", "الخضوع", "الاقتصاد"), text


def test_a_scanned_pdf_is_read_page_by_page_and_a_digital_one_from_its_text(scanned):
    pages = reading.read_pdf(scanned["stack.pdf"])
    assert [ocr for _, ocr in pages] == [True, True]
    assert has_words(pages[0][0], "للضريبة", "المدونة"), pages[0][0]
    assert has_words(pages[1][0], "réclamation", "dégâts", "canalisation", "Fassi"), pages[1][0]
    digital = reading.read_pdf(scanned["digital.pdf"])
    assert [ocr for _, ocr in digital] == [False, False]
    assert reading.read_pdf_pages(scanned["digital.pdf"]) == [text for text, _ in digital]
    assert "Convention de partenariat - page 2" in digital[1][0]


def test_a_word_only_in_a_scanned_attachment_is_found_after_the_job(seeded, scanned):
    data = scanned["arabic.png"].read_bytes()
    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Salma Bennis",
        id_kind="CIN",
        id_value="AB123456",
        email="",
        phone="0612345678",
        subject="Demande",
        files=[("scan.png", data)],
    )
    with db.write_session() as s:
        cid = deposits.submit(s, form).correspondence_id
    clerk = seeded.actor("clerk.mef@mrasla.ma")

    def hits(q: str) -> list[inbox.InboxRow]:
        with db.read_session() as s:
            return inbox.page(s, clerk, InboxFilter(q=q))[0]

    assert hits("المدونة") == []
    assert extraction.run_job() == "0 queued, 1 read"
    rows = hits("مدونة")  # the article and the ta marbuta differ from the scan's المدونة
    assert [r.id for r in rows] == [cid] and normalize(rows[0].snippet.hit) == normalize("المدونة")
    with db.read_session() as s:
        text = s.execute(select(DocumentText)).scalar_one()
        doc = s.get(Document, text.document_id)
    assert text.status is TextStatus.done and text.source is TextSource.ocr and text.language == "ar"
    assert hashlib.sha256(storage.get(doc.sha256)).hexdigest() == doc.sha256 == hashlib.sha256(data).hexdigest()
