"""Public verification (flow 6): what anyone holding a receipt's QR code may see, and PDF checks.

A receipt is looked up by its reference AND the unguessable token of its QR code; a wrong token
and an unknown reference give the same answer, so registry numbers cannot be enumerated. Only
what the receipt itself shows is returned (the depositor's identifier masked, no message text).
"""

from __future__ import annotations

import hashlib
import hmac
import io
from dataclasses import dataclass
from datetime import datetime

from pypdf import PdfReader
from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.models import Administration, Correspondence, Document, DocumentKind, Party, Unit
from mrasla_app.pki.ltv import LEVEL_B_T, signature_level
from mrasla_app.pki.receipts import mask_identifier
from mrasla_app.pki.validation import ValidationReport, validate_pdf
from mrasla_app.services import registry, storage
from mrasla_app.services.accounts import hash_secret


@dataclass(frozen=True)
class VerifiedDocument:
    filename: str
    kind: str
    pages: int
    size: int
    sha256: str
    signature_level: str = ""  # PAdES level of a platform-signed file (receipt, signed document)


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
    depositor_id: str  # masked, as printed on the receipt
    documents: tuple[VerifiedDocument, ...]

    @property
    def receipt_sha256(self) -> str:
        return next((d.sha256 for d in self.documents if d.kind == DocumentKind.receipt.value), "")

    @property
    def receipt_signature_level(self) -> str:
        """"B-T" while the receipt is as issued, "B-LTA" once extended (``services.archive``)."""
        return next((d.signature_level for d in self.documents
                     if d.kind in (DocumentKind.receipt.value, "signed")), "")


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


def lookup(session: Session, reference: str, token: str) -> VerifiedReceipt | None:
    """What the QR code of a receipt (registry reference) or a signed document (``PAR-…``) attests."""
    if reference.startswith(FOLDER_PREFIX):
        return _signed_document(session, reference, token)
    corr = find_by_token(session, reference, token)
    if corr is None:
        return None
    adm = session.get(Administration, corr.administration_id)
    unit = session.get(Unit, corr.unit_id) if corr.unit_id else None
    party = session.get(Party, corr.sender_party_id) if corr.sender_party_id else None
    docs = session.execute(
        select(Document).where(Document.correspondence_id == corr.id).order_by(Document.kind, Document.position)
    ).scalars()
    return VerifiedReceipt(
        registry_number=corr.registry_number,
        reference=registry.reference_slug(corr.registry_number),
        administration_ar=adm.name_ar if adm else "", administration_fr=adm.name_fr if adm else "",
        unit_ar=unit.name_ar if unit else "", unit_fr=unit.name_fr if unit else "",
        registered_at=corr.registered_at, subject=corr.subject,
        depositor_id=f"{party.id_kind} {mask_identifier(party.id_value)}" if party else "",
        documents=tuple(VerifiedDocument(d.filename, d.kind.value, d.pages, d.size, d.sha256,
                                         stored_level(d)) for d in docs),
    )


def stored_level(doc: Document) -> str:
    """A receipt's level as recorded: as issued (B-T) until the background job extends it."""
    if doc.kind != DocumentKind.receipt:
        return ""
    return doc.signature_level or LEVEL_B_T


FOLDER_PREFIX = "PAR-"


def _signed_document(session: Session, reference: str, token: str) -> VerifiedReceipt | None:
    """A document signed in the parapheur: only once its circuit is complete is it attested."""
    from mrasla_app.models import Folder
    from mrasla_app.services import workflow

    status = workflow.public_status(session, reference, token)
    if status is None or status["status"] != "completed":
        return None
    folder = session.execute(select(Folder).where(Folder.reference == reference)).scalar_one()
    data = storage.get(status["document_sha256"])
    return VerifiedReceipt(
        registry_number=reference, reference=reference, administration_ar=status["administration_ar"],
        administration_fr=status["administration_fr"], unit_ar="", unit_fr="", registered_at=status["completed_at"],
        subject=folder.title, depositor_id="",
        documents=(VerifiedDocument(f"{reference}.pdf", "signed", pdf_pages(data), len(data), status["document_sha256"],
                                    signature_level(data)),),
    )


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


def match_attachment(receipt: VerifiedReceipt, data: bytes) -> VerifiedDocument | None:
    """The receipt line whose SHA-256 equals the dropped file's, if any."""
    digest = hashlib.sha256(data).hexdigest()
    return next((d for d in receipt.documents if d.sha256 == digest and d.kind != DocumentKind.receipt.value), None)
