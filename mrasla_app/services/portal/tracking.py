"""Depositors follow their correspondence without an account.

Access is either the private link sent with the receipt (reference + access token), or the
registry number plus the e-mail/phone given at deposit, proven by a one-time code sent there.
The timeline shows only public milestones derived from the audit trail.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.i18n import translate
from mrasla_app.models import AuditEvent, Correspondence, Document, DocumentKind, Folder, Party, TrackingCode
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import registry
from mrasla_app.services.directory.accounts import hash_secret
from mrasla_app.services.platform import notifications
from mrasla_app.services.platform.text import clean
from mrasla_app.settings import get_settings

CODE_TTL = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
TICKET_TTL = timedelta(hours=12)

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


class Answer(NamedTuple):
    """A signed answer sent to the depositor, as their tracking page lists it (``[0]`` is the id)."""

    document_id: int
    filename: str
    pages: int
    size: int
    sent_at: datetime
    folder_reference: str  # ``PAR-…`` when it was signed in the signature book, "" for an uploaded signed PDF


@dataclass(frozen=True)
class TrackingView:
    correspondence_id: int
    registry_number: str
    reference: str
    status: str
    subject: str
    registered_at: datetime
    milestones: tuple[Milestone, ...]
    answers: tuple[Answer, ...]  # answers sent to the depositor, oldest first


def by_access_token(session: Session, reference: str, token: str) -> Correspondence | None:
    if not token or len(token) > 128:
        return None
    corr = session.execute(
        select(Correspondence).where(Correspondence.registry_number == registry.number_from_slug(reference))
    ).scalar_one_or_none()
    if (
        corr is None
        or not corr.access_token_hash
        or not hmac.compare_digest(corr.access_token_hash, hash_secret(token))
    ):
        return None
    return corr


def view(session: Session, corr: Correspondence) -> TrackingView:
    events = session.execute(
        select(AuditEvent.at, AuditEvent.action)
        .where(
            AuditEvent.object_type == "correspondence",
            AuditEvent.object_id == str(corr.id),
            AuditEvent.action.in_(PUBLIC_MILESTONES),
        )
        .order_by(AuditEvent.id)
    ).all()
    docs = (
        session.execute(
            select(Document)
            .where(Document.correspondence_id == corr.id, Document.kind == DocumentKind.answer)
            .order_by(Document.id)
        )
        .scalars()
        .all()
    )
    folders: dict[str, str] = (
        dict(
            session.execute(
                select(Folder.current_sha256, Folder.reference).where(
                    Folder.current_sha256.in_([d.sha256 for d in docs])
                )
            ).all()
        )
        if docs
        else {}
    )
    return TrackingView(
        correspondence_id=corr.id,
        registry_number=corr.registry_number,
        reference=registry.reference_slug(corr.registry_number),
        status=corr.status.value,
        subject=corr.subject,
        registered_at=corr.registered_at,
        milestones=tuple(Milestone(at, PUBLIC_MILESTONES[a]) for at, a in events),
        answers=tuple(Answer(d.id, d.filename, d.pages, d.size, d.created_at, folders.get(d.sha256, "")) for d in docs),
    )


# --- tickets: short-lived links for a depositor who proved access ------------------------------
# The tracking page of someone who typed a code holds no access token, yet must link to the answer's
# PDF and to its verification. A ticket is an HMAC (key derived from the master key) over what it
# opens and its expiry time: nothing is stored, and it opens that one thing only, until it expires.


def _ticket_mac(subject: str, expires: int) -> str:
    key = hmac.new(get_settings().master_key(), b"mrasla:tracking-ticket", hashlib.sha256).digest()
    return hmac.new(key, f"{subject}|{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def ticket(subject: str) -> str:
    """``<expiry>.<mac>`` for ``subject`` (``answer:<document id>`` or ``verify:<PAR reference>``)."""
    expires = int((utcnow() + TICKET_TTL).timestamp())
    return f"{expires}.{_ticket_mac(subject, expires)}"


def check_ticket(subject: str, value: str) -> bool:
    expires, _, mac = (value or "")[:64].partition(".")
    if not expires.isdigit() or int(expires) < utcnow().timestamp():
        return False
    return hmac.compare_digest(mac, _ticket_mac(subject, int(expires)))


def answer_subject(document_id: int) -> str:
    return f"answer:{document_id}"


def verify_subject(folder_reference: str) -> str:
    return f"verify:{folder_reference}"


def answer_by_ticket(session: Session, reference: str, document_id: int, value: str) -> Document | None:
    """The answer document a ticket opens (it must belong to the correspondence of ``reference``)."""
    if not check_ticket(answer_subject(document_id), value):
        return None
    doc = session.get(Document, document_id)
    corr = session.get(Correspondence, doc.correspondence_id) if doc is not None else None
    if (
        doc is None
        or corr is None
        or doc.kind is not DocumentKind.answer
        or registry.reference_slug(corr.registry_number) != reference
    ):
        return None
    return doc


def _phone_key(phone: str) -> str:
    """A Moroccan number written any usual way (``06 00…``, ``+212 6 00…``, ``00212 6…``) as ``+2126…``."""
    phone = re.sub(r"[\s.()-]", "", phone)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if re.fullmatch(r"0[5-7]\d{8}", phone):
        phone = "+212" + phone[1:]
    return phone


def _contact_matches(party: Party, contact: str) -> str:
    """The deposit's own address that ``contact`` designates ("" if none): the code goes there."""
    contact = contact.strip().lower()
    if party.email and contact == party.email.lower():
        return party.email
    if party.phone and _phone_key(contact) == _phone_key(party.phone):
        return party.phone
    return ""


# Digits a phone keyboard may type (Arabic-Indic, Eastern Arabic-Indic) read as the ASCII the code is made of.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
LIVE_CODES = 3  # codes of one correspondence still accepted (the user may read an older message)


def normalize_code(code: str) -> str:
    """The code as typed, reduced to ASCII digits (spaces and Arabic-Indic digits accepted)."""
    return "".join(code.translate(_DIGITS).split())


def request_code(session: Session, registry_number: str, contact: str) -> list[int]:
    """Queue a one-time code if the number and contact match; silent otherwise (no oracle).

    The code goes to the address stored at deposit (e-mail, or text message to the phone), never to
    what was typed. Returns the queued notification ids: callers deliver them in the background so
    the answer takes the same time whether or not anything matched."""
    corr = session.execute(
        select(Correspondence).where(Correspondence.registry_number == clean(registry_number, multiline=False).upper())
    ).scalar_one_or_none()
    party = session.get(Party, corr.sender_party_id) if corr and corr.sender_party_id else None
    address = _contact_matches(party, contact) if party is not None else ""
    if corr is None or not address:
        return []
    code = f"{secrets.randbelow(10**6):06d}"
    session.add(
        TrackingCode(
            correspondence_id=corr.id,
            code_hash=hash_secret(f"{corr.id}:{code}"),
            expires_at=utcnow() + CODE_TTL,
        )
    )
    params = {"number": corr.registry_number, "code": code}
    if notifications.is_phone(address):
        text = f"{translate('citizen.sms_code', 'ar', **params)}\n{translate('citizen.sms_code', 'fr', **params)}"
        n = notifications.queue(session, address, "SMS", text, corr.id)
    else:
        n = notifications.queue(
            session,
            address,
            notifications.bilingual_subject("mail.code.subject", **params),
            notifications.bilingual_body("mail.code.body", "ar", ar=params, fr=params),
            corr.id,
        )
    return [n.id]  # type: ignore[list-item]  # a flushed row's id (SQLModel types it Optional)


def confirm_code(session: Session, registry_number: str, code: str) -> Correspondence | None:
    """The correspondence if ``code`` is one of its live codes (each works once).

    The last ``LIVE_CODES`` unexpired codes are accepted, not only the newest: a depositor who asked
    twice (a page reload, a slow message) types the code of whichever message they open first.
    Wrong tries are counted over those codes together; ``MAX_CODE_ATTEMPTS`` of them burn them all."""
    corr = session.execute(
        select(Correspondence).where(Correspondence.registry_number == clean(registry_number, multiline=False).upper())
    ).scalar_one_or_none()
    if corr is None:
        return None
    live = list(
        session.execute(
            select(TrackingCode)
            .where(
                TrackingCode.correspondence_id == corr.id,
                TrackingCode.used.is_(False),
                TrackingCode.expires_at > utcnow(),
            )
            .order_by(TrackingCode.id.desc())
            .limit(LIVE_CODES)
        ).scalars()
    )
    if not live or sum(c.attempts for c in live) >= MAX_CODE_ATTEMPTS:
        return None
    digest = hash_secret(f"{corr.id}:{normalize_code(code)}")
    match = next((c for c in live if hmac.compare_digest(c.code_hash, digest)), None)
    if match is None:
        live[0].attempts += 1
        session.add(live[0])
        return None
    for c in live:  # one success closes every pending code of this correspondence
        c.used = True
        session.add(c)
    return corr
