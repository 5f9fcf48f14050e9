"""Page plumbing for receipts: bundled fonts, the fpdf2 document factory, vector QR codes.

Fonts ship in ``assets/fonts`` (SIL OFL, see ``OFL.txt``) so receipts look the same on every
server. Arabic needs HarfBuzz shaping (``uharfbuzz``) and the Arabic font has no Latin glyphs,
hence the fallback chain.
"""

from __future__ import annotations

import copy
import functools
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import qrcode
from fpdf import FPDF
from fpdf.drawing_primitives import convert_to_device_color
from fpdf.fonts import TTFFont
from qrcode import LUT, base
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_8BIT_BYTE, PAD0, PAD1, QRData, length_in_bits

from mrasla_app.documents import font_embed

FONTS_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FONT_AR = "NotoNaskhArabic"
FONT_LATIN = "NotoSans"
FONT_MONO = "NotoSansMono"
FONT_FILES = {
    (FONT_AR, ""): "NotoNaskhArabic-Regular.ttf",
    (FONT_AR, "B"): "NotoNaskhArabic-Bold.ttf",
    (FONT_LATIN, ""): "NotoSans-Regular.ttf",
    (FONT_LATIN, "B"): "NotoSans-Bold.ttf",
    (FONT_MONO, ""): "NotoSansMono-Regular.ttf",
}
PAGE_H_MM = 297.0
QR_MASK = 2  # see ``qr_matrix``
_DARK_RUN = re.compile("1+")
PT_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class SealSlot:
    """Where the seal goes: 0-based page and box in PDF points (origin bottom-left)."""

    page: int
    box_pt: tuple[float, float, float, float]

    @classmethod
    def from_mm(cls, page: int, x: float, y: float, w: float, h: float) -> SealSlot:
        """Convert an fpdf2 rectangle (mm, origin top-left) to PDF user space."""
        k = PT_PER_MM
        return cls(page, (x * k, (PAGE_H_MM - y - h) * k, (x + w) * k, (PAGE_H_MM - y) * k))


_MEMO_MAX = 20_000


def _params_key(params):
    """The shaping parameters HarfBuzz is given (``TTFFont.perform_harfbuzz_shaping``): the
    memo key part. Called for every character fpdf2 measures, hence no generic loop."""
    if not params:
        return None
    features = params.get("features")
    return (
        tuple(sorted(features.items())) if features else None,
        params.get("fragment_direction"),
        params.get("script"),
        params.get("language"),
    )


class _MemoTTFFont(TTFFont):
    """``TTFFont`` whose width and HarfBuzz shaping results are memoised per process.

    fpdf2's line breaking measures every growing prefix of a line (one HarfBuzz call per
    character when shaping is on); the receipt's labels, titles and legal notes are the same
    on every receipt, so after the first one those measures are dictionary lookups. Both
    results depend only on the font, the text, the size and the shaping parameters. Bounded:
    the memo is dropped when it reaches ``_MEMO_MAX`` entries (variable fields keep adding).
    """

    __slots__ = ()
    _widths: dict = {}
    _shapes: dict = {}

    def get_text_width(self, text, font_size_pt, text_shaping_params):
        if font_size_pt > self.biggest_size_pt:
            self.biggest_size_pt = font_size_pt
        key = (self.fontkey, text, font_size_pt, _params_key(text_shaping_params))
        found = self._widths.get(key)
        if found is None:
            if len(self._widths) >= _MEMO_MAX:
                self._widths.clear()
            found = self._widths[key] = super().get_text_width(text, font_size_pt, text_shaping_params)
        return found

    def perform_harfbuzz_shaping(self, text, font_size_pt, text_shaping_params):
        key = (self.fontkey, text, font_size_pt, _params_key(text_shaping_params))
        found = self._shapes.get(key)
        if found is None:
            if len(self._shapes) >= _MEMO_MAX:
                self._shapes.clear()
            found = self._shapes[key] = super().perform_harfbuzz_shaping(text, font_size_pt, text_shaping_params)
        return found


class _FontPrototypes:
    """Parsed fonts kept for the whole process.

    ``FPDF.add_font`` re-parses each TrueType file (cmap, widths, glyf) for every document,
    ~10 ms per face. We parse once and give each document a shallow copy whose per-document
    state is fresh: the set of glyphs it uses (``font_embed.DocumentGlyphs``; their codes are
    process-wide) and missing-glyph list. The widths, cmap, HarfBuzz face and fontTools object
    are read-only and shared: fpdf2 only mutates ``ttfont`` when it subsets it at output time,
    and these documents are written by ``font_embed.ReceiptOutputProducer`` or, receipts,
    ``receipt_pdf`` (compact subsets of the raw font tables, no fontTools). The tables fpdf2 reads while laying out
    (glyph order/names, hmtx) are loaded up front so later concurrent reads are plain lookups.
    Tied to fpdf2's ``TTFFont`` internals (pinned 2.8.x; the receipt tests render and decode
    real PDFs, so a change there fails loudly).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fonts: dict[str, TTFFont] = {}

    def _load(self) -> None:
        scratch = FPDF()
        for (family, style), filename in FONT_FILES.items():
            path = FONTS_DIR / filename
            scratch.add_font(family, style, path)
            font = scratch.fonts[f"{family.lower()}{style}"]
            assert isinstance(font, TTFFont)
            font.hbfont  # build the shared HarfBuzz face now  # noqa: B018
            font.ttfont.getGlyphOrder()
            font.ttfont["hmtx"]  # noqa: B018
            font.ttfont["post"]  # noqa: B018
            font_embed.register(font, path)
            font.__class__ = _MemoTTFFont
            self._fonts[font.fontkey] = font

    def attach(self, pdf: FPDF) -> None:
        with self._lock:
            if not self._fonts:
                self._load()
        for key, proto in self._fonts.items():
            font = copy.copy(proto)
            font.i = len(pdf.fonts) + 1
            font.subset = font_embed.document_glyphs(key)  # type: ignore[assignment]  # stands in for fpdf2's SubsetMap (same interface, font_embed)
            font.missing_glyphs = []
            font.biggest_size_pt = 0
            pdf.fonts[key] = font


_FONTS = _FontPrototypes()


class ReceiptPDF(FPDF):
    """FPDF whose output embeds the shared fonts through ``font_embed`` (never fontTools'
    in-place subsetting, which would corrupt the fonts shared between documents)."""

    def output(self, *args, **kwargs):
        kwargs["output_producer_class"] = font_embed.ReceiptOutputProducer
        return super().output(*args, **kwargs)


def new_document(title: str) -> FPDF:
    """An A4 document with the bundled fonts registered and text shaping on."""
    pdf = ReceiptPDF(orientation="P", unit="mm", format="A4")
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(True, margin=22)
    _FONTS.attach(pdf)
    pdf.set_text_shaping(True)
    pdf.set_fallback_fonts([FONT_LATIN, FONT_AR], exact_match=False)
    pdf.set_title(title)
    pdf.set_author("Mrasla")
    pdf.set_creator("Mrasla")
    pdf.set_lang("fr-MA")
    return pdf


def qr_matrix(data: str) -> list[list[bool]]:
    """QR modules (error correction M, 4-module quiet zone included, smallest version).

    The mask pattern is fixed (``QR_MASK``) instead of chosen by qrcode's penalty evaluation,
    which builds and scores all eight masked symbols: ~4 ms here, a third of a receipt's
    rendering. Every mask is valid and decodable (ISO/IEC 18004, data masking); the evaluation
    only avoids patterns that can trouble poor scanners, unlikely for a URL printed at 36 mm
    (checked with ``zbarimg`` on rasterised receipts in the tests). The data is one byte-mode
    segment, so the smallest version depends on its length only: ``_version`` asks qrcode once per
    length instead of encoding every receipt's data a second time to find it. The codewords come
    from ``_codewords``; qrcode places them (``data_cache``) and draws the symbol.
    """
    raw = data.encode()
    version = _version(len(raw))
    qr = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M, border=4, mask_pattern=QR_MASK)
    qr.data_cache = _codewords(version, raw)  # no ``add_data``: qrcode encodes its data list only without a cache
    qr.make(fit=False)
    return qr.get_matrix()


@functools.lru_cache(maxsize=256)
def _version(length: int) -> int:
    """The smallest QR version holding ``length`` bytes in byte mode at level M (qrcode's ``best_fit``)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    qr.add_data(QRData(bytes(length), mode=MODE_8BIT_BYTE))
    return qr.best_fit()


_EXP = base.EXP_TABLE[:255] * 2  # α^i up to i = 509 (α^255 = 1): a sum of two logarithms needs no ``% 255``
_LOG = base.LOG_TABLE


@functools.lru_cache(maxsize=64)
def _generator_logs(ec_count: int) -> tuple[int, ...]:
    """log α of the Reed–Solomon generator's coefficients after the leading 1 (qrcode's table; all non-zero)."""
    return tuple(_LOG[c] for c in LUT.rsPoly_LUT[ec_count][1:])


def _ec_bytes(block: list[int], ec_count: int) -> list[int]:
    """The block's error-correction codewords: the remainder of its division by the generator.

    What qrcode's ``Polynomial.__mod__`` computes, as the usual shift register over log/antilog
    tables: qrcode builds a new polynomial object per step, about 1 ms of each receipt's CPU."""
    generator = _generator_logs(ec_count)
    remainder = [0] * ec_count
    for byte in block:
        factor = byte ^ remainder[0]
        del remainder[0]
        remainder.append(0)
        if factor:
            f = _LOG[factor]
            remainder = [r ^ _EXP[f + g] for r, g in zip(remainder, generator)]
    return remainder


def _codewords(version: int, data: bytes) -> list[int]:
    """The symbol's codewords for ``data`` as one byte-mode segment at level M: qrcode's
    ``util.create_data`` (header, terminator, padding, blocks, interleaving), with the bit buffer
    as one integer and the division by ``_ec_bytes``. ``tests/unit/test_receipt_qr.py`` checks the
    matrices against qrcode's own encoding."""
    blocks = base.rs_blocks(version, ERROR_CORRECT_M)
    capacity = sum(b.data_count for b in blocks)
    count_bits = length_in_bits(MODE_8BIT_BYTE, version)
    bits = ((MODE_8BIT_BYTE << count_bits | len(data)) << 8 * len(data)) | int.from_bytes(data, "big")
    width = 4 + count_bits + 8 * len(data)
    tail = min(4, capacity * 8 - width)  # terminator: up to four 0 bits
    tail += -(width + tail) % 8  # then 0 bits to a whole byte
    body = list((bits << tail).to_bytes((width + tail) // 8, "big"))
    body = (body + [PAD0, PAD1] * capacity)[:capacity]  # alternating pad codewords to the capacity
    data_blocks, ec_blocks, offset = [], [], 0
    for b in blocks:
        data_blocks.append(body[offset : offset + b.data_count])
        offset += b.data_count
        ec_blocks.append(_ec_bytes(data_blocks[-1], b.total_count - b.data_count))
    return [*_interleave(data_blocks), *_interleave(ec_blocks)]


def _interleave(blocks: list[list[int]]) -> list[int]:
    """Column by column across blocks of possibly unequal length (ISO/IEC 18004 §7.6)."""
    return [blk[i] for i in range(max(map(len, blocks))) for blk in blocks if i < len(blk)]


def draw_qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as vector rectangles (crisp at any zoom, no image encoding cost).

    The operators are written directly (what ``pdf.rect`` writes, without its per-call overhead:
    hundreds of rectangles) inside ``q``/``Q``, so fpdf2's tracked fill colour stays true. A ``cm``
    matrix maps one module to one unit, so each horizontal run of dark modules is four small integers;
    all runs are one path filled once, which leaves no anti-aliasing seam between abutting modules
    (separate fills would need overlapping rectangles).
    """
    matrix = qr_matrix(data)
    module = size / len(matrix) * pdf.k
    top = (pdf.h - y) * pdf.k
    ops = [
        "q",
        convert_to_device_color(255, 255, 255).serialize().lower(),
        f"{x * pdf.k:.2f} {top:.2f} {size * pdf.k:.2f} {-size * pdf.k:.2f} re f",
        convert_to_device_color(0, 0, 0).serialize().lower(),
        f"{module:.5f} 0 0 {-module:.5f} {x * pdf.k:.2f} {top:.2f} cm",
    ]
    for row_index, row in enumerate(matrix):
        line = "".join("1" if dark else "0" for dark in row)
        ops.extend(f"{run.start()} {row_index} {run.end() - run.start()} 1 re" for run in _DARK_RUN.finditer(line))
    ops.append("f\nQ")
    pdf._out("\n".join(ops))
