"""Office documents: inspected without being opened, converted to PDF by LibreOffice within bounds.

The documents are made by the tests (``tests/office_files.py``) with Arabic and French text. A
deposit of a DOCX keeps the original beside its PDF and the receipt lists both hashes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from sqlmodel import select

from mrasla_app import db
from mrasla_app.models import Document, DocumentKind
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import files, office, storage
from mrasla_app.services.portal import deposits
from mrasla_app.settings import get_settings
from tests import office_files as of

pytestmark = pytest.mark.external


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _fonts(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout


def _running(pid: int) -> bool:
    """The process is alive (a killed one may linger as a zombie until reaped: it holds nothing)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _gone(pid: int, seconds: float = 5.0) -> bool:
    """The process ends within ``seconds``: SIGKILL is delivered when the kernel next schedules the process,
    which on a loaded machine comes a moment after ``killpg`` returns."""
    deadline = time.monotonic() + seconds
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture(scope="module")
def converted() -> dict[str, files.InspectedFile]:
    """One conversion per format for the whole module (LibreOffice takes a second or two each)."""
    assert office.soffice(), "LibreOffice is installed by `make test-deps`"
    return {"docx": files.inspect("lettre.docx", of.docx()), "odt": files.inspect("رسالة.odt", of.odt())}


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_arabic_office_documents_become_searchable_pdfs(converted, kind, tmp_path):
    f = converted[kind]
    assert f.content_type == {"docx": office.DOCX, "odt": office.ODT}[kind]
    assert f.filename.endswith(f".{kind}") and f.converted
    assert f.pdf.startswith(b"%PDF-") and f.pages == 1
    text = _text(f.pdf, tmp_path)
    assert "شهادة" in text and "2026/123" in text and "attestation" in text  # (lam-alef comes out decomposed)
    assert "NotoNaskhArabic" in _fonts(f.pdf, tmp_path)  # shaped with an embedded Arabic font


@pytest.mark.parametrize(
    "make, code",
    [
        (of.docm_renamed, "error.office_active"),
        (of.odt_with_basic, "error.office_active"),
        (of.docx_with_remote_template, "error.office_external"),
        (of.zip_bomb_docx, "error.office_too_large"),
    ],
)
def test_hostile_office_documents_are_refused_before_any_converter_opens_them(make, code, monkeypatch):
    monkeypatch.setattr(office, "to_pdf", lambda *a: pytest.fail("a refused file must never be converted"))
    with pytest.raises(DomainError) as err:
        files.inspect("piece.docx", make())
    assert err.value.code == code


def test_a_zip_that_is_not_an_office_document_is_refused():
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(DomainError) as err:
        files.inspect("archive.docx", out.getvalue())
    assert err.value.code == "error.file_type"


def test_a_conversion_that_overruns_its_time_is_stopped_and_leaves_no_process(monkeypatch, tmp_path):
    """A converter that never finishes is killed with its whole process group when its time is up. A stand-in
    plays LibreOffice (whose launcher starts ``soffice.bin`` as a child): it starts a helper and hangs; real
    LibreOffice may convert a small document within such a bound on a quiet machine."""
    pids = tmp_path / "pids"
    stand_in = tmp_path / "soffice"
    stand_in.write_text(f"#!/bin/sh\nsleep 300 &\necho $$ $! > {pids}\nwait\n")
    stand_in.chmod(0o755)
    monkeypatch.setattr(office, "soffice", lambda: str(stand_in))
    bounded = dataclasses.replace(
        get_settings(), convert_seconds=3
    )  # time for the stand-in to start on a loaded machine
    monkeypatch.setattr(office, "get_settings", lambda: bounded)
    started = time.monotonic()
    with pytest.raises(DomainError) as err:
        files.inspect("lettre.docx", of.docx())
    assert err.value.code == "error.office_conversion"
    assert time.monotonic() - started < 10
    launcher, helper = map(int, pids.read_text().split())
    assert _gone(launcher) and _gone(helper)


def test_a_deposited_docx_keeps_its_original_and_the_receipt_lists_both_hashes(seeded, tmp_path):
    original = of.docx()
    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Salma Bennis",
        id_kind="CIN",
        id_value="AB123456",
        email="",
        phone="0612345678",
        subject="Attestation",
        message="",
        files=[("demande.docx", original)],
    )
    with db.write_session() as s:
        cid = deposits.submit(s, form).correspondence_id
    with db.read_session() as s:
        docs = {d.kind: d for d in s.exec(select(Document).where(Document.correspondence_id == cid))}
    piece, receipt = docs[DocumentKind.attachment], docs[DocumentKind.receipt]
    assert piece.sha256 == hashlib.sha256(original).hexdigest() and storage.get(piece.sha256) == original
    assert piece.pdf_sha256 != piece.sha256 and storage.get(piece.pdf_sha256).startswith(b"%PDF-")
    text = _text(storage.get(receipt.sha256), tmp_path).replace("\n", "")
    assert piece.sha256 in text and piece.pdf_sha256 in text
