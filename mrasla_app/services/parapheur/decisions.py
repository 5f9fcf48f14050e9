"""Acting on a folder's active step: visa, opinion, signature or seal, rejection, return.

``act`` is the command; each of its parts is a small function below: which step and which
participant slot the actor fills (their own, or a delegator's), the checks of ``lifecycle``'s
tables, the signature (``signatures``), the decision row, then the consequence — the step
completes and the next one is activated, the circuit completes, the folder is rejected, or the
previous step is active again with the document as it was then.

Every decision locks the folder row first and ``uq_step_action`` backs it up, so two people
acting at once on an "any one" step give exactly one completion and the second gets
``error.step_already_done``.

Completion hook: ``on_completed(fn)`` registers ``fn(session, folder)`` called in the completing
transaction (e.g. an answer drafted from a letter marks it answered).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from mrasla_app.models import (
    CompletionMode,
    Decision,
    Folder,
    FolderStatus,
    FolderStep,
    StepAction,
    StepParticipant,
    StepStatus,
)
from mrasla_app.models.base import utcnow
from mrasla_app.services.directory import permissions, users
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, PermissionDenied
from mrasla_app.services.parapheur import folders, lifecycle, signatures
from mrasla_app.services.parapheur import steps as circuit_steps
from mrasla_app.services.parapheur.folders import LIVE
from mrasla_app.services.parapheur.lifecycle import FolderAction
from mrasla_app.services.parapheur.submission import MAX_COMMENT
from mrasla_app.services.platform import storage
from mrasla_app.services.platform import validation as checks

CompletionHook = Callable[[Session, Folder], None]
_completion_hooks: list[CompletionHook] = []


def on_completed(fn: CompletionHook) -> CompletionHook:
    """Register ``fn(session, folder)``, called in the transaction that completes a circuit."""
    if fn not in _completion_hooks:
        _completion_hooks.append(fn)
    return fn


def parse_decision(decision: str) -> Decision:
    try:
        return Decision(decision)
    except ValueError:
        raise DomainError("error.invalid_request") from None


def acted(session: Session, step: FolderStep, user_id: int) -> bool:
    """Whether ``user_id``'s slot of the step already has a live decision in this round."""
    return (
        session.execute(
            select(StepAction.id)
            .where(
                StepAction.step_id == step.id, StepAction.round == step.round, StepAction.for_user_id == user_id, LIVE
            )
            .limit(1)
        ).first()
        is not None
    )


def _all_acted(session: Session, step: FolderStep) -> bool:
    expected = session.execute(
        select(func.count()).select_from(StepParticipant).where(StepParticipant.step_id == step.id)
    ).scalar_one()
    done = session.execute(
        select(func.count())
        .select_from(StepAction)
        .where(StepAction.step_id == step.id, StepAction.round == step.round, LIVE)
    ).scalar_one()
    return done >= expected


def _active_step(rows: list[FolderStep], folder: Folder, step_id: int | None) -> FolderStep:
    """The folder's active step; a ``step_id`` other than it means someone was faster."""
    step = next((s for s in rows if s.position == folder.current_step), None)
    if step is None or step.status != StepStatus.active:
        raise DomainError("error.folder_not_in_progress")
    if step_id is not None and step_id != step.id:
        raise DomainError("error.step_already_done")
    return step


def _was_participant(session: Session, actor: Actor, folder: Folder, delegators: set[int]) -> bool:
    """Whether the actor (or someone they act for) was expected on an earlier step of this version."""
    ids = {actor.user_id, *delegators}
    return (
        session.execute(
            select(StepParticipant.user_id)
            .join(FolderStep, FolderStep.id == StepParticipant.step_id)
            .where(
                FolderStep.folder_id == folder.id,
                FolderStep.version == folder.version,
                FolderStep.status == StepStatus.completed,
                StepParticipant.user_id.in_(ids),
            )
            .limit(1)
        ).first()
        is not None
    )


def _acting_as(
    session: Session, actor: Actor, folder: Folder, step: FolderStep, on_behalf_of: int | None, pinned: bool
) -> tuple[StepParticipant, int | None]:
    """The participant slot the actor fills, and whom they act for (None: in their own name).

    Acting for a delegator is chosen automatically only when the caller pinned the step it showed
    (``pinned``): otherwise someone who meant to act on a step another participant just completed
    would silently act on the *next* step in their delegator's name.
    """
    parts = {p.user_id: p for p in folders.participants(session, step.id)}
    delegators = set(users.acting_for(session, actor.user_id))
    if on_behalf_of is not None and on_behalf_of != actor.user_id:
        if on_behalf_of not in parts or on_behalf_of not in delegators:
            raise PermissionDenied("error.not_delegate")
        return parts[on_behalf_of], on_behalf_of
    if actor.user_id in parts:
        return parts[actor.user_id], None
    if on_behalf_of is None and pinned:
        pending = [uid for uid in parts if uid in delegators and not acted(session, step, uid)]
        if len(pending) == 1:
            return parts[pending[0]], pending[0]
        if len(pending) > 1:
            raise DomainError("error.choose_on_behalf_of")
        if any(uid in delegators for uid in parts):
            raise DomainError("error.step_already_done")
    if _was_participant(session, actor, folder, delegators):
        raise DomainError("error.step_already_done")
    raise PermissionDenied()


def _file_decision(session: Session, action: StepAction) -> None:
    """Insert the decision; a concurrent one on the same slot and round wins (``uq_step_action``)."""
    try:
        with session.begin_nested():
            session.add(action)
            session.flush()
    except IntegrityError:
        raise DomainError("error.step_already_done") from None


def _reject(
    session: Session, actor: Actor, folder: Folder, step: FolderStep, rows: list[FolderStep], event: dict
) -> None:
    """Back to the initiator with the reason; the circuit stops."""
    lifecycle.move_step(session, step, StepStatus.rejected)
    folder.reject_reason = str(event["comment"])
    lifecycle.move(session, actor, folder, FolderStatus.rejected, **event)


def _return(
    session: Session, actor: Actor, folder: Folder, step: FolderStep, rows: list[FolderStep], event: dict
) -> None:
    """The previous step is active again, with the document as it was when it started."""
    lifecycle.move_step(session, step, StepStatus.pending)
    previous = next(s for s in rows if s.position == step.position - 1)
    folders.put_document(session, folder, previous.base_sha256)
    circuit_steps.activate(session, folder, previous)
    folder.updated_at = utcnow()
    session.add(folder)
    lifecycle.record(session, actor, folder, "folder.returned", **event)


def _advance(
    session: Session, actor: Actor, folder: Folder, step: FolderStep, rows: list[FolderStep], event: dict
) -> None:
    """A visa, opinion or signature: the step completes when its mode says so, then the next step
    is activated, or the circuit completes (and the completion hooks run)."""
    folder.updated_at = utcnow()
    session.add(folder)
    lifecycle.record(session, actor, folder, f"folder.{event['decision']}", **event)
    if step.mode != CompletionMode.any and not _all_acted(session, step):
        return
    lifecycle.move_step(session, step, StepStatus.completed)
    following = next((s for s in rows if s.position == step.position + 1), None)
    if following is not None:
        circuit_steps.activate(session, folder, following)
        lifecycle.record(
            session, actor, folder, "folder.step_completed", step=step.position, next_step=following.position
        )
        return
    folder.completed_at, folder.current_step = utcnow(), 0
    lifecycle.move(
        session, actor, folder, FolderStatus.completed, document_sha256=folder.current_sha256, version=folder.version
    )
    session.flush()
    for hook in list(_completion_hooks):
        hook(session, folder)


_CONSEQUENCES = {Decision.rejected: _reject, Decision.returned: _return}


def act(
    session: Session,
    actor: Actor | None,
    folder_id: int,
    decision: str,
    comment: str = "",
    pin: str | None = None,
    on_behalf_of: int | None = None,
    step_id: int | None = None,
    credential: signatures.Credential | None = None,
) -> Folder:
    """Decide on the folder's active step.

    ``decision``: ``approved`` (visa), ``opinion``, ``signed`` (signature: needs the PIN; seal:
    the platform seal), ``rejected`` (reason required: back to the initiator, circuit stops) or
    ``returned`` (reason required: the previous step is active again, the document as it was then).
    ``on_behalf_of``: act for a participant who delegated to the actor (chosen automatically when
    unambiguous and ``step_id`` is given). ``step_id``: the step the user saw (UIs should always
    pass it); a different current step means someone was faster (``error.step_already_done``).
    ``credential``: the actor's key unlocked once for several signatures (batch), instead of ``pin``.
    """
    actor = permissions.require_actor(actor)
    decision_v = parse_decision(decision)
    folder = folders.get_visible(session, actor, folder_id, for_update=True)
    lifecycle.require(folder, FolderAction(decision_v.value))
    rows = folders.steps(session, folder)
    step = _active_step(rows, folder, step_id)
    slot, for_user = _acting_as(session, actor, folder, step, on_behalf_of, step_id is not None)
    if acted(session, step, slot.user_id):
        raise DomainError("error.step_already_done")
    lifecycle.require_decision(step, decision_v)
    comment = checks.text(comment, "comment", max_len=MAX_COMMENT, required=decision_v in lifecycle.NEEDS_COMMENT)

    doc_sha, serial = "", ""
    if decision_v == Decision.signed:
        signed, serial = signatures.sign_slot(session, actor, folder, step, slot, for_user, pin, credential)
        doc_sha = storage.put(signed)
    _file_decision(
        session,
        StepAction(
            folder_id=folder.id,
            step_id=step.id,
            round=step.round,
            actor_id=actor.user_id,
            for_user_id=slot.user_id,
            on_behalf_of_id=for_user,
            decision=decision_v,
            comment=comment,
            document_sha256=doc_sha,
            certificate_serial=serial,
        ),
    )
    if doc_sha:
        folders.put_document(session, folder, doc_sha)
    event = {
        "step": step.position,
        "kind": step.kind.value,
        "decision": decision_v.value,
        "round": step.round,
        "on_behalf_of": for_user,
        "comment": comment,
        "document_sha256": doc_sha or None,
        "certificate_serial": serial or None,
    }
    _CONSEQUENCES.get(decision_v, _advance)(session, actor, folder, step, rows, event)
    session.add(folder)
    session.flush()
    return folder


__all__ = ["act", "acted", "on_completed", "parse_decision"]
