"""Server-side inspection of uploaded files: the browser's ``accept`` and size limits are hints.

Type is decided by content (magic bytes and a real parse), never by the file name or the
declared content type. PDFs are checked by ``pdf_checks`` (opens, not encrypted, page limit, no
active content); JPEG/PNG images must decode within a pixel budget and become one PDF page each; Office documents
(DOCX, XLSX, ODT, ODS) are inspected and converted apart by ``office``. A PDF or image that is also a
ZIP archive, or an image carrying a PDF, is refused (polyglots). The kept
filename is readable (Arabic included) but has no path, control, bidi or zero-width characters,
and ends with the extension of its real type.
"""

from __future__ import annotations

import functools
import hashlib
import io
import struct
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import office, pdf_checks, storage
from mrasla_app.settings import get_settings

MAX_IMAGE_PIXELS = 40_000_000  # ~ a 48-megapixel photo; larger is refused (image bombs)
MAX_JPEG_SCANS = 40  # progressive JPEGs have about 10; each scan is one more pass over every pixel
RENDITION_SIDE = 3508  # pixels on the long side of an A4 page at 300 dpi: enough for the PDF rendition
PDF_MAGIC = b"%PDF-"
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class InspectedFile:
    """An accepted upload: original bytes (hashed on the receipt) and a PDF rendition."""

    filename: str
    content_type: str
    data: bytes
    pdf: bytes  # the same bytes for a PDF; a one-page PDF for an image; the conversion of an Office document
    pages: int

    @functools.cached_property
    def sha256(self) -> str:
        """Of the original bytes, hashed once however many rows and receipt lines name it."""
        return hashlib.sha256(self.data).hexdigest()

    @functools.cached_property
    def pdf_sha256(self) -> str:
        return self.sha256 if self.pdf is self.data else hashlib.sha256(self.pdf).hexdigest()

    @property
    def converted(self) -> bool:
        """An Office document whose PDF was made by conversion: the receipt lists both hashes."""
        return self.content_type in office.EXTENSIONS


EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    **office.EXTENSIONS,
}
KNOWN_EXTENSIONS = frozenset(ext for exts in EXTENSIONS.values() for ext in exts)
MAX_NAME = 120


def safe_filename(name: str, content_type: str | None = None) -> str:
    """Keep a readable name but drop paths, control, format (bidi overrides, zero-width) and line
    separator characters; with ``content_type``, end it with that type's extension (a PDF named
    ``facture<RLO>fdp.exe`` is kept as ``facturefdp.exe.pdf``, a PNG named ``x.jpg`` as ``x.png``)."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    kept = (" " if c.isspace() else c for c in name if c.isspace() or unicodedata.category(c)[0] != "C")
    name = " ".join("".join(kept).split())  # line breaks and spaces: one space; Cc, Cf (bidi), Co, Cs, Cn: none
    stem, ext = name, ""
    if content_type in EXTENSIONS:
        base, dot, suffix = name.rpartition(".")
        if dot and "." + suffix.lower() in EXTENSIONS[content_type]:
            stem, ext = base, "." + suffix
        else:
            stem = base if dot and "." + suffix.lower() in KNOWN_EXTENSIONS else name
            ext = EXTENSIONS[content_type][0]
    stem = stem.strip(" .")[: MAX_NAME - len(ext)].strip(" .") or "document"
    return stem + ext


def is_zip(data: bytes) -> bool:
    """A ZIP archive is read from its end: an end-of-central-directory record (in the last 64 KB)
    whose central directory starts where the record says. A stray ``PK\\5\\6`` in compressed data
    does not count."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return False
    (size,) = struct.unpack_from("<I", data, end + 12)
    if size == 0xFFFFFFFF:  # ZIP64: the real record sits just before its locator
        return data.rfind(b"PK\x06\x06", max(0, end - 76), end) >= 0
    return 0 < size <= end and data.startswith(b"PK\x01\x02", end - size)


def image_to_pdf(data: bytes) -> bytes:
    """One A4-fitted PDF page per image, orientation from EXIF applied."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise DomainError("error.image_too_large")
            if probe.format == "JPEG" and data.count(b"\xff\xda") > MAX_JPEG_SCANS:  # start-of-scan markers
                raise DomainError("error.image_broken")
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            page = ImageOps.exif_transpose(_rendition(img))
            out = io.BytesIO()
            page.save(out, format="PDF", resolution=max(72.0, max(page.size) / 11.69))
            return out.getvalue()
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError("error.image_too_large") from None
    except Exception:  # noqa: BLE001
        raise DomainError("error.image_broken") from None


def _rendition(img: Image.Image) -> Image.Image:
    """The image in RGB (or grayscale), its long side at most ``RENDITION_SIDE``.

    An image at the pixel limit never gets a second full-size copy: a JPEG is decoded at 1/2, 1/4
    or 1/8 scale directly, others are converted and reduced band by band (Pillow's own ``reduce``
    of an image with alpha would first copy all of it)."""
    mode = "L" if img.mode in ("1", "L") else "RGB"
    if img.format == "JPEG" and _reduction(img.size) > 1:
        img.draft(None, (img.width // _reduction(img.size), img.height // _reduction(img.size)))
    factor = _reduction(img.size)
    if factor == 1:
        return img if img.mode == mode else img.convert(mode)
    width, height = img.size
    out = Image.new(mode, (-(-width // factor), -(-height // factor)))
    out.info = dict(img.info)  # EXIF orientation, applied by the caller
    rows = 256 * factor
    for top in range(0, height, rows):
        band = img.crop((0, top, width, min(height, top + rows)))
        out.paste(band.convert(mode).reduce(factor), (0, top // factor))
    return out


def _reduction(size: tuple[int, int]) -> int:
    """The whole factor that brings the long side down to ``RENDITION_SIDE`` (1: small enough)."""
    return -(-max(size) // RENDITION_SIDE)


def inspect(filename: str, data: bytes) -> InspectedFile:
    """Accept a PDF, JPEG, PNG or Office document by its content, or raise a ``DomainError`` saying why not."""
    settings = get_settings()
    name = safe_filename(filename)
    if not data:
        raise DomainError("error.file_empty", name=name)
    if len(data) > settings.max_upload_mb * 1024 * 1024:
        raise DomainError("error.file_too_large", name=name, max=settings.max_upload_mb)
    is_pdf, is_image = data.startswith(PDF_MAGIC), data.startswith(JPEG_MAGIC) or data.startswith(PNG_MAGIC)
    if data.startswith(ZIP_MAGIC) and is_zip(data):
        return _office(filename, name, data)
    if not is_pdf and not is_image:
        raise DomainError("error.file_type", name=name)
    if is_zip(data) or (is_image and PDF_MAGIC in data[:1024]):  # PDF readers look for %PDF- in the first KB
        raise DomainError("error.file_polyglot", name=name)
    if is_pdf:
        pages = pdf_checks.page_count(data, settings.max_pages, name)
        return InspectedFile(safe_filename(filename, "application/pdf"), "application/pdf", data, data, pages)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        pdf = image_to_pdf(data)
    ctype = "image/jpeg" if data.startswith(JPEG_MAGIC) else "image/png"
    return InspectedFile(safe_filename(filename, ctype), ctype, data, pdf, 1)


def _office(filename: str, name: str, data: bytes) -> InspectedFile:
    """An Office document: refused unless clean, then its PDF rendition checked like an uploaded PDF."""
    if PDF_MAGIC in data[:1024]:  # a ZIP that PDF readers would also open
        raise DomainError("error.file_polyglot", name=name)
    kind = office.inspect(name, data)
    pdf = office.to_pdf(name, data, kind)
    pages = pdf_checks.page_count(pdf, get_settings().max_pages, name)
    return InspectedFile(safe_filename(filename, kind.content_type), kind.content_type, data, pdf, pages)


def inspect_and_store(items: list[tuple[str, bytes]]) -> list[InspectedFile]:
    """Check every file first (the first refusal raises, nothing stored), then store each one and its
    PDF rendition durably — before the transaction's rows reference them."""
    accepted = [inspect(name, data) for name, data in items]
    for f in accepted:
        storage.put(f.data)
        if f.pdf is not f.data:
            storage.put(f.pdf)
    return accepted
