"""The parapheur's read side: the queues, a folder as the page and the API show it, its documents.

``folder_view`` builds, in one function, everything the folder page and the REST API show — the
folder, its documents, steps and participants, history (with delegations, names in both
scripts), comments, the letter drafted in the application, where the signed document was sent —
and the actions this actor may take now (``allowed_actions``), derived from ``lifecycle.RULES``:
a button is shown exactly when the command would accept the click. Adapters only format it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlmodel import Session

from mrasla_app.models import (
    Administration,
    AuditEvent,
    Correspondence,
    DocumentRole,
    Folder,
    FolderAnnotation,
    FolderDocument,
    FolderStatus,
    FolderStep,
    Role,
    StepAction,
    StepKind,
    StepParticipant,
    StepStatus,
)
from mrasla_app.services.correspondence import scoping
from mrasla_app.services.directory import permissions, users
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.parapheur import annotations as page_notes
from mrasla_app.services.parapheur import folders, lifecycle, signing_keys, undo
from mrasla_app.services.parapheur.lifecycle import FolderAction
from mrasla_app.services.platform import storage

QUEUES = ("to_visa", "to_sign", "my_folders", "done")


# ---------------------------------------------------------------------------------- queues


@dataclass(frozen=True)
class QueueItem:
    folder: Folder
    step: FolderStep | None = None
    on_behalf_of: int | None = None  # the delegator, when the item is in the queue by delegation


def queue(session: Session, actor: Actor | None, name: str, limit: int = 100) -> list[QueueItem]:
    """``to_visa`` / ``to_sign``: active visa-opinion / signature-seal steps waiting for the actor (or
    someone they act for); ``my_folders``: open folders the actor initiated; ``done``: folders the
    actor acted on, and their own finished ones."""
    actor = permissions.require_actor(actor)
    if name not in QUEUES:
        raise DomainError("error.invalid_request")
    if name in ("to_visa", "to_sign"):
        me = [actor.user_id, *users.acting_for(session, actor.user_id)]
        kinds = lifecycle.VISA_KINDS if name == "to_visa" else lifecycle.SIGNING_KINDS
        acted = exists().where(
            StepAction.step_id == FolderStep.id,
            StepAction.round == FolderStep.round,
            StepAction.for_user_id == StepParticipant.user_id,
            StepAction.withdrawn_at.is_(None),
        )
        rows = session.execute(
            select(Folder, FolderStep, StepParticipant.user_id)
            .join(
                FolderStep,
                and_(
                    FolderStep.folder_id == Folder.id,
                    FolderStep.version == Folder.version,
                    FolderStep.position == Folder.current_step,
                ),
            )
            .join(StepParticipant, StepParticipant.step_id == FolderStep.id)
            .where(
                Folder.status == FolderStatus.in_progress,
                Folder.administration_id == actor.administration_id,
                FolderStep.status == StepStatus.active,
                FolderStep.kind.in_(kinds),
                StepParticipant.user_id.in_(me),
                ~acted,
            )
            .order_by(FolderStep.activated_at, Folder.id)
            .limit(limit)
        ).all()
        seen: dict[int, QueueItem] = {}
        for folder, step, uid in rows:  # one line per folder, own slot first
            item = QueueItem(folder, step, None if uid == actor.user_id else uid)
            if folder.id not in seen or item.on_behalf_of is None:
                seen[folder.id] = item
        return list(seen.values())
    if name == "my_folders":
        stmt = select(Folder).where(
            Folder.initiator_id == actor.user_id, Folder.status.in_(lifecycle.OPEN_FOLDER_STATUSES)
        )
    else:
        mine = select(StepAction.folder_id).where(StepAction.actor_id == actor.user_id)
        stmt = select(Folder).where(
            or_(
                Folder.id.in_(mine),
                and_(Folder.initiator_id == actor.user_id, Folder.status.not_in(lifecycle.OPEN_FOLDER_STATUSES)),
            )
        )
    return [
        QueueItem(f)
        for f in session.execute(stmt.order_by(Folder.updated_at.desc(), Folder.id.desc()).limit(limit)).scalars()
    ]


@dataclass(frozen=True)
class QueueRow:
    """One line of a queue as the list page shows it (names and labels in both scripts)."""

    folder_id: int
    reference: str
    title: str
    status: str
    initiator: str
    initiator_ar: str
    at: datetime | None  # when the step waiting for the actor started, else the folder's last change
    step: int | None
    kind: str
    step_label_fr: str
    step_label_ar: str
    on_behalf_of: str  # the delegator the folder waits for ("" in one's own name)
    on_behalf_of_ar: str


def _current_steps(session: Session, items: list[QueueItem]) -> dict[int, FolderStep]:
    open_ = [i.folder for i in items if i.folder.current_step]
    if not open_:
        return {}
    rows = session.execute(select(FolderStep).where(FolderStep.folder_id.in_([f.id for f in open_]))).scalars()
    want = {(f.id, f.version, f.current_step) for f in open_}
    return {s.folder_id: s for s in rows if (s.folder_id, s.version, s.position) in want}


def queue_rows(session: Session, actor: Actor | None, name: str, limit: int = 100) -> list[QueueRow]:
    """``queue`` with what its list shows: initiator, current step, delegation."""
    items = queue(session, actor, name, limit)
    steps = _current_steps(session, items)
    named = folders.people(
        session, {i.folder.initiator_id for i in items} | {i.on_behalf_of for i in items if i.on_behalf_of}
    )
    rows = []
    for item in items:
        f = item.folder
        step = item.step or steps.get(f.id)
        who, obo = named.get(f.initiator_id), named.get(item.on_behalf_of or 0)
        rows.append(
            QueueRow(
                f.id,
                f.reference,
                f.title,
                f.status.value,
                who.full_name if who else "",
                (who.full_name_ar or who.full_name) if who else "",
                (step.activated_at if item.step and step and step.activated_at else None) or f.updated_at,
                step.position if step else None,
                step.kind.value if step else "",
                step.label_fr if step else "",
                step.label_ar if step else "",
                obo.full_name if obo else "",
                (obo.full_name_ar or obo.full_name) if obo else "",
            )
        )
    return rows


def queue_counts(session: Session, actor: Actor | None) -> dict[str, int]:
    return {q: len(queue(session, actor, q)) for q in QUEUES}


def first_queue(actor: Actor, counts: dict[str, int]) -> str:
    """The queue a signatory's book opens on: what waits for their signature, else their visa,
    else their own folders."""
    if actor.has_role(Role.signatory) and counts.get("to_sign"):
        return "to_sign"
    return "to_visa" if counts.get("to_visa") else "my_folders"


def linkable_letters(session: Session, actor: Actor | None, limit: int = 50) -> list[tuple[str, str]]:
    """(registry number, subject) of the latest letters the actor may see: what a new folder may
    be linked to (``submission.create_for_number``)."""
    actor = permissions.require_actor(actor)
    return [
        (n, s)
        for n, s in session.execute(
            select(Correspondence.registry_number, Correspondence.subject)
            .where(scoping.visible_clause(session, actor))
            .order_by(Correspondence.id.desc())
            .limit(limit)
        ).all()
    ]


# ------------------------------------------------------------------------------ one folder


@dataclass(frozen=True)
class ActionView:
    action: StepAction
    actor_name: str
    on_behalf_of_name: str


@dataclass(frozen=True)
class StepView:
    step: FolderStep
    participants: list[tuple[int, str, bool]]  # (user id, name, acted in the current round)
    actions: list[ActionView]


@dataclass(frozen=True)
class FolderDetail:
    """The folder's rows for services (``folder_view`` is what pages and the API show)."""

    folder: Folder
    documents: list[FolderDocument]
    steps: list[StepView]
    history: list[ActionView]  # every decision of every version, oldest first
    annotations: list[FolderAnnotation]
    can_act: bool = False
    decisions: tuple[str, ...] = ()
    acting_for: tuple[int, ...] = ()  # participants of the active step the actor may act for
    needs_pin: bool = False
    links: dict = field(default_factory=dict)
    active_step_id: int | None = None  # the step the actor may act on


def _slots(session: Session, actor: Actor, active: StepView) -> list[int]:
    """Participants of the active step whose slot the actor may fill now (own, or by delegation)."""
    delegators = set(users.acting_for(session, actor.user_id))
    return [uid for uid, _, acted in active.participants if not acted and (uid == actor.user_id or uid in delegators)]


def folder_detail(session: Session, actor: Actor | None, folder_id: int) -> FolderDetail:
    actor = permissions.require_actor(actor)
    folder = folders.get_visible(session, actor, folder_id)
    docs = list(
        session.execute(
            select(FolderDocument)
            .where(FolderDocument.folder_id == folder.id, FolderDocument.version == folder.version)
            .order_by(FolderDocument.role.desc(), FolderDocument.position)
        ).scalars()
    )
    actions = list(
        session.execute(
            select(StepAction).where(StepAction.folder_id == folder.id).order_by(StepAction.at, StepAction.id)
        ).scalars()
    )
    rows = folders.steps(session, folder)
    parts = {s.id: folders.participants(session, s.id) for s in rows}
    names = folders.people(
        session,
        {a.actor_id for a in actions}
        | {a.on_behalf_of_id for a in actions if a.on_behalf_of_id}
        | {p.user_id for ps in parts.values() for p in ps},
    )
    views = {
        a.id: ActionView(
            a,
            names[a.actor_id].full_name if a.actor_id in names else "?",
            names[a.on_behalf_of_id].full_name if a.on_behalf_of_id in names else "",
        )
        for a in actions
    }
    step_views = []
    for s in rows:
        acted = {a.for_user_id for a in actions if a.step_id == s.id and a.round == s.round and a.withdrawn_at is None}
        people = [(p.user_id, names[p.user_id].full_name, p.user_id in acted) for p in parts[s.id]]
        step_views.append(StepView(s, people, [views[a.id] for a in actions if a.step_id == s.id]))
    can_act, needs_pin, active_id = False, False, None
    decisions: tuple[str, ...] = ()
    acting: tuple[int, ...] = ()
    active = next((v for v in step_views if v.step.position == folder.current_step), None)
    if active is not None and lifecycle.allows(folder, FolderAction.approved):
        slots = _slots(session, actor, active)
        if slots:
            can_act, active_id = True, active.step.id
            decisions = tuple(d.value for d in lifecycle.step_decisions(active.step))
            acting = tuple(u for u in slots if u != actor.user_id)
            needs_pin = active.step.kind == StepKind.signature
    notes = list(
        session.execute(
            select(FolderAnnotation)
            .where(FolderAnnotation.folder_id == folder.id)
            .order_by(FolderAnnotation.created_at, FolderAnnotation.id)
        ).scalars()
    )
    links = {"correspondence_id": folder.correspondence_id}
    return FolderDetail(
        folder, docs, step_views, list(views.values()), notes, can_act, decisions, acting, needs_pin, links, active_id
    )


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    name_ar: str


@dataclass(frozen=True)
class DocumentLine:
    id: int
    name: str
    pages: int


@dataclass(frozen=True)
class ParticipantLine:
    user_id: int
    name: str
    name_ar: str
    acted: bool  # in the step's current round


@dataclass(frozen=True)
class StepLine:
    id: int
    position: int
    kind: str
    mode: str
    label_fr: str
    label_ar: str
    status: str
    due_on: datetime | None  # while active
    participants: tuple[ParticipantLine, ...]


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    actor: str
    actor_ar: str
    decision: str
    step: int | None
    kind: str
    comment: str
    withdrawn: bool
    on_behalf_of: str  # "" in one's own name
    on_behalf_of_ar: str


@dataclass(frozen=True)
class LetterText:
    """The letter drafted in the application (current version), for editing a new version."""

    addressee: str
    place: str
    subject: str
    body: str


@dataclass(frozen=True)
class Sending:
    """Where the signed document went (``correspondence.sending``)."""

    outgoing_number: str
    outgoing_id: int | None  # the sender's registered letter
    recipient_number: str  # its number in the recipient administration's register ("" when none)


@dataclass(frozen=True)
class FolderView:
    """A folder as the page and the API show it to ``actor``, with what they may do now."""

    id: int
    reference: str
    title: str
    status: str
    version: int
    created_at: datetime
    completed_at: datetime | None
    reject_reason: str
    initiator: Person
    correspondence_id: int | None  # the letter the folder answers or carries
    correspondence_number: str
    main_name: str
    pages: int  # of the main document as it stands
    document_sha256: str
    annexes: tuple[DocumentLine, ...]
    steps: tuple[StepLine, ...]
    history: tuple[HistoryLine, ...]
    may_annotate: bool
    page_total: int  # pages the viewer shows (signature page included)
    notes: tuple[page_notes.AnnotationView, ...]
    allowed_actions: frozenset[str]  # ``lifecycle.FolderAction`` values this actor may take now
    decisions: tuple[str, ...]  # on the active step, when the actor may act
    active_step_id: int  # the step the actor may act on (0: none)
    needs_pin: bool
    acting_for: tuple[Person, ...]  # delegators whose slot the actor may fill
    own_slot: bool  # the actor has a slot of their own on the active step
    key_problem: str  # an ``error.*`` key: why the actor cannot sign yet ("" when they can)
    undo_action_id: int  # the actor's own last decision while it may be undone (0: none)
    undo_decision: str
    letter: LetterText | None
    sending: Sending | None  # once sent

    is_initiator: bool

    @property
    def signed(self) -> bool:
        return self.status in {s.value for s in lifecycle.SIGNED_STATUSES}


def _sending(session: Session, folder: Folder) -> Sending | None:
    """What ``folder.sent`` recorded: the registered letter and the recipient's number."""
    if folder.status != FolderStatus.sent:
        return None
    raw = session.execute(
        select(AuditEvent.data)
        .where(
            AuditEvent.action == "folder.sent",
            AuditEvent.object_type == "folder",
            AuditEvent.object_id == str(folder.id),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).scalar()
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        data = {}
    out_id = data.get("outgoing_id")
    return Sending(
        str(data.get("outgoing", "")), out_id if isinstance(out_id, int) else None, str(data.get("recipient") or "")
    )


def _allowed(folder: Folder, actor: Actor, d: FolderDetail, undo_id: int, can_send: bool) -> frozenset[str]:
    """``lifecycle.allowed`` narrowed to what this actor may do: the initiator's commands, the
    decisions of their slot, their undo, the sending."""
    mine = (
        {FolderAction.start, FolderAction.new_version, FolderAction.cancel}
        if folder.initiator_id == actor.user_id
        else set()
    )
    mine |= {FolderAction(v) for v in d.decisions}
    if undo_id:
        mine.add(FolderAction.undo)
    if can_send:
        mine.add(FolderAction.send)
    return frozenset(a.value for a in lifecycle.allowed(folder) & mine)


def folder_view(session: Session, actor: Actor | None, folder_id: int) -> FolderView:
    """The folder as ``actor`` may see it (``NotFound`` otherwise), with the actions open to them."""
    from mrasla_app.services.correspondence import drafting, sending  # they read the parapheur too

    actor = permissions.require_actor(actor)
    d = folder_detail(session, actor, folder_id)
    folder = d.folder
    people = folders.people(
        session,
        {folder.initiator_id}
        | {uid for v in d.steps for uid, _, _ in v.participants}
        | {hv.action.actor_id for hv in d.history}
        | {hv.action.on_behalf_of_id for hv in d.history if hv.action.on_behalf_of_id},
    )

    def person(uid: int, fallback: str = "?") -> Person:
        u = people.get(uid)
        return Person(uid, u.full_name, u.full_name_ar or u.full_name) if u else Person(uid, fallback, fallback)

    corr = session.get(Correspondence, folder.correspondence_id) if folder.correspondence_id else None
    main = next((doc for doc in d.documents if doc.role == DocumentRole.main), None)
    steps = tuple(
        StepLine(
            v.step.id,
            v.step.position,
            v.step.kind.value,
            v.step.mode.value,
            v.step.label_fr,
            v.step.label_ar,
            v.step.status.value,
            v.step.due_on if v.step.status == StepStatus.active else None,
            tuple(ParticipantLine(uid, name, person(uid, name).name_ar, acted) for uid, name, acted in v.participants),
        )
        for v in d.steps
    )
    position = {v.step.id: (v.step.position, v.step.kind.value) for v in d.steps}
    history = []
    for hv in d.history:
        a = hv.action
        pos, kind = position.get(a.step_id, (None, ""))
        obo = person(a.on_behalf_of_id, hv.on_behalf_of_name) if a.on_behalf_of_id else None
        history.append(
            HistoryLine(
                a.at,
                hv.actor_name,
                person(a.actor_id, hv.actor_name).name_ar,
                a.decision.value,
                pos,
                kind,
                a.comment,
                a.withdrawn_at is not None,
                hv.on_behalf_of_name if obo else "",
                obo.name_ar if obo else "",
            )
        )
    may_note = page_notes.may_annotate(session, actor, folder)
    undoable = undo.undoable(session, actor, folder.id)
    undo_id = int(undoable.id) if undoable is not None else 0
    can_send = sending.can_send_folder(session, actor, folder)
    active = next((v for v in d.steps if v.step.id == d.active_step_id), None)
    draft = drafting.current_draft(session, folder)
    key_problem = (
        signing_keys.key_problem(signing_keys.active_key(session, actor.user_id)) if (d.can_act and d.needs_pin) else ""
    )
    return FolderView(
        folder.id,
        folder.reference,
        folder.title,
        folder.status.value,
        folder.version,
        folder.created_at,
        folder.completed_at,
        folder.reject_reason or "",
        person(folder.initiator_id, ""),
        corr.id if corr else None,
        corr.registry_number if corr else "",
        main.filename if main else "",
        drafting.main_pages(session, folder),
        folder.current_sha256 or "",
        tuple(DocumentLine(doc.id, doc.filename, doc.pages) for doc in d.documents if doc.role != DocumentRole.main),
        steps,
        tuple(history),
        may_note,
        page_notes.page_count(session, folder) if folder.current_sha256 else 0,
        tuple(page_notes.views_of(session, actor, folder)) if may_note else (),
        _allowed(folder, actor, d, undo_id, can_send),
        d.decisions,
        d.active_step_id or 0,
        d.needs_pin,
        tuple(person(u) for u in d.acting_for),
        bool(active and any(uid == actor.user_id and not acted for uid, _, acted in active.participants)),
        key_problem,
        undo_id,
        undoable.decision.value if undoable is not None else "",
        LetterText(draft.addressee, draft.place, draft.subject, draft.body) if draft is not None else None,
        _sending(session, folder),
        folder.initiator_id == actor.user_id,
    )


# ------------------------------------------------------------------------------ documents


def document(
    session: Session, actor: Actor | None, folder_id: int, document_id: int | None = None
) -> tuple[str, bytes]:
    """(file name, PDF bytes): the main document as it stands (prepared/signed so far) or an annex."""
    folder = folders.get_visible(session, actor, folder_id)
    if document_id is None:
        main = folders.main_document(session, folder)
        return main.filename, storage.get(folder.current_sha256 or main.pdf_sha256)
    doc = session.get(FolderDocument, document_id)
    if doc is None or doc.folder_id != folder.id:
        raise NotFound()
    sha = (
        folder.current_sha256
        if (doc.role == DocumentRole.main and doc.version == folder.version)
        else (doc.signed_sha256 or doc.prepared_sha256 or doc.pdf_sha256)
    )
    return doc.filename, storage.get(sha)


def reference(session: Session, actor: Actor | None, folder_id: int) -> str:
    """The folder's reference (file names of its downloads), if the actor may see it."""
    return folders.get_visible(session, actor, folder_id).reference


def signed_document(folder: Folder) -> bytes:
    """The signed main document of a completed folder (for the completion hook: register, send)."""
    if folder.status not in lifecycle.SIGNED_STATUSES or not folder.current_sha256:
        raise DomainError("error.folder_not_completed")
    return storage.get(folder.current_sha256)


def report(session: Session, actor: Actor | None, folder_id: int):
    """``pki.validation.validate_pdf`` of the main document as it stands."""
    from mrasla_app.pki.validation import validate_pdf

    folder = folders.get_visible(session, actor, folder_id)
    return validate_pdf(storage.get(folder.current_sha256))


def public_status(session: Session, reference: str, token: str) -> dict | None:
    """What the QR code's verification page may show (None when reference and token do not match)."""
    folder = session.execute(select(Folder).where(Folder.reference == reference)).scalar_one_or_none()
    if folder is None or not token or not secrets.compare_digest(folder.verify_token_hash, folders.token_hash(token)):
        return None
    adm = session.get(Administration, folder.administration_id)
    return {
        "reference": folder.reference,
        "status": folder.status.value,
        "administration_fr": adm.name_fr if adm else "",
        "administration_ar": adm.name_ar if adm else "",
        "document_sha256": folder.current_sha256,
        "completed_at": folder.completed_at,
        "version": folder.version,
    }


__all__ = [
    "QUEUES",
    "QueueItem",
    "QueueRow",
    "queue",
    "queue_rows",
    "queue_counts",
    "first_queue",
    "linkable_letters",
    "FolderDetail",
    "folder_detail",
    "FolderView",
    "folder_view",
    "document",
    "reference",
    "signed_document",
    "report",
    "public_status",
]
