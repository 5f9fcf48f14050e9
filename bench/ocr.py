"""OCR benchmark: pages per minute on this machine, Arabic and French scans, as the document job reads them.

    python bench/ocr.py [--pages 6]

Generated letters (``tests/scans.py``: bundled Noto fonts laid out by raqm, A4 at 300 dpi, rotated
±1.5°, 0.4 % salt-and-pepper noise, 0.6 px blur) are read through the job's own paths:
``reading.read_image`` for a photo/PNG, and ``reading.read_pdf_pages`` for an image-only PDF (poppler
renders each page, then Tesseract reads it) — languages ``ara+fra`` as in production. Baseline in the same
run: the born-digital PDF path (text layer, no OCR). Word recall = share of the source's words (folded
like search) found in the OCR text. Prints a table and writes ``bench/out/ocr.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mrasla_app.services.correspondence import reading  # noqa: E402
from mrasla_app.services.platform.text import normalize, words  # noqa: E402
from tests import scans  # noqa: E402
from tests.files import pdf_bytes  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def recall(source: list[str], text: str) -> float:
    expected = [normalize(w) for line in source for w in words(line)]
    got = set(normalize(w) for w in words(text))
    return sum(w in got for w in expected) / len(expected)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pages", type=int, default=6, help="pages per case (each a differently rotated scan)")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mrasla-ocr-bench-"))
    cases: dict[str, list[float]] = {}
    recalls: dict[str, list[float]] = {}
    warm = tmp / "warm.png"  # the Tesseract engine is created on first use: outside the timings
    warm.write_bytes(scans.png(scans.render(["تجربة Essai"], arabic=True)))
    reading.read_image(warm)
    for lang, lines in (("ar", scans.ARABIC_LETTER), ("fr", scans.FRENCH_LETTER)):
        for i in range(args.pages):
            angle = (-1.5, 1.0, 2.0, -0.5, 1.5, -2.0)[i % 6]
            page = scans.render(lines, arabic=lang == "ar", rotate=angle, seed=i)
            png, pdf = tmp / f"{lang}{i}.png", tmp / f"{lang}{i}.pdf"
            png.write_bytes(scans.png(page))
            pdf.write_bytes(scans.image_pdf([page]))
            t = time.perf_counter()
            text = reading.read_image(png)
            cases.setdefault(f"{lang} image (PNG)", []).append(time.perf_counter() - t)
            recalls.setdefault(f"{lang} image (PNG)", []).append(recall(lines, text))
            t = time.perf_counter()
            text = reading.read_pdf_pages(pdf)[0]
            cases.setdefault(f"{lang} scanned PDF (render + OCR)", []).append(time.perf_counter() - t)
            recalls.setdefault(f"{lang} scanned PDF (render + OCR)", []).append(recall(lines, text))
    digital = tmp / "digital.pdf"
    digital.write_bytes(pdf_bytes(pages=10, text=" ".join(scans.FRENCH_LETTER)))
    t = time.perf_counter()
    reading.read_pdf_pages(digital)
    cases["baseline: born-digital PDF, text layer (per page)"] = [(time.perf_counter() - t) / 10]
    load = os.getloadavg()[0]
    print(f"OCR, tesserocr ara+fra, {args.pages} pages per case, load {load:.1f}\n")
    print("| case | median s/page | pages/minute | word recall |\n|---|---|---|---|")
    results = {}
    for name, times in cases.items():
        med = statistics.median(times)
        rec = statistics.mean(recalls[name]) if name in recalls else None
        results[name] = {"median_s": med, "pages_per_minute": 60 / med, "recall": rec, "n": len(times)}
        print(f"| {name} | {med:.2f} | {60 / med:.0f} | {'' if rec is None else f'{rec:.1%}'} |")
    OUT.mkdir(exist_ok=True)
    (OUT / "ocr.json").write_text(
        json.dumps({"load": load, "machine": platform.platform(), "cases": results}, indent=1)
    )


if __name__ == "__main__":
    main()
