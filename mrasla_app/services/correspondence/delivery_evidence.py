"""Evidence of registered electronic delivery (law 43-20): sending, delivery and retrieval of a letter.

Every letter the administration sends (an answer to a citizen, a letter to another administration)
already leaves an audit trail: ``sent`` with each document's SHA-256, ``delivered`` and
``acknowledged`` when another administration registers it, and — recorded here — ``retrieved`` the
first time the addressee opens each document (the citizen through the tracking page, or staff of the
receiving administration). ``evidence_pdf`` turns that trail into a bilingual PDF sealed by the
platform (PAdES B-LTA), downloadable by the sender and verifiable by anyone like a receipt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.documents.evidence import EvidenceDocument, EvidenceEvent, render_evidence
from mrasla_app.models import (
    Administration,
    AuditEvent,
    Correspondence,
    CorrespondenceLink,
    Direction,
    Document,
    DocumentKind,
    Party,
)
from mrasla_app.models.base import utcnow
from mrasla_app.pki import signing
from mrasla_app.services.correspondence import registry, scoping
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import audit

#: The trail's events, in the order a delivery happens.
EVENTS = ("sent", "delivered", "acknowledged", "retrieved")


@dataclass(frozen=True)
class Evidence:
    number: str
    administration: tuple[str, str]  # (French, Arabic)
    subject: str
    recipient: str
    documents: list[EvidenceDocument]
    events: list[EvidenceEvent]


def _sent_item(session: Session, actor: Actor, correspondence_id: int) -> Correspondence:
    corr = scoping.get_visible(session, actor, correspondence_id)
    if corr.direction is not Direction.outgoing:
        raise DomainError("error.no_delivery")
    return corr


def _who(session: Session, event: AuditEvent) -> str:
    label = event.actor_label or ""
    if label.startswith("administration:"):
        adm = session.execute(select(Administration).where(Administration.code == label.split(":", 1)[1])).scalar()
        return f"{adm.name_fr} — {adm.name_ar}" if adm else label
    if label.startswith("portal"):
        return "Destinataire (espace de suivi) — المرسل إليه (فضاء التتبع)"
    return label


def evidence(session: Session, actor: Actor, correspondence_id: int) -> Evidence:
    """The delivery trail of one sent letter, for those who may see it."""
    corr = _sent_item(session, actor, correspondence_id)
    adm = session.get(Administration, corr.administration_id)
    assert adm is not None
    to_adm = session.get(Administration, corr.recipient_administration_id) if corr.recipient_administration_id else None
    to_party = session.get(Party, corr.recipient_party_id) if corr.recipient_party_id else None
    rows = (
        session.execute(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "correspondence",
                AuditEvent.object_id == str(corr.id),
                AuditEvent.action.in_([f"correspondence.{e}" for e in EVENTS]),
            )
            .order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    docs = (
        session.execute(
            select(Document)
            .where(Document.correspondence_id == corr.id, Document.kind.in_((DocumentKind.answer, DocumentKind.signed)))
            .order_by(Document.position, Document.id)
        )
        .scalars()
        .all()
    )
    events = []
    for e in rows:
        data = json.loads(e.data or "{}")
        detail = " · ".join(str(data[k]) for k in ("number", "to_administration", "document") if data.get(k))
        events.append(
            EvidenceEvent(e.action.split(".", 1)[1], e.at, _who(session, e), detail, str(data.get("sha256") or ""))
        )
    recipient = f"{to_adm.name_fr} — {to_adm.name_ar}" if to_adm else to_party.full_name if to_party else ""
    return Evidence(
        corr.registry_number,
        (adm.name_fr, adm.name_ar),
        corr.subject,
        recipient,
        [EvidenceDocument(d.filename, d.pages, d.sha256) for d in docs],
        events,
    )


def evidence_pdf(session: Session, actor: Actor, correspondence_id: int) -> tuple[str, bytes]:
    """The sealed evidence PDF of a sent letter (issuing it is itself recorded)."""
    found = evidence(session, actor, correspondence_id)
    if not any(e.kind == "sent" for e in found.events):
        raise DomainError("error.no_delivery")
    pdf = signing.seal_pdf(
        render_evidence(
            found.number, found.administration, found.subject, found.recipient, found.documents, found.events, utcnow()
        ),
        reason="Preuve d'envoi et de remise électronique / إثبات الإرسال والتسليم الإلكتروني",
    )
    audit.record(
        session,
        actor,
        "correspondence.evidence_issued",
        object_type="correspondence",
        object_id=correspondence_id,
        administration_id=actor.administration_id,
        data={"events": len(found.events)},
    )
    return f"preuve-remise-{registry.reference_slug(found.number)}.pdf", pdf


def _outgoing_holders(session: Session, document: Document) -> list[Correspondence]:
    """The sent letters this document left with: the same bytes in an outgoing letter linked to its holder."""
    holder = session.get(Correspondence, document.correspondence_id)
    if holder is None or holder.direction is Direction.outgoing:  # the sender's own copy proves nothing
        return []
    linked = (
        select(CorrespondenceLink.to_id)
        .where(CorrespondenceLink.from_id == holder.id)
        .union(select(CorrespondenceLink.from_id).where(CorrespondenceLink.to_id == holder.id))
    )
    return list(
        session.execute(
            select(Correspondence)
            .join(Document, Document.correspondence_id == Correspondence.id)
            .where(
                Correspondence.id.in_(linked),
                Correspondence.direction == Direction.outgoing,
                Document.sha256 == document.sha256,
            )
        )
        .scalars()
        .unique()
    )


def record_retrieval(
    session: Session,
    document: Document,
    *,
    actor: Actor | None = None,
    actor_label: str = "portal",
    at: datetime | None = None,
) -> int:
    """The addressee opened ``document``: recorded once per sent letter (the first opening is the proof)."""
    if document.kind not in (DocumentKind.answer, DocumentKind.signed, DocumentKind.attachment):
        return 0
    recorded = 0
    for sent in _outgoing_holders(session, document):
        seen = session.execute(
            select(AuditEvent.id).where(
                AuditEvent.object_type == "correspondence",
                AuditEvent.object_id == str(sent.id),
                AuditEvent.action == "correspondence.retrieved",
                AuditEvent.data.contains(document.sha256),
            )
        ).first()
        if seen is None:
            audit.record(
                session,
                actor,
                "correspondence.retrieved",
                object_type="correspondence",
                object_id=sent.id,
                administration_id=sent.administration_id,
                actor_label=actor_label,
                data={"document": document.filename, "sha256": document.sha256, "at": (at or utcnow()).isoformat()},
            )
            recorded += 1
    return recorded
