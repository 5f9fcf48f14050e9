"""Server-side inspection of uploaded files: the browser's ``accept`` and size limits are hints.

Type is decided by content (magic bytes and a real parse), never by the file name or the
declared content type. PDFs must open with pypdf, not be encrypted, and stay under the page
limit; JPEG/PNG images must decode within a pixel budget and become one PDF page each.
"""

from __future__ import annotations

import io
import unicodedata
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps
from pypdf import PdfReader

from mrasla_app.services import storage
from mrasla_app.services.errors import DomainError
from mrasla_app.settings import get_settings

MAX_IMAGE_PIXELS = 40_000_000  # ~ a 48-megapixel photo; larger is refused (image bombs)
PDF_MAGIC = b"%PDF-"
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class InspectedFile:
    """An accepted upload: original bytes (hashed on the receipt) and a PDF rendition."""

    filename: str
    content_type: str
    data: bytes
    pdf: bytes  # the same bytes for a PDF; a one-page PDF for an image
    pages: int


def safe_filename(name: str) -> str:
    """Keep a readable name but drop paths, control and bidi-override characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")  # Cc, Cf (bidi), Co, Cn
    name = name.strip(" .") or "document"
    return name[:120]


def pdf_page_count(data: bytes, max_pages: int) -> int:
    """Open with pypdf; refuse encrypted, broken, empty or too long documents."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise DomainError("error.pdf_encrypted")
            pages = len(reader.pages)
            if pages > max_pages:
                raise DomainError("error.too_many_pages", max=max_pages)
            if pages == 0:
                raise DomainError("error.pdf_broken")
            reader.pages[0].mediabox  # noqa: B018 - touch the first page: catches broken page trees
    except DomainError:
        raise
    except Exception:  # noqa: BLE001 - any parser failure means a broken file
        raise DomainError("error.pdf_broken") from None
    return pages


def image_to_pdf(data: bytes) -> bytes:
    """One A4-fitted PDF page per image, orientation from EXIF applied."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise DomainError("error.image_too_large")
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img = ImageOps.exif_transpose(img)
            if img.mode not in ("RGB", "L"):
                img = img.convert("RGB")
            out = io.BytesIO()
            img.save(out, format="PDF", resolution=max(72.0, max(img.size) / 11.69))
            return out.getvalue()
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError("error.image_too_large") from None
    except Exception:  # noqa: BLE001
        raise DomainError("error.image_broken") from None


def inspect(filename: str, data: bytes) -> InspectedFile:
    """Accept a PDF, JPEG or PNG by its content, or raise a ``DomainError`` saying why not."""
    settings = get_settings()
    name = safe_filename(filename)
    if not data:
        raise DomainError("error.file_empty", name=name)
    if len(data) > settings.max_upload_mb * 1024 * 1024:
        raise DomainError("error.file_too_large", name=name, max=settings.max_upload_mb)
    if data.startswith(PDF_MAGIC):
        pages = pdf_page_count(data, settings.max_pages)
        return InspectedFile(name, "application/pdf", data, data, pages)
    if data.startswith(JPEG_MAGIC) or data.startswith(PNG_MAGIC):
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            pdf = image_to_pdf(data)
        ctype = "image/jpeg" if data.startswith(JPEG_MAGIC) else "image/png"
        return InspectedFile(name, ctype, data, pdf, 1)
    raise DomainError("error.file_type", name=name)


def inspect_and_store(items: list[tuple[str, bytes]]) -> list[InspectedFile]:
    """Check every file first (the first refusal raises, nothing stored), then store each one and its
    PDF rendition durably — before the transaction's rows reference them."""
    accepted = [inspect(name, data) for name, data in items]
    for f in accepted:
        storage.put(f.data)
        if f.pdf is not f.data:
            storage.put(f.pdf)
    return accepted
