"""The letter as its detail page and the API show it: one typed view, built in one place.

``letter_view`` gathers what the actor may see of one correspondence (parties, documents, history,
notes, links, copies) with the actions the actor may take now, from ``letter_actions.RULES`` — the
same table the commands enforce. Adapters only format it (dates, sizes, URLs, catalogue texts).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlmodel import Session

from mrasla_app.i18n.formats import local_day
from mrasla_app.models import (
    Administration,
    AuditEvent,
    Correspondence,
    CorrespondenceLink,
    Direction,
    Dispatch,
    DispatchPurpose,
    Document,
    DocumentKind,
    Folder,
    Note,
    Party,
    RoleMembership,
    Status,
    Unit,
    User,
)
from mrasla_app.services.correspondence import contacts, dispatch, labels, letter_actions, scoping, sending
from mrasla_app.services.correspondence.letter_actions import LetterAction
from mrasla_app.services.directory import administrations
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import PermissionDenied

DOCUMENT_KINDS = tuple(k.value for k in DocumentKind)
#: A sent letter stays sent when it is later closed or archived: its delivery trail can be certified.
SENT_STATUSES = frozenset({Status.sent, Status.closed, Status.archived})
#: History events the page names; any other shows as "other".
HISTORY = (
    "deposited",
    "registered",
    "qualified",
    "dispatched",
    "in_progress",
    "returned",
    "closed",
    "answered",
    "archived",
    "to_qualify",
    "note_added",
    "linked",
    "sent",
    "delivered",
    "acknowledged",
    "received",
    "retrieved",
    "evidence_issued",
    "due",
    "active",
    "transfer_pending",
    "transferred",
    "destroyed",
)  # the last five: records.retention
#: History events of the sending (flow 5): the data worth showing under each (recipient, registry numbers).
SENDING_DETAILS = {
    "sent": ("to_administration", "to_unit", "to_party"),
    "delivered": ("to_administration", "number"),
    "acknowledged": ("number",),
    "received": ("from",),
}


@dataclass(frozen=True)
class Bilingual:
    ar: str
    fr: str


@dataclass(frozen=True)
class DocumentView:
    id: int
    filename: str
    kind: str
    pages: int
    size: int
    sha256: str
    content_type: str


@dataclass(frozen=True)
class EventView:
    action: str  # one of HISTORY, or "other"
    at: datetime
    who: Bilingual  # empty for the portal (the depositor)
    detail: Bilingual


@dataclass(frozen=True)
class NoteView:
    id: int
    body: str
    at: datetime
    author: Bilingual


@dataclass(frozen=True)
class LinkView:
    correspondence_id: int
    registry_number: str
    subject: str
    kind: str
    outgoing: bool  # this letter points to the other one


@dataclass(frozen=True)
class LetterView:
    corr: Correspondence  # the row itself (status, numbers, dates…), read-only for adapters
    sender: Bilingual
    sender_party: Party | None
    recipient: Bilingual
    unit: Bilingual
    assignee: Bilingual
    documents: list[DocumentView]
    events: list[EventView]
    notes: list[NoteView]
    links: list[LinkView]
    copies: list[Bilingual]  # units that received it for information
    actions: frozenset[LetterAction]
    can_send: bool  # an outgoing letter to send, or a signed folder answering this letter
    can_reprint: bool  # the registry clerk may print the QR label again
    info_only: bool  # the actor sees it as a copy for information, not for action
    delivery_evidence: bool  # a sent letter: its sealed evidence of delivery can be issued (law 43-20)
    contact: str  # the correspondent as the contacts directory knows it (both names, after merges)

    def may(self, action: LetterAction) -> bool:
        return action in self.actions


def _user_names(session: Session, ids: set[int]) -> dict[int, Bilingual]:
    if not ids:
        return {}
    return {
        u.id: Bilingual(u.full_name_ar or u.full_name, u.full_name)
        for u in session.execute(select(User).where(User.id.in_(ids))).scalars()
    }


def _event_detail(action: str, data: dict, unit_names: dict[int, str]) -> str:
    """The free text worth showing under a history entry (reason, instructions, unit, number, copies)."""
    if action in SENDING_DETAILS:
        docs = data.get("documents") or []
        values = [str(data.get(key) or "") for key in SENDING_DETAILS[action]]
        values.append(", ".join(str(d.get("name", "")) for d in docs if isinstance(d, dict)))
        return " · ".join(v for v in values if v)[:500]
    parts = []
    keys = ("to",) if action == "linked" else ("unit", "reason", "instructions", "disposal", "until")
    for key in keys:
        value = data.get(key)
        if value:
            parts.append(str(value))
    if action == "dispatched" and data.get("info"):
        parts.append("⧉ " + ", ".join(unit_names.get(u, str(u)) for u in data["info"] if isinstance(u, int)))
    if action == "qualified" and data.get("deadline"):
        try:
            parts.append(local_day(date.fromisoformat(str(data["deadline"]))))
        except ValueError:
            pass
    return " · ".join(parts)[:500]


def _events(
    session: Session, history: list[AuditEvent], names: dict[int, Bilingual], copies: list[Unit]
) -> list[EventView]:
    # administrations that acted on it (arrival from, acknowledgement by): "administration:<code>"
    codes = {
        (e.actor_label or "").split(":", 1)[1] for e in history if (e.actor_label or "").startswith("administration:")
    }
    adms = (
        {
            a.code: Bilingual(a.name_ar, a.name_fr)
            for a in session.execute(select(Administration).where(Administration.code.in_(codes))).scalars()
        }
        if codes
        else {}
    )
    unit_ar = {u.id: u.name_ar for u in copies if u.id}
    unit_fr = {u.id: u.name_fr for u in copies if u.id}
    out = []
    for e in history:
        try:
            data = json.loads(e.data or "{}")
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        action = e.action.split(".", 1)[-1]
        label = e.actor_label or ""
        if e.actor_id in names:
            who = names[e.actor_id]
        elif label.startswith("portal"):
            who = Bilingual("", "")
        else:
            who = adms.get(label.split(":", 1)[-1], Bilingual(label, label))
        out.append(
            EventView(
                action if action in HISTORY else "other",
                e.at,
                who,
                Bilingual(_event_detail(action, data, unit_ar), _event_detail(action, data, unit_fr)),
            )
        )
    return out


def _links(session: Session, actor: Actor, corr: Correspondence) -> list[LinkView]:
    """Links to correspondences the actor may also see."""
    rows = (
        session.execute(
            select(CorrespondenceLink).where(
                or_(CorrespondenceLink.from_id == corr.id, CorrespondenceLink.to_id == corr.id)
            )
        )
        .scalars()
        .all()
    )
    other_ids = {r.to_id if r.from_id == corr.id else r.from_id for r in rows}
    visible = (
        {
            c.id: c
            for c in session.execute(
                select(Correspondence).where(Correspondence.id.in_(other_ids), scoping.visible_clause(session, actor))
            ).scalars()
        }
        if other_ids
        else {}
    )
    out = []
    for r in rows:
        c = visible.get(r.to_id if r.from_id == corr.id else r.from_id)
        if c is not None:
            out.append(LinkView(c.id, c.registry_number, c.subject, r.kind.value, r.from_id == corr.id))
    return out


def _contact_label(session: Session, party_id: int | None) -> str:
    entry = contacts.for_party(session, party_id)
    return contacts.display_name(entry) if entry else ""


def letter_view(session: Session, actor: Actor, correspondence_id: int) -> LetterView:
    """Everything the actor may see of one correspondence, and what they may do with it now."""
    corr = scoping.get_visible(session, actor, correspondence_id)
    sender = session.get(Party, corr.sender_party_id) if corr.sender_party_id else None
    sender_adm = session.get(Administration, corr.sender_administration_id) if corr.sender_administration_id else None
    to_adm = session.get(Administration, corr.recipient_administration_id) if corr.recipient_administration_id else None
    to_party = session.get(Party, corr.recipient_party_id) if corr.recipient_party_id else None
    unit = session.get(Unit, corr.action_unit_id) if corr.action_unit_id else None
    assignee = session.get(User, corr.assignee_id) if corr.assignee_id else None
    person = sender.full_name if sender else ""
    to_person = to_party.full_name if to_party else ""
    docs = (
        session.execute(
            select(Document)
            .where(Document.correspondence_id == corr.id)
            .order_by(Document.kind, Document.position, Document.id)
        )
        .scalars()
        .all()
    )
    history = dispatch.history(session, actor, corr.id)
    notes = session.execute(select(Note).where(Note.correspondence_id == corr.id).order_by(Note.id)).scalars().all()
    names = _user_names(session, {e.actor_id for e in history if e.actor_id} | {n.author_id for n in notes})
    copies = list(
        session.execute(
            select(Unit)
            .join(Dispatch, Dispatch.unit_id == Unit.id)
            .where(Dispatch.correspondence_id == corr.id, Dispatch.purpose == DispatchPurpose.information)
            .order_by(Dispatch.id)
        )
        .scalars()
        .unique()
    )
    acting = letter_actions.is_acting_on(session, actor, corr)
    copy_ids = {u.id for u in copies}
    return LetterView(
        corr=corr,
        sender=Bilingual(sender_adm.name_ar, sender_adm.name_fr) if sender_adm else Bilingual(person, person),
        sender_party=sender,
        recipient=Bilingual(
            " · ".join(x for x in (to_person, to_adm.name_ar if to_adm else "") if x),
            " · ".join(x for x in (to_person, to_adm.name_fr if to_adm else "") if x),
        ),
        unit=Bilingual(f"{unit.name_ar} ({unit.code})", f"{unit.name_fr} ({unit.code})") if unit else Bilingual("", ""),
        assignee=Bilingual(assignee.full_name_ar or assignee.full_name, assignee.full_name)
        if assignee
        else Bilingual("", ""),
        documents=[
            DocumentView(d.id, d.filename, d.kind.value, d.pages or 0, d.size, d.sha256, d.content_type) for d in docs
        ],
        events=_events(session, history, names, copies),
        notes=[NoteView(n.id, n.body, n.created_at, names.get(n.author_id, Bilingual("", ""))) for n in notes],
        links=_links(session, actor, corr),
        copies=[Bilingual(u.name_ar, u.name_fr) for u in copies],
        actions=letter_actions.allowed(session, actor, corr),
        can_send=sending.can_send_outgoing(session, actor, corr)
        or bool(sending.folders_to_send(session, actor, corr.id)),
        can_reprint=labels.can_reprint(session, actor, corr),
        info_only=not acting and bool(copy_ids & scoping.unit_scope(session, actor)),
        delivery_evidence=corr.direction is Direction.outgoing and corr.status in SENT_STATUSES,
        contact=_contact_label(session, corr.sender_party_id or corr.recipient_party_id),
    )


@dataclass(frozen=True)
class PersonView:
    id: int
    name: Bilingual


@dataclass(frozen=True)
class UnitChoice:
    id: int
    code: str
    name: Bilingual
    depth: int


@dataclass(frozen=True)
class DispatchView:
    """What the qualify-and-dispatch panel offers for one letter."""

    corr: Correspondence
    qualify: bool  # the registry qualifies it first (type, priority, deadline, confidentiality)
    units: list[UnitChoice]
    sender: str
    documents: list[DocumentView]


def _person(u: User) -> PersonView:
    return PersonView(u.id, Bilingual(u.full_name_ar or u.full_name, u.full_name))


def _dispatchable(session: Session, actor: Actor, correspondence_id: int) -> Correspondence:
    corr = scoping.get_visible(session, actor, correspondence_id)
    if LetterAction.dispatch not in letter_actions.allowed(session, actor, corr):
        raise PermissionDenied()
    return corr


def dispatch_view(session: Session, actor: Actor, correspondence_id: int) -> DispatchView:
    """The panel's content; refused (403) unless the actor may dispatch the letter now."""
    corr = _dispatchable(session, actor, correspondence_id)
    nodes = administrations.unit_tree(session, corr.administration_id, active_only=True)
    party = session.get(Party, corr.sender_party_id) if corr.sender_party_id else None
    docs = (
        session.execute(
            select(Document)
            .where(Document.correspondence_id == corr.id)
            .order_by(Document.kind, Document.position, Document.id)
        )
        .scalars()
        .all()
    )
    return DispatchView(
        corr=corr,
        qualify=LetterAction.qualify in letter_actions.allowed(session, actor, corr),
        units=[UnitChoice(n.unit.id, n.unit.code, Bilingual(n.unit.name_ar, n.unit.name_fr), n.depth) for n in nodes],
        sender=party.full_name if party else "",
        documents=[
            DocumentView(d.id, d.filename, d.kind.value, d.pages or 0, d.size, d.sha256, d.content_type) for d in docs
        ],
    )


def unit_people(session: Session, actor: Actor, correspondence_id: int, unit_id: int) -> list[PersonView]:
    """Active staff of ``unit_id`` the letter may be dispatched to by name."""
    corr = _dispatchable(session, actor, correspondence_id)
    rows = (
        session.execute(
            select(User)
            .join(RoleMembership, RoleMembership.user_id == User.id)
            .where(
                RoleMembership.unit_id == unit_id,
                User.active.is_(True),
                User.administration_id == corr.administration_id,
            )
            .order_by(User.full_name)
        )
        .scalars()
        .unique()
        .all()
    )
    return [_person(u) for u in rows]


def confidential_candidates(session: Session, actor: Actor, correspondence_id: int) -> list[PersonView]:
    """Staff of the administration who may be named on a confidential letter (the qualifying clerk only)."""
    corr = _dispatchable(session, actor, correspondence_id)
    if LetterAction.qualify not in letter_actions.allowed(session, actor, corr):
        return []
    rows = (
        session.execute(
            select(User)
            .where(User.administration_id == corr.administration_id, User.active.is_(True))
            .order_by(User.full_name)
        )
        .scalars()
        .all()
    )
    return [_person(u) for u in rows]


@dataclass(frozen=True)
class SendPanelView:
    """What the send panel (flow 5) shows for the one thing it sends: a signed folder (``options``:
    where it may go) or an outgoing letter registered "to send" (``fixed``: its recipient administration)."""

    folder_id: int  # 0 when the outgoing letter ``correspondence_id`` is the thing sent
    correspondence_id: int
    reference: str  # the folder's reference or the letter's registry number
    options: sending.SendOptions | None
    fixed: Bilingual  # "code — name" of the recipient administration of an outgoing letter


def _folder_panel(session: Session, actor: Actor, folder: Folder) -> SendPanelView:
    return SendPanelView(
        folder.id,
        0,
        folder.reference,
        sending.options(session, actor, folder.id),
        Bilingual("", ""),
    )


def send_panel_for_folder(session: Session, actor: Actor, folder_id: int) -> SendPanelView:
    """The panel of a signed folder the actor may send (refused otherwise)."""
    folder = session.get(Folder, folder_id)
    if folder is None or not sending.can_send_folder(session, actor, folder):
        raise PermissionDenied()
    return _folder_panel(session, actor, folder)


def send_panel_for_letter(session: Session, actor: Actor, correspondence_id: int) -> SendPanelView:
    """The panel on a letter's page: the outgoing letter itself when it is to send, else the first
    signed folder answering it that the actor may send (refused when there is neither)."""
    corr = scoping.get_visible(session, actor, correspondence_id)
    if sending.can_send_outgoing(session, actor, corr):
        adm = session.get(Administration, corr.recipient_administration_id)
        fixed = Bilingual(f"{adm.code} — {adm.name_ar}", f"{adm.code} — {adm.name_fr}") if adm else Bilingual("", "")
        return SendPanelView(0, corr.id, corr.registry_number, None, fixed)
    folders = sending.folders_to_send(session, actor, corr.id)
    if not folders:
        raise PermissionDenied()
    return _folder_panel(session, actor, folders[0])
