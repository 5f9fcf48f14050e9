"""Public verification (flow 6): what anyone holding a receipt's QR code may see, and PDF checks.

A receipt is looked up by its reference AND the unguessable token of its QR code; a wrong token
and an unknown reference give the same answer, so registry numbers cannot be enumerated. Only
what the receipt itself shows is returned (the depositor's identifier masked, no message text).

Three kinds of documents carry such a QR code, and the page must say which one it is:
- ``receipt``: the sealed receipt of a citizen's deposit (depositor, deposited files);
- ``acknowledgement``: the sealed receipt another administration got when its letter arrived here
  (the sending administration and its outgoing number instead of a depositor);
- ``signed``: a document signed in the signature book (``PAR-…``: signatories and signing times,
  the registry number it answers). A depositor's tracking page may open it with a ticket
  (``tracking.check_ticket``) instead of the QR token, which only the printed PDF carries.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from pypdf import PdfReader
from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.documents.receipts import mask_identifier
from mrasla_app.models import (
    Administration,
    Channel,
    Correspondence,
    CorrespondenceLink,
    Direction,
    Document,
    DocumentKind,
    Party,
    Unit,
    User,
)
from mrasla_app.models.workflow import Decision, Folder, FolderStep, StepAction, StepKind
from mrasla_app.pki.ltv import LEVEL_B_T, signature_level
from mrasla_app.pki.validation import ValidationReport, validate_pdf
from mrasla_app.services.correspondence import registry
from mrasla_app.services.directory.accounts import hash_secret
from mrasla_app.services.parapheur import lifecycle, views
from mrasla_app.services.platform import storage
from mrasla_app.services.portal import tracking


@dataclass(frozen=True)
class VerifiedDocument:
    filename: str
    kind: str
    pages: int
    size: int
    sha256: str
    signature_level: str = ""  # PAdES level of a platform-signed file (receipt, signed document)


@dataclass(frozen=True)
class Signatory:
    """One signature (or the platform's seal) on a signed document, as the verification page names it."""

    name_ar: str
    name_fr: str
    on_behalf_ar: str  # "par délégation de": the holder of the signing right, "" when signed in person
    on_behalf_fr: str
    kind: str  # "signature" | "seal"
    signed_at: datetime


@dataclass(frozen=True)
class VerifiedReceipt:
    registry_number: str
    reference: str
    administration_ar: str
    administration_fr: str
    unit_ar: str
    unit_fr: str
    registered_at: datetime
    subject: str
    depositor_id: str  # masked, as printed on the receipt ("CIN AB****56")
    documents: tuple[VerifiedDocument, ...]
    kind: str = "receipt"  # "receipt" | "acknowledgement" | "signed": what the QR code is printed on
    status: str = ""  # current status of the correspondence it belongs to (``Status`` value), "" if none
    belongs_to: str = ""  # registry number of that correspondence (a signed answer: the letter it answers)
    sender_ar: str = ""  # acknowledgement: the administration whose letter arrived
    sender_fr: str = ""
    sender_reference: str = ""  # acknowledgement: that letter's number in the sender's outgoing register
    signatories: tuple[Signatory, ...] = ()
    depositor_id_kind: str = ""  # "CIN" | "ICE": the first word of ``depositor_id``, for a translated label
    depositor_id_masked: str = ""  # the rest of ``depositor_id``

    @property
    def receipt_sha256(self) -> str:
        return next((d.sha256 for d in self.documents if d.kind == DocumentKind.receipt.value), "")

    @property
    def receipt_signature_level(self) -> str:
        """ "B-T" while the receipt is as issued, "B-LTA" once extended (``services.archive``)."""
        return next((d.signature_level for d in self.documents if d.kind in (DocumentKind.receipt.value, "signed")), "")


def find_by_token(session: Session, reference: str, token: str) -> Correspondence | None:
    """The correspondence whose QR token is ``token`` and whose reference matches."""
    if not token or len(token) > 128:
        return None
    corr = session.execute(
        select(Correspondence).where(Correspondence.verify_token_hash == hash_secret(token))
    ).scalar_one_or_none()
    if corr is None or not hmac.compare_digest(registry.reference_slug(corr.registry_number), reference):
        return None
    return corr


def lookup(session: Session, reference: str, token: str, ticket: str = "") -> VerifiedReceipt | None:
    """What the QR code of a receipt (registry reference) or a signed document (``PAR-…``) attests."""
    if reference.startswith(FOLDER_PREFIX):
        return _signed_document(session, reference, token, ticket)
    corr = find_by_token(session, reference, token)
    if corr is None:
        return None
    adm = session.get(Administration, corr.administration_id)
    unit = session.get(Unit, corr.unit_id) if corr.unit_id else None
    party = session.get(Party, corr.sender_party_id) if corr.sender_party_id else None
    docs = session.execute(  # what the receipt lists: answers came later and are verified on their own
        select(Document)
        .where(Document.correspondence_id == corr.id, Document.kind != DocumentKind.answer)
        .order_by(Document.kind, Document.position)
    ).scalars()
    sender = session.get(Administration, corr.sender_administration_id) if corr.sender_administration_id else None
    acknowledgement = sender is not None and corr.channel is Channel.inter_administration
    return VerifiedReceipt(
        registry_number=corr.registry_number,
        reference=registry.reference_slug(corr.registry_number),
        administration_ar=adm.name_ar if adm else "",
        administration_fr=adm.name_fr if adm else "",
        unit_ar=unit.name_ar if unit else "",
        unit_fr=unit.name_fr if unit else "",
        registered_at=corr.registered_at,
        subject=corr.subject,
        depositor_id=f"{party.id_kind} {mask_identifier(party.id_value)}" if party and party.id_value else "",
        documents=tuple(
            VerifiedDocument(d.filename, d.kind.value, d.pages, d.size, d.sha256, stored_level(d)) for d in docs
        ),
        kind="acknowledgement" if acknowledgement else "receipt",
        status=corr.status.value,
        belongs_to=corr.registry_number,
        sender_ar=sender.name_ar if acknowledgement else "",
        sender_fr=sender.name_fr if acknowledgement else "",
        sender_reference=_sender_reference(session, corr) if acknowledgement else "",
        depositor_id_kind=party.id_kind if party and party.id_value else "",
        depositor_id_masked=mask_identifier(party.id_value) if party and party.id_value else "",
    )


def _sender_reference(session: Session, arrival: Correspondence) -> str:
    """The sender's outgoing number of an inter-administration arrival (linked at delivery)."""
    number = (
        session.execute(
            select(Correspondence.registry_number)
            .join(CorrespondenceLink, CorrespondenceLink.to_id == Correspondence.id)
            .where(CorrespondenceLink.from_id == arrival.id, Correspondence.direction == Direction.outgoing)
        )
        .scalars()
        .first()
    )
    return number or ""


def stored_level(doc: Document) -> str:
    """A receipt's level as recorded: as issued (B-T) until the background job extends it."""
    if doc.kind != DocumentKind.receipt:
        return ""
    return doc.signature_level or LEVEL_B_T


FOLDER_PREFIX = "PAR-"


def _signed_document(session: Session, reference: str, token: str, ticket: str) -> VerifiedReceipt | None:
    """A document signed in the signature book: only once its circuit is complete is it attested."""

    folder = session.execute(select(Folder).where(Folder.reference == reference)).scalar_one_or_none()
    if folder is None:
        return None
    if not (ticket and tracking.check_ticket(tracking.verify_subject(reference), ticket)):
        status = views.public_status(session, reference, token)
        if status is None:
            return None
    if folder.status not in lifecycle.SIGNED_STATUSES or folder.completed_at is None:
        return None
    adm = session.get(Administration, folder.administration_id)
    data = storage.get(folder.current_sha256)
    corr = session.get(Correspondence, folder.correspondence_id) if folder.correspondence_id else None
    return VerifiedReceipt(
        registry_number=reference,
        reference=reference,
        administration_ar=adm.name_ar if adm else "",
        administration_fr=adm.name_fr if adm else "",
        unit_ar="",
        unit_fr="",
        registered_at=folder.completed_at,
        subject=folder.title,
        depositor_id="",
        documents=(
            VerifiedDocument(
                f"{reference}.pdf", "signed", pdf_pages(data), len(data), folder.current_sha256, signature_level(data)
            ),
        ),
        kind="signed",
        status=corr.status.value if corr else "",
        belongs_to=corr.registry_number if corr else "",
        signatories=_signatories(session, folder),
    )


def _signatories(session: Session, folder: Folder) -> tuple[Signatory, ...]:
    """Who signed (or sealed) the folder's current version, and when, in signing order."""
    rows = session.execute(
        select(StepAction, FolderStep.kind)
        .join(FolderStep, FolderStep.id == StepAction.step_id)
        .where(
            StepAction.folder_id == folder.id,
            FolderStep.version == folder.version,
            FolderStep.kind.in_([StepKind.signature, StepKind.seal]),
            StepAction.decision == Decision.signed,
            StepAction.withdrawn_at.is_(None),
        )
        .order_by(StepAction.at, StepAction.id)
    ).all()
    users = {
        u.id: u
        for u in session.execute(
            select(User).where(
                User.id.in_({a.actor_id for a, _ in rows} | {a.on_behalf_of_id for a, _ in rows if a.on_behalf_of_id})
            )
        ).scalars()
    }

    def names(user_id: int | None) -> tuple[str, str]:
        user = users.get(user_id) if user_id else None
        return ("", "") if user is None else (user.full_name_ar or user.full_name, user.full_name)

    out = []
    for action, kind in rows:
        (name_ar, name_fr), (behalf_ar, behalf_fr) = names(action.actor_id), names(action.on_behalf_of_id)
        out.append(
            Signatory(
                name_ar, name_fr, behalf_ar, behalf_fr, "seal" if kind is StepKind.seal else "signature", action.at
            )
        )
    return tuple(out)


def pdf_pages(data: bytes) -> int:
    """Pages of a document the platform signed itself (no upload checks needed)."""
    return len(PdfReader(io.BytesIO(data)).pages)


def check_pdf(data: bytes) -> ValidationReport:
    """Signature report for any uploaded PDF (receipt or signed document)."""
    return validate_pdf(data)


def etsi_report_xml(data: bytes) -> str | None:
    """ETSI TS 119 102-2 validation report of an uploaded PDF; None when it has no readable
    signature (``check_pdf`` says why)."""
    from mrasla_app.pki.etsi import etsi_report

    if not signature_level(data):
        return None
    try:
        return etsi_report(data).xml
    except Exception:  # noqa: BLE001 - hostile upload: no report rather than a 500
        return None


def report_pdf(data: bytes, file_name: str) -> bytes:
    """A printable validation report of an uploaded PDF (``pki.report_pdf``): the people's checks
    of ``check_pdf`` with, per signature, the indication of the ETSI validation (as in the XML report)."""
    from mrasla_app.documents.report_pdf import render_validation_report, report_lines
    from mrasla_app.pki.etsi import etsi_report

    report = check_pdf(data)
    indications: dict[str, tuple[str, str]] = {}
    if report.signatures:
        try:
            indications = {i.field_name: (i.indication, i.sub_indication) for i in etsi_report(data).indications}
        except Exception:  # noqa: BLE001 - hostile upload: its signatures stay INDETERMINATE
            indications = {}
    return render_validation_report(
        file_name, hashlib.sha256(data).hexdigest(), report, report_lines(report, indications), datetime.now(UTC)
    )


def match_attachment(receipt: VerifiedReceipt, data: bytes) -> VerifiedDocument | None:
    """The receipt line whose SHA-256 equals the dropped file's, if any."""
    digest = hashlib.sha256(data).hexdigest()
    return next((d for d in receipt.documents if d.sha256 == digest and d.kind != DocumentKind.receipt.value), None)
