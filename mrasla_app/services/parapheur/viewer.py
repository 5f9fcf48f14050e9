"""The folder's document as page images, for reading (and pinning comments) on a phone.

A PDF in an ``<iframe>`` is unusable at 390 px (and absent on many mobile browsers): the viewer
shows one rendered page at a time, at the screen's width, which the browser may pinch-zoom.
Rendering (PDFium, via ``pypdfium2``) reads the stored bytes and never writes them; a small
in-process cache keyed by the document's hash serves page turns again without re-rendering.
"""

from __future__ import annotations

import io
import threading
from functools import lru_cache

import pypdfium2 as pdfium
from sqlmodel import Session

from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import NotFound
from mrasla_app.services.parapheur import folders
from mrasla_app.services.platform import storage

WIDTHS = (640, 1000, 1400)  # the sizes served (device pixels): a few, so the cache stays useful
_pdfium_lock = threading.Lock()  # PDFium is not thread-safe


def best_width(requested: int) -> int:
    """The smallest served width that covers ``requested`` (the largest when none does)."""
    return next((w for w in WIDTHS if w >= requested), WIDTHS[-1])


@lru_cache(maxsize=48)
def _render(sha256: str, page: int, width: int) -> bytes:
    with _pdfium_lock:
        pdf = pdfium.PdfDocument(storage.get(sha256))
        try:
            if not 1 <= page <= len(pdf):
                raise NotFound()
            pg = pdf[page - 1]
            image = pg.render(scale=width / pg.get_width()).to_pil()
        finally:
            pdf.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=False)
    return out.getvalue()


def page_png(session: Session, actor: Actor | None, folder_id: int, page: int, width: int) -> bytes:
    """Page ``page`` (1-based) of the document as it stands, as a PNG about ``width`` pixels wide."""
    folder = folders.get_visible(session, actor, folder_id)  # NotFound when the actor may not see it
    return _render(folder.current_sha256, page, best_width(width))


__all__ = ["page_png", "best_width", "WIDTHS"]
