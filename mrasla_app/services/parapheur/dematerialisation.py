"""Dematerialisation (التجريد المادي): uploaded files become a folder's documents.

Every upload is inspected by content (``platform.files``); several images become ONE PDF (in
order, orientation kept); the main document must accept incremental updates (pyHanko), since
every signature is appended to it. Files are stored (content-addressed) before the transaction
that references them commits.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Sequence

from pypdf import PdfReader, PdfWriter

from mrasla_app.models import DocumentRole, FolderDocument
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import files, storage
from mrasla_app.settings import get_settings


def _merge_pdfs(parts: Sequence[bytes]) -> bytes:
    writer = PdfWriter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for part in parts:
            writer.append(PdfReader(io.BytesIO(part)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _check_signable(pdf: bytes) -> None:
    """pyHanko must be able to append to the main document (incremental updates)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        int(reader.root["/Pages"]["/Count"])
        perms = [s for s in reader.embedded_signatures if s.docmdp_level is not None]
    except Exception:  # noqa: BLE001
        raise DomainError("error.pdf_broken") from None
    from pyhanko.sign.fields import MDPPerm

    if perms and perms[0].docmdp_level == MDPPerm.NO_CHANGES:
        raise DomainError("error.pdf_certified")  # a certified document that forbids any change


def documents(actor: Actor, folder_id: int, version: int, uploads: Sequence[tuple[str, bytes]]) -> list[FolderDocument]:
    """Inspect uploads; several images become ONE PDF (in order, orientation kept). The main document
    is the first PDF, or the merged images when there is no PDF; the rest are annexes."""
    settings = get_settings()
    if not uploads:
        raise DomainError("error.files_required")
    if len(uploads) > settings.max_files:
        raise DomainError("error.too_many_files", max=settings.max_files)
    inspected = [files.inspect(name, data) for name, data in uploads]
    images = [f for f in inspected if f.content_type.startswith("image/")]
    pdf_files = [f for f in inspected if not f.content_type.startswith("image/")]  # PDFs, converted Office
    entries: list[tuple[str, str, bytes, bytes, int, int]] = []  # name, ctype, original, pdf, pages, size
    for f in pdf_files:
        entries.append((f.filename, f.content_type, f.data, f.pdf, f.pages, len(f.data)))
    if images:
        merged = images[0].pdf if len(images) == 1 else _merge_pdfs([f.pdf for f in images])
        name = images[0].filename.rsplit(".", 1)[0] + ".pdf"
        ctype = images[0].content_type if len(images) == 1 else "multipart/images"
        item = (name, ctype, images[0].data, merged, len(images), sum(len(f.data) for f in images))
        if pdf_files:
            entries.append(item)
        else:
            entries.insert(0, item)
    _check_signable(entries[0][3])  # the last check: nothing is stored for a refused upload
    for entry in entries:
        storage.put(entry[2])
    docs = []
    annex_pos = 0
    for i, (name, ctype, original, pdf, pages, size) in enumerate(entries):
        pdf_sha = storage.put(pdf)
        role = DocumentRole.main if i == 0 else DocumentRole.annex
        docs.append(
            FolderDocument(
                folder_id=folder_id,
                version=version,
                role=role,
                position=0 if i == 0 else annex_pos + 1,
                filename=name,
                content_type=ctype,
                size=size,
                sha256=hashlib.sha256(original).hexdigest(),
                pdf_sha256=pdf_sha,
                pages=pages,
                created_by=actor.user_id,
            )
        )
        if i:
            annex_pos += 1
    for img in images[1:]:  # keep every original image retrievable from storage
        storage.put(img.data)
    return docs


__all__ = ["documents"]
