"""Undo of one's own last decision on a folder, while nobody has acted after it.

What may be undone is data: ``lifecycle.UNDOABLE`` maps each decision to the folder statuses it may
still be undone from (``lifecycle.RULES[undo]`` starts from their union), and ``refusal`` applies the
same short list of rules everywhere (the folder page's
button, the API, the service itself):

- the decision is the actor's own (taken in their name or for a delegator) and still live;
- it is the folder's latest live decision: the next participant (or a co-participant of the same
  step) has not acted since, and no new version was uploaded;
- the folder is in a status of ``UNDOABLE[decision]``: a visa, opinion or signature while the
  circuit runs or is complete but not sent (a sent document has left the folder); a rejection
  while the folder is still rejected. A return to the previous step is not undone (the previous
  participant is already asked to act again).

Undoing marks the decision withdrawn (``StepAction.withdrawn_at``; the row stays for the history
and the bordereau), makes its step active again for that participant, and for a signature puts
the document back as it was before it: the signed bytes stay in storage and in the history,
marked withdrawn, never deleted. One audit event, ``folder.decision_withdrawn``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.models import Decision, Folder, FolderStatus, FolderStep, StepAction, StepStatus
from mrasla_app.models.base import utcnow
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.parapheur import folders, lifecycle
from mrasla_app.services.parapheur.folders import LIVE
from mrasla_app.services.parapheur.lifecycle import UNDOABLE, FolderAction


def _latest(session: Session, folder: Folder) -> StepAction | None:
    """The folder's latest live decision (any participant, any version)."""
    return session.execute(
        select(StepAction)
        .where(StepAction.folder_id == folder.id, LIVE)
        .order_by(StepAction.at.desc(), StepAction.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _own_latest(session: Session, actor: Actor, folder: Folder) -> StepAction | None:
    return session.execute(
        select(StepAction)
        .where(StepAction.folder_id == folder.id, StepAction.actor_id == actor.user_id, LIVE)
        .order_by(StepAction.at.desc(), StepAction.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def refusal(session: Session, actor: Actor, folder: Folder) -> tuple[StepAction | None, str]:
    """(the actor's last live decision, "" when it may be undone now, else the error code why not)."""
    mine = _own_latest(session, actor, folder)
    if mine is None:
        return None, "error.nothing_to_undo"
    if mine.decision not in UNDOABLE:
        return mine, "error.undo_not_allowed"
    latest = _latest(session, folder)
    step = session.get(FolderStep, mine.step_id)
    if (
        latest is None
        or latest.id != mine.id
        or step is None
        or step.version != folder.version
        or not lifecycle.allows(folder, FolderAction.undo)
        or folder.status not in UNDOABLE[mine.decision]
    ):
        return mine, "error.undo_too_late"
    if mine.decision == Decision.signed and folder.current_sha256 != mine.document_sha256:
        return mine, "error.undo_too_late"  # the signed version was replaced since (defensive)
    return mine, ""


def undoable(session: Session, actor: Actor | None, folder_id: int) -> StepAction | None:
    """The decision the actor may undo on this folder now, if any (what the folder page offers)."""
    actor = permissions.require_actor(actor)
    folder = folders.get_visible(session, actor, folder_id)
    action, problem = refusal(session, actor, folder)
    return None if problem else action


def _document_before(session: Session, action: StepAction, step: FolderStep) -> str:
    """The document as it was just before ``action`` (a signature): the previous live signature of
    the same step and round, else the document the step started from."""
    earlier = session.execute(
        select(StepAction.document_sha256)
        .where(
            StepAction.step_id == step.id,
            StepAction.round == action.round,
            LIVE,
            StepAction.id != action.id,
            StepAction.decision == Decision.signed,
            StepAction.at <= action.at,
        )
        .order_by(StepAction.at.desc(), StepAction.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return earlier or step.base_sha256


def undo(session: Session, actor: Actor | None, folder_id: int, action_id: int | None = None) -> Folder:
    """Withdraw the actor's last decision on the folder (see the module docstring for the rules).

    ``action_id``: the decision the user saw; refused when their last decision is another one.
    """
    actor = permissions.require_actor(actor)
    folder = folders.get_visible(session, actor, folder_id, for_update=True)
    action, problem = refusal(session, actor, folder)
    if problem:
        raise DomainError(problem)
    assert action is not None
    if action_id is not None and action_id != action.id:
        raise DomainError("error.undo_too_late")
    step = session.get(FolderStep, action.step_id)
    assert step is not None
    now = utcnow()
    action.withdrawn_at = now
    session.add(action)
    if action.decision == Decision.signed:
        folders.put_document(session, folder, _document_before(session, action, step))
    if step.status != StepStatus.active:  # the decision completed (or rejected) the step
        for later in folders.steps(session, folder):
            if later.position > step.position and later.status == StepStatus.active:
                lifecycle.move_step(session, later, StepStatus.pending)  # nobody acted on it yet (latest-decision rule)
        lifecycle.move_step(session, step, StepStatus.active)
    if folder.status != FolderStatus.in_progress:
        lifecycle.enter(session, folder, FolderStatus.in_progress)  # told by "folder.decision_withdrawn"
    folder.current_step, folder.completed_at = step.position, None
    if action.decision == Decision.rejected:
        folder.reject_reason = ""
    folder.updated_at = now
    session.add(folder)
    session.flush()
    lifecycle.record(
        session,
        actor,
        folder,
        "folder.decision_withdrawn",
        action_id=action.id,
        decision=action.decision.value,
        step=step.position,
        round=action.round,
        on_behalf_of=action.on_behalf_of_id,
        withdrawn_document_sha256=action.document_sha256 or None,
        document_sha256=folder.current_sha256,
    )
    return folder


__all__ = ["refusal", "undoable", "undo"]
