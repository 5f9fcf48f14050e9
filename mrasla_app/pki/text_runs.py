"""Text laid out once per process and replayed in documents (receipt rendering).

A *run* is what fpdf2's ``cell`` or ``multi_cell`` writes for one text in one style and box:
the content-stream bytes, positioned relative to the box's top-left corner, the glyphs they
show and the height the text took. Laying text out is most of a receipt's rendering cost
(bidi, HarfBuzz shaping, line breaking), and most of a receipt's text is the same on every
receipt: labels, titles, legal notes, an administration's names. Runs are recorded with fpdf2
itself, on a scratch document, so they are byte for byte what ``cell``/``multi_cell`` would
have written; a document then only *places* them (``place``), which costs a string join.

Why the bytes are reusable: glyph codes are process-wide (``font_embed.GlyphCodes``), and a
placed run is wrapped as ``q 1 0 0 1 tx ty cm <colour> <run> Q``: the translation moves the
box, the colour is set inside, and ``q``/``Q`` restore the page's graphics state afterwards,
so fpdf2's own tracking of the current font and colours on the page stays true.

Concurrency: each thread records on its own scratch document (``threading.local``); the memo
is shared, guarded by a lock, and holds immutable values. Bounded: least recently used runs
are dropped beyond ``MEMO_MAX`` (per-deposit values keep adding new ones).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.drawing_primitives import convert_to_device_color
from fpdf.enums import PDFResourceType, XPos, YPos
from fpdf.fonts import Glyph

MEMO_MAX = 4096
_FONT_SELECTION = re.compile(rb"/F(\d+) [\d.]+ Tf")  # how fpdf2 selects a font in content
_RTL_CLASSES = ("R", "AL", "AN", "RLE", "RLO", "RLI")
_FIT_SLACK_MM = 0.5
_RECORD_AT = (0.0, 0.0)  # where runs are laid out on the scratch page (mm, top-left origin)


@dataclass(frozen=True)
class TextStyle:
    """Font, size, colour (RGB 0-255) and shaping direction (``None``: no HarfBuzz shaping)."""

    family: str
    size: float
    style: str = ""
    color: tuple[int, int, int] = (0, 0, 0)
    direction: str | None = None


@dataclass(frozen=True)
class TextRun:
    ops: bytes
    fonts: tuple[str, ...]  # fontkeys the ops select (page resources)
    glyphs: tuple[tuple[str, tuple[tuple[Glyph, int], ...]], ...]  # per fontkey
    height: float


@dataclass(frozen=True)
class _Key:
    family: str
    style: str
    size: float
    direction: str | None
    multiline: bool
    w: float
    h: float
    align: str
    text: str


class _Memo:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs: OrderedDict[_Key, TextRun] = OrderedDict()

    def get(self, key: _Key) -> TextRun | None:
        with self.lock:
            run = self.runs.get(key)
            if run is not None:
                self.runs.move_to_end(key)
            return run

    def put(self, key: _Key, run: TextRun) -> None:
        with self.lock:
            self.runs[key] = run
            while len(self.runs) > MEMO_MAX:
                self.runs.popitem(last=False)


_MEMO = _Memo()
_SCRATCH = threading.local()


def _scratch() -> FPDF:
    pdf = getattr(_SCRATCH, "pdf", None)
    if pdf is None:
        from mrasla_app.pki.receipt_layout import new_document  # local: import cycle

        pdf = _SCRATCH.pdf = new_document("scratch")
        pdf.set_auto_page_break(False)  # runs are laid out in one piece, wherever they end
        pdf.add_page()
    return pdf


def _record(key: _Key) -> TextRun:
    """Lay ``key`` out with fpdf2 on this thread's scratch page and keep what it wrote."""
    pdf = _scratch()
    for font in pdf.fonts.values():
        font.subset.used.clear()
    pdf.set_font(key.family, key.style, key.size)
    if key.direction is None:
        pdf.set_text_shaping(False)
    else:
        pdf.set_text_shaping(True, direction=key.direction)
    # The text colour equals the fill colour, so fpdf2 writes no colour: ``place`` sets it.
    pdf.set_text_color(0)
    pdf.set_fill_color(0)
    pdf.current_font_is_set_on_page = False  # always write the font selection into the run
    contents = pdf.pages[pdf.page].contents
    start = len(contents)
    pdf.set_xy(*_RECORD_AT)
    if key.multiline and not _fits_one_ltr_line(pdf, key):
        pdf.multi_cell(key.w, key.h, key.text, align=key.align, new_x=XPos.LEFT,
                       new_y=YPos.NEXT)
        height = pdf.get_y() - _RECORD_AT[1]
    else:
        pdf.cell(key.w, key.h, key.text, align=key.align)
        height = key.h
    ops = bytes(contents[start:])
    del contents[start:]
    glyphs = tuple((fontkey, tuple(font.subset.used.items()))
                   for fontkey, font in pdf.fonts.items() if font.subset.used)
    selected = {int(i) for i in _FONT_SELECTION.findall(ops)}
    fonts = tuple(key for key, font in pdf.fonts.items() if font.i in selected)
    return TextRun(ops, fonts, glyphs, height)


def _fits_one_ltr_line(pdf: FPDF, key: _Key) -> bool:
    """Whether ``multi_cell`` would write exactly what ``cell`` writes: one line of text
    without right-to-left characters (bidi reordering differs between the two) that fits the
    box with some room to spare. ``cell`` skips fpdf2's character-by-character line breaking.
    """
    return ("\n" not in key.text and "\u00ad" not in key.text
            and not any(unicodedata.bidirectional(c) in _RTL_CLASSES for c in key.text)
            and pdf.get_string_width(key.text) <= key.w - 2 * pdf.c_margin - _FIT_SLACK_MM)


def run(style: TextStyle, w: float, h: float, text: str, align: str = "L",
        multiline: bool = False) -> TextRun:
    """The run for ``text`` in a ``w`` × ``h`` mm cell (``multiline``: fpdf2's ``multi_cell``
    with line height ``h``), from the memo or laid out now."""
    key = _Key(style.family, style.style, style.size, style.direction, multiline, w, h, align,
               text)
    found = _MEMO.get(key)
    if found is None:
        found = _record(key)
        _MEMO.put(key, found)
    return found


def place(pdf: FPDF, text_run: TextRun, x: float, y: float,
          color: tuple[int, int, int]) -> None:
    """Draw ``text_run`` with its box's top-left corner at (``x``, ``y``) mm on the current
    page of ``pdf`` (an A4 document from ``receipt_layout.new_document``)."""
    if pdf.h != _scratch().h:
        raise ValueError("text runs are recorded for A4 portrait pages")
    k = pdf.k
    dx, dy = (x - _RECORD_AT[0]) * k, (_RECORD_AT[1] - y) * k
    colour = convert_to_device_color(*color).serialize().lower()
    pdf._out(f"q 1 0 0 1 {dx:.4f} {dy:.4f} cm {colour}".encode() + b"\n" + text_run.ops + b"Q")
    for fontkey, glyphs in text_run.glyphs:
        pdf.fonts[fontkey].subset.add(dict(glyphs))
    for fontkey in text_run.fonts:
        pdf._resource_catalog.add(PDFResourceType.FONT, pdf.fonts[fontkey].i, pdf.page)
