"""Reading documents: the text of each PDF page (its text layer, else Tesseract OCR) and of images.

Minimal version for the batch-scanning branch; the OCR-and-search branch owns this module.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import tempfile

from PIL import Image
from pypdf import PdfReader

TESSDATA = "/usr/share/tesseract-ocr/5/tessdata/"
OCR_DPI = 300
MIN_TEXT_CHARS = 20  # a page with less text than this in its layer is treated as a scan


def _ocr(img: Image.Image, langs: str) -> str:
    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # the CLI is 5-10x slower with OpenMP threads
    return pytesseract.image_to_string(img, lang=langs, config="--psm 3")


def read_image(path: pathlib.Path | str, langs: str = "ara+fra") -> str:
    """The OCR text of an image file."""
    with Image.open(path) as img:
        return _ocr(img.convert("L"), langs)


def read_pdf_pages(path: pathlib.Path, langs: str = "ara+fra") -> list[str]:
    """The text of each page: its text layer when it has one, else the page rendered and OCR'd."""
    reader = PdfReader(str(path))
    texts: list[str] = []
    for index, page in enumerate(reader.pages):
        text = (page.extract_text() or "").strip()
        if len(text) < MIN_TEXT_CHARS:
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run(["pdftoppm", "-r", str(OCR_DPI), "-gray", "-png", "-f", str(index + 1),
                                "-l", str(index + 1), "-singlefile", str(path), f"{tmp}/p"],
                               check=True, capture_output=True, timeout=120)
                text = read_image(f"{tmp}/p.png", langs)
        texts.append(text)
    return texts
