"""Files of the signature book (parapheur) for staff: the main document as it stands (prepared,
signed so far), the annexes and the signature summary (bordereau).

Authentication is the session cookie; rights come from ``services.workflow`` (a folder the actor
may not see answers 404 exactly like a missing one). Nothing is cached by the browser or proxies.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from mrasla_app import db
from mrasla_app.api.deps import Id, current_actor, download
from mrasla_app.api.errors import errors
from mrasla_app.models import Folder
from mrasla_app.services import workflow
from mrasla_app.services.accounts import Actor
from mrasla_app.services.errors import NotAuthenticated, NotFound

router = APIRouter(prefix="/folders", tags=["parapheur"], responses=errors(401, 404, 422))
PDF = {200: {"content": {"application/pdf": {}}}}


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
