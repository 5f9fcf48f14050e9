"""Sending (flow 5): a signed answer leaves as outgoing mail and reaches its recipient.

``send_answer`` does everything in the caller's one transaction: the outgoing registry number (D),
the answer document (which must carry valid signatures trusted by the platform), the reply-to
link, the incoming item marked answered, and delivery:
- to a citizen or company: the answer appears on their tracking page and they are notified;
- to another administration on the platform: it arrives in that administration's incoming
  register with its own number (A, channel inter-administration, status to qualify), and the
  sender automatically receives a sealed acknowledgement receipt attached to its outgoing item.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session

from mrasla_app.models import (
    Administration, Channel, Correspondence, CorrespondenceLink, Direction, Document, DocumentKind, LinkKind,
    Party, Status,
)
from mrasla_app.models.base import utcnow
from mrasla_app.pki.receipts import ReceiptData, issue_receipt
from mrasla_app.pki.validation import validate_pdf
from mrasla_app.services import audit, dispatch, files, notifications, permissions, registry, scoping, storage
from mrasla_app.services.accounts import Actor, hash_secret
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.text import clean, search_document


@dataclass(frozen=True)
class SendResult:
    outgoing_id: int
    outgoing_number: str
    recipient_id: int | None  # the recipient administration's incoming item
    recipient_number: str | None
    notification_ids: tuple[int, ...]


def _register(session: Session, actor: Actor, adm: Administration, direction: Direction, **fields: object) -> Correspondence:
    now = utcnow().replace(microsecond=0)
    year, seq, number = registry.allocate(session, adm, direction, now)
    corr = Correspondence(administration_id=adm.id, direction=direction, year=year, seq=seq,  # type: ignore[arg-type]
                          registry_number=number, registered_at=now,
                          verify_token_hash=hash_secret(secrets.token_urlsafe(24)), **fields)
    corr.search_text = search_document(number, corr.subject, corr.message)
    session.add(corr)
    session.flush()
    return corr


def _attach(session: Session, corr: Correspondence, kind: DocumentKind, filename: str, data: bytes, pages: int) -> Document:
    sha = hashlib.sha256(data).hexdigest()
    doc = Document(correspondence_id=corr.id, kind=kind, filename=filename, content_type="application/pdf",  # type: ignore[arg-type]
                   size=len(data), sha256=sha, pages=pages, pdf_sha256=sha)
    session.add(doc)
    return doc


def _link(session: Session, actor: Actor, a: Correspondence, b: Correspondence, kind: LinkKind) -> None:
    session.add(CorrespondenceLink(from_id=a.id, to_id=b.id, kind=kind, created_by=actor.user_id or None))  # type: ignore[arg-type]


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
    """Register and send the signed answer to ``incoming_id`` (see module docstring)."""
    incoming = scoping.get_visible(session, actor, incoming_id, for_update=True)
    assert actor is not None
    if not (dispatch.is_acting_on(session, actor, incoming) or dispatch.is_registry_clerk(actor, incoming)):
        raise PermissionDenied()
    if incoming.direction is not Direction.incoming:
        raise DomainError("error.invalid_request")
    checked = files.inspect(filename, document)
    if checked.content_type != "application/pdf" or not validate_pdf(document).authentic:
        raise DomainError("error.answer_not_signed")
    target_adm_id = to_administration_id or incoming.sender_administration_id
    target = session.get(Administration, target_adm_id) if target_adm_id else None
    if target_adm_id and (target is None or not target.active or target.id == incoming.administration_id):
        raise DomainError("error.unknown_administration")
    party = session.get(Party, incoming.sender_party_id) if incoming.sender_party_id else None
    if target is None and party is None:
        raise DomainError("error.no_recipient")
    sender = session.get(Administration, incoming.administration_id)
    assert sender is not None
    subject = clean(subject, multiline=False) or incoming.subject
    storage.put(document)  # durable before the rows that reference it

    outgoing = _register(session, actor, sender, Direction.outgoing, subject=subject[:255],
                         channel=Channel.inter_administration if target else Channel.portal,
                         unit_id=incoming.action_unit_id, created_by=actor.user_id or None,
                         recipient_party_id=None if target else incoming.sender_party_id,
                         recipient_administration_id=target.id if target else None,
                         status=Status.closed, closed_at=utcnow())
    _attach(session, outgoing, DocumentKind.answer, checked.filename, document, checked.pages)
    _attach(session, incoming, DocumentKind.answer, checked.filename, document, checked.pages)
    _link(session, actor, outgoing, incoming, LinkKind.reply_to)
    incoming.answered_at = utcnow()
    registry.transition(session, actor, incoming, Status.answered, answer=outgoing.registry_number)
    audit.record(session, actor, "correspondence.sent", object_type="correspondence", object_id=outgoing.id,  # type: ignore[arg-type]
                 administration_id=sender.id, data={"number": outgoing.registry_number, "in_reply_to": incoming.registry_number,
                                                    "to_administration": target.code if target else None})
    recipient: Correspondence | None = None
    if target is not None:
        recipient = _deliver_to_administration(session, actor, sender, outgoing, target, checked.filename, document,
                                               checked.pages)
    notes: list[int] = []
    if target is None and party is not None and party.email:
        params = {"number": incoming.registry_number}
        n = notifications.queue(session, party.email, notifications.bilingual_subject("mail.answer.subject", **params),
                                notifications.bilingual_body("mail.answer.body", "ar", ar=params, fr=params), incoming.id)
        notes.append(n.id)  # type: ignore[arg-type]
    return SendResult(outgoing.id, outgoing.registry_number, recipient.id if recipient else None,  # type: ignore[arg-type]
                      recipient.registry_number if recipient else None, tuple(notes))


def _deliver_to_administration(
    session: Session, actor: Actor, sender: Administration, outgoing: Correspondence, target: Administration,
    filename: str, document: bytes, pages: int,
) -> Correspondence:
    """Arrival in the recipient's incoming register, and the sealed acknowledgement for the sender."""
    arrival = _register(session, actor, target, Direction.incoming, subject=outgoing.subject,
                        channel=Channel.inter_administration, sender_administration_id=sender.id,
                        status=Status.to_qualify, message="")
    _attach(session, arrival, DocumentKind.attachment, filename, document, pages)
    _link(session, actor, arrival, outgoing, LinkKind.same_file)
    receipt = issue_receipt(ReceiptData(
        registry_number=arrival.registry_number, administration_fr=target.name_fr, administration_ar=target.name_ar,
        deposited_at=arrival.registered_at, depositor_name=f"{sender.name_fr} — {sender.name_ar}",
        depositor_id_kind="", depositor_id="", subject=arrival.subject,
        verify_url=_new_verify_url(arrival), sender_reference=outgoing.registry_number,
    ))
    storage.put(receipt)
    _attach(session, outgoing, DocumentKind.receipt, f"accuse-{registry.reference_slug(arrival.registry_number)}.pdf",
            receipt, 1)
    audit.record(session, None, "correspondence.received", object_type="correspondence", object_id=arrival.id,  # type: ignore[arg-type]
                 administration_id=target.id, actor_label=f"administration:{sender.code}",
                 data={"number": arrival.registry_number, "from": outgoing.registry_number})
    return arrival


def _new_verify_url(arrival: Correspondence) -> str:
    """The acknowledgement's QR opens the public verification of the arrival (its token lives only there)."""
    from mrasla_app.services.deposits import verify_url

    token = secrets.token_urlsafe(24)
    arrival.verify_token_hash = hash_secret(token)
    return verify_url(registry.reference_slug(arrival.registry_number), token)


def send_folder(session: Session, actor: Actor | None, folder_id: int, *, to_administration_id: int | None = None
                ) -> SendResult:
    """Send a completed signature-book folder as the answer to the correspondence it is linked to."""
    from mrasla_app.models import Folder, FolderStatus
    from mrasla_app.services import workflow

    actor = permissions.require_actor(actor)
    folder = session.get(Folder, folder_id)
    if folder is None or not workflow.can_see(session, actor, folder):
        raise NotFound()
    if folder.status is not FolderStatus.completed:
        raise DomainError("error.folder_not_completed")
    if folder.correspondence_id is None:
        raise DomainError("error.no_recipient")
    result = send_answer(session, actor, folder.correspondence_id, subject=folder.title,
                         document=workflow.signed_document(folder), filename=f"{folder.reference}.pdf",
                         to_administration_id=to_administration_id)
    audit.record(session, actor, "folder.sent", object_type="folder", object_id=folder.id,  # type: ignore[arg-type]
                 administration_id=folder.administration_id, data={"outgoing": result.outgoing_number})
    return result
