"""Receipt PDFs written in one pass, sealed or not.

Issuing a receipt used to mean: fpdf2 serialises the laid-out document (generic objects, ~2 ms
a page), then pyHanko parses that file back, builds the signature objects and appends them as
an incremental update (~4 ms); together more than the cryptography itself. A receipt's object
graph is small and fixed, so it is written here directly, once:

- what fpdf2 laid out: page content streams (``receipts`` draws with fpdf2 and ``text_runs``)
  and the bundled fonts (``font_embed``), with the catalog, page tree and document information
  fpdf2 writes for the same document;
- when sealed, what pyHanko's ``PdfSigner`` writes for a visible, certified PAdES B-T
  signature: the signature field/widget (its text is drawn in the page by ``receipts``, with the
  document's embedded fonts; the widget's appearance is an empty form), the signature dictionary with its DocMDP
  reference (FILL_FORMS), the catalog's
  ``/Perms`` and ``/AcroForm`` and the PDF 2.0 / ETSI extension declarations. The ByteRange
  covers the whole file: a single revision, signed entirely. No DSS: validation data must be
  produced after the signature timestamp, so it comes later, with the document timestamp that
  makes the receipt B-LTA (``ltv``, run by the background job).

Every receipt is PDF/A-3b (ISO 19005-3): XMP metadata mirroring the document information, an sRGB
output intent, every font embedded (the seal's text is drawn in the page with the document's fonts),
and the deposit's registration data as an associated file (``evidence.json``, /AFRelationship /Data)
so the evidence travels inside the receipt in machine-readable form.

The CMS container is pyHanko's (``Signer.async_sign``: signed attributes, signature, RFC 3161
token from the platform TSA); only its hex encoding is placed into ``/Contents`` here.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import fpdf
from fpdf import FPDF
from fpdf.fonts import TTFFont
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.version import __version__ as pyhanko_version

from mrasla_app.documents import font_embed
from mrasla_app.pki.signing import (
    CMS_BYTES_RESERVED,
    load_or_create_pki,
    presign_validation,
    seal_signer,
    timestamper,
)
from mrasla_app.pki.tsa import InProcessTimeStamper

# pyHanko rewrites the XMP producer as this when it appends the B-LTA update and leaves /Info alone:
# the same string in both keeps them in agreement (PDF/A) before and after.
PRODUCER = f"pyHanko {pyhanko_version}"
_BYTE_RANGE_PLACEHOLDER = b"/ByteRange [0 0000000000 0000000000 0000000000]"
# sRGB IEC61966-2.1 profile shipped with fpdf2 (licence next to it), the receipts' output intent.
_SRGB_ICC_FLATE = zlib.compress((Path(fpdf.__file__).parent / "data" / "color_profiles" / "sRGB2014.icc").read_bytes())
EVIDENCE_NAME = "evidence.json"
# What pyHanko declares when it writes an ECDSA PAdES signature (ISO 32002, ETSI ESIC), without its
# catalog /Version 2.0: a PDF/A-3 file is a PDF 1.7 one, the extensions say what it adds.
_EXTENSIONS = (
    b"/Extensions << /ESIC << /Type /DeveloperExtensions "
    b"/BaseVersion /1.7 /ExtensionLevel 1 >> /ISO_ [ << /Type /DeveloperExtensions "
    b"/BaseVersion /2.0 /ExtensionLevel 32002 "
    b"/URL (https://www.iso.org/standard/45875.html) /ExtensionRevision (:2022) >> ] >>"
)


@dataclass(frozen=True)
class Seal:
    """The visible platform seal: field name, 0-based page, box in PDF points (x1, y1, x2, y2)
    and the signature's reason."""

    field_name: str
    page: int
    box: tuple[float, float, float, float]
    reason: str


def _literal(text: str) -> bytes:
    """A PDF text string: literal when ASCII, else UTF-16BE with BOM (as fpdf2 writes)."""
    if text.isascii():
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return b"(" + escaped.encode("ascii") + b")"
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _date(when: datetime) -> bytes:
    return when.astimezone(timezone.utc).strftime("(D:%Y%m%d%H%M%SZ)").encode()


def _num(value: float) -> bytes:
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".")


class _Body:
    """Objects numbered in advance and serialised as they are added, offsets kept for xref."""

    def __init__(self, version: bytes) -> None:
        self.parts = [b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n"]
        self.size = len(self.parts[0])
        self.offsets: list[int | None] = [None]

    def reserve(self) -> int:
        self.offsets.append(None)
        return len(self.offsets) - 1

    def put(self, num: int, body: bytes) -> int:
        chunk = b"%d 0 obj\n%s\nendobj\n" % (num, body)
        self.offsets[num] = self.size
        self.parts.append(chunk)
        self.size += len(chunk)
        return num

    def add(self, body: bytes) -> int:
        return self.put(self.reserve(), body)

    def stream(self, data: bytes, entries: bytes = b"", compressed: bool = True) -> int:
        filt = b" /Filter /FlateDecode" if compressed else b""
        return self.add(b"<<%s%s /Length %d >>\nstream\n%s\nendstream" % (entries, filt, len(data), data))

    def finish(self, root: int, info: int) -> bytes:
        xref_at = self.size
        rows = [b"0000000000 65535 f \n"] + [b"%010d 00000 n \n" % o for o in self.offsets[1:]]  # type: ignore[str-format]  # all written by now
        file_id = os.urandom(16).hex().encode()
        self.parts.append(b"xref\n0 %d\n%s" % (len(self.offsets), b"".join(rows)))
        self.parts.append(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n"
            b"startxref\n%d\n%%%%EOF\n" % (len(self.offsets), root, info, file_id, file_id, xref_at)
        )
        return b"".join(self.parts)


def _ref(num: int) -> bytes:
    return b"%d 0 R" % num


def _subset_tag(font_name: str, program: bytes) -> bytes:
    """Six capital letters naming this subset (ISO 32000 9.6.4): distinct per font and per glyph
    set, where fpdf2 tags every subset ``MPDFAA``."""
    digest = hashlib.sha256(font_name.encode() + program).digest()
    return bytes(65 + b % 26 for b in digest[:6])


def _write_font(body: _Body, font: TTFFont) -> int:
    """The objects fpdf2 writes for a TrueType CID font, from ``font_embed``'s cached parts."""
    embedded = font_embed.embedded_font(font)
    name = b"/" + _subset_tag(font.name, embedded.program) + b"+" + font.name.encode()
    desc = font.desc
    program = body.stream(embedded.program, b" /Length1 %d" % embedded.program_length)
    descriptor = body.add(
        b"<< /Type /FontDescriptor /FontName %s /Ascent %s /Descent %s /CapHeight %s "
        b"/Flags %d /FontBBox %s /ItalicAngle %d /StemV %s /MissingWidth %s /FontFile2 %s >>"
        % (
            name,
            _num(desc.ascent),
            _num(desc.descent),
            _num(desc.cap_height),
            desc.flags.value,
            desc.font_b_box.encode(),
            desc.italic_angle,
            _num(desc.stem_v),
            _num(desc.missing_width),
            _ref(program),
        )
    )
    cid_to_gid = body.stream(embedded.cid_to_gid)
    cid_font = body.add(
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont %s /CIDSystemInfo << /Registry "
        b"(Adobe) /Ordering (UCS) /Supplement 0 >> /FontDescriptor %s /CIDToGIDMap %s "
        b"/DW %s /W %s >>"
        % (name, _ref(descriptor), _ref(cid_to_gid), _num(desc.missing_width), embedded.widths.encode())
    )
    to_unicode = body.stream(embedded.to_unicode)
    return body.add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont %s /Encoding /Identity-H "
        b"/DescendantFonts [%s] /ToUnicode %s >>" % (name, _ref(cid_font), _ref(to_unicode))
    )


@dataclass(frozen=True)
class _SealObjects:
    """What only a sealed receipt contains, prepared before the file is written."""

    seal: Seal
    signature: bytes  # the /Sig dictionary, ByteRange and Contents as placeholders


@dataclass
class _Document:
    """The written file and where its signature placeholders are (when sealed)."""

    data: bytes
    contents_at: int = 0  # offset of the '<' opening /Contents
    byte_range_at: int = 0


def _finished_pages(pdf: FPDF) -> list[bytes]:
    """Page content streams, the last page's footer drawn as fpdf2's ``output`` would (once:
    writing consumes the document)."""
    if pdf.page == 0:
        pdf.add_page()
    pdf._render_footer()
    return [bytes(pdf.pages[n].contents) for n in range(1, pdf.pages_count + 1)]  # type: ignore[arg-type]  # a bytearray until output


def _write_seal(body: _Body, sealed: _SealObjects, page_num: int) -> tuple[int, int, bytes]:
    """Field/widget, appearance, signature dictionary and AcroForm; returns the widget,
    the signature dictionary and the catalog entries that point to them."""
    sig_num, widget_num = body.reserve(), body.reserve()
    x1, y1, x2, y2 = sealed.seal.box
    appearance = body.stream(
        b"",
        b" /Type /XObject /Subtype /Form /BBox [0 0 %s %s] /Resources << >>" % (_num(abs(x2 - x1)), _num(abs(y2 - y1))),
        compressed=False,
    )
    body.put(
        widget_num,
        b"<< /Type /Annot /Subtype /Widget /FT /Sig /T %s /F 132 "
        b"/Rect [%s %s %s %s] /P %s /AP << /N %s >> /V %s >>"
        % (
            _literal(sealed.seal.field_name),
            _num(x1),
            _num(y1),
            _num(x2),
            _num(y2),
            _ref(page_num),
            _ref(appearance),
            _ref(sig_num),
        ),
    )
    body.put(sig_num, sealed.signature)
    acroform = body.add(b"<< /Fields [%s] /SigFlags 3 >>" % _ref(widget_num))
    catalog_entries = b" /AcroForm %s /Perms << /DocMDP %s >> %s" % (_ref(acroform), _ref(sig_num), _EXTENSIONS)
    return widget_num, sig_num, catalog_entries


def _xmp(pdf: FPDF, created: datetime) -> bytes:
    """XMP packet mirroring the /Info dictionary (PDF/A requires both to agree)."""
    stamp = created.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(pdf.title or "")}</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>{escape(str(pdf.author or ""))}</rdf:li></rdf:Seq></dc:creator>
<xmp:CreatorTool>{escape(pdf.creator or "")}</xmp:CreatorTool>
<xmp:CreateDate>{stamp}</xmp:CreateDate><xmp:ModifyDate>{stamp}</xmp:ModifyDate>
<xmp:MetadataDate>{stamp}</xmp:MetadataDate>
<pdf:Producer>{escape(PRODUCER)}</pdf:Producer>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>""".encode()


def _write_pdfa(body: _Body, pdf: FPDF, created: datetime, evidence: bytes | None) -> bytes:
    """Metadata, output intent and the associated evidence file; returns catalog entries."""
    metadata = body.stream(_xmp(pdf, created), b" /Type /Metadata /Subtype /XML", compressed=False)
    profile = body.stream(_SRGB_ICC_FLATE, b" /N 3")
    entries = (
        b" /Metadata %s /OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1 "
        b"/OutputConditionIdentifier (sRGB IEC61966-2.1) /Info (sRGB IEC61966-2.1) "
        b"/DestOutputProfile %s >>]" % (_ref(metadata), _ref(profile))
    )
    if evidence is None:
        return entries
    data = body.stream(
        zlib.compress(evidence),
        b" /Type /EmbeddedFile /Subtype /application#2Fjson "
        b"/Params << /Size %d /ModDate %s >>" % (len(evidence), _date(created)),
    )
    name = _literal(EVIDENCE_NAME)
    spec = body.add(
        b"<< /Type /Filespec /F %s /UF %s /AFRelationship /Data /Desc %s /EF << /F %s "
        b"/UF %s >> >>" % (name, name, _literal("Deposit registration data"), _ref(data), _ref(data))
    )
    return entries + (b" /AF [%s] /Names << /EmbeddedFiles << /Names [%s %s] >> >>" % (_ref(spec), name, _ref(spec)))


def _write(pdf: FPDF, sealed: _SealObjects | None, evidence: bytes | None = None) -> _Document:
    body = _Body(b"1.7")
    pages_num, catalog_num = body.reserve(), body.reserve()
    contents = _finished_pages(pdf)
    font_refs = b" ".join(
        b"/F%d %s" % (font.i, _ref(_write_font(body, font))) for font in font_embed.referenced_fonts(pdf)
    )
    resources = body.add(b"<< /Font << %s >> /ProcSet [/PDF /Text /ImageB /ImageC /ImageI] >>" % font_refs)
    page_nums = [body.reserve() for _ in contents]
    annots, seal_entries, sig_num = {}, b"", 0
    if sealed is not None:
        widget, sig_num, seal_entries = _write_seal(body, sealed, page_nums[sealed.seal.page])
        annots[sealed.seal.page] = b" /Annots [%s]" % _ref(widget)
    for index, (num, content) in enumerate(zip(page_nums, contents)):
        stream = body.stream(zlib.compress(content))
        body.put(
            num,
            b"<< /Type /Page /Parent %s /Resources %s /Contents %s /Group << /Type "
            b"/Group /S /Transparency /CS /DeviceRGB >>%s >>"
            % (_ref(pages_num), _ref(resources), _ref(stream), annots.get(index, b"")),
        )
    body.put(
        pages_num,
        b"<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 %.2f %.2f] >>"
        % (b" ".join(map(_ref, page_nums)), len(page_nums), pdf.w * pdf.k, pdf.h * pdf.k),
    )
    pdfa_entries = _write_pdfa(body, pdf, pdf.creation_date, evidence)
    body.put(
        catalog_num,
        b"<< /Type /Catalog /Pages %s /Lang %s /OpenAction [%s /FitH null] "
        b"/PageLayout /OneColumn%s%s >>"
        % (_ref(pages_num), _literal(pdf.lang or ""), _ref(page_nums[0]), seal_entries, pdfa_entries),
    )
    info = body.add(
        b"<< /Title %s /Author %s /Creator %s /Producer %s /CreationDate %s >>"
        % (
            _literal(pdf.title or ""),
            _literal(str(pdf.author or "")),
            _literal(pdf.creator or ""),
            _literal(PRODUCER),
            _date(pdf.creation_date),
        )
    )
    data = body.finish(catalog_num, info)
    if sealed is None:
        return _Document(data)
    sig_at = body.offsets[sig_num]  # placeholders are looked up in the signature object only
    return _Document(
        data, data.index(b"/Contents <", sig_at) + len(b"/Contents "), data.index(_BYTE_RANGE_PLACEHOLDER, sig_at)
    )


def write_unsigned(pdf: FPDF, evidence: bytes | None = None) -> bytes:
    """The document as a PDF/A-3b (what fpdf2's ``output`` would produce, fonts from
    ``font_embed``), ``evidence`` (JSON) attached as its associated file."""
    return _write(pdf, None, evidence).data


async def async_write_sealed(
    pdf: FPDF, seal: Seal, signed_at: datetime | None = None, evidence: bytes | None = None
) -> bytes:
    """The document sealed by the platform: visible, certified (DocMDP FILL_FORMS), PAdES B-T.

    Same checks as ``signing.async_seal_pdf``: the seal certificate and the TSA are validated
    against the platform root and CRL first (cached, ``SigningError`` when revoked or invalid);
    the CMS holds an RFC 3161 timestamp. ``ltv.async_extend`` later makes it B-LTA.

    ``signed_at`` (whole seconds, already printed on the page): the signature's time and the
    timestamp token's genTime, one clock for both (``InProcessTimeStamper.at``).
    """
    platform = load_or_create_pki()
    signer, ts = seal_signer(platform), timestamper(platform)
    await presign_validation(signer, ts, platform)
    now = signed_at or datetime.now(timezone.utc).replace(microsecond=0)
    signature = (
        b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
        b"%s /Contents <%s> /M %s /Reason %s /Reference [ << /Type /SigRef "
        b"/TransformMethod /DocMDP /TransformParams << /Type /TransformParams /V /1.2 "
        b"/P 2 >> >> ] >>" % (_BYTE_RANGE_PLACEHOLDER, b"0" * CMS_BYTES_RESERVED, _date(now), _literal(seal.reason))
    )
    doc = _write(pdf, _SealObjects(seal, signature), evidence)
    data = bytearray(doc.data)
    start, end = doc.contents_at, doc.contents_at + CMS_BYTES_RESERVED + 2
    byte_range = b"/ByteRange [0 %d %d %d]" % (start, end, len(data) - end)
    data[doc.byte_range_at : doc.byte_range_at + len(_BYTE_RANGE_PLACEHOLDER)] = byte_range.ljust(
        len(_BYTE_RANGE_PLACEHOLDER)
    )
    digest = hashlib.sha256(memoryview(data)[:start])
    digest.update(memoryview(data)[end:])
    cms = await signer.async_sign(
        digest.digest(),
        "sha256",
        use_pades=True,
        timestamper=InProcessTimeStamper(ts.responder, at=now),
        signed_attr_settings=PdfCMSSignedAttributes(signing_time=now),
    )
    hex_cms = cms.dump().hex().encode()
    if len(hex_cms) > CMS_BYTES_RESERVED:
        raise ValueError(f"signature container larger than the space reserved for it ({len(hex_cms)})")
    data[start + 1 : start + 1 + len(hex_cms)] = hex_cms
    return bytes(data)
