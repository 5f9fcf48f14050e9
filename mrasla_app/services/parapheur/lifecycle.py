"""The folder and step lifecycles as data, and what may be done with a folder in each status.

Three tables, read by the commands AND by the views, so a button is shown exactly when the command
would accept the click:

- ``FOLDER_TRANSITIONS``: every allowed move of a folder's status (``move`` refuses any other);
- ``STEP_TRANSITIONS``: every allowed move of a circuit step's status (``move_step``);
- ``RULES``: each ``FolderAction`` (start, the five decisions, new version, cancel, send, undo),
  the statuses it starts from and those it may end in (each end checked against
  ``FOLDER_TRANSITIONS`` by a unit test). Commands call ``require``; views call ``allowed``.

Life of a folder::

    draft → start → in_progress → decisions … → completed → send → sent
                        ↘ rejected → new_version → in_progress
    draft, in_progress, rejected → cancel → cancelled
    completed, rejected → undo (of the last decision) → in_progress

Who may take an action (the initiator, a participant of the active step...) is checked by the
command itself; this module only knows statuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from mrasla_app.models import Decision, Folder, FolderStatus, FolderStep, StepKind, StepStatus
from mrasla_app.models.base import utcnow
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import audit

#: Every allowed move of a folder; a signed folder is not finished until it is sent (``sending``).
#: ``completed``/``rejected`` → ``in_progress``: the last decision was undone (``undo``).
FOLDER_TRANSITIONS: dict[FolderStatus, frozenset[FolderStatus]] = {
    FolderStatus.draft: frozenset({FolderStatus.in_progress, FolderStatus.cancelled}),
    FolderStatus.in_progress: frozenset({FolderStatus.completed, FolderStatus.rejected, FolderStatus.cancelled}),
    FolderStatus.rejected: frozenset({FolderStatus.in_progress, FolderStatus.cancelled}),
    FolderStatus.completed: frozenset({FolderStatus.sent, FolderStatus.in_progress}),
    FolderStatus.sent: frozenset(),
    FolderStatus.cancelled: frozenset(),
}
#: Every allowed move of a step: activated in turn; done, rejected, or back to waiting (the folder
#: was returned past it, cancelled or given a new version); active again when returned to or undone.
STEP_TRANSITIONS: dict[StepStatus, frozenset[StepStatus]] = {
    StepStatus.pending: frozenset({StepStatus.active}),
    StepStatus.active: frozenset({StepStatus.completed, StepStatus.rejected, StepStatus.pending}),
    StepStatus.completed: frozenset({StepStatus.active}),
    StepStatus.rejected: frozenset({StepStatus.active}),
}
#: The circuit is done and the document signed (whether or not it has been sent yet).
SIGNED_STATUSES = (FolderStatus.completed, FolderStatus.sent)
#: Folders whose initiator still has something to do (the "my folders" queue); the rest are "done".
OPEN_FOLDER_STATUSES = (FolderStatus.draft, FolderStatus.in_progress, FolderStatus.rejected, FolderStatus.completed)

SIGNING_KINDS = (StepKind.signature, StepKind.seal)
VISA_KINDS = (StepKind.visa, StepKind.opinion)
#: The decisions each kind of step takes.
DECISIONS_BY_KIND: dict[StepKind, tuple[Decision, ...]] = {
    StepKind.visa: (Decision.approved, Decision.rejected, Decision.returned),
    StepKind.opinion: (Decision.opinion, Decision.rejected, Decision.returned),
    StepKind.signature: (Decision.signed, Decision.rejected, Decision.returned),
    StepKind.seal: (Decision.signed, Decision.rejected, Decision.returned),
}
#: Decisions that need a text: the reason of a rejection or return, the opinion itself.
NEEDS_COMMENT = frozenset({Decision.rejected, Decision.returned, Decision.opinion})


class FolderAction(StrEnum):
    """What can be done with a folder; the decisions carry their ``Decision`` value."""

    start = "start"
    approved = "approved"
    opinion = "opinion"
    signed = "signed"
    rejected = "rejected"
    returned = "returned"
    new_version = "new_version"
    cancel = "cancel"
    send = "send"
    undo = "undo"


@dataclass(frozen=True)
class Rule:
    """``starts``: the statuses the action is taken from; ``ends``: those the folder may be in after
    it (its own status when it stays). ``refusal``: the error otherwise (``error.invalid_transition``
    names the single end, or the action); in ``late`` statuses someone was faster:
    ``error.step_already_done``."""

    starts: frozenset[FolderStatus]
    ends: frozenset[FolderStatus]
    refusal: str = "error.invalid_transition"
    late: frozenset[FolderStatus] = frozenset()


def _moving_to(target: FolderStatus) -> frozenset[FolderStatus]:
    """The statuses ``FOLDER_TRANSITIONS`` lets move to ``target``."""
    return frozenset(s for s, nexts in FOLDER_TRANSITIONS.items() if target in nexts)


_RUNNING = frozenset({FolderStatus.in_progress})
_DECIDING = dict(refusal="error.folder_not_in_progress", late=frozenset(SIGNED_STATUSES))
#: decision -> folder statuses it may be undone from (``undo``): not a return (the previous
#: participant is already asked to act again), not once the signed document was sent.
UNDOABLE: dict[Decision, frozenset[FolderStatus]] = {
    Decision.approved: frozenset({FolderStatus.in_progress, FolderStatus.completed}),
    Decision.opinion: frozenset({FolderStatus.in_progress, FolderStatus.completed}),
    Decision.signed: frozenset({FolderStatus.in_progress, FolderStatus.completed}),
    Decision.rejected: frozenset({FolderStatus.rejected}),
}
RULES: dict[FolderAction, Rule] = {
    FolderAction.start: Rule(frozenset({FolderStatus.draft}), _RUNNING),
    FolderAction.approved: Rule(_RUNNING, frozenset({FolderStatus.in_progress, FolderStatus.completed}), **_DECIDING),
    FolderAction.opinion: Rule(_RUNNING, frozenset({FolderStatus.in_progress, FolderStatus.completed}), **_DECIDING),
    FolderAction.signed: Rule(_RUNNING, frozenset({FolderStatus.in_progress, FolderStatus.completed}), **_DECIDING),
    FolderAction.rejected: Rule(_RUNNING, frozenset({FolderStatus.rejected}), **_DECIDING),
    FolderAction.returned: Rule(_RUNNING, _RUNNING, **_DECIDING),
    FolderAction.new_version: Rule(
        frozenset({FolderStatus.draft, FolderStatus.in_progress, FolderStatus.rejected}),
        frozenset({FolderStatus.draft, FolderStatus.in_progress}),
    ),
    FolderAction.cancel: Rule(_moving_to(FolderStatus.cancelled), frozenset({FolderStatus.cancelled})),
    FolderAction.send: Rule(_moving_to(FolderStatus.sent), frozenset({FolderStatus.sent})),
    FolderAction.undo: Rule(frozenset().union(*UNDOABLE.values()), _RUNNING, refusal="error.undo_too_late"),
}
DECISION_ACTIONS = tuple(FolderAction(d.value) for d in Decision)


def allows(folder: Folder, action: FolderAction) -> bool:
    return folder.status in RULES[action].starts


def allowed(folder: Folder) -> frozenset[FolderAction]:
    """The actions the folder's status lets anyone take now (the views narrow them to the actor)."""
    return frozenset(a for a in FolderAction if allows(folder, a))


def require(folder: Folder, action: FolderAction) -> None:
    """Refuse ``action`` unless ``RULES`` allows it from the folder's status."""
    rule = RULES[action]
    if folder.status in rule.starts:
        return
    if folder.status in rule.late:
        raise DomainError("error.step_already_done")
    if rule.refusal != "error.invalid_transition":
        raise DomainError(rule.refusal)
    target = next(iter(rule.ends)).value if len(rule.ends) == 1 else action.value
    raise DomainError("error.invalid_transition", current=folder.status.value, target=target)


def record(session: Session, actor: Actor | None, folder: Folder, action: str, **data: object) -> None:
    """The folder's audit event ``action`` (``folder.*``)."""
    audit.record(
        session,
        actor,
        action,
        object_type="folder",
        object_id=folder.id or "",
        administration_id=folder.administration_id,
        data=data,
    )


def enter(session: Session, folder: Folder, new: FolderStatus) -> None:
    """Put ``folder`` in ``new`` if ``FOLDER_TRANSITIONS`` allows it; the caller records the event
    that tells why (``move`` does both). The caller holds the folder's row lock."""
    if new not in FOLDER_TRANSITIONS[folder.status]:
        raise DomainError("error.invalid_transition", current=folder.status.value, target=new.value)
    folder.status, folder.updated_at = new, utcnow()
    session.add(folder)


def move(
    session: Session,
    actor: Actor | None,
    folder: Folder,
    new: FolderStatus,
    *,
    event: str | None = None,
    **data: object,
) -> None:
    """``enter`` ``new`` with its audit event (``event``, by default ``folder.<new status>``)."""
    enter(session, folder, new)
    record(session, actor, folder, event or f"folder.{new.value}", **data)


def move_step(session: Session, step: FolderStep, new: StepStatus) -> None:
    """Move ``step`` to ``new`` if ``STEP_TRANSITIONS`` allows it (a broken invariant, not a user error)."""
    if new not in STEP_TRANSITIONS[step.status]:
        raise DomainError("error.invalid_transition", current=step.status.value, target=new.value)
    step.status = new
    step.completed_at = utcnow() if new in (StepStatus.completed, StepStatus.rejected) else None
    session.add(step)


def step_decisions(step: FolderStep) -> tuple[Decision, ...]:
    """The decisions the step takes (no return from the first step: there is nothing before it)."""
    return tuple(d for d in DECISIONS_BY_KIND[step.kind] if not (d == Decision.returned and step.position == 1))


def require_decision(step: FolderStep, decision: Decision) -> None:
    if decision not in DECISIONS_BY_KIND[step.kind]:
        raise DomainError("error.invalid_decision")
    if decision not in step_decisions(step):
        raise DomainError("error.no_previous_step")


__all__ = [
    "FOLDER_TRANSITIONS",
    "STEP_TRANSITIONS",
    "RULES",
    "UNDOABLE",
    "FolderAction",
    "Rule",
    "SIGNED_STATUSES",
    "OPEN_FOLDER_STATUSES",
    "SIGNING_KINDS",
    "VISA_KINDS",
    "DECISIONS_BY_KIND",
    "NEEDS_COMMENT",
    "DECISION_ACTIONS",
    "allows",
    "allowed",
    "require",
    "record",
    "enter",
    "move",
    "move_step",
    "step_decisions",
    "require_decision",
]
