"""Public verification: uploading a receipt or a tampered copy, dropping an original attachment."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.annotations import FreeText

from mrasla_app import db
from mrasla_app.services.portal import verification
from tests.api.conftest import deposit_form
from tests.files import pdf_bytes


def _deposit(client, files=()):
    body = client.post("/api/v1/deposits", data=deposit_form(), files=list(files)).json()
    receipt = client.get(body["receipt_url"].removeprefix("http://localhost:3000")).content
    return body, receipt


def test_uploaded_receipt_is_authentic_certified_and_timestamped(client):
    _, receipt = _deposit(client)
    r = client.post("/api/v1/verify/pdf", files={"file": ("recu.pdf", receipt, "application/pdf")})
    assert r.status_code == 200
    report = r.json()
    assert report["authentic"] is True and report["reason"] == ""
    (sig,) = report["signatures"]
    assert sig["intact"] and sig["valid"] and sig["trusted"] and sig["timestamped"]
    assert sig["certified"] and sig["covers_whole_document"] and not sig["modified_after_signing"]
    assert "Mrasla" in sig["signer"]


def test_one_changed_byte_is_not_authentic(client):
    _, receipt = _deposit(client)
    data = bytearray(receipt)
    pos = data.index(b"/Contents", len(data) // 3) - 200  # inside the signed byte range, away from the signature value
    data[pos] = ord("A") if data[pos] != ord("A") else ord("B")
    report = client.post("/api/v1/verify/pdf", files={"file": ("recu.pdf", bytes(data), "application/pdf")}).json()
    assert report["authentic"] is False


def test_appended_revision_is_not_authentic(client):
    _, receipt = _deposit(client)
    writer = PdfWriter(io.BytesIO(receipt), incremental=True)
    writer.add_annotation(0, FreeText(text="Montant: 0 DH", rect=(50, 50, 250, 90)))
    out = io.BytesIO()
    writer.write(out)
    report = client.post("/api/v1/verify/pdf", files={"file": ("recu.pdf", out.getvalue(), "application/pdf")}).json()
    assert report["authentic"] is False
    assert report["signatures"][0]["modified_after_signing"] is True


def test_unsigned_and_non_pdf_uploads_get_a_reason(client):
    plain = client.post("/api/v1/verify/pdf", files={"file": ("a.pdf", pdf_bytes(), "application/pdf")}).json()
    assert plain == {"authentic": False, "reason": "no_signature", "signatures": [], "level": ""}
    junk = client.post("/api/v1/verify/pdf", files={"file": ("a.pdf", b"hello", "application/pdf")}).json()
    assert junk["authentic"] is False and junk["reason"] == "not_pdf"
    empty = client.post("/api/v1/verify/pdf", files={"file": ("a.pdf", b"", "application/pdf")})
    assert empty.status_code == 400 and empty.json()["error"] == "error.file_empty"


def test_original_attachment_matches_its_receipt_line(client):
    original = pdf_bytes(3, text="Original")
    body, _ = _deposit(client, [("files", ("lettre.pdf", original, "application/pdf"))])
    token = body["verify_url"].split("t=")[1]
    with db.read_session() as s:
        receipt = verification.lookup(s, body["reference"], token)
    assert receipt is not None
    assert verification.match_attachment(receipt, original).filename == "lettre.pdf"
    assert verification.match_attachment(receipt, original + b" ") is None


def test_root_certificate_and_crl_are_public(client):
    root = client.get("/pki/root.crt")
    assert root.status_code == 200 and root.content.startswith(b"-----BEGIN CERTIFICATE-----")
    crl = client.get("/pki/crl.der")
    assert crl.status_code == 200 and crl.content[:1] == b"\x30"


def test_tsa_answers_rfc3161_queries(client):
    import hashlib

    from asn1crypto import algos, tsp

    req = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "hashed_message": hashlib.sha256(b"hello").digest(),
            },
            "cert_req": True,
        }
    )
    r = client.post("/pki/tsa", content=req.dump(), headers={"Content-Type": "application/timestamp-query"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/timestamp-reply"
    resp = tsp.TimeStampResp.load(r.content)
    assert resp["status"]["status"].native == "granted"
    tst = resp["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert tst["message_imprint"]["hashed_message"].native == hashlib.sha256(b"hello").digest()


def test_receipt_download_says_its_signature_level(client):
    """As issued the receipt is PAdES B-T; once the background job extended it, B-LTA."""
    from datetime import timedelta

    from mrasla_app.models.base import utcnow
    from mrasla_app.services.platform import archive

    body = client.post("/api/v1/deposits", data=deposit_form()).json()
    path = "/api/v1/" + body["receipt_url"].split("/api/v1/", 1)[1]
    issued = client.get(path)
    assert issued.status_code == 200 and issued.headers["X-Signature-Level"] == "B-T"
    archive.extend_receipts(now=utcnow() + archive.GRACE + timedelta(seconds=1))
    extended = client.get(path)
    assert extended.headers["X-Signature-Level"] == "B-LTA"
    assert extended.content.startswith(issued.content)
    report = client.post("/api/v1/verify/pdf", files={"file": ("r.pdf", extended.content, "application/pdf")}).json()
    assert report["authentic"] and report["level"] == "B-LTA"


def _report_text(client, data: bytes) -> str:
    from pypdf import PdfReader

    r = client.post("/api/v1/verify/pdf/report", files={"file": ("recu.pdf", data, "application/pdf")})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)


def test_pdf_report_names_signer_indication_and_level(client):
    """The printable report of an extended receipt: the platform seal passes, with its archive timestamp."""
    from datetime import timedelta

    from mrasla_app.models.base import utcnow
    from mrasla_app.services.platform import archive

    body, _ = _deposit(client)
    archive.extend_receipts(now=utcnow() + archive.GRACE + timedelta(seconds=1))
    extended = client.get(body["receipt_url"].removeprefix("http://localhost:3000")).content
    text = _report_text(client, extended)
    signer = client.post("/api/v1/verify/pdf", files={"file": ("r.pdf", extended, "application/pdf")}).json()
    assert signer["signatures"][0]["signer"].split(",")[0] in text
    assert "TOTAL-PASSED" in text and "PAdES B-LTA" in text and "Authentique" in text
    assert "Horodatage du document" in text  # the archive timestamp has its own line
    assert "TOTAL-FAILED" not in text


def test_pdf_report_of_a_tampered_file_says_failed(client):
    """One byte changed in the signed revision, the file still readable: its seal fails."""
    _, receipt = _deposit(client)
    data = bytearray(receipt)
    pos = data.index(b"stream", data.index(b"stream") + 1) + 20
    data[pos] ^= 0x01
    text = _report_text(client, bytes(data))
    assert "TOTAL-FAILED" in text and "Non authentique" in text
    assert "TOTAL-PASSED" not in text


def test_pdf_report_of_an_unsigned_or_non_pdf_file_says_why(client):
    text = _report_text(client, pdf_bytes())
    assert "Non authentique" in text and "Aucune signature" in text
    assert "Non authentique" in _report_text(client, b"hello")
    r = client.post("/api/v1/verify/pdf/report", files={"file": ("a.pdf", b"", "application/pdf")})
    assert r.status_code == 400 and r.json()["error"] == "error.file_empty"
