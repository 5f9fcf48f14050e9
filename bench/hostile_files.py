"""Benchmark — the upload inspection (``services.files.inspect``, shared by the portal, the registry
office and the parapheur) on every file of the hostile corpus (``tests/hostile.py``), and its cost on
honest files compared with a bare pypdf page count (what the check did before it looked for active
content), in one run.

Prints, per file, the outcome, wall time and peak resident memory above the starting point, then
the worst of each; writes ``bench/out/hostile_files.json``. Usage: ``python bench/hostile_files.py [runs]``
(runs of the honest-file comparison, default 20).
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MRASLA_DATA_DIR", tempfile.mkdtemp(prefix="mrasla-bench-"))

from pypdf import PdfReader  # noqa: E402

from mrasla_app.services.errors import DomainError  # noqa: E402
from mrasla_app.services.platform import files  # noqa: E402
from tests.files import jpeg_bytes, pdf_bytes  # noqa: E402
from tests.hostile import CASES, measure  # noqa: E402


def corpus() -> list[dict]:
    rows = []
    for case in CASES:
        data = case.build()
        with measure() as cost:
            try:
                outcome = f"accepted as {files.inspect(case.filename, data).filename!r}"
            except DomainError as exc:
                outcome = exc.code
        rows.append(
            {
                "case": case.id,
                "bytes": len(data),
                "outcome": outcome,
                "seconds": round(cost.seconds, 3),
                "peak_mb": round(cost.peak_mb, 1),
            }
        )
        print(f"{case.id:28} {len(data) / 1e6:6.2f} MB  {cost.seconds:6.2f} s  {cost.peak_mb:6.0f} MB  {outcome[:60]}")
    return rows


def bare_count(data: bytes) -> int:
    reader = PdfReader(io.BytesIO(data))
    reader.pages[0].mediabox  # noqa: B018
    return len(reader.pages)


def median_ms(fn, data: bytes, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def honest(runs: int) -> dict:
    letter, photo = pdf_bytes(200, text="Lettre de 200 pages"), jpeg_bytes((4000, 3000))
    out = {
        "pdf_200_pages_bare_pypdf_ms": median_ms(bare_count, letter, runs),
        "pdf_200_pages_inspect_ms": median_ms(lambda d: files.inspect("lettre.pdf", d), letter, runs),
        "photo_12mp_inspect_ms": median_ms(lambda d: files.inspect("photo.jpg", d), photo, max(3, runs // 4)),
    }
    out["pdf_overhead_ratio"] = out["pdf_200_pages_inspect_ms"] / out["pdf_200_pages_bare_pypdf_ms"]
    print(
        f"\n200-page PDF: bare pypdf count {out['pdf_200_pages_bare_pypdf_ms']:.1f} ms, full inspection "
        f"{out['pdf_200_pages_inspect_ms']:.1f} ms (x{out['pdf_overhead_ratio']:.2f}); "
        f"12 MP photo: {out['photo_12mp_inspect_ms']:.0f} ms"
    )
    return out


def main(runs: int = 20) -> dict:
    rows = corpus()
    worst_time, worst_memory = max(rows, key=lambda r: r["seconds"]), max(rows, key=lambda r: r["peak_mb"])
    print(
        f"\nworst time: {worst_time['case']} {worst_time['seconds']} s; "
        f"worst memory: {worst_memory['case']} {worst_memory['peak_mb']} MB"
    )
    result = {"corpus": rows, "honest": honest(runs)}
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "hostile_files.json").write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
