"""Sending (flow 5): a signed document leaves the administration as one visible step.

What can be sent:
- a signature-book folder once its circuit is complete (``FolderStatus.completed``, shown "to send")
  — an answer, an outgoing letter, an internal note — with ``send_folder``;
- an outgoing letter registered by the registry for a recipient administration on the platform
  (``Status.to_send``) with ``send_outgoing``;
- a PDF signed elsewhere, as the answer to an incoming letter, with ``send_answer``.

To whom (``Recipient``):
- ``correspondent``: whoever wrote the linked incoming letter. A citizen or company finds the answer
  on the tracking page and is notified; an administration receives it in its register (below);
- ``administration``: another administration on the platform. The letter arrives in its incoming
  register with its own number (A, channel inter-administration, status to qualify, the sending
  administration as sender) and the sender receives, attached to its outgoing item, a sealed
  acknowledgement listing every document received (name, pages, SHA-256);
- ``unit``: a unit of the same administration, as an internal note (I) dispatched to it for action.

Everything happens in the caller's one transaction: the registry number (D outgoing, I internal),
the documents, links, status transitions (``registry.TRANSITIONS``, ``lifecycle.FOLDER_TRANSITIONS``)
and audit events whose actions the history renders with catalogue wording (``sent``, ``delivered``,
``acknowledged``, ``received``). Only an answer to the correspondent's own letter marks that letter
answered and is linked "reply to"; anything else sent from a folder linked to a letter is linked
"same file".
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.documents.receipts import Attachment, ReceiptData, issue_receipt
from mrasla_app.models import (
    Administration,
    Channel,
    Correspondence,
    CorrespondenceLink,
    Direction,
    Dispatch,
    DispatchPurpose,
    Document,
    DocumentKind,
    Folder,
    FolderStatus,
    LinkKind,
    Party,
    PartyKind,
    Role,
    Status,
    Unit,
)
from mrasla_app.models.base import utcnow
from mrasla_app.pki.validation import validate_pdf
from mrasla_app.services.correspondence import intake, letter_actions, registry, scoping
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor, hash_secret
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.parapheur import folders, lifecycle, views
from mrasla_app.services.platform import audit, files, notifications, storage
from mrasla_app.services.platform.text import clean


class Recipient(str, enum.Enum):
    correspondent = "correspondent"
    administration = "administration"
    unit = "unit"


@dataclass(frozen=True)
class SendResult:
    outgoing_id: int  # the sender's item in its outgoing (or internal) register
    outgoing_number: str
    recipient_id: int | None  # the recipient administration's incoming item
    recipient_number: str | None
    notification_ids: tuple[int, ...]


@dataclass(frozen=True)
class Target:
    id: int
    code: str
    name_fr: str
    name_ar: str


@dataclass(frozen=True)
class SendOptions:
    """What the send panel offers for one folder."""

    correspondent_fr: str  # who wrote the linked letter ("" when there is no one to answer)
    correspondent_ar: str
    administrations: tuple[Target, ...]
    units: tuple[Target, ...]


@dataclass(frozen=True)
class _Piece:
    filename: str
    data: bytes
    pages: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


# ------------------------------------------------------------------------------------ helpers


def _register(
    session: Session, adm: Administration, direction: Direction, words: tuple[str, ...], **fields: object
) -> Correspondence:
    """A numbered correspondence whose verification token nobody holds (its documents carry their own)."""
    return intake.numbered(session, adm, direction, columns=fields, words=words, verify_token=secrets.token_urlsafe(24))


def _attach(session: Session, corr: Correspondence, kind: DocumentKind, piece: _Piece, position: int = 0) -> None:
    session.add(
        Document(
            correspondence_id=corr.id,
            kind=kind,
            position=position,
            filename=piece.filename,
            content_type="application/pdf",
            size=len(piece.data),
            sha256=piece.sha256,
            pages=piece.pages,
            pdf_sha256=piece.sha256,
        )
    )


def _link(session: Session, actor: Actor, a: Correspondence, b: Correspondence, kind: LinkKind) -> None:
    session.add(CorrespondenceLink(from_id=a.id, to_id=b.id, kind=kind, created_by=actor.user_id or None))


def _record(
    session: Session, actor: Actor | None, corr: Correspondence, action: str, *, actor_label: str = "", **data: object
) -> None:
    audit.record(
        session,
        actor,
        f"correspondence.{action}",
        object_type="correspondence",
        object_id=corr.id,
        administration_id=corr.administration_id,
        actor_label=actor_label,
        data=data,
    )


def _signed_piece(filename: str, document: bytes) -> _Piece:
    """The document must be a PDF carrying valid signatures trusted by the platform."""
    checked = files.inspect(filename, document)
    if checked.content_type != "application/pdf" or not validate_pdf(document).authentic:
        raise DomainError("error.answer_not_signed")
    return _Piece(checked.filename, document, checked.pages)


def _administration(session: Session, administration_id: int | None, sender: Administration) -> Administration:
    target = session.get(Administration, administration_id) if administration_id else None
    if target is None or not target.active or target.id == sender.id:
        raise DomainError("error.unknown_administration")
    return target


def _may_send_for(
    session: Session, actor: Actor, administration_id: int, unit_id: int | None, initiator_id: int | None = None
) -> bool:
    """The initiator, the registry, and the staff of the sending unit (or heads above it)."""
    if actor.administration_id != administration_id:
        return False
    if initiator_id is not None and initiator_id == actor.user_id:
        return True
    if actor.has_role(Role.clerk):
        return True
    return unit_id is not None and unit_id in scoping.unit_scope(session, actor)


# ------------------------------------------------------------------------------------ delivery


def _deliver_to_administration(
    session: Session,
    actor: Actor,
    sender: Administration,
    outgoing: Correspondence,
    target: Administration,
    pieces: list[_Piece],
) -> Correspondence:
    """Arrival in the recipient's incoming register, and the sealed acknowledgement for the sender."""
    party = Party(kind=PartyKind.administration, full_name=sender.name_fr, administration_id=sender.id)
    session.add(party)
    session.flush()
    arrival = _register(
        session,
        target,
        Direction.incoming,
        (outgoing.subject, sender.name_fr, sender.name_ar, sender.code, outgoing.registry_number),
        subject=outgoing.subject,
        channel=Channel.inter_administration,
        sender_administration_id=sender.id,
        sender_party_id=party.id,
        status=Status.to_qualify,
        message="",
    )
    for pos, piece in enumerate(pieces):
        _attach(session, arrival, DocumentKind.attachment, piece, pos)
    _link(session, actor, arrival, outgoing, LinkKind.same_file)
    receipt = issue_receipt(
        ReceiptData(
            registry_number=arrival.registry_number,
            administration_fr=target.name_fr,
            administration_ar=target.name_ar,
            deposited_at=arrival.registered_at,
            depositor_name=f"{sender.name_fr} — {sender.name_ar}",
            depositor_id_kind="",
            depositor_id="",
            subject=arrival.subject,
            verify_url=_new_verify_url(arrival),
            sender_reference=outgoing.registry_number,
            attachments=tuple(Attachment(p.filename, p.pages, p.sha256, len(p.data)) for p in pieces),
        )
    )
    storage.put(receipt)
    ack = _Piece(f"accuse-{registry.reference_slug(arrival.registry_number)}.pdf", receipt, 1)
    _attach(session, outgoing, DocumentKind.receipt, ack, len(pieces))
    documents = [{"name": p.filename, "pages": p.pages, "sha256": p.sha256} for p in pieces]
    _record(
        session,
        None,
        arrival,
        "received",
        actor_label=f"administration:{sender.code}",
        number=arrival.registry_number,
        **{"from": outgoing.registry_number},
        documents=documents,
    )
    _record(
        session,
        actor,
        outgoing,
        "delivered",
        to_administration=target.code,
        number=arrival.registry_number,
        documents=documents,
    )
    _record(
        session,
        None,
        outgoing,
        "acknowledged",
        actor_label=f"administration:{target.code}",
        number=arrival.registry_number,
        receipt_sha256=ack.sha256,
    )
    return arrival


def _new_verify_url(arrival: Correspondence) -> str:
    """The acknowledgement's QR opens the public verification of the arrival (its token lives only there)."""
    from mrasla_app.services.correspondence.intake import verify_url

    token = secrets.token_urlsafe(24)
    arrival.verify_token_hash = hash_secret(token)
    return verify_url(registry.reference_slug(arrival.registry_number), token)


def _send(
    session: Session,
    actor: Actor,
    sender: Administration,
    *,
    subject: str,
    pieces: list[_Piece],
    unit_id: int | None,
    recipient: Recipient,
    linked: Correspondence | None,
    to_administration_id: int | None = None,
    to_unit_id: int | None = None,
) -> SendResult:
    """Register the sending in the outgoing (or internal) register and deliver it (module docstring)."""
    target: Administration | None = None
    party: Party | None = None
    unit: Unit | None = None
    if recipient is Recipient.correspondent:
        if linked is None or linked.direction is not Direction.incoming:
            raise DomainError("error.no_recipient")
        if linked.sender_administration_id:
            target = _administration(session, linked.sender_administration_id, sender)
        else:
            party = session.get(Party, linked.sender_party_id) if linked.sender_party_id else None
            if party is None:
                raise DomainError("error.no_recipient")
    elif recipient is Recipient.administration:
        target = _administration(session, to_administration_id, sender)
    else:
        unit = session.get(Unit, to_unit_id) if to_unit_id else None
        if unit is None or unit.administration_id != sender.id or not unit.active or unit.id == unit_id:
            raise DomainError("error.unknown_unit")
    is_reply = (
        linked is not None
        and linked.direction is Direction.incoming
        and (party is not None or (target is not None and target.id == linked.sender_administration_id))
    )
    for piece in pieces:
        storage.put(piece.data)  # durable before the rows that reference it

    if unit is not None:
        item = _register(
            session,
            sender,
            Direction.internal,
            (subject[:255],),
            subject=subject[:255],
            channel=Channel.platform,
            unit_id=unit_id,
            action_unit_id=unit.id,
            created_by=actor.user_id or None,
            status=Status.dispatched,
        )
        session.add(
            Dispatch(
                correspondence_id=item.id,
                unit_id=unit.id,
                purpose=DispatchPurpose.action,
                created_by=actor.user_id or None,
            )
        )
    else:
        item = _register(
            session,
            sender,
            Direction.outgoing,
            (subject[:255],),
            subject=subject[:255],
            channel=Channel.inter_administration if target else Channel.portal,
            unit_id=unit_id,
            created_by=actor.user_id or None,
            recipient_party_id=party.id if party else None,
            recipient_administration_id=target.id if target else None,
            status=Status.sent,
        )
    kind = DocumentKind.answer if is_reply else DocumentKind.signed
    for pos, piece in enumerate(pieces):
        _attach(session, item, kind, piece, pos)
    _record(
        session,
        actor,
        item,
        "sent",
        number=item.registry_number,
        to_administration=target.code if target else None,
        to_unit=unit.code if unit else None,
        to_party=party.full_name if party else None,
        in_reply_to=linked.registry_number if is_reply and linked else None,
        documents=[{"name": p.filename, "pages": p.pages, "sha256": p.sha256} for p in pieces],
    )
    if linked is not None:
        _link(session, actor, item, linked, LinkKind.reply_to if is_reply else LinkKind.same_file)
        if is_reply:
            for pos, piece in enumerate(pieces):
                _attach(session, linked, DocumentKind.answer, piece, pos)
            linked.answered_at = utcnow()
            registry.transition(session, actor, linked, Status.answered, answer=item.registry_number)
    arrival = _deliver_to_administration(session, actor, sender, item, target, pieces) if target else None
    notes: list[int] = []
    if party is not None and party.email and linked is not None:
        params = {"number": linked.registry_number}
        n = notifications.queue(
            session,
            party.email,
            notifications.bilingual_subject("mail.answer.subject", **params),
            notifications.bilingual_body("mail.answer.body", "ar", ar=params, fr=params),
            linked.id,
        )
        notes.append(n.id)
    return SendResult(
        item.id,
        item.registry_number,
        arrival.id if arrival else None,
        arrival.registry_number if arrival else None,
        tuple(notes),
    )


# ------------------------------------------------------------------------------------ entry points


def send_answer(
    session: Session,
    actor: Actor | None,
    incoming_id: int,
    *,
    subject: str,
    document: bytes,
    filename: str = "reponse.pdf",
    to_administration_id: int | None = None,
) -> SendResult:
    """Send a PDF signed elsewhere as the answer to ``incoming_id`` (to its correspondent, or to
    ``to_administration_id``)."""
    incoming = scoping.get_visible(session, actor, incoming_id, for_update=True)
    assert actor is not None
    if not letter_actions.parties(session, actor, incoming):
        raise PermissionDenied()
    if incoming.direction is not Direction.incoming:
        raise DomainError("error.invalid_request")
    piece = _signed_piece(filename, document)
    sender = session.get(Administration, incoming.administration_id)
    assert sender is not None
    recipient = Recipient.administration if to_administration_id else Recipient.correspondent
    return _send(
        session,
        actor,
        sender,
        subject=clean(subject, multiline=False) or incoming.subject,
        pieces=[piece],
        unit_id=incoming.action_unit_id,
        recipient=recipient,
        linked=incoming,
        to_administration_id=to_administration_id,
    )


def _folder_to_send(session: Session, actor: Actor | None, folder_id: int) -> tuple[Actor, Folder]:
    actor = permissions.require_actor(actor)
    folder = session.execute(select(Folder).where(Folder.id == folder_id).with_for_update()).scalar_one_or_none()
    if folder is None or not folders.can_see(session, actor, folder):
        raise NotFound()
    if not _may_send_for(session, actor, folder.administration_id, folder.unit_id, folder.initiator_id):
        raise PermissionDenied()
    return actor, folder


def send_folder(
    session: Session,
    actor: Actor | None,
    folder_id: int,
    *,
    to: Recipient | str | None = None,
    to_administration_id: int | None = None,
    to_unit_id: int | None = None,
) -> SendResult:
    """Send a signed folder's document; the folder moves from "to send" to "sent".

    ``to`` defaults to the administration when ``to_administration_id`` is given, the unit when
    ``to_unit_id`` is, else the correspondent of the linked letter.
    """
    actor, folder = _folder_to_send(session, actor, folder_id)
    if folder.status is not FolderStatus.completed:
        raise DomainError(
            "error.folder_not_completed" if folder.status is not FolderStatus.sent else "error.sending_already_sent"
        )
    try:
        recipient = (
            Recipient(to)
            if to
            else (
                Recipient.administration
                if to_administration_id
                else Recipient.unit
                if to_unit_id
                else Recipient.correspondent
            )
        )
    except ValueError:
        raise DomainError("error.invalid_request") from None
    linked = (
        scoping.get_visible(session, actor, folder.correspondence_id, for_update=True)
        if folder.correspondence_id
        else None
    )
    sender = session.get(Administration, folder.administration_id)
    assert sender is not None
    piece = _signed_piece(f"{folder.reference}.pdf", views.signed_document(folder))
    result = _send(
        session,
        actor,
        sender,
        subject=folder.title,
        pieces=[piece],
        unit_id=folder.unit_id,
        recipient=recipient,
        linked=linked,
        to_administration_id=to_administration_id,
        to_unit_id=to_unit_id,
    )
    lifecycle.move(
        session,
        actor,
        folder,
        FolderStatus.sent,
        outgoing=result.outgoing_number,
        outgoing_id=result.outgoing_id,
        recipient=result.recipient_number,
    )
    return result


def send_outgoing(session: Session, actor: Actor | None, correspondence_id: int) -> SendResult:
    """Deliver an outgoing letter registered "to send" to its recipient administration, with its documents."""
    corr = scoping.get_visible(session, actor, correspondence_id, for_update=True)
    actor = permissions.require_actor(actor)
    if not _may_send_for(session, actor, corr.administration_id, corr.unit_id, corr.created_by):
        raise PermissionDenied()
    if corr.direction is not Direction.outgoing or corr.status is not Status.to_send:
        raise DomainError("error.invalid_transition", current=corr.status.value, target=Status.sent.value)
    sender = session.get(Administration, corr.administration_id)
    assert sender is not None
    target = _administration(session, corr.recipient_administration_id, sender)
    docs = (
        session.execute(
            select(Document).where(Document.correspondence_id == corr.id).order_by(Document.position, Document.id)
        )
        .scalars()
        .all()
    )
    if not docs:
        raise DomainError("error.files_required")
    pieces = [
        _Piece(
            d.filename if d.filename.lower().endswith(".pdf") else d.filename.rsplit(".", 1)[0] + ".pdf",
            storage.get(d.pdf_sha256 or d.sha256),
            d.pages,
        )
        for d in docs
    ]
    corr.channel = Channel.inter_administration
    registry.transition(session, actor, corr, Status.sent, to_administration=target.code)
    arrival = _deliver_to_administration(session, actor, sender, corr, target, pieces)
    return SendResult(corr.id, corr.registry_number, arrival.id, arrival.registry_number, ())


# ------------------------------------------------------------------------------------ reading


def can_send_folder(session: Session, actor: Actor, folder: Folder) -> bool:
    """Signed, not sent yet, and the actor sees it and is on the sending side."""
    return (
        folder.status is FolderStatus.completed
        and folders.can_see(session, actor, folder)
        and _may_send_for(session, actor, folder.administration_id, folder.unit_id, folder.initiator_id)
    )


def can_send_outgoing(session: Session, actor: Actor, corr: Correspondence) -> bool:
    return (
        corr.direction is Direction.outgoing
        and corr.status is Status.to_send
        and corr.recipient_administration_id is not None
        and _may_send_for(session, actor, corr.administration_id, corr.unit_id, corr.created_by)
    )


def folders_to_send(session: Session, actor: Actor, correspondence_id: int) -> list[Folder]:
    """Signed folders linked to this letter that the actor may send (the letter page's send action)."""
    rows = (
        session.execute(
            select(Folder)
            .where(Folder.correspondence_id == correspondence_id, Folder.status == FolderStatus.completed)
            .order_by(Folder.id)
        )
        .scalars()
        .all()
    )
    return [f for f in rows if can_send_folder(session, actor, f)]


def options(session: Session, actor: Actor | None, folder_id: int) -> SendOptions:
    """Recipients offered for a folder: the linked letter's correspondent, the other administrations
    of the public directory, and the other units of the actor's administration."""
    actor = permissions.require_actor(actor)
    folder = session.get(Folder, folder_id)
    if folder is None or not folders.can_see(session, actor, folder):
        raise NotFound()
    fr = ar = ""
    linked = session.get(Correspondence, folder.correspondence_id) if folder.correspondence_id else None
    if linked is not None and linked.direction is Direction.incoming:
        if linked.sender_administration_id:
            adm = session.get(Administration, linked.sender_administration_id)
            fr, ar = (adm.name_fr, adm.name_ar) if adm else ("", "")
        elif linked.sender_party_id:
            party = session.get(Party, linked.sender_party_id)
            fr = ar = party.full_name if party else ""
    administrations = tuple(
        Target(a.id, a.code, a.name_fr, a.name_ar)
        for a in directory.public_directory(session, limit=1000)
        if a.id != folder.administration_id
    )
    units = tuple(
        Target(u.id, u.code, u.name_fr, u.name_ar)
        for u in session.execute(
            select(Unit)
            .where(Unit.administration_id == folder.administration_id, Unit.active.is_(True))
            .order_by(Unit.code)
        ).scalars()
        if u.id != folder.unit_id
    )
    return SendOptions(fr, ar, administrations, units)
