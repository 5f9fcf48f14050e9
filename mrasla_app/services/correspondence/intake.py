"""The registration step shared by every way a letter enters a register: the portal deposit
(``portal.deposits``), the registry office's registers (``paper``) and the e-mail intake (``mail_intake``).

``register`` runs in the caller's write transaction, after the caller has checked everything and
stored the blobs: it allocates the gap-free number, inserts the party (and its contacts-directory
entry), the correspondence and its documents, issues and stores the sealed receipt, queues the
documents' text reading, appends the audit event and queues the sender's e-mail. A failure anywhere
rolls the whole transaction back, the number included, so the registers stay gap-free.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from mrasla_app.documents.receipts import Attachment, ReceiptData, issue_receipt
from mrasla_app.models import (
    Administration,
    Channel,
    Correspondence,
    Direction,
    Document,
    DocumentKind,
    Notification,
    Party,
    Unit,
)
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import contacts, extraction, registry
from mrasla_app.services.directory.accounts import Actor, hash_secret
from mrasla_app.services.platform import audit, files, notifications, storage
from mrasla_app.services.platform.text import search_document
from mrasla_app.settings import get_settings

_ADD_DOCUMENTS = Document.__table__.insert()  # built once: every registration runs it
#: Stores receipts beside the registration's transaction: a few threads that mostly wait on fsync.
_RECEIPT_STORE = ThreadPoolExecutor(max_workers=4, thread_name_prefix="receipt-store")


def verify_url(reference: str, token: str) -> str:
    """The public verification page of a letter (its receipt's or its label's QR code)."""
    return f"{get_settings().public_url}/verify/{reference}?t={token}"


def receipt_url(reference: str, access_token: str) -> str:
    return f"{get_settings().public_url}/api/v1/deposits/{reference}/receipt.pdf?k={access_token}"


def tracking_url(reference: str, access_token: str) -> str:
    return f"{get_settings().public_url}/track/{reference}?k={access_token}"


@dataclass(frozen=True)
class Lead:
    """A document that comes before the files, named after the registry reference (the e-mail itself)."""

    kind: DocumentKind
    filename: str  # ``{reference}`` stands for the registry reference
    file: files.InspectedFile


@dataclass(frozen=True)
class Receipt:
    """The sealed receipt issued to the sender (portal deposits, e-mail intake)."""

    depositor_name: str
    unit: Unit | None = None
    depositor_id_kind: str = ""
    depositor_id: str = ""
    #: list the PDF conversion's hash of converted (Office) files beside the original's
    conversions: bool = True


@dataclass(frozen=True)
class Notice:
    """The sender's e-mail: the number, the receipt and the tracking links (``mail.deposit``)."""

    to: str
    lang: str
    #: the caller sends it itself once the transaction commits (``notifications.queue``)
    claimed: bool = False


@dataclass(frozen=True)
class Registered:
    correspondence: Correspondence
    reference: str  # URL-safe registry number
    receipt_sha256: str | None
    notification: Notification | None


def register(
    session: Session,
    adm: Administration,
    direction: Direction,
    channel: Channel,
    *,
    columns: dict[str, Any],
    words: tuple[str, ...],
    verify_token: str,
    access_token: str | None = None,
    at: datetime | None = None,
    party: Party | None = None,
    link_contact: bool = False,
    contact_id: int | None = None,
    accepted: list[files.InspectedFile] | tuple[files.InspectedFile, ...] = (),
    kind: DocumentKind = DocumentKind.attachment,
    lead: Lead | None = None,
    receipt: Receipt | None = None,
    event: str = "correspondence.registered",
    actor: Actor | None = None,
    actor_label: str = "",
    data: dict[str, object] | None = None,
    hashes: bool = True,
    notice: Notice | None = None,
) -> Registered:
    """Number and insert a correspondence of ``adm`` with everything that goes with it.

    ``columns``: the correspondence's own columns (status, unit, subject…). Set here: the number
    (``year``, ``seq``, ``registry_number``, in ``direction``'s register), ``registered_at`` (``at``,
    else now to the second), ``search_text`` (the number then ``words``), the token hashes, and the
    party's id (the sender of incoming mail, else the recipient's). ``party``
    is new; ``link_contact`` attaches it to its contacts-directory entry (``contact_id``, else the
    matching one). Documents: ``lead`` at position 0, then ``accepted`` (of ``kind``), then the
    receipt when ``receipt`` is given. The audit ``event``'s data is ``data`` with the number, the
    number of files, the documents' hashes (``hashes``) and the receipt's hash. ``notice``: the
    sender's e-mail, which needs ``access_token``."""
    if party is not None:
        session.add(party)
        session.flush()
        if link_contact:
            contacts.link_party(session, party, adm.id, contact_id)
        role = "sender_party_id" if direction is Direction.incoming else "recipient_party_id"
        columns = {**columns, role: party.id}
    corr = numbered(
        session,
        adm,
        direction,
        columns={**columns, "channel": channel},
        words=words,
        verify_token=verify_token,
        access_token=access_token,
        at=at,
    )
    reference = registry.reference_slug(corr.registry_number)
    documents = [(lead.kind, lead.filename.format(reference=reference), lead.file)] if lead else []
    documents += [(kind, f.filename, f) for f in accepted]
    created = utcnow()

    def row(
        doc_kind: DocumentKind,
        position: int,
        filename: str,
        content_type: str,
        size: int,
        sha256: str,
        pages: int,
        pdf_sha256: str,
    ) -> dict[str, object]:
        return {
            "correspondence_id": corr.id,
            "kind": doc_kind,
            "position": position,
            "filename": filename,
            "content_type": content_type,
            "size": size,
            "sha256": sha256,
            "pages": pages,
            "pdf_sha256": pdf_sha256,
            "created_at": created,
        }

    rows = [
        row(doc_kind, pos, filename, f.content_type, len(f.data), f.sha256, f.pages, f.pdf_sha256)
        for pos, (doc_kind, filename, f) in enumerate(documents)
    ]
    receipt_sha = None
    stored = None
    if receipt is not None:
        sealed = _issue(adm, corr, reference, verify_token, receipt, documents)
        receipt_sha = hashlib.sha256(sealed).hexdigest()
        # Stored durably while the rows below are written (its fsyncs wait on the disk: with the
        # writer's lock held, they would hold up every other registration); committed only after it.
        stored = _RECEIPT_STORE.submit(storage.put, sealed)
        rows.append(
            row(
                DocumentKind.receipt,
                0,
                f"accuse-{reference}.pdf",
                "application/pdf",
                len(sealed),
                receipt_sha,
                1,
                receipt_sha,
            )
        )
    if rows:  # one statement for all, and no ORM objects: nothing reads them back in this transaction
        session.connection().execute(_ADD_DOCUMENTS, rows)
    extraction.queue(session, corr.id)
    details: dict[str, object] = {"number": corr.registry_number, **(data or {}), "files": len(accepted)}
    if hashes:
        details["sha256"] = [f.sha256 for _kind, _name, f in documents]
    if receipt_sha is not None:
        details["receipt_sha256"] = receipt_sha
    audit.record(
        session,
        actor,
        event,
        object_type="correspondence",
        object_id=corr.id,
        administration_id=adm.id,
        actor_label=actor_label,
        data=details,
    )
    message = _notify(session, adm, corr, reference, access_token, notice) if notice is not None else None
    if stored is not None:
        stored.result()  # durable before the commit; raises what storing raised (the transaction rolls back)
    return Registered(corr, reference, receipt_sha, message)


def numbered(
    session: Session,
    adm: Administration,
    direction: Direction,
    *,
    columns: dict[str, Any],
    words: tuple[str, ...],
    verify_token: str,
    access_token: str | None = None,
    at: datetime | None = None,
) -> Correspondence:
    """A new correspondence of ``adm`` with the next number of ``direction``'s register (registered ``at``,
    else now to the second), inserted in the caller's transaction (flushed: it has its id). Its search text
    is the number then ``words``; only the tokens' hashes are stored."""
    now = at or utcnow().replace(microsecond=0)
    year, seq, number = registry.allocate(session, adm, direction, now)
    corr = Correspondence(
        **columns,
        administration_id=adm.id,
        direction=direction,
        year=year,
        seq=seq,
        registry_number=number,
        registered_at=now,
        verify_token_hash=hash_secret(verify_token),
        access_token_hash=hash_secret(access_token) if access_token else "",
        search_text=search_document(number, *words),
    )
    session.add(corr)
    session.flush()
    return corr


def _issue(
    adm: Administration,
    corr: Correspondence,
    reference: str,
    verify_token: str,
    receipt: Receipt,
    documents: list[tuple[DocumentKind, str, files.InspectedFile]],
) -> bytes:
    """The sealed receipt: who deposited what, when, where; every document with its hash."""
    return issue_receipt(
        ReceiptData(
            registry_number=corr.registry_number,
            administration_fr=adm.name_fr,
            administration_ar=adm.name_ar,
            unit_fr=receipt.unit.name_fr if receipt.unit else None,
            unit_ar=receipt.unit.name_ar if receipt.unit else None,
            deposited_at=corr.registered_at,
            depositor_name=receipt.depositor_name,
            depositor_id_kind=receipt.depositor_id_kind,
            depositor_id=receipt.depositor_id,
            subject=corr.subject,
            verify_url=verify_url(reference, verify_token),
            attachments=tuple(
                Attachment(
                    filename,
                    f.pages,
                    f.sha256,
                    len(f.data),
                    f.pdf_sha256 if receipt.conversions and f.converted else None,
                )
                for _kind, filename, f in documents
            ),
        )
    )


def _notify(
    session: Session,
    adm: Administration,
    corr: Correspondence,
    reference: str,
    access_token: str | None,
    notice: Notice,
) -> Notification:
    assert access_token is not None, "the sender's e-mail links need the access token"
    links = {
        "number": corr.registry_number,
        "tracking_url": tracking_url(reference, access_token),
        "receipt_url": receipt_url(reference, access_token),
    }
    return notifications.queue(
        session,
        notice.to,
        notifications.bilingual_subject("mail.deposit.subject", **links),
        notifications.bilingual_body(
            "mail.deposit.body",
            notice.lang,
            ar={"administration": adm.name_ar, **links},
            fr={"administration": adm.name_fr, **links},
        ),
        corr.id,
        claimed=notice.claimed,
    )
