"""Embedding of the bundled TrueType fonts in the platform's PDFs (receipts, labels, exports).

fpdf2 numbers the glyphs of a document as it meets them and subsets every font with fontTools
when writing (~13 ms per face). Here:

- **Glyph codes are process-wide** (``GlyphCodes``): a glyph (id + the text it stands for) gets
  one code for the life of the process, shared by every document. Content-stream bytes showing
  text then mean the same thing in any document, which is what lets ``text_runs`` reuse them.
  Each document records only *which* glyphs it used (``DocumentGlyphs``, its ``font.subset``).
- **Compact subsets without fontTools** (``FontPruner``): each font file is parsed once into raw
  tables; a subset keeps the used outlines (plus composite components), renumbered, and the
  tables a PDF CIDFontType2 program needs (``head``, ``hhea``, ``maxp``, ``hmtx``, hinting
  ``cvt ``/``fpgm``/``prep``/``gasp``, ``OS/2``, ``name``), an empty ``cmap`` and a format 3
  ``post``.
  Layout tables (GSUB/GPOS/GDEF) are dropped as fpdf2 does: shaping happened before embedding.
  Font names are untouched (unmodified glyph data of the bundled OFL fonts, as in any subset).
- **Embedded fonts are cached by glyph set** (``_embedded``): program, CIDToGIDMap, widths and
  ToUnicode, compressed. Latin faces embed a fixed repertoire (``BASE_TEXT``: ASCII, Latin-1,
  French punctuation, ~200 glyphs) whenever a document's glyphs fit in it, so most documents
  share one cached entry; the price is a few kB per face and document.

Fonts are written from ``embedded_font`` by ``receipt_pdf`` (receipts) and by
``ReceiptOutputProducer``, which replaces fpdf2's ``_add_fonts`` for the other documents whose
fonts are all registered here (labels, bordereaux, exports) and otherwise defers to fpdf2. Tied to fpdf2 2.8.x
internals (``TTFFont``,
``SubsetMap``, ``OutputProducer``); the receipt tests render, extract, rasterise and check the
PDFs, so a change there fails loudly.
"""

from __future__ import annotations

import copy
import logging
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fpdf.enums import PDFResourceType
from fpdf.fonts import CoreFont, Glyph, SubsetMap, TTFFont
from fpdf.output import CIDSystemInfo, OutputProducer, PDFFont, _build_cmap_blocks, _cid_font_widths
from fpdf.syntax import Name, PDFArray, PDFContentStream

log = logging.getLogger(__name__)

_KEEP = (b"OS/2", b"cvt ", b"fpgm", b"gasp", b"head", b"hhea", b"maxp", b"name", b"prep")
# cmap format 4 with only the mandatory 0xFFFF end segment: valid, maps nothing (the PDF maps
# codes to glyphs through CIDToGIDMap).
_EMPTY_CMAP = struct.pack(">HHHHIHHHHHHHHHH", 0, 1, 3, 1, 12, 4, 24, 0, 2, 2, 0, 0, 0xFFFF, 0, 0xFFFF) + struct.pack(
    ">HH", 1, 0
)
# Glyph codes are written as UTF-16 code units by fpdf2: stay below the surrogate range.
_MAX_CODE = 0xD7FF
# Characters a Latin face always embeds (see module docstring): printable ASCII, Latin-1
# Supplement, and French typography.
BASE_TEXT = "".join(map(chr, range(0x20, 0x7F))) + "".join(map(chr, range(0xA0, 0x100))) + "ŒœŸ‘’“”«»‹›–—…·•€"
_CACHE_MAX = 128


def _checksum(data: bytes) -> int:
    if len(data) % 4:
        data += b"\0" * (4 - len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


class FontPruner:
    """One TrueType file parsed into raw tables; ``program(gids)`` builds a compact subset."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        num_tables = struct.unpack_from(">H", data, 4)[0]
        tables: dict[bytes, bytes] = {}
        for i in range(num_tables):
            tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
            tables[tag] = data[offset : offset + length]
        if b"glyf" not in tables:
            raise ValueError(f"{path.name}: only TrueType (glyf) fonts are supported")
        head = bytearray(tables[b"head"])
        long_loca = struct.unpack_from(">h", head, 50)[0] == 1
        self.num_glyphs = struct.unpack_from(">H", tables[b"maxp"], 4)[0]
        n = self.num_glyphs + 1
        if long_loca:
            offsets = struct.unpack_from(f">{n}I", tables[b"loca"])
        else:
            offsets = tuple(2 * o for o in struct.unpack_from(f">{n}H", tables[b"loca"]))
        glyf = tables[b"glyf"]
        self.glyphs = [glyf[offsets[g] : offsets[g + 1]] for g in range(self.num_glyphs)]
        # Composite glyphs: byte offsets of their component glyph ids (renumbered per subset).
        self.components = {
            g: self._component_offsets(body)
            for g, body in enumerate(self.glyphs)
            if len(body) >= 10 and struct.unpack_from(">h", body, 0)[0] < 0
        }
        num_hmetrics = struct.unpack_from(">H", tables[b"hhea"], 34)[0]
        hmtx = tables[b"hmtx"]
        last_advance = hmtx[4 * (num_hmetrics - 1) : 4 * num_hmetrics - 2]
        self.metrics = [
            hmtx[4 * g : 4 * g + 4]
            if g < num_hmetrics
            else last_advance + hmtx[2 * (num_hmetrics + g) : 2 * (num_hmetrics + g) + 2]
            for g in range(self.num_glyphs)
        ]
        struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, recomputed per program
        struct.pack_into(">h", head, 50, 1)  # indexToLocFormat: long offsets
        tables[b"head"] = bytes(head)
        post = tables[b"post"]  # format 3.0: no glyph names; metrics kept
        tables[b"post"] = struct.pack(">I", 0x00030000) + post[4:32]
        tables[b"cmap"] = _EMPTY_CMAP
        self.static = {tag: tables[tag] for tag in (*_KEEP, b"cmap", b"post") if tag in tables}
        self.static_sums = {tag: _checksum(t) for tag, t in self.static.items()}

    @staticmethod
    def _component_offsets(data: bytes) -> tuple[int, ...]:
        found, pos = [], 10
        while True:
            flags = struct.unpack_from(">H", data, pos)[0]
            found.append(pos + 2)
            pos += 4 + (4 if flags & 0x0001 else 2)
            if flags & 0x0008:
                pos += 2
            elif flags & 0x0040:
                pos += 4
            elif flags & 0x0080:
                pos += 8
            if not flags & 0x0020:
                return tuple(found)

    def _component_ids(self, g: int) -> list[int]:
        body = self.glyphs[g]
        return [struct.unpack_from(">H", body, o)[0] for o in self.components.get(g, ())]

    def program(self, gids: set[int]) -> tuple[bytes, dict[int, int]]:
        """A font program with only ``gids`` (+ .notdef and composite components), renumbered
        in id order; returns it with the old → new glyph id map."""
        keep, todo = set(), [0, *gids]
        while todo:
            g = todo.pop()
            if g in keep or not 0 <= g < self.num_glyphs:
                continue
            keep.add(g)
            todo.extend(self._component_ids(g))
        order = sorted(keep)
        new_id = {g: i for i, g in enumerate(order)}
        parts, loca, pos = [], [], 0
        for g in order:
            body = self.glyphs[g]
            if g in self.components:
                patched = bytearray(body)
                for offset in self.components[g]:
                    struct.pack_into(">H", patched, offset, new_id[struct.unpack_from(">H", body, offset)[0]])
                body = bytes(patched)
            body += b"\0" * (-len(body) % 4)
            loca.append(pos)
            parts.append(body)
            pos += len(body)
        loca.append(pos)
        tables = dict(self.static)
        count = len(order)
        maxp = self.static[b"maxp"]
        tables[b"maxp"] = maxp[:4] + struct.pack(">H", count) + maxp[6:]
        tables[b"hhea"] = self.static[b"hhea"][:34] + struct.pack(">H", count)
        tables[b"glyf"] = b"".join(parts)
        tables[b"loca"] = struct.pack(f">{len(loca)}I", *loca)
        tables[b"hmtx"] = b"".join(self.metrics[g] for g in order)
        return self._sfnt(tables), new_id

    def _sfnt(self, tables: dict[bytes, bytes]) -> bytes:
        tags = sorted(tables)
        n = len(tags)
        entry_selector = n.bit_length() - 1
        search_range = 16 << entry_selector
        header = bytearray(struct.pack(">IHHHH", 0x00010000, n, search_range, entry_selector, n * 16 - search_range))
        offset = 12 + 16 * n
        body, total = [], 0
        head_offset = 0
        for tag in tags:
            data = tables[tag]
            static = self.static.get(tag)
            csum = self.static_sums[tag] if data is static else _checksum(data)
            header += struct.pack(">4sIII", tag, csum, offset, len(data))
            if tag == b"head":
                head_offset = offset
            padded = data + b"\0" * (-len(data) % 4)
            body.append(padded)
            offset += len(padded)
            total += csum
        font = header + b"".join(body)
        total = (total + _checksum(bytes(header))) & 0xFFFFFFFF
        struct.pack_into(">I", font, head_offset + 8, (0xB1B0AFBA - total) & 0xFFFFFFFF)
        return bytes(font)


class GlyphCodes:
    """The process-wide glyph → code table of one font face (thread-safe).

    fpdf2's own ``SubsetMap`` assigns the codes (same reserved values, same ``Glyph`` identity:
    a glyph id together with the text it stands for), just once per process instead of once
    per document. Codes are never reassigned, so cached content bytes stay valid.
    """

    def __init__(self, font: TTFFont) -> None:
        self._map = SubsetMap(font)
        self._lock = threading.Lock()

    def get_glyph(self, *args, **kwargs) -> Glyph | None:
        return self._map.get_glyph(*args, **kwargs)

    def code(self, glyph: Glyph) -> int:
        with self._lock:
            code = self._map.pick_glyph(glyph)
        if code is None or code > _MAX_CODE:
            raise ValueError(f"no glyph code available for {glyph!r}")
        return code


class DocumentGlyphs:
    """``font.subset`` of one document: the glyphs it used, with their process-wide codes.

    Implements the part of ``SubsetMap`` fpdf2 calls while laying out and writing text.
    """

    def __init__(self, codes: GlyphCodes) -> None:
        self.codes = codes
        self.used: dict[Glyph, int] = {}
        self.missing: list[int] = []

    def get_glyph(self, *args, **kwargs) -> Glyph | None:
        return self.codes.get_glyph(*args, **kwargs)

    def pick(self, unicode: int) -> int | None:
        glyph = self.codes.get_glyph(unicode=unicode)
        if glyph is None:
            if unicode not in self.missing:
                self.missing.append(unicode)
            return None
        return self.pick_glyph(glyph)

    def pick_glyph(self, glyph: Glyph | None) -> int | None:
        if glyph is None:
            return None
        code = self.used.get(glyph)
        if code is None:
            code = self.used[glyph] = self.codes.code(glyph)
        return code

    def text_codes(self, text: str) -> str:
        """``text`` as the codes of its characters' glyphs, as fpdf2 writes unshaped text; each
        character must be in the font (``text_runs`` checks the cmap first)."""
        codes = []
        for c in text:
            code = self.pick(ord(c))
            if code is None:
                raise ValueError(f"no glyph for {c!r}")
            codes.append(chr(code))
        return "".join(codes)

    def add(self, glyphs: Mapping[Glyph, int]) -> None:
        """Record glyphs drawn by reused content (``text_runs``)."""
        self.used.update(glyphs)

    def items(self):
        return self.used.items()

    def __len__(self) -> int:
        return len(self.used)


@dataclass(frozen=True)
class _Registered:
    pruner: FontPruner
    codes: GlyphCodes
    base: dict[Glyph, int]  # the BASE_TEXT repertoire for Latin faces, else empty


_REGISTERED: dict[str, _Registered] = {}  # by fpdf2 fontkey; filled once, then read-only


def register(font: TTFFont, path: Path) -> None:
    """Parse ``path`` for ``font`` (call once per face, before documents use it)."""
    codes = GlyphCodes(font)
    base = {}
    if all(ord(c) in font.cmap for c in "AZaz09"):  # a Latin face
        glyphs = (codes.get_glyph(unicode=ord(c)) for c in BASE_TEXT if ord(c) in font.cmap)
        base = {g: codes.code(g) for g in glyphs if g is not None}
    _REGISTERED[font.fontkey] = _Registered(FontPruner(path), codes, base)


def document_glyphs(fontkey: str) -> DocumentGlyphs:
    return DocumentGlyphs(_REGISTERED[fontkey].codes)


def subset_of(font: CoreFont | TTFFont) -> DocumentGlyphs:
    """``font.subset`` of a document's registered font: ``receipt_layout`` replaces fpdf2's
    ``SubsetMap`` (which fpdf2's types declare) with the document's ``DocumentGlyphs``."""
    subset = font.subset if isinstance(font, TTFFont) else None
    if not isinstance(subset, DocumentGlyphs):
        raise TypeError(f"font {font.fontkey!r} is not registered here (no DocumentGlyphs)")
    return subset


@dataclass(frozen=True)
class _EmbeddedFont:
    """Everything per font that depends only on the embedded glyph set, compressed."""

    widths: str
    to_unicode: bytes
    cid_to_gid: bytes
    program: bytes
    program_length: int


_CACHE: OrderedDict[tuple, _EmbeddedFont] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _embedded(fontkey: str, used: dict[Glyph, int]) -> _EmbeddedFont:
    """The embedded form of ``used`` glyphs (or of the face's base repertoire, when they fit).

    Cached (LRU, ``_CACHE_MAX`` entries) under a lock; entries are immutable bytes, so
    documents written concurrently share them safely.
    """
    reg = _REGISTERED[fontkey]
    glyphs = reg.base if used and reg.base and used.keys() <= reg.base.keys() else used
    key = (fontkey, frozenset(glyphs.values()))
    with _CACHE_LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    program, new_id = reg.pruner.program({g.glyph_id for g in glyphs})
    cid_to_gid = bytearray(2 * (max(glyphs.values(), default=0) + 1))
    for glyph, code in glyphs.items():
        struct.pack_into(">H", cid_to_gid, 2 * code, new_id[glyph.glyph_id])
    bfchar = [
        f"<{code:04X}> <{''.join(_format_code(c) for c in glyph.unicode)}>\n"
        for glyph, code in sorted(glyphs.items(), key=lambda item: item[1])
        if isinstance(glyph.unicode, tuple) and glyph.unicode
    ]
    to_unicode = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo\n<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{_build_cmap_blocks(bfchar, 'bfchar')}"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    )
    entry = _EmbeddedFont(
        widths=_cid_font_widths({code: glyph.glyph_width for glyph, code in glyphs.items()}),
        to_unicode=zlib.compress(to_unicode.encode("latin-1")),
        cid_to_gid=zlib.compress(bytes(cid_to_gid)),
        program=zlib.compress(program),
        program_length=len(program),
    )
    with _CACHE_LOCK:
        _CACHE[key] = entry
        while len(_CACHE) > _CACHE_MAX:
            _CACHE.popitem(last=False)
    return entry


def _format_code(unicode: int) -> str:
    if unicode > 0xFFFF:
        high = 0xD800 | (unicode - 0x10000) >> 10
        low = 0xDC00 | (unicode & 0x3FF)
        return f"{high:04X}{low:04X}"
    return f"{unicode:04X}"


def embedded_font(font: TTFFont) -> _EmbeddedFont:
    """The embedded form of a document's font (a ``DocumentGlyphs`` subset), logging the
    characters it could not show as fpdf2 does."""
    subset = subset_of(font)
    if subset.missing:
        log.warning(
            "Font MPDFAA+%s is missing the following glyphs: %s",
            font.name,
            ", ".join(repr(chr(x)) for x in list(dict.fromkeys(subset.missing))[:10]),
        )
    return _embedded(font.fontkey, subset.used)


def referenced_fonts(pdf) -> list[TTFFont]:
    """The document's fonts that some page refers to, in resource-name order; all of them
    when fpdf2 writes a single resource dictionary."""
    fonts = sorted(pdf.fonts.values(), key=lambda font: font.i)
    if pdf.single_resources_object:
        return fonts
    catalog = pdf._resource_catalog
    used = {
        int(i)
        for page in range(1, pdf.pages_count + 1)
        for i in catalog.get_resources_per_page(page, PDFResourceType.FONT)
    }
    return [font for font in fonts if font.i in used]


class _CompressedStream(PDFContentStream):
    def __init__(self, compressed: bytes) -> None:
        super().__init__(contents=compressed, compress=False)
        self.filter = Name("FlateDecode")


class _CompressedFontFile(_CompressedStream):
    def __init__(self, compressed: bytes, length1: int) -> None:
        super().__init__(compressed)
        self.length1 = length1


class ReceiptOutputProducer(OutputProducer):
    """fpdf2's producer with ``_add_fonts`` writing the registered fonts from ``_embedded``.

    Objects and dictionaries are the ones fpdf2 2.8 writes for a TrueType CID font
    (Type0 + CIDFontType2 + ToUnicode + CIDSystemInfo + FontDescriptor + CIDToGIDMap +
    FontFile2); only the font program and the glyph codes are produced differently.
    """

    def _add_fonts(self, image_objects_per_index, gfxstate_objs_per_name, pattern_objs_per_name):
        fonts = sorted(self.fpdf.fonts.values(), key=lambda font: font.i)
        if not all(isinstance(f, TTFFont) and isinstance(f.subset, DocumentGlyphs) for f in fonts):
            return super()._add_fonts(image_objects_per_index, gfxstate_objs_per_name, pattern_objs_per_name)
        font_objs_per_index = {}
        for font in referenced_fonts(self.fpdf):
            fontname = f"MPDFAA+{font.name}"
            embedded = embedded_font(font)

            composite = PDFFont(subtype="Type0", base_font=fontname, encoding="Identity-H")
            self._add_pdf_obj(composite, "fonts")
            font_objs_per_index[font.i] = composite
            cid_font = PDFFont(
                subtype="CIDFontType2", base_font=fontname, d_w=font.desc.missing_width, w=embedded.widths
            )
            self._add_pdf_obj(cid_font, "fonts")
            composite.descendant_fonts = PDFArray([cid_font])

            to_unicode = _CompressedStream(embedded.to_unicode)
            self._add_pdf_obj(to_unicode, "fonts")
            composite.to_unicode = to_unicode

            system_info = CIDSystemInfo()
            self._add_pdf_obj(system_info, "fonts")
            cid_font.c_i_d_system_info = system_info

            descriptor = copy.copy(font.desc)  # the prototype's is shared between documents
            descriptor.font_name = Name(fontname)
            self._add_pdf_obj(descriptor, "fonts")
            cid_font.font_descriptor = descriptor

            cid_to_gid = _CompressedStream(embedded.cid_to_gid)
            self._add_pdf_obj(cid_to_gid, "fonts")
            cid_font.c_i_d_to_g_i_d_map = cid_to_gid

            stream = _CompressedFontFile(embedded.program, embedded.program_length)
            self._add_pdf_obj(stream, "fonts")
            # fpdf2 types the descriptor without its optional /FontFile2 entry and sets it the same way
            descriptor.font_file2 = stream  # type: ignore[attr-defined]
        return font_objs_per_index
