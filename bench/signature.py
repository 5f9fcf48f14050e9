"""Benchmark — one personal signature (PAdES B-T, visible stamp): the parapheur's path vs plain pyHanko.

- project: ``pki.bordereau.sign_field`` — fill a pre-created field of the prepared document with the
  signatory's certificate, bilingual visible stamp, RFC 3161 token from the in-process TSA (B-T);
  also measured as the parapheur runs it, extended to B-LTA at once (``long_term=True``: OCSP
  responses made after the timestamp, DSS and document timestamp in one more update);
- baseline: pyHanko's ``signers.sign_pdf`` creating a visible field with its default text stamp and
  ``DummyTimeStamper`` (RSA TSA), signer built per call as a straightforward integration does.

Both sign the same prepared PDF, alternately, in one run. Prints medians and the ratio; writes
``bench/out/signature.json``. Usage: ``python bench/signature.py [runs]`` (default 30).
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MRASLA_DATA_DIR", tempfile.mkdtemp(prefix="mrasla-bench-"))

from asn1crypto import keys as asn1_keys  # noqa: E402
from asn1crypto import x509 as asn1_x509  # noqa: E402
from fpdf import FPDF  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import fields, signers  # noqa: E402
from pyhanko.stamp import TextStampStyle  # noqa: E402
from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: E402

from bench.receipt_issuance import _dummy_tsa, stats  # noqa: E402
from mrasla_app.documents import bordereau  # noqa: E402
from mrasla_app.pki.ca import issue_personal_certificate, load_or_create_pki  # noqa: E402
from mrasla_app.pki.signing import make_signer  # noqa: E402

FIELD = "Signature1"


def _document() -> bytes:
    pdf = FPDF()
    for i in range(2):
        pdf.add_page()
        pdf.set_font("helvetica", size=14)
        pdf.cell(0, 10, f"Reponse - page {i + 1}")
    prepared, _ = bordereau.prepare_document(
        bytes(pdf.output()),
        bordereau.SignaturePageData(
            title="Réponse",
            reference="PAR-MEF-2026-000001",
            administration_fr="Ministère de l'Économie et des Finances",
            administration_ar="وزارة الاقتصاد والمالية",
            verify_url="https://mrasla.example.ma/verify/PAR-MEF-2026-000001?t=x",
            slots=(
                bordereau.SlotSpec(
                    FIELD, "Étape 1 · Signature", "المرحلة 1 · التوقيع", "Mohammed Berrada", "محمد برادة"
                ),
            ),
        ),
    )
    return prepared


def main(runs: int = 30) -> dict:
    platform = load_or_create_pki()
    cert_der, key_der = issue_personal_certificate(
        platform, "Mohammed Berrada", "director.mef@mrasla.ma", "Ministère de l'Économie et des Finances"
    )
    signer = make_signer(cert_der, key_der)
    prepared, tsa = _document(), _dummy_tsa()
    stamp = bordereau.render_stamp(
        bordereau.StampData(
            seal=False,
            name_fr="Mohammed Berrada",
            name_ar="محمد برادة",
            role_fr="Directeur",
            role_ar="مدير",
            unit_fr="Direction du Budget",
            unit_ar="مديرية الميزانية",
            signed_at=datetime.now(UTC),
        )
    )

    def project() -> bytes:
        return bordereau.sign_field(prepared, signer, FIELD, stamp, certify=True, long_term=False)

    def project_blta() -> bytes:
        return bordereau.sign_field(prepared, signer, FIELD, stamp, certify=True, long_term=True)

    def baseline() -> bytes:
        plain = signers.SimpleSigner(
            signing_cert=asn1_x509.Certificate.load(cert_der),
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            cert_registry=SimpleCertificateStore.from_certs([platform.root_asn1]),
        )
        meta = signers.PdfSignatureMetadata(
            field_name="Plain", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(prepared))
        fields.append_signature_field(writer, fields.SigFieldSpec("Plain", on_page=-1, box=(50, 50, 250, 120)))
        return signers.PdfSigner(meta, plain, timestamper=tsa, stamp_style=TextStampStyle()).sign_pdf(writer).getvalue()

    project(), project_blta(), baseline()  # warm up
    a, b, c = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        project()
        t1 = time.perf_counter()
        baseline()
        t2 = time.perf_counter()
        project_blta()
        t3 = time.perf_counter()
        a.append(t1 - t0)
        b.append(t2 - t1)
        c.append(t3 - t2)
    result = {
        "benchmark": "signature",
        "runs": runs,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "project": stats(a),
        "baseline_pyhanko_dummy_tsa": stats(b),
        "project_b_lta": stats(c),
    }
    result["ratio"] = result["baseline_pyhanko_dummy_tsa"]["median_ms"] / result["project"]["median_ms"]
    print(f"{'path':<40}{'median ms':>10}{'p95 ms':>10}")
    for name in ("project", "baseline_pyhanko_dummy_tsa", "project_b_lta"):
        print(f"{name:<40}{result[name]['median_ms']:>10.1f}{result[name]['p95_ms']:>10.1f}")
    print(f"baseline / project = ×{result['ratio']:.2f}  (median {statistics.median(a) * 1000:.1f} ms per signature)")
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "signature.json").write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
