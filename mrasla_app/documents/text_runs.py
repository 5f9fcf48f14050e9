"""Text laid out once per process and replayed in documents (receipt rendering).

A *run* is what fpdf2's ``cell`` or ``multi_cell`` writes for one text in one style and box:
the content-stream bytes, positioned relative to the box's top-left corner, the glyphs they
show and the height the text took. Laying text out is most of a receipt's rendering cost
(bidi, HarfBuzz shaping, character-by-character line breaking), and most of a receipt's text
is the same on every receipt: labels, titles, legal notes, an administration's names. Runs
are recorded with fpdf2 itself, on a scratch document, so they are what ``cell`` and
``multi_cell`` write; a document then only *places* them (``place``): a string join.

Why the bytes are reusable: glyph codes are process-wide (``font_embed.GlyphCodes``), and a
placed run is wrapped as ``q 1 0 0 1 tx ty cm <colour> <run> Q``: the translation moves the
box, the colour is set inside, and ``q``/``Q`` restore the page's graphics state afterwards,
so fpdf2's own tracking of the current font and colours on the page stays true.

Three shortcuts skip fpdf2's slowest paths when they provably write the same bytes (the unit
tests compare them with fpdf2 on a corpus): a ``multi_cell`` whose text fits on one line
without right-to-left characters is recorded with ``cell`` (no line breaking), one line
of plain text (no shaping, every character in the font) is written directly (``_plain``), and
so are the lines of a plain text without break opportunities (a URL: ~2 ms of fpdf2's
character-by-character line breaking per receipt).

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
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping, NamedTuple

from fpdf import FPDF
from fpdf.drawing_primitives import convert_to_device_color
from fpdf.enums import PDFResourceType, XPos, YPos
from fpdf.fonts import Glyph, TTFFont
from fpdf.line_break import BREAKING_SPACE_SYMBOLS_STR, NBSP, SOFT_HYPHEN
from fpdf.util import FloatTolerance

from mrasla_app.documents.font_embed import subset_of
from mrasla_app.documents.receipt_layout import PAGE_H_MM, new_document

MEMO_MAX = 4096
_FONT_SELECTION = re.compile(rb"/F(\d+) [\d.]+ Tf")  # how fpdf2 selects a font in content
_RTL_CLASSES = ("R", "AL", "AN", "RLE", "RLO", "RLI")
_FIT_SLACK_MM = 0.5
#: Where fpdf2's line breaking may cut a line other than anywhere (spaces, soft hyphens, line breaks).
BREAK_OPPORTUNITIES = frozenset(BREAKING_SPACE_SYMBOLS_STR + NBSP + SOFT_HYPHEN + "\n\r\f")


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
    glyphs: tuple[tuple[str, Mapping[Glyph, int]], ...]  # glyphs shown, per fontkey
    missing: tuple[tuple[str, tuple[int, ...]], ...]  # characters no font had, per fontkey
    height: float


class _Key(NamedTuple):
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
        pdf = _SCRATCH.pdf = new_document("scratch")
        pdf.set_auto_page_break(False)  # runs are laid out in one piece, wherever they end
        pdf.add_page()
    return pdf


def _run(pdf: FPDF, ops: bytes, height: float) -> TextRun:
    """A run from the bytes just written on the scratch page and the glyphs they used."""
    subsets = {fontkey: subset_of(font) for fontkey, font in pdf.fonts.items()}
    glyphs = tuple((fontkey, MappingProxyType(dict(subset.used))) for fontkey, subset in subsets.items() if subset.used)
    missing = tuple((fontkey, tuple(subset.missing)) for fontkey, subset in subsets.items() if subset.missing)
    selected = {int(i) for i in _FONT_SELECTION.findall(ops)}
    fonts = tuple(fontkey for fontkey, font in pdf.fonts.items() if font.i in selected)
    return TextRun(ops, fonts, glyphs, missing, height)


def _record(key: _Key) -> TextRun:
    """Lay ``key`` out on this thread's scratch page (directly or with fpdf2)."""
    pdf = _scratch()
    for font in pdf.fonts.values():
        subset = subset_of(font)
        subset.used.clear()
        subset.missing.clear()
    plain = _plain(pdf, key)
    if plain is not None:
        return _run(pdf, *plain)
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
    assert isinstance(contents, bytearray)  # a page's content stream is built at output time
    start = len(contents)
    pdf.set_xy(0, 0)
    if key.multiline and not _fits_one_ltr_line(pdf, key):
        pdf.multi_cell(key.w, key.h, key.text, align=key.align, new_x=XPos.LEFT, new_y=YPos.NEXT)
        height = pdf.get_y()
    else:
        pdf.cell(key.w, key.h, key.text, align=key.align)
        height = key.h
    ops = bytes(contents[start:])
    del contents[start:]
    return _run(pdf, ops, height)


def _fits_one_ltr_line(pdf: FPDF, key: _Key) -> bool:
    """Whether ``multi_cell`` would write exactly what ``cell`` writes: one line of text
    in the font (fragments split differently around fallback or missing glyphs) without
    right-to-left characters (bidi reordering differs) that fits the box with some room to
    spare. ``cell`` skips fpdf2's character-by-character line breaking.
    """
    font = pdf.current_font
    if not isinstance(font, TTFFont):
        return False
    cmap = font.cmap
    return (
        "\n" not in key.text
        and "\u00ad" not in key.text
        and all(ord(c) in cmap and unicodedata.bidirectional(c) not in _RTL_CLASSES for c in key.text)
        and pdf.get_string_width(key.text) <= key.w - 2 * pdf.c_margin - _FIT_SLACK_MM
    )


def _plain(pdf: FPDF, key: _Key) -> tuple[bytes, float] | None:
    """What fpdf2's ``cell`` writes for one line of plain text, computed directly: no shaping,
    every character printable, left-to-right and in the font (no fallback), aligned L/R/C;
    and what its ``multi_cell`` writes for such a text that has no break opportunity (the
    verification URL): the lines fpdf2's line breaking makes (``_unbreakable_lines``).
    The bytes and the height they take; ``None`` when the text needs more than that (fpdf2
    then lays it out)."""
    font = pdf.fonts[f"{key.family.lower()}{key.style}"]
    text = key.text
    if (
        not isinstance(font, TTFFont)
        or key.direction is not None
        or key.align not in ("L", "R", "C")
        or not text
        or not text.isprintable()
        or any(ord(c) not in font.cmap or unicodedata.bidirectional(c) in _RTL_CLASSES for c in text)
    ):
        return None
    k, margin = pdf.k, pdf.c_margin
    width = sum(font.cw[ord(c)] for c in text) * key.size * 0.001 / k
    lines = [(text, width)]
    if key.multiline and width > key.w - 2 * margin - _FIT_SLACK_MM:
        broken = _unbreakable_lines(font, key, k, margin)
        if broken is None:
            return None
        lines = broken
    ops = [f"BT /F{font.i} {key.size:.2f} Tf ET\n"]
    for i, (line, line_width) in enumerate(lines):
        dx = {"L": margin, "R": key.w - margin - line_width, "C": (key.w - line_width) / 2}[key.align]
        baseline = pdf.h - i * key.h - 0.5 * key.h - 0.3 * key.size / k
        codes = subset_of(font).text_codes(line)
        ops.append(f"BT {dx * k:.2f} {baseline * k:.2f} Td ({font.escape_text(codes)}) Tj ET\n")
    return "".join(ops).encode("latin-1"), len(lines) * key.h


def _unbreakable_lines(font, key: _Key, k: float, margin: float) -> list[tuple[str, float]] | None:
    """fpdf2's ``multi_cell`` lines for a text without spaces, soft hyphens or line breaks: it
    cuts where the next character would overflow the box (same widths, summed in the same
    order, same tolerance); each line with its width. ``None`` for any other text."""
    if any(c in BREAK_OPPORTUNITIES for c in key.text):
        return None
    limit, lines, start, width = key.w - 2 * margin, [], 0, 0.0
    for i, c in enumerate(key.text):
        char_width = font.cw[ord(c)] * key.size * 0.001 / k
        if FloatTolerance.greater_than(width + char_width, limit):
            if i == start:  # not even one character fits: fpdf2 raises
                return None
            lines.append((key.text[start:i], width))
            start, width = i, 0.0
        width += char_width
    lines.append((key.text[start:], width))
    return lines


def run(style: TextStyle, w: float, h: float, text: str, align: str = "L", multiline: bool = False) -> TextRun:
    """The run for ``text`` in a ``w`` × ``h`` mm cell (``multiline``: fpdf2's ``multi_cell``
    with line height ``h``), from the memo or laid out now."""
    key = _Key(style.family, style.style, style.size, style.direction, multiline, w, h, align, text)
    found = _MEMO.get(key)
    if found is None:
        found = _record(key)
        _MEMO.put(key, found)
    return found


@lru_cache(maxsize=64)
def _fill(color: tuple[int, int, int]) -> str:
    return convert_to_device_color(*color).serialize().lower()


def place(pdf: FPDF, text_run: TextRun, x: float, y: float, color: tuple[int, int, int]) -> None:
    """Draw ``text_run`` with its box's top-left corner at (``x``, ``y``) mm on the current
    page of ``pdf``: an A4 portrait document from ``receipt_layout.new_document``, like the
    scratch page the run was recorded on (its bytes hold absolute coordinates)."""
    if abs(pdf.h - PAGE_H_MM) > 0.01:
        raise ValueError("text runs are recorded for A4 portrait pages")
    k = pdf.k
    pdf._out(f"q 1 0 0 1 {x * k:.4f} {-y * k:.4f} cm {_fill(color)}\n".encode() + text_run.ops + b"Q")
    fonts = pdf.fonts
    for fontkey, glyphs in text_run.glyphs:
        subset_of(fonts[fontkey]).add(glyphs)
    for fontkey, missing in text_run.missing:
        subset_of(fonts[fontkey]).missing.extend(missing)
    for fontkey in text_run.fonts:
        pdf._resource_catalog.add(PDFResourceType.FONT, fonts[fontkey].i, pdf.page)
