"""Finding a folder the actor may see, and the rows every parapheur command reads (current
steps, their participants, the main document, people's names).

Every change locks the folder row first (``FOR UPDATE``; SQLite writers are already serialised),
so two people acting at once on the same folder are decided one after the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.models import DocumentRole, Folder, FolderDocument, FolderStep, Role, StepAction, StepParticipant, User
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory import permissions, users
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import NotFound, PermissionDenied
from mrasla_app.settings import get_settings

LIVE = StepAction.withdrawn_at.is_(None)  # decisions that count (an undone one stays on file)


def token_hash(value: str) -> str:
    """How a folder's verification token is kept (SHA-256, hex)."""
    return hashlib.sha256(value.encode()).hexdigest()


def verify_url(folder: Folder, token: str) -> str:
    """The QR code's address: same scheme as receipts, ``/verify/<reference>?t=<token>``."""
    return f"{get_settings().public_url}/verify/{folder.reference}?t={token}"


def participant_ids(session: Session, folder_id: int) -> set[int]:
    """Everyone expected on a step of the folder, any version."""
    return set(
        session.execute(
            select(StepParticipant.user_id)
            .join(FolderStep, FolderStep.id == StepParticipant.step_id)
            .where(FolderStep.folder_id == folder_id)
        ).scalars()
    )


def can_see(session: Session, actor: Actor | None, folder: Folder) -> bool:
    """Initiator, participants (any version), people acting for them by delegation, people who
    acted, and heads of the initiator's unit (or a unit above it)."""
    if actor is None or actor.administration_id != folder.administration_id:
        return False
    if folder.initiator_id == actor.user_id:
        return True
    people = participant_ids(session, folder.id)
    if actor.user_id in people or people & set(users.acting_for(session, actor.user_id)):
        return True
    if session.execute(
        select(StepAction.id).where(StepAction.folder_id == folder.id, StepAction.actor_id == actor.user_id).limit(1)
    ).first():
        return True
    heads = actor.unit_ids(Role.head)
    return folder.unit_id is not None and folder.unit_id in (set(heads) | directory.descendants(session, heads))


def get_visible(session: Session, actor: Actor | None, folder_id: int, *, for_update: bool = False) -> Folder:
    """The folder, if the actor may see it (``NotFound`` otherwise, exactly like a missing one);
    ``for_update`` locks its row for a command."""
    actor = permissions.require_actor(actor)
    if for_update:
        folder = session.execute(select(Folder).where(Folder.id == folder_id).with_for_update()).scalar_one_or_none()
    else:
        folder = session.get(Folder, folder_id)
    if folder is None or not can_see(session, actor, folder):
        raise NotFound()
    return folder


def require_initiator(actor: Actor, folder: Folder) -> None:
    if folder.initiator_id != actor.user_id:
        raise PermissionDenied()


def steps(session: Session, folder: Folder) -> list[FolderStep]:
    """The current version's steps, in circuit order."""
    return list(
        session.execute(
            select(FolderStep)
            .where(FolderStep.folder_id == folder.id, FolderStep.version == folder.version)
            .order_by(FolderStep.position)
        ).scalars()
    )


def participants(session: Session, step_id: int) -> list[StepParticipant]:
    return list(
        session.execute(
            select(StepParticipant).where(StepParticipant.step_id == step_id).order_by(StepParticipant.position)
        ).scalars()
    )


def main_document(session: Session, folder: Folder) -> FolderDocument:
    """The current version's main document row."""
    return session.execute(
        select(FolderDocument).where(
            FolderDocument.folder_id == folder.id,
            FolderDocument.version == folder.version,
            FolderDocument.role == DocumentRole.main,
        )
    ).scalar_one()


def put_document(session: Session, folder: Folder, sha256: str) -> None:
    """The main document now stands as ``sha256``: a new signature, or an earlier state put back
    (a return, an undone signature); back to the prepared document, it holds no signature."""
    folder.current_sha256 = sha256
    main = main_document(session, folder)
    main.signed_sha256 = "" if sha256 == main.prepared_sha256 else sha256
    session.add(main)


def people(session: Session, ids: Iterable[int]) -> dict[int, User]:
    """The users named by ``ids``, in one query."""
    ids = set(ids)
    if not ids:
        return {}
    return {u.id: u for u in session.execute(select(User).where(User.id.in_(ids))).scalars()}


__all__ = [
    "LIVE",
    "token_hash",
    "verify_url",
    "participant_ids",
    "can_see",
    "get_visible",
    "require_initiator",
    "steps",
    "participants",
    "main_document",
    "put_document",
    "people",
]
