"""The signature book (parapheur) for staff and integrations: the main document as it stands
(prepared, signed so far), the annexes, the signature summary (bordereau), and the decisions on a
folder's active step (visa, opinion, signature with the PIN, rejection, return).

Authentication is the session cookie; rights come from ``services.workflow`` (a folder the actor
may not see answers 404 exactly like a missing one). Nothing is cached by the browser or proxies.
"""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter, Depends, Query
from fastapi import Path as ApiPath
from fastapi.responses import Response
from pydantic import BaseModel, Field

from mrasla_app import db
from mrasla_app.api.deps import Id, acting_actor, current_actor, download, file_responses
from mrasla_app.api.errors import errors
from mrasla_app.models import Decision, Folder
from mrasla_app.models.base import MAX_ID
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import NotAuthenticated, NotFound
from mrasla_app.services.parapheur import annotations, viewer, workflow

router = APIRouter(prefix="/folders", tags=["parapheur"], responses=errors(401, 404, 422))
PDF = file_responses("application/pdf", description="The PDF")


def _staff(actor: Actor | None) -> Actor:
    if actor is None:
        raise NotAuthenticated()
    return actor


def _pdf(data: bytes, name: str, inline: bool) -> Response:
    if not name.lower().endswith(".pdf"):
        name = name.rsplit(".", 1)[0] + ".pdf"
    return download(data, "application/pdf", name, inline)


@router.get("/{folder_id}/document.pdf", response_class=Response, responses=PDF)
def main_document(folder_id: Id, inline: bool = False, actor: Actor | None = Depends(current_actor)) -> Response:
    """The main document as it stands: with its signature page, signed by everyone who signed so far."""
    actor = _staff(actor)
    with db.read_session() as session:
        _name, data = workflow.document(session, actor, folder_id)
        folder = session.get(Folder, folder_id)
        reference = folder.reference if folder else str(folder_id)
    return _pdf(data, f"{reference}.pdf", inline)


@router.get("/{folder_id}/documents/{document_id}", response_class=Response, responses=PDF)
def folder_document(folder_id: Id, document_id: Id, inline: bool = False,
                    actor: Actor | None = Depends(current_actor)) -> Response:
    """One document of the folder (annexes; the main one of the current version as it stands)."""
    actor = _staff(actor)
    with db.read_session() as session:
        name, data = workflow.document(session, actor, folder_id, document_id)
    return _pdf(data, name, inline)


@router.get("/{folder_id}/bordereau.pdf", response_class=Response, responses=PDF)
def bordereau(folder_id: Id, inline: bool = False, actor: Actor | None = Depends(current_actor)) -> Response:
    """The signature summary: every decision of every version, with delegations."""
    actor = _staff(actor)
    with db.read_session() as session:
        data = workflow.bordereau(session, actor, folder_id)
        folder = session.get(Folder, folder_id)
        if folder is None:
            raise NotFound()
        reference = folder.reference
    return _pdf(data, f"bordereau-{reference}.pdf", inline)


PNG = file_responses("image/png", description="The page as an image")


@router.get("/{folder_id}/pages/{page}.png", response_class=Response, responses=PNG)
def page_image(folder_id: Id, page: int = ApiPath(ge=1, le=9999), w: int = Query(640, ge=100, le=2000),
               actor: Actor | None = Depends(current_actor)) -> Response:
    """One page of the main document as it stands, rendered about ``w`` pixels wide (the phone viewer)."""
    actor = _staff(actor)
    with db.read_session() as session:
        data = viewer.page_png(session, actor, folder_id, page, w)
    return download(data, "image/png", f"page-{page}.png", inline=True)


@router.get("/{folder_id}/annotated.pdf", response_class=Response, responses={**PDF, **errors(403)})
def annotated_copy(folder_id: Id, inline: bool = False, actor: Actor | None = Depends(current_actor)) -> Response:
    """A separate copy of the document with the participants' comments (PDF annotations and appended
    pages); the signed document itself is never changed. For the folder's participants and initiator."""
    actor = _staff(actor)
    with db.read_session() as session:
        data = annotations.annotated_copy(session, actor, folder_id)
        folder = session.get(Folder, folder_id)
        reference = folder.reference if folder else str(folder_id)
    return _pdf(data, f"{reference}-annotations.pdf", inline)


class Action(str, Enum):
    """What the actor decides on the folder's active step."""

    approve = "approve"  # visa step
    opinion = "opinion"  # opinion step (the comment is the opinion)
    sign = "sign"  # signature step (PIN) or seal step (platform seal)
    reject = "reject"  # back to the initiator, the circuit stops (reason required)
    return_ = "return"  # the previous step is active again (reason required)


DECISIONS = {Action.approve: Decision.approved, Action.opinion: Decision.opinion, Action.sign: Decision.signed,
             Action.reject: Decision.rejected, Action.return_: Decision.returned}


class ActionIn(BaseModel):
    action: Action
    pin: str | None = Field(None, description="the signatory's PIN (signature steps only); never stored")
    reason: str = Field("", description="why the folder is rejected or returned")
    comment: str = Field("", description="a comment, or the opinion itself on an opinion step")
    on_behalf_of: int | None = Field(None, ge=0, le=MAX_ID,
                                     description="user id of a participant who delegated to the actor")
    step_id: int | None = Field(None, ge=0, le=MAX_ID,
                                description="the step the caller saw; refused if another one is active now")


class FolderStateOut(BaseModel):
    id: int
    reference: str
    status: str
    version: int
    current_step: int
    document_sha256: str
    reject_reason: str


@router.post("/{folder_id}/actions", response_model=FolderStateOut, responses=errors(400, 403, 413))
def act_on_folder(folder_id: Id, body: ActionIn, actor: Actor | None = Depends(acting_actor)) -> FolderStateOut:
    """Decide on the active step, in the actor's name or for a delegator; the same rules as the folder page."""
    actor = _staff(actor)
    comment = "\n".join(part for part in (body.reason.strip(), body.comment.strip()) if part)
    with db.write_session() as session:
        folder = workflow.act(session, actor, folder_id, DECISIONS[body.action].value, comment=comment,
                              pin=body.pin, on_behalf_of=body.on_behalf_of, step_id=body.step_id)
        return FolderStateOut(id=folder.id, reference=folder.reference, status=folder.status.value,  # type: ignore[arg-type]
                              version=folder.version, current_step=folder.current_step,
                              document_sha256=folder.current_sha256, reject_reason=folder.reject_reason)
