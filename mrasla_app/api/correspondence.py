"""Staff endpoints over the e-correspondence services: inbox, detail, documents and actions.

Authentication is the session cookie; every route passes the actor to the services, which apply
the visibility rule (``services.scoping``) — an item outside the actor's scope answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from mrasla_app import db
from mrasla_app.api.deps import Id, acting_actor, current_actor, download, file_responses
from mrasla_app.api.errors import errors
from mrasla_app.models import Channel, Direction, Document, Priority, Status
from mrasla_app.services.correspondence import delivery_evidence, dispatch, inbox, scoping, views
from mrasla_app.services.correspondence.inbox import InboxFilter, Queue, Sort
from mrasla_app.services.correspondence.letter_actions import LetterAction
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import NotAuthenticated, NotFound
from mrasla_app.services.platform import storage

router = APIRouter(prefix="/correspondence", tags=["correspondence"], responses=errors(400, 401, 403, 404, 422))
documents_router = APIRouter(tags=["correspondence"], responses=errors(401, 404, 422))


def _staff(actor: Actor | None) -> Actor:
    if actor is None:
        raise NotAuthenticated()
    return actor


class Row(BaseModel):
    id: int
    registry_number: str
    subject: str
    sender: str
    direction: str
    channel: str
    status: str
    priority: str
    confidential: bool
    deadline: date | None
    registered_at: datetime


class Page(BaseModel):
    items: list[Row]
    next: str


class DocumentOut(BaseModel):
    id: int
    kind: str
    filename: str
    content_type: str
    pages: int
    size: int
    sha256: str


class NoteOut(BaseModel):
    author: str
    body: str
    at: datetime


class Detail(Row):
    message: str
    sender_id: str
    action_unit_id: int | None
    assignee_id: int | None
    documents: list[DocumentOut]
    notes: list[NoteOut]
    actions: list[LetterAction] = Field(
        description="What the caller may do with it now (the same rules the action routes enforce)."
    )


class QualifyIn(BaseModel):
    type_code: str
    priority: str = "normal"
    confidential: bool = False
    deadline: date | None = None
    named_user_ids: list[Id] = []


class DispatchIn(BaseModel):
    action_unit_id: Id
    action_user_id: Id | None = None
    info_unit_ids: list[Id] = []
    instructions: str = ""


class ReasonIn(BaseModel):
    reason: str = ""


class NoteIn(BaseModel):
    body: str


def _row(r: inbox.InboxRow) -> Row:
    """The row as the API shows it (the inbox page's extra columns left out)."""
    return Row.model_validate(r, from_attributes=True)


@router.get("", response_model=Page)
def list_correspondence(
    queue: Queue = Queue.all,
    q: str = "",
    direction: Direction | None = None,
    status: Status | None = None,
    priority: Priority | None = None,
    sender: str = "",
    sort: Sort = Sort.newest,
    after: str = "",
    limit: int = Query(25, ge=1, le=100),
    actor: Actor | None = Depends(current_actor),
) -> Page:
    """One page of the actor's inbox (keyset: pass ``next`` as ``after``)."""
    actor = _staff(actor)
    chosen = InboxFilter(
        queue=queue,
        q=q,
        direction=direction.value if direction else "",
        status=status.value if status else "",
        priority=priority.value if priority else "",
        sender=sender,
        sort=sort,
    )
    with db.read_session() as session:
        rows, nxt = inbox.page(session, actor, chosen, after=after, limit=limit)
    return Page(items=[_row(r) for r in rows], next=nxt)


@router.get("/counts", response_model=dict[str, int])
def queue_counts(actor: Actor | None = Depends(current_actor)) -> dict[str, int]:
    """How many items wait in each of the actor's queues (the inbox's tabs)."""
    with db.read_session() as session:
        return inbox.counts(session, _staff(actor))


@router.get("/{correspondence_id}", response_model=Detail)
def get_correspondence(correspondence_id: Id, actor: Actor | None = Depends(current_actor)) -> Detail:
    """One item the actor may see: its sender, documents and notes."""
    actor = _staff(actor)
    with db.read_session() as session:
        view = views.letter_view(session, actor, correspondence_id)
    c, party = view.corr, view.sender_party
    return Detail(
        id=c.id,
        registry_number=c.registry_number,
        subject=c.subject,
        sender=view.sender.fr,
        direction=c.direction.value,
        channel=c.channel.value,
        status=c.status.value,
        priority=c.priority.value,
        confidential=c.confidential,
        deadline=c.deadline,
        registered_at=c.registered_at,
        message=c.message,
        sender_id=f"{party.id_kind} {party.id_value}".strip() if party else "",
        action_unit_id=c.action_unit_id,
        assignee_id=c.assignee_id,
        documents=[
            DocumentOut(
                id=d.id,
                kind=d.kind,
                filename=d.filename,
                content_type=d.content_type,
                pages=d.pages,
                size=d.size,
                sha256=d.sha256,
            )
            for d in view.documents
        ],
        notes=[NoteOut(author=n.author.fr, body=n.body, at=n.at) for n in view.notes],
        actions=sorted(view.actions),
    )


def _act(action: Callable[..., object], actor: Actor | None, item_id: int, *args: Any, **kwargs: Any) -> Response:
    """One ``dispatch`` action on the item in its own write transaction; 204."""
    with db.write_session() as session:
        action(session, _staff(actor), item_id, *args, **kwargs)
    return Response(status_code=204)


@router.post("/{correspondence_id}/qualify", status_code=204)
def qualify(correspondence_id: Id, body: QualifyIn, actor: Actor | None = Depends(acting_actor)) -> Response:
    """Registry: set the type, priority, confidentiality and deadline of a new item."""
    return _act(dispatch.qualify, actor, correspondence_id, **body.model_dump())


@router.post("/{correspondence_id}/dispatch", status_code=204)
def dispatch_to(correspondence_id: Id, body: DispatchIn, actor: Actor | None = Depends(acting_actor)) -> Response:
    """Registry: send the item to the unit (and person) that acts on it, copies to others for information."""
    return _act(dispatch.dispatch, actor, correspondence_id, **body.model_dump())


@router.post("/{correspondence_id}/take", status_code=204)
def take(correspondence_id: Id, actor: Actor | None = Depends(acting_actor)) -> Response:
    """Assign the item to oneself (a member of its action unit)."""
    return _act(dispatch.take, actor, correspondence_id)


@router.post("/{correspondence_id}/return", status_code=204)
def return_to_registry(correspondence_id: Id, body: ReasonIn, actor: Actor | None = Depends(acting_actor)) -> Response:
    """Send a wrongly dispatched item back to the registry, saying why."""
    return _act(dispatch.return_to_registry, actor, correspondence_id, body.reason)


@router.post("/{correspondence_id}/close", status_code=204)
def close(correspondence_id: Id, body: ReasonIn, actor: Actor | None = Depends(acting_actor)) -> Response:
    """Close the item (filed without an answer), saying why."""
    return _act(dispatch.close, actor, correspondence_id, body.reason)


@router.post("/{correspondence_id}/notes", status_code=201, response_model=NoteOut)
def add_note(correspondence_id: Id, body: NoteIn, actor: Actor | None = Depends(acting_actor)) -> NoteOut:
    """An internal note on the item (never shown to the depositor)."""
    actor = _staff(actor)
    with db.write_session() as session:
        note = dispatch.add_note(session, actor, correspondence_id, body.body)
    return NoteOut(author=actor.full_name, body=note.body, at=note.created_at)


@router.get(
    "/{correspondence_id}/delivery-evidence",
    response_class=Response,
    responses=file_responses("application/pdf", description="The sealed evidence PDF"),
)
def get_delivery_evidence(correspondence_id: Id, actor: Actor | None = Depends(current_actor)) -> Response:
    """Sealed evidence of sending, delivery and retrieval of a sent letter (law 43-20): who, when, which hash."""
    actor = _staff(actor)
    with db.write_session() as session:
        name, pdf = delivery_evidence.evidence_pdf(session, actor, correspondence_id)
    return download(pdf, "application/pdf", name)


@documents_router.get(
    "/documents/{document_id}",
    response_class=Response,
    responses=file_responses("application/pdf", "image/jpeg", "image/png", description="The document"),
)
def get_document(
    document_id: Id, inline: bool = False, pdf: bool = False, actor: Actor | None = Depends(current_actor)
) -> Response:
    """A document of a correspondence the actor may see (``pdf=1``: the PDF rendition of an image)."""
    actor = _staff(actor)
    with db.read_session() as session:
        doc = session.get(Document, document_id)
        if doc is None:
            raise NotFound()
        holder = scoping.get_visible(session, actor, doc.correspondence_id)
    if holder.channel is Channel.inter_administration and holder.direction is Direction.incoming:
        with db.write_session() as session:  # the addressee administration opened it: evidence of retrieval
            delivery_evidence.record_retrieval(session, doc, actor=actor)
    sha, ctype, name = (
        (doc.pdf_sha256, "application/pdf", doc.filename.rsplit(".", 1)[0] + ".pdf")
        if pdf
        else (doc.sha256, doc.content_type, doc.filename)
    )
    if not storage.exists(sha):  # transferred to the archives or destroyed (records.retention): the trail stays
        raise NotFound("error.document_disposed")
    return download(storage.get(sha), ctype, name, inline, etag=sha, modified=doc.created_at)
