"""Receipt PDF: layout content, seal, independent validators, QR decoding, tampering."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from mrasla_app.settings import get_settings

VERIFY_URL = "https://mrasla.example.ma/v/MEF-2026-A-000123?t=Xk3f9QpL2mZ8"
needs = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("pdfsig", "qpdf", "pdftoppm", "zbarimg", "pdffonts")),
    reason="poppler-utils, qpdf and zbar-tools are required",
)


@pytest.fixture(scope="module", autouse=True)
def data_dir(tmp_path_factory):
    data = tmp_path_factory.mktemp("receipts-data")
    saved = os.environ.get("MRASLA_DATA_DIR")
    os.environ["MRASLA_DATA_DIR"] = str(data)
    get_settings.cache_clear()
    from mrasla_app.pki import ca

    ca.clear_cache()
    yield data
    ca.clear_cache()
    if saved is None:
        os.environ.pop("MRASLA_DATA_DIR", None)
    else:
        os.environ["MRASLA_DATA_DIR"] = saved
    get_settings.cache_clear()


def _data(**overrides):
    from mrasla_app.documents.receipts import Attachment, ReceiptData

    fields = dict(
        registry_number="MEF/2026/A/000123",
        administration_fr="Ministère de l'Économie et des Finances",
        administration_ar="وزارة الاقتصاد والمالية",
        unit_fr="Direction des Affaires Administratives et Générales",
        unit_ar="مديرية الشؤون الإدارية والعامة",
        deposited_at=datetime(2026, 5, 14, 10, 5, 7, tzinfo=timezone.utc),
        depositor_name="Fatima Zahra El Amrani",
        depositor_id_kind="CIN",
        depositor_id="JK987654",
        subject="Demande de certificat de résidence fiscale",
        verify_url=VERIFY_URL,
        attachments=(
            Attachment("lettre.pdf", 3, "a" * 64, 250_880),
            Attachment("annexe.png", 1, "0123456789abcdef" * 4, 48_000),
        ),
        tracking_hint="code 7K4P-92QD",
    )
    fields.update(overrides)
    return ReceiptData(**fields)


@pytest.fixture(scope="module")
def receipt(tmp_path_factory) -> Path:
    from mrasla_app.documents.receipts import issue_receipt

    path = tmp_path_factory.mktemp("receipt") / "receipt.pdf"
    path.write_bytes(issue_receipt(_data()))
    return path


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(pdf)).pages)


def test_receipt_content(receipt):
    text = _text(receipt.read_bytes())
    assert "MEF/2026/A/000123" in text
    assert "Accusé de réception" in text
    # Shown in Africa/Casablanca: UTC+1 in May (UTC+0 during Ramadan, e.g. mid-March 2026).
    assert "14/05/2026" in text and "11:05:07" in text and "10:05:07" not in text
    assert "a" * 64 in text.replace("\n", "")
    assert VERIFY_URL in text.replace("\n", "")


def test_identifier_is_masked(receipt):
    from mrasla_app.documents.receipts import issue_receipt, mask_identifier

    assert mask_identifier("AB123456") == "AB****56"
    assert mask_identifier("001525487000088") == "00***********88"
    text = _text(receipt.read_bytes())
    assert "JK****54" in text and "JK987654" not in text and "9876" not in text
    ice = _text(issue_receipt(_data(depositor_id_kind="ICE", depositor_id="001525487000088")))
    assert "001525487000088" not in ice and "00***********88" in ice


def test_receipt_is_authentic_for_our_validator(receipt):
    from mrasla_app.pki.validation import validate_pdf

    report = validate_pdf(receipt.read_bytes())
    assert report.authentic, report
    (sig,) = report.signatures
    assert sig.certified and sig.timestamped and sig.timestamp_valid and sig.trusted
    assert sig.covers_whole_document and sig.field_name == "MraslaSeal"


def test_receipt_is_issued_b_t_and_extended_to_b_lta(receipt):
    """Issued at once as PAdES B-T (no validation data inside the signed revision: it would
    predate the timestamp); the extension adds, in one later update, a DSS with OCSP responses
    produced after the timestamp and a document timestamp over the whole file. With only what
    the file embeds (no fetching, no platform CRL) the seal validates, revocation hard-fail."""
    from asn1crypto import ocsp
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    from mrasla_app.pki import ca, ltv
    from mrasla_app.pki.validation import validate_pdf

    issued = receipt.read_bytes()
    assert ltv.signature_level(issued) == ltv.LEVEL_B_T
    assert b"/DSS" not in issued
    extended = ltv.extend(issued)
    assert extended.startswith(issued) and extended.count(b"%%EOF") == issued.count(b"%%EOF") + 1
    reader = PdfFileReader(BytesIO(extended))
    dss = DocumentSecurityStore.read_dss(reader)
    assert len(dss.ocsps) == 2  # seal and TSA (the same TSA signs the document timestamp)
    seal_sig, doc_ts = reader.embedded_signatures
    tst_time = (
        seal_sig.signer_info["unsigned_attrs"][0]["values"][0]["content"]["encap_content_info"]["content"]
        .parsed["gen_time"]
        .native
    )
    for ref in dss.ocsps:
        response = ocsp.OCSPResponse.load(ref.get_object().data)
        produced = response["response_bytes"]["response"].parsed["tbs_response_data"]["produced_at"]
        assert produced.native >= tst_time
    context = dss.as_validation_context(
        {"trust_roots": [ca.load_or_create_pki().root_asn1], "allow_fetching": False, "revocation_mode": "hard-fail"}
    )
    status = validate_pdf_signature(seal_sig, context)
    assert status.bottom_line, status.pretty_print_details()
    assert seal_sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert doc_ts.sig_object["/SubFilter"] == "/ETSI.RFC3161"
    report = validate_pdf(extended)
    assert report.authentic and report.level == "B-LTA", report
    (archive_ts,) = report.document_timestamps
    assert archive_ts.kind == "document_timestamp" and archive_ts.covers_whole_document
    # Refreshing adds one more archive timestamp, and the file stays authentic.
    refreshed = ltv.extend(extended)
    assert validate_pdf(refreshed).authentic
    assert ltv.level_info(refreshed).level == ltv.LEVEL_B_LTA


def test_unsigned_receipt_takes_an_incremental_seal():
    """The unsigned PDF (written without fpdf2's writer) is one pyHanko reads and updates."""
    from mrasla_app.documents.receipts import render_receipt
    from mrasla_app.pki import signing
    from mrasla_app.pki.validation import validate_pdf

    unsigned = render_receipt(_data())
    sealed = signing.seal_pdf(unsigned, box=(400, 100, 550, 170))
    assert sealed.startswith(unsigned)
    assert validate_pdf(sealed).authentic


def test_receipts_issued_concurrently_are_each_intact_and_their_own():
    """Deposits run in worker threads: the process-wide caches (text runs, glyph codes,
    embedded fonts, signer, pre-signing validation) are shared between them."""
    from concurrent.futures import ThreadPoolExecutor

    from mrasla_app.documents.receipts import issue_receipt
    from mrasla_app.pki.validation import validate_pdf

    names = [
        "Fatima Zahra El Amrani",
        "فاطمة الزهراء العمراني",
        "Jean-Émile Dupré",
        "يوسف بن علي",
        "Ştefan Ürgüplü",
        "Nadia Bennani",
    ]
    datas = [
        _data(registry_number=f"MEF/2026/A/{900 + i:06d}", depositor_name=name, verify_url=f"{VERIFY_URL}{i}")
        for i, name in enumerate(names)
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        pdfs = list(pool.map(issue_receipt, datas))
    for data, pdf in zip(datas, pdfs):
        assert validate_pdf(pdf).authentic
        text = _text(pdf)
        assert data.registry_number in text and data.verify_url in text.replace("\n", "")
        others = [d.registry_number for d in datas if d is not data]
        assert not any(number in text for number in others)
    arabic = _text(pdfs[1])
    assert "الزهراء" in arabic or "فاطمة" in arabic


@needs
def test_receipt_passes_independent_tools(receipt, tmp_path):
    sig = subprocess.run(["pdfsig", str(receipt)], capture_output=True, text=True)
    assert "Signature is Valid." in sig.stdout, sig.stdout
    assert "Total document signed" in sig.stdout
    assert subprocess.run(["qpdf", "--check", str(receipt)], capture_output=True).returncode == 0


def _decoded_qr(pdf_path: Path, tmp_path: Path) -> list[str]:
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf_path), str(tmp_path / pdf_path.stem)],
        check=True,
    )
    png = next(tmp_path.glob(f"{pdf_path.stem}*.png"))
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True)
    return out.stdout.strip().splitlines()


@needs
def test_qr_code_decodes_to_verify_url(receipt, tmp_path):
    assert _decoded_qr(receipt, tmp_path) == [VERIFY_URL]


@needs
@pytest.mark.parametrize(
    "url",
    [
        "https://m.ma/v/A-1?t=x",
        "https://mrasla.example.gov.ma/verification/MEF-DGI-2026-A-0001234567?t=" + "Zq9" * 20,
    ],
    ids=["short", "long"],
)
def test_qr_code_decodes_for_short_and_long_urls(url, tmp_path):
    """Other symbol sizes (QR versions) than the usual URL, with the fixed mask pattern."""
    from mrasla_app.documents.receipts import render_receipt

    path = tmp_path / "qr.pdf"
    path.write_bytes(render_receipt(_data(verify_url=url)))
    assert _decoded_qr(path, tmp_path) == [url]


@needs
def test_flipped_byte_is_detected(receipt, tmp_path):
    from mrasla_app.pki.validation import validate_pdf

    data = bytearray(receipt.read_bytes())
    idx = data.index(b"/Producer") + 12
    data[idx] ^= 0x01
    report = validate_pdf(bytes(data))
    assert not report.authentic
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    sig = subprocess.run(["pdfsig", str(tampered)], capture_output=True, text=True)
    assert "Signature is Valid." not in sig.stdout


def _append_revision(pdf: bytes, *, annotation: bool) -> bytes:
    """An incremental update after the seal: a note annotation or extra page content."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    if annotation:
        page = page_ref.get_object()
        annot = writer.add_object(
            generic.DictionaryObject(
                {
                    generic.NameObject("/Type"): generic.NameObject("/Annot"),
                    generic.NameObject("/Subtype"): generic.NameObject("/Text"),
                    generic.NameObject("/Rect"): generic.ArrayObject(
                        [generic.FloatObject(v) for v in (100, 100, 120, 120)]
                    ),
                    generic.NameObject("/Contents"): generic.TextStringObject("Falsifié"),
                }
            )
        )
        annots = page.get("/Annots", generic.ArrayObject())
        annots.append(annot)
        page[generic.NameObject("/Annots")] = annots
        writer.update_container(page)
    else:
        stream = writer.add_object(
            generic.StreamObject(stream_data=b"BT /F1 24 Tf 100 400 Td (MEF/2026/A/999999) Tj ET")
        )
        writer.add_stream_to_page(0, stream)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("annotation", [True, False], ids=["annotation", "page-content"])
def test_appended_revision_is_detected(receipt, annotation):
    from mrasla_app.pki.validation import MODIFIED, validate_pdf

    modified = _append_revision(receipt.read_bytes(), annotation=annotation)
    report = validate_pdf(modified)
    assert not report.authentic
    assert report.signatures[0].modified_after_signing
    assert report.signatures[0].intact  # the signed bytes themselves are untouched
    assert MODIFIED in report.reasons


@needs
def test_arabic_is_embedded_and_extractable(tmp_path):
    from mrasla_app.documents.receipts import render_receipt

    pdf = render_receipt(_data(depositor_name="فاطمة الزهراء العمراني", subject="طلب شهادة الإقامة الضريبية"))
    path = tmp_path / "ar.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "NotoNaskhArabic" in fonts
    assert re.search(r"\+NotoNaskhArabic\s+CID TrueType\s+Identity-H\s+yes yes yes", fonts)
    text = _text(pdf)
    arabic = [c for c in text if "\u0600" <= c <= "\u06ff" or "\ufb50" <= c <= "\ufeff"]
    assert len(arabic) > 50
    assert "الإيداع" in text or "وصل" in text


def test_receipt_data_validation():
    from mrasla_app.documents.receipts import Attachment

    with pytest.raises(ValueError):
        _data(deposited_at=datetime(2026, 3, 14, 10, 5))  # naive
    with pytest.raises(ValueError):
        _data(depositor_id_kind="PASSPORT")
    with pytest.raises(ValueError):
        Attachment("x.pdf", 1, "XYZ", 1)


def test_many_attachments_flow_onto_a_second_page():
    from mrasla_app.documents.receipts import Attachment, issue_receipt
    from mrasla_app.pki.validation import validate_pdf

    many = tuple(Attachment(f"piece_{i}.pdf", i + 1, f"{i:x}" * 64, 1000 * i) for i in range(10))
    pdf = issue_receipt(_data(attachments=many))
    assert len(PdfReader(BytesIO(pdf)).pages) == 2
    assert validate_pdf(pdf).authentic


def test_first_receipts_of_a_process_issued_at_once_all_succeed():
    """A server's first deposits arrive together (and again whenever the pre-signing validation's
    TTL ends): every thread misses the cache at once. pyHanko's path validation parses the shared
    certificate objects lazily (asn1crypto), which is not thread-safe: concurrent validations
    raised ``KeyError`` in ``Name.hashable`` under load (a 500 to the depositor)."""
    import sys
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from mrasla_app.documents.receipts import issue_receipt
    from mrasla_app.pki import ca, signing

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: the race shows at once
    try:
        for round_no in range(3):
            ca.clear_cache()
            signing.clear_cache()  # freshly parsed certificates, empty validation cache
            gate = threading.Barrier(8)

            def issue(i: int) -> bytes:
                gate.wait()
                return issue_receipt(_data(registry_number=f"MEF/2026/A/{round_no * 10 + i:06d}"))

            with ThreadPoolExecutor(max_workers=8) as pool:
                pdfs = list(pool.map(issue, range(8)))
            assert all(pdf.startswith(b"%PDF") for pdf in pdfs)
    finally:
        sys.setswitchinterval(interval)
