"""Receipt benchmark: where a receipt's time goes (warm process), median / p95 per phase.

- layout: fpdf2 page layout from memoised text runs, QR code (``receipts._Receipt.layout``);
- render: layout + unsigned PDF (``render_receipt``);
- issue: layout + PDF written with the seal in one pass (``issue_receipt``);
- seal (generic): ``signing.seal_pdf`` on the rendered PDF, pyHanko's incremental update, the
  path any other PDF takes.

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

from mrasla_app.documents.receipts import SEAL_FIELD, Attachment, ReceiptData, _Receipt, _render, issue_receipt  # noqa: E402
from mrasla_app.pki import signing  # noqa: E402


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
        depositor_id_kind="CIN",
        depositor_id=f"JK{987654 + i}",
        subject="Demande de certificat de résidence fiscale",
        verify_url=f"https://mrasla.example.ma/v/MEF-2026-A-{i:06d}?t=Xk3f9QpL{i:04d}",
        attachments=(
            Attachment("lettre.pdf", 3, f"{i % 256:02x}" * 32, 250_880 + i),
            Attachment("annexe.png", 1, "0123456789abcdef" * 4, 48_000),
        ),
        tracking_hint=f"code 7K4P-{i:04d}",
    )


def main(runs: int = 50) -> None:
    issue_receipt(receipt(0))  # warm-up: PKI, fonts, signer caches, fixed text runs
    phases: dict[str, list[float]] = {"layout": [], "render": [], "issue": [], "seal (generic)": []}
    for i in range(1, runs + 1):
        # Each phase gets its own receipt: a receipt's variable texts are laid out once.
        t0 = time.perf_counter()
        _Receipt(receipt(4 * i)).layout()
        t1 = time.perf_counter()
        pdf, slot = _render(receipt(4 * i + 1))
        t2 = time.perf_counter()
        issue_receipt(receipt(4 * i + 2))
        t3 = time.perf_counter()
        signing.seal_pdf(
            pdf,
            field_name=SEAL_FIELD,
            box=slot.box_pt,
            page=slot.page,
            certify=True,
            reason=f"Accusé de réception {receipt(4 * i + 1).registry_number}",
        )
        t4 = time.perf_counter()
        for name, value in zip(phases, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            phases[name].append(value)
    for name, values in phases.items():
        ms = sorted(v * 1000 for v in values)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        print(f"{name:15s} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
