"""Batch visas and signatures: many folders from the actor's "to act" queues, one PIN.

``review`` gives the compact list the signatory checks first (subject, reference, pages,
initiator, previous decisions). ``open_batch`` unlocks the key ONCE (wrong PINs are counted as
for a single signature) and builds the signer once; ``act_one`` then decides on one folder in
its own write transaction through ``decisions.act`` with that credential, so each folder gets its
own PAdES signature, history entry and audit events, and a failure (someone was faster, a
revoked certificate behind an earlier signature, a broken document...) rolls back that folder
only and is reported. ``run`` is the whole loop (API, benchmark); the batch page calls
``open_batch`` and ``act_one`` itself to show progress folder by folder.

Signing runs on a private event loop (``pki.signing.run_sync``): call from worker threads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.models import Decision, DocumentRole, Folder, FolderDocument, FolderStep, StepAction, StepKind, User
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.parapheur import circuits, decisions, folders, signatures, views
from mrasla_app.services.parapheur.folders import LIVE

#: What a batch may decide, and on which step kinds (opinions need their own text: one at a time).
BATCH_DECISIONS: dict[Decision, tuple[StepKind, ...]] = {
    Decision.approved: (StepKind.visa,),
    Decision.signed: (StepKind.signature, StepKind.seal),
}
_log = logging.getLogger(__name__)
QUEUE_OF = {Decision.approved: "to_visa", Decision.signed: "to_sign"}
MAX_BATCH = 100


@dataclass(frozen=True)
class Item:
    """One folder of the batch and the step the user saw (``None``: the one active now)."""

    folder_id: int
    step_id: int | None = None


@dataclass(frozen=True)
class ReviewRow:
    folder_id: int
    step_id: int
    reference: str
    title: str
    pages: int
    initiator: str
    step_label: str  # "<position> · <label>" (groups the folders of one circuit step)
    kind: str  # the step's kind: a seal needs no PIN
    previous: tuple[tuple[str, str], ...]  # (decision, who) of this version, oldest first
    on_behalf_of: str  # the delegator's name when the folder waits for them
    # the same names and labels in Arabic
    initiator_ar: str = ""
    step_label_ar: str = ""
    previous_ar: tuple[tuple[str, str], ...] = ()
    on_behalf_of_ar: str = ""


@dataclass(frozen=True)
class Outcome:
    folder_id: int
    reference: str
    ok: bool
    status: str = ""  # the folder's status afterwards (when ok)
    error: str = ""  # an ``error.*`` catalogue key (when not ok)
    params: dict | None = None


def parse_decision(decision: str) -> Decision:
    try:
        value = Decision(decision)
    except ValueError:
        raise DomainError("error.invalid_decision") from None
    if value not in BATCH_DECISIONS:
        raise DomainError("error.invalid_decision")
    return value


def review(session: Session, actor: Actor | None, decision: str, limit: int = MAX_BATCH) -> list[ReviewRow]:
    """The folders of the actor's queue for ``decision`` (``approved``: visas, ``signed``:
    signatures and seals), with what the signatory checks before deciding on them together."""
    actor = permissions.require_actor(actor)
    value = parse_decision(decision)
    items = [
        i
        for i in views.queue(session, actor, QUEUE_OF[value], limit=limit)
        if i.step is not None and i.step.kind in BATCH_DECISIONS[value]
    ]
    if not items:
        return []
    ids = [i.folder.id for i in items]
    versions = {i.folder.id: i.folder.version for i in items}
    pages = {
        fid: n
        for fid, version, n in session.execute(
            select(FolderDocument.folder_id, FolderDocument.version, FolderDocument.pages).where(
                FolderDocument.folder_id.in_(ids), FolderDocument.role == DocumentRole.main
            )
        ).all()
        if version == versions[fid]
    }
    actions = session.execute(
        select(StepAction, FolderStep.version)
        .join(FolderStep, FolderStep.id == StepAction.step_id)
        .where(StepAction.folder_id.in_(ids), LIVE)
        .order_by(StepAction.at, StepAction.id)
    ).all()
    people = (
        {i.folder.initiator_id for i in items}
        | {a.actor_id for a, _ in actions}
        | {i.on_behalf_of for i in items if i.on_behalf_of}
    )
    names = {
        u.id: (u.full_name, u.full_name_ar or u.full_name)
        for u in session.execute(select(User).where(User.id.in_(people))).scalars()
    }
    unknown = ("?", "?")
    previous: dict[int, list[tuple[str, tuple[str, str]]]] = {}
    for action, version in actions:
        if version == versions[action.folder_id]:
            previous.setdefault(action.folder_id, []).append(
                (action.decision.value, names.get(action.actor_id, unknown))
            )
    rows = []
    for i in items:
        step = i.step
        assert step is not None
        kind_fr, kind_ar = circuits.kind_labels(step.kind)
        before = previous.get(i.folder.id, [])
        initiator, obo = names.get(i.folder.initiator_id, unknown), names.get(i.on_behalf_of or 0, ("", ""))
        rows.append(
            ReviewRow(
                i.folder.id,
                step.id,
                i.folder.reference,
                i.folder.title,
                pages.get(i.folder.id, 0),
                initiator[0],
                f"{step.position} · {step.label_fr or kind_fr}",
                step.kind.value,
                tuple((d, who[0]) for d, who in before),
                obo[0],
                initiator_ar=initiator[1],
                step_label_ar=f"{step.position} · {step.label_ar or kind_ar}",
                previous_ar=tuple((d, who[1]) for d, who in before),
                on_behalf_of_ar=obo[1],
            )
        )
    return rows


def check_items(items: Sequence[Item]) -> list[Item]:
    """At least one folder, at most ``MAX_BATCH``, each once (the first mention wins)."""
    seen: dict[int, Item] = {}
    for item in items:
        seen.setdefault(item.folder_id, item)
    if not seen:
        raise DomainError("error.batch_empty")
    if len(seen) > MAX_BATCH:
        raise DomainError("error.batch_too_large", max=MAX_BATCH)
    return list(seen.values())


def needs_key(items: Sequence[Item]) -> bool:
    """Whether a signature batch needs the actor's key: some folder waits at a signature step (seals
    are the platform's). A folder given without its step counts as one."""
    step_ids = [i.step_id for i in items if i.step_id]
    if len(step_ids) < len(items):
        return True
    with db.read_session() as session:
        kinds = set(session.execute(select(FolderStep.kind).where(FolderStep.id.in_(step_ids))).scalars())
    return StepKind.signature in kinds


def open_batch(
    actor: Actor | None, decision: str, pin: str | None, items: Sequence[Item] = ()
) -> signatures.Credential | None:
    """The credential for a signature batch: the PIN checked and the key unlocked once (a wrong
    PIN is counted and committed, then refused: nothing is signed). ``None`` for a visa batch, or
    when ``items`` are all seal steps."""
    actor = permissions.require_actor(actor)
    if parse_decision(decision) != Decision.signed or (items and not needs_key(items)):
        return None
    with db.write_session() as session:
        return signatures.unlock_credential(session, actor, pin)


def act_one(
    actor: Actor | None, decision: str, item: Item, credential: signatures.Credential | None, comment: str = ""
) -> Outcome:
    """Decide on one folder in its own transaction; any refusal or failure rolls that folder back
    and is returned as the outcome (the batch goes on)."""
    actor = permissions.require_actor(actor)
    value = parse_decision(decision)
    reference = ""
    try:
        with db.write_session() as session:
            folder = session.get(Folder, item.folder_id)
            reference = folder.reference if folder is not None and folders.can_see(session, actor, folder) else ""
            step = session.get(FolderStep, item.step_id) if item.step_id else None
            if step is not None and (step.folder_id != item.folder_id or step.kind not in BATCH_DECISIONS[value]):
                raise DomainError("error.invalid_decision")
            folder = decisions.act(
                session,
                actor,
                item.folder_id,
                value.value,
                comment=comment,
                step_id=item.step_id,
                credential=credential,
            )
            return Outcome(item.folder_id, folder.reference, True, status=folder.status.value)
    except NotFound as exc:
        return Outcome(item.folder_id, "", False, error=exc.code)
    except DomainError as exc:  # refusals, PermissionDenied included
        return Outcome(item.folder_id, reference, False, error=exc.code, params=exc.params or None)
    except Exception:  # noqa: BLE001 - a signing failure on one folder must not stop the others
        _log.exception("batch %s failed on folder %s", value.value, item.folder_id)
        return Outcome(item.folder_id, reference, False, error="error.batch_item_failed")


def run(
    actor: Actor | None, decision: str, items: Sequence[Item], pin: str | None = None, comment: str = ""
) -> Iterator[Outcome]:
    """Open the batch, then decide on each folder in turn, yielding each outcome as it is known.
    Errors before the first folder (bad PIN, locked key, empty batch) raise; nothing is done then."""
    actor = permissions.require_actor(actor)
    items = check_items(items)
    credential = open_batch(actor, decision, pin, items)
    for item in items:
        yield act_one(actor, decision, item, credential, comment)


__all__ = [
    "BATCH_DECISIONS",
    "MAX_BATCH",
    "Item",
    "ReviewRow",
    "Outcome",
    "review",
    "check_items",
    "needs_key",
    "open_batch",
    "act_one",
    "run",
]
