"""Fast per-document embedding of the bundled TrueType fonts (receipts).

fpdf2 subsets every embedded font with fontTools when writing a PDF: parse ``glyf``/``post``/
layout tables, prune, recompile, ~13 ms per face and five faces per receipt. Here each font
file is parsed ONCE per process into raw tables, and a document's font program is the original
font with every unused glyph outline emptied ("retain glyph ids" subsetting): glyph ids stay
those HarfBuzz and fpdf2 already used, so the per-document work is slicing bytes of the ``glyf``
table for the ~100 glyphs actually drawn (plus composite components) and writing ``loca``.

Tables kept: the ones a PDF CIDFontType2 program needs (``head``, ``hhea``, ``maxp``, ``hmtx``,
``cvt ``/``fpgm``/``prep``/``gasp`` hinting, ``OS/2``, ``name``) plus a minimal ``cmap`` and a format 3
``post`` (no glyph names). Layout tables (GSUB/GPOS/GDEF) are dropped as fpdf2 does: shaping
happened before embedding. Unused advances in ``hmtx`` are zeroed so they compress away.
The font's names are untouched (unmodified glyph data of the bundled OFL fonts, as with any
PDF subset); nothing is written to disk.

``ReceiptOutputProducer`` replaces fpdf2's ``_add_fonts`` for documents whose fonts are all
registered here and otherwise defers to fpdf2. Tied to fpdf2 2.8.x output internals; the
receipt tests render, extract, rasterise and check the PDFs, so a change there fails loudly.
"""

from __future__ import annotations

import copy
import struct
import zlib
from pathlib import Path

from fpdf.output import CIDSystemInfo, OutputProducer, PDFFontStream, _build_cmap_blocks
from fpdf.output import _tt_font_widths
from fpdf.fonts import TTFFont
from fpdf.syntax import Name, PDFArray, PDFContentStream

_KEEP = (b"OS/2", b"cvt ", b"fpgm", b"gasp", b"head", b"hhea", b"maxp", b"name", b"prep")
# cmap format 4 with only the mandatory 0xFFFF end segment: valid, maps nothing (the PDF maps
# codes to glyphs through CIDToGIDMap).
_EMPTY_CMAP = struct.pack(">HHHHIHHHHHHHHHH", 0, 1, 3, 1, 12,
                          4, 24, 0, 2, 2, 0, 0, 0xFFFF, 0, 0xFFFF) + struct.pack(">HH", 1, 0)
_CIDTOGID_LEN = 256 * 256 * 2


def _checksum(data: bytes) -> int:
    if len(data) % 4:
        data += b"\0" * (4 - len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


class FontPruner:
    """One TrueType file parsed into raw tables; ``program(gids)`` builds a pruned copy."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        num_tables = struct.unpack_from(">H", data, 4)[0]
        tables: dict[bytes, bytes] = {}
        for i in range(num_tables):
            tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
            tables[tag] = data[offset:offset + length]
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
        self.glyphs = [glyf[offsets[g]:offsets[g + 1]] for g in range(self.num_glyphs)]
        self.components = {g: self._components(data) for g, data in enumerate(self.glyphs)
                           if len(data) >= 10 and struct.unpack_from(">h", data, 0)[0] < 0}
        num_hmetrics = struct.unpack_from(">H", tables[b"hhea"], 34)[0]
        self.num_hmetrics = num_hmetrics
        self.hmtx = tables[b"hmtx"]
        struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, recomputed per program
        struct.pack_into(">h", head, 50, 1)  # indexToLocFormat: long offsets
        tables[b"head"] = bytes(head)
        post = tables[b"post"]  # format 3.0: no glyph names; metrics kept
        tables[b"post"] = struct.pack(">I", 0x00030000) + post[4:32]
        tables[b"cmap"] = _EMPTY_CMAP
        self.static = {tag: tables[tag] for tag in (*_KEEP, b"cmap", b"post") if tag in tables}
        self.static_sums = {tag: _checksum(t) for tag, t in self.static.items()}

    @staticmethod
    def _components(data: bytes) -> tuple[int, ...]:
        found, pos = [], 10
        while True:
            flags, gid = struct.unpack_from(">HH", data, pos)
            found.append(gid)
            pos += 4 + (4 if flags & 0x0001 else 2)
            if flags & 0x0008:
                pos += 2
            elif flags & 0x0040:
                pos += 4
            elif flags & 0x0080:
                pos += 8
            if not flags & 0x0020:
                return tuple(found)

    def program(self, gids: set[int]) -> bytes:
        """The font program with outlines only for ``gids`` (+ .notdef and components)."""
        keep, todo = set(), [0, *gids]
        while todo:
            g = todo.pop()
            if g in keep or not 0 <= g < self.num_glyphs:
                continue
            keep.add(g)
            todo.extend(self.components.get(g, ()))
        glyphs = self.glyphs
        loca = [0] * (self.num_glyphs + 1)
        parts, pos = [], 0
        for g in range(self.num_glyphs):
            loca[g] = pos
            if g in keep:
                body = glyphs[g]
                if len(body) % 4:
                    body += b"\0" * (4 - len(body) % 4)
                parts.append(body)
                pos += len(body)
        loca[self.num_glyphs] = pos
        hmtx = bytearray(len(self.hmtx))
        for g in keep:
            if g < self.num_hmetrics:
                hmtx[4 * g:4 * g + 4] = self.hmtx[4 * g:4 * g + 4]
            else:  # left side bearing only
                o = 4 * self.num_hmetrics + 2 * (g - self.num_hmetrics)
                hmtx[o:o + 2] = self.hmtx[o:o + 2]
        if self.num_hmetrics:  # the last advance applies to all following glyphs
            o = 4 * (self.num_hmetrics - 1)
            hmtx[o:o + 2] = self.hmtx[o:o + 2]
        tables = dict(self.static)
        tables[b"glyf"] = b"".join(parts)
        tables[b"loca"] = struct.pack(f">{len(loca)}I", *loca)
        tables[b"hmtx"] = bytes(hmtx)
        return self._sfnt(tables)

    def _sfnt(self, tables: dict[bytes, bytes]) -> bytes:
        tags = sorted(tables)
        n = len(tags)
        entry_selector = n.bit_length() - 1
        search_range = 16 << entry_selector
        header = bytearray(struct.pack(">IHHHH", 0x00010000, n, search_range, entry_selector,
                                       n * 16 - search_range))
        offset = 12 + 16 * n
        body, total = [], 0
        head_offset = 0
        for tag in tags:
            data = tables[tag]
            csum = self.static_sums.get(tag) if tag in self.static else _checksum(data)
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


_PRUNERS: dict[str, FontPruner] = {}  # by fpdf2 fontkey


def register(fontkey: str, path: Path) -> None:
    if fontkey not in _PRUNERS:
        _PRUNERS[fontkey] = FontPruner(path)


class _PrecompressedStream(PDFContentStream):
    def __init__(self, compressed: bytes) -> None:
        super().__init__(contents=compressed, compress=False)
        self.filter = Name("FlateDecode")


def _cid_to_gid_map(code_to_glyph: dict[int, int]) -> PDFContentStream:
    buf = bytearray(_CIDTOGID_LEN)
    for code, gid in code_to_glyph.items():
        buf[2 * code:2 * code + 2] = gid.to_bytes(2, "big")
    return _PrecompressedStream(zlib.compress(bytes(buf), 1))  # mostly zeros


def _format_code(unicode: int) -> str:
    if unicode > 0xFFFF:
        high = 0xD800 | (unicode - 0x10000) >> 10
        low = 0xDC00 | (unicode & 0x3FF)
        return f"{high:04X}{low:04X}"
    return f"{unicode:04X}"


class ReceiptOutputProducer(OutputProducer):
    """fpdf2's producer with ``_add_fonts`` using the pruners above for registered fonts.

    Objects and dictionaries are the ones fpdf2 2.8 writes for a TrueType CID font
    (Type0 + CIDFontType2 + ToUnicode + CIDSystemInfo + FontDescriptor + CIDToGIDMap +
    FontFile2); only the font program is produced differently.
    """

    def _add_fonts(self, image_objects_per_index, gfxstate_objs_per_name,
                   pattern_objs_per_name):
        fonts = sorted(self.fpdf.fonts.values(), key=lambda font: font.i)
        if not all(isinstance(f, TTFFont) and not f.color_font and f.fontkey in _PRUNERS
                   for f in fonts):
            return super()._add_fonts(image_objects_per_index, gfxstate_objs_per_name,
                                      pattern_objs_per_name)
        font_objs_per_index = {}
        for font in fonts:
            fontname = f"MPDFAA+{font.name}"
            if font.missing_glyphs:
                from fpdf.output import LOGGER

                LOGGER.warning("Font %s is missing the following glyphs: %s", fontname,
                               ", ".join(repr(chr(x)) for x in font.missing_glyphs[:10]))
            code_to_glyph = {code: glyph.glyph_id for glyph, code in font.subset.items()
                             if glyph is not None}
            program = _PRUNERS[font.fontkey].program(set(code_to_glyph.values()))

            composite = _pdf_font(subtype="Type0", base_font=fontname, encoding="Identity-H")
            self._add_pdf_obj(composite, "fonts")
            font_objs_per_index[font.i] = composite
            cid_font = _pdf_font(subtype="CIDFontType2", base_font=fontname,
                                 d_w=font.desc.missing_width, w=_tt_font_widths(font))
            self._add_pdf_obj(cid_font, "fonts")
            composite.descendant_fonts = PDFArray([cid_font])

            bfchar = [
                f'<{code:04X}> <{"".join(_format_code(c) for c in glyph.unicode)}>\n'
                for glyph, code in font.subset.items()
                if glyph is not None and isinstance(glyph.unicode, tuple) and glyph.unicode
            ]
            to_unicode = PDFContentStream((
                "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
                "/CIDSystemInfo\n<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
                "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
                "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
                f"{_build_cmap_blocks(bfchar, 'bfchar')}"
                "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
            ).encode("latin-1"))
            self._add_pdf_obj(to_unicode, "fonts")
            composite.to_unicode = to_unicode

            system_info = CIDSystemInfo()
            self._add_pdf_obj(system_info, "fonts")
            cid_font.c_i_d_system_info = system_info

            descriptor = copy.copy(font.desc)  # the prototype's is shared between documents
            descriptor.font_name = Name(fontname)
            self._add_pdf_obj(descriptor, "fonts")
            cid_font.font_descriptor = descriptor

            cid_to_gid = _cid_to_gid_map(code_to_glyph)
            self._add_pdf_obj(cid_to_gid, "fonts")
            cid_font.c_i_d_to_g_i_d_map = cid_to_gid

            stream = PDFFontStream(contents=program)
            self._add_pdf_obj(stream, "fonts")
            descriptor.font_file2 = stream
            font.subset.pick.cache_clear()
            font.subset.get_glyph.cache_clear()
        return font_objs_per_index


def _pdf_font(**kwargs):
    from fpdf.output import PDFFont

    return PDFFont(**kwargs)
