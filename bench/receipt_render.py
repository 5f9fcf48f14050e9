"""Receipt benchmark: median / p95 of render, seal, render+seal (warm process).

Usage: ``python bench/receipt_render.py [runs]`` (default 50). Uses a throw-away data directory
(PKI created on first use) unless MRASLA_DATA_DIR is set. Same receipt as the unit tests.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MRASLA_DATA_DIR", tempfile.mkdtemp(prefix="mrasla-bench-"))
logging.disable(logging.WARNING)

from mrasla_app.pki import signing  # noqa: E402
from mrasla_app.pki.receipts import (  # noqa: E402
    SEAL_FIELD, Attachment, ReceiptData, _render, _seal_text, issue_receipt)


def receipt(i: int) -> ReceiptData:
    """Varying number, name, time and URL per run, so no per-receipt cache can help."""
    return ReceiptData(
        registry_number=f"MEF/2026/A/{i:06d}",
        administration_fr="Ministère de l'Économie et des Finances",
        administration_ar="وزارة الاقتصاد والمالية",
        unit_fr="Direction des Affaires Administratives et Générales",
        unit_ar="مديرية الشؤون الإدارية والعامة",
        deposited_at=datetime(2026, 5, 14, 10, 5, i % 60, tzinfo=timezone.utc),
        depositor_name=("Fatima Zahra El Amrani", "فاطمة الزهراء العمراني")[i % 2] + f" {i}",
        depositor_id_kind="CIN", depositor_id=f"JK{987654 + i}",
        subject="Demande de certificat de résidence fiscale",
        verify_url=f"https://mrasla.example.ma/v/MEF-2026-A-{i:06d}?t=Xk3f9QpL{i:04d}",
        attachments=(Attachment("lettre.pdf", 3, f"{i:02x}" * 32, 250_880 + i),
                     Attachment("annexe.png", 1, "0123456789abcdef" * 4, 48_000)),
        tracking_hint=f"code 7K4P-{i:04d}")


def main(runs: int = 50) -> None:
    issue_receipt(receipt(0))  # warm-up: PKI, fonts, signer caches
    render, seal, both = [], [], []
    for i in range(1, runs + 1):
        data = receipt(i)
        t0 = time.perf_counter()
        pdf, slot = _render(data)
        t1 = time.perf_counter()
        signing.seal_pdf(pdf, field_name=SEAL_FIELD, box=slot.box_pt, page=slot.page,
                         stamp_text=_seal_text(data), certify=True,
                         reason=f"Accusé de réception {data.registry_number}")
        t2 = time.perf_counter()
        render.append(t1 - t0)
        seal.append(t2 - t1)
        both.append(t2 - t0)
    for name, values in (("render", render), ("seal", seal), ("render+seal", both)):
        ms = sorted(v * 1000 for v in values)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        print(f"{name:12s} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
