"""Outputs of the platform checked with tools the project did not write (OpenSSL, NSS + poppler,
qpdf, pdfsignerpy, fiverify, pyHanko's AdES validation). Installed by ``make test-deps``.

One PKI for the session, whose public URL is a live HTTP server relaying to the real FastAPI app
(its ``/pki`` routes), so validators that follow the certificates' AIA and CRL distribution points
reach ``/pki/ocsp`` and ``/pki/crl.der`` as they would in production.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from mrasla_app.settings import get_settings

TOOLS = ("openssl", "pdfsig", "certutil", "qpdf", "pdffonts")


def _relay(app) -> http.server.HTTPServer:
    """An HTTP server on a free port passing GET/POST to ``app`` (Starlette's test client)."""
    from fastapi.testclient import TestClient

    client = TestClient(app)

    class Relay(http.server.BaseHTTPRequestHandler):
        def _answer(self, resp) -> None:
            self.send_response(resp.status_code)
            for key in ("content-type", "cache-control"):
                if key in resp.headers:
                    self.send_header(key, resp.headers[key])
            self.send_header("Content-Length", str(len(resp.content)))
            self.end_headers()
            self.wfile.write(resp.content)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._answer(client.get(self.path))

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer(
                client.post(self.path, content=body, headers={"Content-Type": self.headers.get("Content-Type", "")})
            )

        def log_message(self, *_args) -> None:
            pass

    return http.server.HTTPServer(("127.0.0.1", 0), Relay)


@dataclass(frozen=True)
class Files:
    """What the module's tests validate (paths), and the PKI behind them."""

    pki_dir: Path
    root_pem: Path
    url: str
    nss: str  # ``sql:<dir>`` NSS database trusting the platform root
    receipt_bt: Path  # as issued
    receipt_blta: Path  # after the background extension
    crl_after: Path  # a CRL issued after the receipt's signature timestamp
    crl_before: Path  # the CRL as it was before the receipt was issued
    parapheur_blta: Path  # seal + personal signature, each extended (two document timestamps)
    work: Path

    def tampered(self, path: Path) -> Path:
        """A copy with one byte of the first revision's page content flipped."""
        data = bytearray(path.read_bytes())
        at = data.index(b"stream\n") + 20
        data[at] ^= 0x01
        out = self.work / f"tampered-{path.name}"
        out.write_bytes(bytes(data))
        return out


def _receipt_data():
    from mrasla_app.documents.receipts import Attachment, ReceiptData

    return ReceiptData(
        registry_number="MEF/2026/A/000777",
        administration_fr="Ministère de l'Économie et des Finances",
        administration_ar="وزارة الاقتصاد والمالية",
        deposited_at=datetime.now(timezone.utc),
        depositor_name="Fatima Zahra El Amrani",
        depositor_id_kind="CIN",
        depositor_id="JK987654",
        subject="Demande de certificat de résidence fiscale",
        verify_url="https://mrasla.example/v/x",
        attachments=(Attachment("lettre.pdf", 3, "a" * 64, 250_880),),
    )


@pytest.fixture(scope="session")
def files(tmp_path_factory) -> Files:
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        pytest.fail(f"missing tools {missing}: run `make test-deps`")
    from fpdf import FPDF

    from mrasla_app.api import create_api
    from mrasla_app.documents.receipts import issue_receipt
    from mrasla_app.pki import ca, ltv, signing

    work = tmp_path_factory.mktemp("interop")
    server = _relay(create_api())
    url = f"http://127.0.0.1:{server.server_address[1]}"
    saved = {k: os.environ.get(k) for k in ("MRASLA_DATA_DIR", "MRASLA_PUBLIC_URL")}
    os.environ.update(MRASLA_DATA_DIR=str(work / "data"), MRASLA_PUBLIC_URL=url)
    get_settings.cache_clear()
    ca.clear_cache()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    platform = ca.load_or_create_pki()
    crl_before = work / "crl-before.der"
    crl_before.write_bytes(platform.crl_der())
    time.sleep(1.1)  # the receipt's timestamp is then strictly after the old CRL
    bt = issue_receipt(_receipt_data())
    (work / "receipt-bt.pdf").write_bytes(bt)
    time.sleep(1.1)
    crl_after = work / "crl-after.der"
    crl_after.write_bytes(platform.update_crl(lambda entries: entries))
    (work / "receipt-blta.pdf").write_bytes(ltv.extend(bt))

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Note de service")
    sealed = signing.seal_pdf(bytes(pdf.output()), box=(300, 50, 550, 120))
    cert_der, key_der = ca.issue_personal_certificate(
        platform, "Nadia Bennani", "n.bennani@mef.gov.ma", "Ministere de l'Economie"
    )
    (work / "personal.crt").write_bytes(cert_der)
    signed = signing.sign_pdf_with(sealed, cert_der, key_der, signing.StampSpec("Signature1"))
    (work / "parapheur-blta.pdf").write_bytes(signed)

    nss = work / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-n",
            "Mrasla Root CA",
            "-t",
            "CT,C,C",
            "-i",
            str(platform.pki_dir / "root.pem"),
            "-d",
            f"sql:{nss}",
        ],
        check=True,
    )
    yield Files(
        platform.pki_dir,
        platform.pki_dir / "root.pem",
        url,
        f"sql:{nss}",
        work / "receipt-bt.pdf",
        work / "receipt-blta.pdf",
        crl_after,
        crl_before,
        work / "parapheur-blta.pdf",
        work,
    )
    server.shutdown()
    thread.join(timeout=10)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()
    ca.clear_cache()


def run(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    """A tool's run, text output; the tests assert on what it prints, as a person would read it."""
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, check=check)
