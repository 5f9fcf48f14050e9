"""Benchmark — indexing proposals (``services/correspondence/indexing.py``) on a labelled set of generated
Arabic and French letters (``tests/scanned_letters.py``), and the splitting of a scanned stack.

Two variants of each letter: a PDF with a text layer (read by ``reading.read_pdf_pages`` from the layer)
and an image-only scan (1° skew, noise, blur: read by Tesseract). Prints the accuracy per field and per
language (a field counts when the proposal equals the known value exactly), the time per letter, and the
separator detection speed (pages/minute) on a stack; writes ``bench/out/indexing.json``.
Usage: ``python bench/indexing.py [text letters, default 48] [scanned letters, default 8]``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MRASLA_DATA_DIR", tempfile.mkdtemp(prefix="mrasla-bench-"))

from mrasla_app.services.correspondence import indexing, reading, separators, splitting  # noqa: E402
from tests.scanned_letters import letters, scan_pdf, stack_pdf, text_pdf  # noqa: E402


def run(variant: str, sample: list, render) -> dict:
    hits: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counts: dict[str, int] = defaultdict(int)
    misses: list[dict] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for k, letter in enumerate(sample):
            path = Path(tmp) / f"{k}.pdf"
            path.write_bytes(render(letter))
            got = indexing.propose("\n".join(reading.read_pdf_pages(path))).as_dict()
            counts[letter.lang] += 1
            for field, value in letter.fields().items():
                ok = got[field] == value
                hits[letter.lang][field] += ok
                if not ok:
                    misses.append({"lang": letter.lang, "field": field, "expected": value, "got": got[field]})
    elapsed = time.perf_counter() - started
    table = {lang: {f: hits[lang][f] / counts[lang] for f in indexing.FIELDS} for lang in sorted(counts)}
    total = sum(sum(h.values()) for h in hits.values()) / (len(sample) * len(indexing.FIELDS))
    print(f"\n{variant}: {len(sample)} letters, {elapsed / len(sample):.2f} s/letter, accuracy {total:.1%}")
    print("lang  " + "  ".join(f"{f:>9}" for f in indexing.FIELDS))
    for lang, row in table.items():
        print(f"{lang:5} " + "  ".join(f"{row[f]:>9.0%}" for f in indexing.FIELDS))
    return {
        "letters": len(sample),
        "seconds_per_letter": elapsed / len(sample),
        "accuracy": total,
        "by_lang": table,
        "misses": misses[:40],
    }


def split_speed(pages: int = 20) -> dict:
    sheet = separators.render("MEF", "وزارة الاقتصاد", "Ministère de l'Économie")
    sample = letters(pages // 2)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stack.pdf"
        path.write_bytes(stack_pdf([text_pdf(x) for x in sample], sheet))
        started = time.perf_counter()
        count, found = splitting.find_separators(path)
        elapsed = time.perf_counter() - started
    assert len(found) == len(sample)
    print(f"\nseparator detection: {count} pages in {elapsed:.1f} s = {count / elapsed * 60:.0f} pages/minute")
    return {"pages": count, "seconds": elapsed, "pages_per_minute": count / elapsed * 60}


def main() -> None:
    n_text = int(sys.argv[1]) if len(sys.argv) > 1 else 48
    n_scan = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    out = {
        "text_layer": run("text layer", letters(n_text), text_pdf),
        "ocr": run("scan (OCR)", letters(n_scan, seed=7), scan_pdf),
        "splitting": split_speed(),
    }
    Path("bench/out").mkdir(parents=True, exist_ok=True)
    Path("bench/out/indexing.json").write_text(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
