"""Comments pinned to a page of a folder's document (page number + x/y as fractions of the page).

They are data beside the document, never written into it: the signed bytes (and
``folder.current_sha256``) stay exactly as they are. On request, ``annotated_copy`` produces a
separate PDF — the document as it stands with each pinned comment as a PDF text annotation
(ISO 32000-1 §12.5.6.4) on its page, plus appended pages listing every comment in both scripts —
which is marked as a copy and has no signature of its own.

Who may annotate and read them: the folder's initiator and participants (any version), and whoever
acts for a participant by delegation — not the other people who may merely see the folder
(heads of the initiator's unit). An author may change or remove their own comment.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Text
from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.models import Folder, FolderAnnotation, User
from mrasla_app.services.directory import permissions, users
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.parapheur import folders
from mrasla_app.services.platform import audit, storage
from mrasla_app.services.platform import validation as checks

MAX_BODY = 4000


@dataclass(frozen=True)
class AnnotationView:
    id: int
    version: int
    page: int | None
    x: float | None
    y: float | None
    body: str
    author_id: int
    author: str
    author_ar: str
    created_at: datetime
    mine: bool


def may_annotate(session: Session, actor: Actor, folder: Folder) -> bool:
    """Initiator, participants of any version, or someone acting for a participant by delegation."""
    if actor.administration_id != folder.administration_id:
        return False
    if folder.initiator_id == actor.user_id:
        return True
    people = folders.participant_ids(session, folder.id)
    return actor.user_id in people or bool(people & set(users.acting_for(session, actor.user_id)))


def _folder(session: Session, actor: Actor | None, folder_id: int, *, for_update: bool = False) -> tuple[Actor, Folder]:
    actor = permissions.require_actor(actor)
    folder = folders.get_visible(session, actor, folder_id, for_update=for_update)  # NotFound when not visible
    if not may_annotate(session, actor, folder):
        raise PermissionDenied()
    return actor, folder


def page_count(session: Session, folder: Folder) -> int:
    """Pages of the document as it stands (signature page included): what the viewer shows."""
    reader = PdfReader(io.BytesIO(storage.get(folder.current_sha256)))
    return len(reader.pages)


def _check_position(page: int | None, x: float | None, y: float | None, pages: int) -> None:
    if page is None:
        if x is not None or y is not None:
            raise DomainError("error.invalid_request")
        return
    if not isinstance(page, int) or not 1 <= page <= pages:
        raise DomainError("pf.error.annotation_page", pages=pages)
    if (x is None) != (y is None):
        raise DomainError("error.invalid_request")
    for v in (x, y):
        if v is not None and not (isinstance(v, (int, float)) and 0.0 <= float(v) <= 1.0):
            raise DomainError("error.invalid_request")


def add(
    session: Session,
    actor: Actor | None,
    folder_id: int,
    body: str,
    page: int | None = None,
    x: float | None = None,
    y: float | None = None,
) -> FolderAnnotation:
    """A comment on the folder (no page) or pinned at (``x``, ``y``) of ``page`` (1-based)."""
    actor, folder = _folder(session, actor, folder_id, for_update=True)
    body = checks.text(body, "body", max_len=MAX_BODY)
    _check_position(page, x, y, page_count(session, folder) if page is not None else 0)
    note = FolderAnnotation(
        folder_id=folder.id,
        version=folder.version,
        author_id=actor.user_id,
        body=body,
        page=page,
        x=None if x is None else round(float(x), 4),
        y=None if y is None else round(float(y), 4),
    )
    session.add(note)
    session.flush()
    audit.record(
        session,
        actor,
        "folder.annotated",
        object_type="folder",
        object_id=folder.id or "",
        administration_id=folder.administration_id,
        data={"annotation_id": note.id, "page": page, "version": folder.version},
    )
    return note


def _own(session: Session, actor: Actor | None, annotation_id: int) -> tuple[Actor, Folder, FolderAnnotation]:
    note = session.get(FolderAnnotation, annotation_id)
    if note is None:
        raise NotFound()
    actor, folder = _folder(session, actor, note.folder_id, for_update=True)
    if note.author_id != actor.user_id:
        raise PermissionDenied()
    return actor, folder, note


def update(session: Session, actor: Actor | None, annotation_id: int, body: str) -> FolderAnnotation:
    """The author rewrites their comment (its place stays)."""
    actor, folder, note = _own(session, actor, annotation_id)
    note.body = checks.text(body, "body", max_len=MAX_BODY)
    session.add(note)
    audit.record(
        session,
        actor,
        "folder.annotation_changed",
        object_type="folder",
        object_id=folder.id or "",
        administration_id=folder.administration_id,
        data={"annotation_id": note.id},
    )
    return note


def remove(session: Session, actor: Actor | None, annotation_id: int) -> None:
    """The author withdraws their comment."""
    actor, folder, note = _own(session, actor, annotation_id)
    session.delete(note)
    audit.record(
        session,
        actor,
        "folder.annotation_removed",
        object_type="folder",
        object_id=folder.id or "",
        administration_id=folder.administration_id,
        data={"annotation_id": annotation_id},
    )


def views_of(session: Session, actor: Actor, folder: Folder) -> list[AnnotationView]:
    """The comments of ``folder`` (already authorised by the caller), oldest first."""
    notes = list(
        session.execute(
            select(FolderAnnotation)
            .where(FolderAnnotation.folder_id == folder.id)
            .order_by(FolderAnnotation.created_at, FolderAnnotation.id)
        ).scalars()
    )
    ids = {n.author_id for n in notes}
    people = {u.id: u for u in session.execute(select(User).where(User.id.in_(ids))).scalars()} if ids else {}
    out = []
    for n in notes:
        u = people.get(n.author_id)
        out.append(
            AnnotationView(
                n.id,
                n.version,
                n.page,
                n.x,
                n.y,
                n.body,
                n.author_id,
                u.full_name if u else "?",
                (u.full_name_ar or u.full_name) if u else "?",
                n.created_at,
                n.author_id == actor.user_id,
            )
        )
    return out


def listing(session: Session, actor: Actor | None, folder_id: int) -> list[AnnotationView]:
    """Every comment of the folder (all versions), oldest first."""
    actor, folder = _folder(session, actor, folder_id)
    return views_of(session, actor, folder)


def annotated_copy(session: Session, actor: Actor | None, folder_id: int) -> bytes:
    """A separate PDF: the document as it stands, its current version's pinned comments as text
    annotations on their pages, then pages listing every comment (``pki.bordereau``)."""
    from mrasla_app.documents.bordereau import AnnotationLine, render_annotation_pages

    actor, folder = _folder(session, actor, folder_id)
    views = views_of(session, actor, folder)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(storage.get(folder.current_sha256))))
    for v in views:
        if v.version != folder.version or v.page is None or v.page > len(writer.pages):
            continue
        box = writer.pages[v.page - 1].mediabox
        fx, fy = (v.x if v.x is not None else 0.05), (v.y if v.y is not None else 0.05)
        left = float(box.left) + fx * float(box.width)
        top = float(box.top) - fy * float(box.height)
        writer.add_annotation(
            v.page - 1, Text(text=f"{v.author}: {v.body}", rect=(left, top - 20, left + 20, top), open=False)
        )
    listing_pdf = render_annotation_pages(
        folder.reference,
        folder.title,
        [AnnotationLine(v.page, v.version, v.author, v.author_ar, v.created_at, v.body) for v in views],
    )
    for page in PdfReader(io.BytesIO(listing_pdf)).pages:
        writer.add_page(page)
    writer.add_metadata({"/Title": f"{folder.reference} — copie annotée / نسخة مع التعليقات"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


__all__ = [
    "AnnotationView",
    "may_annotate",
    "add",
    "update",
    "remove",
    "listing",
    "views_of",
    "annotated_copy",
    "page_count",
    "MAX_BODY",
]
