"""The signature book (parapheur) for staff and integrations: the main document as it stands
(prepared, signed so far), the annexes, the signature summary (bordereau), the decisions on a
folder's active step (visa, opinion, signature with the PIN, rejection, return), batches of visas
or signatures (one PIN for many folders) and the undo of one's own last decision.

Authentication is the session cookie; rights come from ``services.parapheur`` (a folder the actor
may not see answers 404 exactly like a missing one). Nothing is cached by the browser or proxies.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from fastapi import APIRouter, Depends, Query
from fastapi import Path as ApiPath
from fastapi.responses import Response
from pydantic import BaseModel, Field

from mrasla_app import db
from mrasla_app.api.deps import Id, acting_actor, current_actor, download, file_responses
from mrasla_app.api.errors import Message, errors
from mrasla_app.i18n import bilingual
from mrasla_app.models import Folder
from mrasla_app.models.base import MAX_ID
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import NotAuthenticated
from mrasla_app.services.parapheur import annotations as page_notes
from mrasla_app.services.parapheur import batch, decisions, summary, undo, viewer, views
from mrasla_app.services.parapheur.lifecycle import FolderAction

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


class PersonOut(BaseModel):
    id: int
    name: str
    name_ar: str


class AnnexOut(BaseModel):
    id: int
    name: str
    pages: int


class ParticipantOut(BaseModel):
    user_id: int
    name: str
    name_ar: str
    acted: bool = Field(description="decided in the step's current round")


class StepOut(BaseModel):
    id: int
    position: int
    kind: str = Field(description="visa, opinion, signature or seal")
    mode: str = Field(description="all: every participant decides; any: the first one completes the step")
    label_fr: str
    label_ar: str
    status: str = Field(description="pending, active, completed or rejected")
    due_on: datetime | None = Field(description="while the step is active and has a deadline")
    participants: list[ParticipantOut]


class HistoryOut(BaseModel):
    at: datetime
    actor: str
    actor_ar: str
    decision: str
    step: int | None = Field(description="the step's position (none for an earlier version's step)")
    kind: str
    comment: str
    withdrawn: bool = Field(description="undone by its author")
    on_behalf_of: str = Field(description="the delegator's name, when decided by delegation")
    on_behalf_of_ar: str


class SendingOut(BaseModel):
    outgoing_number: str
    outgoing_id: int | None
    recipient_number: str


class FolderOut(BaseModel):
    """A folder as the folder page shows it, with the actions the caller may take now."""

    id: int
    reference: str
    title: str
    status: str = Field(description="draft, in_progress, rejected, completed (signed, to send), cancelled or sent")
    version: int
    created_at: datetime
    completed_at: datetime | None
    reject_reason: str
    initiator: PersonOut
    correspondence_id: int | None
    correspondence_number: str
    main_name: str
    pages: int
    document_sha256: str
    annexes: list[AnnexOut]
    steps: list[StepOut]
    history: list[HistoryOut]
    allowed_actions: list[str] = Field(
        description="what the caller may do now: start, approved, opinion, signed, "
        "rejected, returned, new_version, cancel, send, undo"
    )
    active_step_id: int = Field(description="the step the caller may decide on (`step_id` of an action); 0: none")
    needs_pin: bool
    acting_for: list[PersonOut] = Field(description="participants the caller may act for by delegation")
    undo_action_id: int = Field(description="the caller's own last decision while it may be undone (0: none)")
    sending: SendingOut | None = Field(description="where the signed document went, once sent")


@router.get("/{folder_id}/document.pdf", response_class=Response, responses=PDF)
def main_document(folder_id: Id, inline: bool = False, actor: Actor | None = Depends(current_actor)) -> Response:
    """The main document as it stands: with its signature page, signed by everyone who signed so far."""
    actor = _staff(actor)
    with db.read_session() as session:
        _name, data = views.document(session, actor, folder_id)
        reference = views.reference(session, actor, folder_id)
    return _pdf(data, f"{reference}.pdf", inline)


@router.get("/{folder_id}/documents/{document_id}", response_class=Response, responses=PDF)
def folder_document(
    folder_id: Id, document_id: Id, inline: bool = False, actor: Actor | None = Depends(current_actor)
) -> Response:
    """One document of the folder (annexes; the main one of the current version as it stands)."""
    actor = _staff(actor)
    with db.read_session() as session:
        name, data = views.document(session, actor, folder_id, document_id)
    return _pdf(data, name, inline)


@router.get("/{folder_id}/bordereau.pdf", response_class=Response, responses=PDF)
def bordereau(folder_id: Id, inline: bool = False, actor: Actor | None = Depends(current_actor)) -> Response:
    """The signature summary: every decision of every version, with delegations."""
    actor = _staff(actor)
    with db.read_session() as session:
        data = summary.bordereau(session, actor, folder_id)
        reference = views.reference(session, actor, folder_id)
    return _pdf(data, f"bordereau-{reference}.pdf", inline)


PNG = file_responses("image/png", description="The page as an image")


@router.get("/{folder_id}/pages/{page}.png", response_class=Response, responses=PNG)
def page_image(
    folder_id: Id,
    page: int = ApiPath(ge=1, le=9999),
    w: int = Query(640, ge=100, le=2000),
    actor: Actor | None = Depends(current_actor),
) -> Response:
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
        data = page_notes.annotated_copy(session, actor, folder_id)
        reference = views.reference(session, actor, folder_id)
    return _pdf(data, f"{reference}-annotations.pdf", inline)


class Action(str, Enum):
    """What the actor decides on the folder's active step."""

    approve = "approve"  # visa step
    opinion = "opinion"  # opinion step (the comment is the opinion)
    sign = "sign"  # signature step (PIN) or seal step (platform seal)
    reject = "reject"  # back to the initiator, the circuit stops (reason required)
    return_ = "return"  # the previous step is active again (reason required)


DECISIONS = {
    Action.approve: FolderAction.approved,
    Action.opinion: FolderAction.opinion,
    Action.sign: FolderAction.signed,
    Action.reject: FolderAction.rejected,
    Action.return_: FolderAction.returned,
}


class ActionIn(BaseModel):
    action: Action
    pin: str | None = Field(None, description="the signatory's PIN (signature steps only); never stored")
    reason: str = Field("", description="why the folder is rejected or returned")
    comment: str = Field("", description="a comment, or the opinion itself on an opinion step")
    on_behalf_of: int | None = Field(
        None, ge=0, le=MAX_ID, description="user id of a participant who delegated to the actor"
    )
    step_id: int | None = Field(
        None, ge=0, le=MAX_ID, description="the step the caller saw; refused if another one is active now"
    )


class FolderStateOut(BaseModel):
    id: int
    reference: str
    status: str
    version: int
    current_step: int
    document_sha256: str
    reject_reason: str

    @classmethod
    def of(cls, folder: Folder) -> FolderStateOut:
        """The folder's state after an action (read inside the action's transaction)."""
        return cls(
            id=folder.id,
            reference=folder.reference,
            status=folder.status.value,
            version=folder.version,
            current_step=folder.current_step,
            document_sha256=folder.current_sha256,
            reject_reason=folder.reject_reason,
        )


@router.post("/{folder_id}/actions", response_model=FolderStateOut, responses=errors(400, 403, 413))
def act_on_folder(folder_id: Id, body: ActionIn, actor: Actor | None = Depends(acting_actor)) -> FolderStateOut:
    """Decide on the active step, in the actor's name or for a delegator; the same rules as the folder page."""
    actor = _staff(actor)
    comment = "\n".join(part for part in (body.reason.strip(), body.comment.strip()) if part)
    with db.write_session() as session:
        folder = decisions.act(
            session,
            actor,
            folder_id,
            DECISIONS[body.action].value,
            comment=comment,
            pin=body.pin,
            on_behalf_of=body.on_behalf_of,
            step_id=body.step_id,
        )
        return FolderStateOut.of(folder)


# --------------------------------------------------------------------------- batch, undo


class BatchAction(str, Enum):
    """What a batch decides on every folder: visas, or signatures (seal steps are sealed)."""

    approve = "approve"
    sign = "sign"


BATCH_DECISIONS = {BatchAction.approve: FolderAction.approved, BatchAction.sign: FolderAction.signed}


class BatchFolderIn(BaseModel):
    folder_id: int = Field(ge=1, le=MAX_ID, strict=True)
    step_id: int | None = Field(
        None,
        ge=0,
        le=MAX_ID,
        strict=True,
        description="the step the caller reviewed; the folder is refused if another one is active now",
    )


class BatchIn(BaseModel):
    action: BatchAction
    folders: list[BatchFolderIn] = Field(
        min_length=1, max_length=batch.MAX_BATCH, description="the folders, decided on in this order (each once)"
    )
    pin: str | None = Field(None, description="the signatory's PIN, checked once for the whole batch; never stored")
    comment: str = Field("", description="a comment recorded with every decision of the batch")


class BatchResultOut(BaseModel):
    folder_id: int
    reference: str = Field(description="empty when the folder is not visible to the caller")
    ok: bool
    status: str = Field("", description="the folder's status after the decision (when ok)")
    error: str = Field("", description="an `error.*` code of the message catalogues (when not ok)")
    message: Message | None = Field(None, description="the refusal in Arabic, French and English (when not ok)")


class BatchOut(BaseModel):
    done: int = Field(description="how many folders were decided on")
    refused: int = Field(description="how many were refused or failed (each left exactly as it was)")
    results: list[BatchResultOut]


class BatchCandidateOut(BaseModel):
    folder_id: int
    step_id: int
    reference: str
    title: str
    pages: int
    initiator: str
    step: str = Field(description="the step's position and label: folders at the same circuit step share it")
    previous: list[list[str]] = Field(description="earlier decisions of this version, oldest first: [decision, who]")
    on_behalf_of: str = Field(description="the delegator's name, when the folder waits for them")


@router.get("/batch/candidates", response_model=list[BatchCandidateOut])
def batch_candidates(
    action: BatchAction = BatchAction.sign, actor: Actor | None = Depends(current_actor)
) -> list[BatchCandidateOut]:
    """The folders waiting for the caller's visa (`approve`) or signature (`sign`), with what to review
    before deciding on them together: subject, reference, pages, initiator and earlier decisions."""
    actor = _staff(actor)
    with db.read_session() as session:
        rows = batch.review(session, actor, BATCH_DECISIONS[action].value)
    return [
        BatchCandidateOut(
            folder_id=r.folder_id,
            step_id=r.step_id,
            reference=r.reference,
            title=r.title,
            pages=r.pages,
            initiator=r.initiator,
            step=r.step_label,
            previous=[list(p) for p in r.previous],
            on_behalf_of=r.on_behalf_of,
        )
        for r in rows
    ]


def _signed_in_acting(actor: Actor | None = Depends(acting_actor)) -> Actor:
    """``acting_actor`` that refuses anonymous callers at once: 401 before the body is validated."""
    return _staff(actor)


@router.post("/batch", response_model=BatchOut, responses=errors(400, 403, 413))
def act_on_batch(body: BatchIn, actor: Actor = Depends(_signed_in_acting)) -> BatchOut:
    """Give a visa to, or sign, many folders in one request with ONE PIN: the key is unlocked once,
    then each folder is decided on in its own transaction (its own PAdES signature, history entry and
    audit events). A refusal or failure on one folder leaves that folder as it was and does not stop
    the others: the results list every folder's outcome, in the order given. A wrong PIN, a locked or
    revoked key refuses the whole request (400) before any folder is touched."""
    items = [batch.Item(f.folder_id, f.step_id) for f in body.folders]
    results = []
    for outcome in batch.run(
        actor, BATCH_DECISIONS[body.action].value, items, pin=body.pin, comment=body.comment.strip()
    ):
        message = Message(**bilingual(outcome.error, **(outcome.params or {}))) if outcome.error else None
        results.append(
            BatchResultOut(
                folder_id=outcome.folder_id,
                reference=outcome.reference,
                ok=outcome.ok,
                status=outcome.status,
                error=outcome.error,
                message=message,
            )
        )
    done = sum(r.ok for r in results)
    return BatchOut(done=done, refused=len(results) - done, results=results)


class UndoIn(BaseModel):
    action_id: int | None = Field(
        None, ge=0, le=MAX_ID, description="the decision the caller saw; refused if their last one is another"
    )


@router.post("/{folder_id}/undo", response_model=FolderStateOut, responses=errors(400, 403, 413))
def undo_decision(folder_id: Id, body: UndoIn, actor: Actor | None = Depends(acting_actor)) -> FolderStateOut:
    """Withdraw the caller's own last decision (visa, opinion, signature, rejection) while nobody acted
    after it: the step is active again for them; an undone signature puts back the document as it was
    before (the signed version stays on file, marked withdrawn). Refused once the next participant
    acted, after a new version, or once the signed document was sent (`error.undo_too_late`)."""
    actor = _staff(actor)
    with db.write_session() as session:
        folder = undo.undo(session, actor, folder_id, action_id=body.action_id)
        return FolderStateOut.of(folder)


# Digits only, and last: ``/folders/batch`` is another resource (its 405 and ``Allow``, ``errors.path_methods``).
@router.get("/{folder_id:int}", response_model=FolderOut)
def folder(folder_id: Id, actor: Actor | None = Depends(current_actor)) -> FolderOut:
    """The folder: documents, circuit steps and participants, every decision, and what the caller may do."""
    actor = _staff(actor)
    with db.read_session() as session:
        view = views.folder_view(session, actor, folder_id)
    out = FolderOut.model_validate(view, from_attributes=True)
    out.allowed_actions = sorted(view.allowed_actions)
    return out
