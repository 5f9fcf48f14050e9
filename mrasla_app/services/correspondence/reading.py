"""The text of a stored document: a PDF's own text layer, or Tesseract OCR of its pages.

Born-digital PDFs carry their text (read with pypdf); scans and photos carry only pixels, so a page
without real text is rendered as an image (poppler's ``pdftoppm``) and read by Tesseract through
``tesserocr`` (its wheel bundles libtesseract; the Arabic and French models come from Debian's
``tesseract-ocr-ara``/``-fra`` in ``MRASLA_TESSDATA``). Everything is bounded — pages per document
(``MRASLA_OCR_MAX_PAGES``), pixels per page, seconds per rendering — and works offline. The file read
is never written: what is derived from it is stored beside it (``DocumentText``).

Slow (about a second per scanned page): called by the background job only, never in a request.
"""

from __future__ import annotations

import io
import math
import re
import subprocess
import tempfile
import threading
from pathlib import Path

from PIL import Image, ImageOps

from mrasla_app.settings import get_settings

#: Rendering resolution Tesseract reads best at, lowered for big pages so no page exceeds MAX_PIXELS.
DPI = 300
MAX_PIXELS = 12_000_000  # A4 at 300 dpi is 8.7 Mpx
RENDER_TIMEOUT = 60  # seconds per page
#: A text layer counts as real when it has this many letters; fewer (a scanner's page number, an empty
#: invisible layer) and the page is read from its pixels instead.
MIN_LETTERS = 20
_LETTER = re.compile(r"[^\W\d_]")

# One Tesseract engine per language set, kept: its initialisation costs as much as a small page. An engine
# is not thread-safe, and the job reads one page at a time anyway: the lock serialises the rare callers
# (and bounds the memory to one engine, ~50 MB, whichever pool thread runs the job).
_engines: dict[str, object] = {}
_lock = threading.Lock()


def _engine(langs: str):
    import tesserocr

    if langs not in _engines:
        tessdata = get_settings().tessdata_dir
        if not (Path(tessdata) / "ara.traineddata").exists():
            raise RuntimeError(f"Tesseract models not found in {tessdata} (install tesseract-ocr-ara, -fra)")
        _engines[langs] = tesserocr.PyTessBaseAPI(path=tessdata.rstrip("/") + "/", lang=langs)
    return _engines[langs]


def _letters(text: str) -> int:
    return len(_LETTER.findall(text))


def _ocr(image: Image.Image, langs: str) -> str:
    """Tesseract's text for one page image, bounded in pixels (downscaled, never upscaled)."""
    image = ImageOps.exif_transpose(image).convert("L")
    if image.width * image.height > MAX_PIXELS:
        ratio = math.sqrt(MAX_PIXELS / (image.width * image.height))
        image = image.resize((max(1, int(image.width * ratio)), max(1, int(image.height * ratio))))
    with _lock:
        api = _engine(langs)
        api.SetImage(image)
        try:
            return api.GetUTF8Text().strip()
        finally:
            api.Clear()


def _render(path: Path, page_no: int, width_pt: float, height_pt: float) -> Image.Image:
    """Page ``page_no`` (1-based) of the PDF at ``path`` as a grayscale image, at most MAX_PIXELS."""
    area_in2 = max(width_pt, 1.0) * max(height_pt, 1.0) / (72 * 72)
    dpi = max(50, min(DPI, int(math.sqrt(MAX_PIXELS / area_in2))))
    with tempfile.TemporaryDirectory(prefix="mrasla-ocr-") as tmp:
        out = Path(tmp) / "page"
        subprocess.run(
            [
                "pdftoppm",
                "-gray",
                "-r",
                str(dpi),
                "-f",
                str(page_no),
                "-l",
                str(page_no),
                "-singlefile",
                str(path),
                str(out),
            ],  # PGM: uncompressed, 10x faster than PNG here
            check=True,
            capture_output=True,
            timeout=RENDER_TIMEOUT,
        )
        with Image.open(out.with_suffix(".pgm")) as img:
            img.load()
            return img.copy()


def read_pdf_pages(path: Path, langs: str = "ara+fra") -> list[str]:
    """One text per page (at most ``MRASLA_OCR_MAX_PAGES`` pages): the page's text layer when it has
    real text, else Tesseract's reading of the page rendered as an image."""
    return [text for text, _ in read_pdf(path, langs)]


def read_pdf(path: Path, langs: str = "ara+fra") -> list[tuple[str, bool]]:
    """``read_pdf_pages`` with, for each page, whether its text came from OCR."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    texts: list[tuple[str, bool]] = []
    for number, page in enumerate(reader.pages[: get_settings().ocr_max_pages], start=1):
        try:
            layer = (page.extract_text() or "").strip()
        except Exception:  # noqa: BLE001 - a broken content stream: read the pixels instead
            layer = ""
        if _letters(layer) >= MIN_LETTERS:
            texts.append((layer, False))
            continue
        box = page.mediabox
        texts.append((_ocr(_render(path, number, float(box.width), float(box.height)), langs), True))
    return texts


def read_image(path: Path, langs: str = "ara+fra") -> str:
    """Tesseract's text of a JPEG/PNG photo or scan (orientation from EXIF, at most MAX_PIXELS)."""
    with Image.open(io.BytesIO(Path(path).read_bytes())) as img:
        img.draft("L", (4000, 4000))  # JPEG: decode at a reduced size straight away
        return _ocr(img, langs)
