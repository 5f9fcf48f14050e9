"""Depositors follow their correspondence without an account.

Access is either the private link sent with the receipt (reference + access token), or the
registry number plus the e-mail/phone given at deposit, proven by a one-time code sent there.
The timeline shows only public milestones derived from the audit trail.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.models import AuditEvent, Correspondence, Document, DocumentKind, Party, TrackingCode
from mrasla_app.models.base import utcnow
from mrasla_app.services import notifications, registry
from mrasla_app.services.accounts import hash_secret
from mrasla_app.services.text import clean

CODE_TTL = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5

# audit action → public milestone key (catalogue ``track.event.*``); other actions stay internal.
PUBLIC_MILESTONES = {
    "correspondence.deposited": "track.event.deposited",
    "correspondence.dispatched": "track.event.dispatched",
    "correspondence.in_progress": "track.event.in_progress",
    "correspondence.answered": "track.event.answered",
    "correspondence.closed": "track.event.closed",
    "correspondence.archived": "track.event.closed",
}


@dataclass(frozen=True)
class Milestone:
    at: datetime
    key: str


@dataclass(frozen=True)
class TrackingView:
    correspondence_id: int
    registry_number: str
    reference: str
    status: str
    subject: str
    registered_at: datetime
    milestones: tuple[Milestone, ...]
    answers: tuple[tuple[int, str], ...]  # (document id, filename) of answers sent to the depositor


def by_access_token(session: Session, reference: str, token: str) -> Correspondence | None:
    if not token or len(token) > 128:
        return None
    corr = session.execute(
        select(Correspondence).where(Correspondence.registry_number == registry.number_from_slug(reference))
    ).scalar_one_or_none()
    if corr is None or not corr.access_token_hash or not hmac.compare_digest(corr.access_token_hash, hash_secret(token)):
        return None
    return corr


def view(session: Session, corr: Correspondence) -> TrackingView:
    events = session.execute(
        select(AuditEvent.at, AuditEvent.action).where(
            AuditEvent.object_type == "correspondence", AuditEvent.object_id == str(corr.id),
            AuditEvent.action.in_(PUBLIC_MILESTONES),
        ).order_by(AuditEvent.id)
    ).all()
    answers = session.execute(
        select(Document.id, Document.filename).where(
            Document.correspondence_id == corr.id, Document.kind == DocumentKind.answer)
    ).all()
    return TrackingView(
        correspondence_id=corr.id, registry_number=corr.registry_number,  # type: ignore[arg-type]
        reference=registry.reference_slug(corr.registry_number), status=corr.status.value, subject=corr.subject,
        registered_at=corr.registered_at,
        milestones=tuple(Milestone(at, PUBLIC_MILESTONES[a]) for at, a in events),
        answers=tuple((i, f) for i, f in answers),
    )


def _contact_matches(party: Party, contact: str) -> bool:
    contact = contact.strip().lower()
    phone = re.sub(r"[\s.()-]", "", contact)
    return bool((party.email and contact == party.email) or (party.phone and phone == party.phone))


def request_code(session: Session, registry_number: str, contact: str) -> list[int]:
    """Queue a one-time code if the number and contact match; silent otherwise (no oracle).

    Returns the queued notification ids: callers deliver them in the background so the answer
    takes the same time whether or not anything matched."""
    corr = session.execute(
        select(Correspondence).where(Correspondence.registry_number == clean(registry_number, multiline=False).upper())
    ).scalar_one_or_none()
    party = session.get(Party, corr.sender_party_id) if corr and corr.sender_party_id else None
    if corr is None or party is None or not _contact_matches(party, contact):
        return []
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(TrackingCode(correspondence_id=corr.id, code_hash=hash_secret(f"{corr.id}:{code}"),  # type: ignore[arg-type]
                             expires_at=utcnow() + CODE_TTL))
    params = {"number": corr.registry_number, "code": code}
    n = notifications.queue(session, contact.strip(), notifications.bilingual_subject("mail.code.subject", **params),
                            notifications.bilingual_body("mail.code.body", "ar", ar=params, fr=params), corr.id)
    return [n.id]  # type: ignore[list-item]


def confirm_code(session: Session, registry_number: str, code: str) -> Correspondence | None:
    """The correspondence if ``code`` is a live code for it (each code works once, 5 tries)."""
    corr = session.execute(
        select(Correspondence).where(Correspondence.registry_number == clean(registry_number, multiline=False).upper())
    ).scalar_one_or_none()
    if corr is None:
        return None
    live = session.execute(
        select(TrackingCode).where(TrackingCode.correspondence_id == corr.id, TrackingCode.used.is_(False),
                                   TrackingCode.expires_at > utcnow()).order_by(TrackingCode.id.desc())
    ).scalars().first()
    if live is None or live.attempts >= MAX_CODE_ATTEMPTS:
        return None
    if not hmac.compare_digest(live.code_hash, hash_secret(f"{corr.id}:{code.strip()}")):
        live.attempts += 1
        session.add(live)
        return None
    live.used = True
    session.add(live)
    return corr
