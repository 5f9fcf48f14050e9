"""E-mail intake: the worker reads each active mailbox and registers every new message as an
incoming letter *to qualify*, exactly once, and answers the sender with the sealed receipt.

For one message (``register_message``), outside any transaction: the message is parsed, rendered
as a PDF (headers and text body, Arabic shaped, with the receipt toolkit's fonts), every attachment
is inspected like an upload (``files.inspect``: refused ones are listed, not kept as documents) and
the blobs (the original ``.eml``, its rendition, the accepted attachments) are stored durably. Then
ONE write transaction takes the mailbox row (``FOR UPDATE`` on PostgreSQL; SQLite serialises
writers), checks the message is new, allocates the gap-free number and writes the party and its
contact, the correspondence, its documents, the sealed receipt, the audit event, the
``MailMessage`` row (unique per mailbox+UIDVALIDITY+UID and per Message-ID) and the mailbox's
``last_uid``; the receipt e-mail is queued in it and delivered after the commit.

Exactly once: the intake state commits with the registration. A worker killed between fetching and
committing leaves nothing, so the message is fetched and registered on the next run; a message seen
again (same UID, or the same Message-ID through another mailbox or after a UIDVALIDITY change) is
recorded as a duplicate of the first registration. Mailboxes are opened read-only: nothing is
flagged or moved on the server.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import html
import imaplib
import io
import json
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from fpdf.enums import XPos, YPos
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.documents.labels import use_font
from mrasla_app.documents.receipt_layout import FONT_AR, FONT_LATIN, new_document
from mrasla_app.models import (
    Administration,
    Channel,
    Correspondence,
    Direction,
    DocumentKind,
    Mailbox,
    MailMessage,
    Party,
    PartyKind,
    Priority,
    Status,
    Unit,
)
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import contacts, deadlines, intake, mailboxes
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import files, notifications, storage
from mrasla_app.services.platform.text import clean
from mrasla_app.services.portal import deposits
from mrasla_app.settings import TIMEZONE, get_settings

log = logging.getLogger(__name__)
BATCH = 50  # messages read per mailbox and run; the rest waits for the next run
_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.S | re.I)
_BLOCK = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", re.I)
_ARABIC = re.compile(r"[\u0600-\u06FF]")


# ------------------------------------------------------------------------------------ parsing


@dataclass(frozen=True)
class Refused:
    name: str
    reason: str  # an ``error.*`` key


@dataclass
class ParsedMessage:
    raw: bytes
    subject: str
    sender_name: str
    sender_email: str
    to: str
    date: datetime | None
    message_id_hash: str
    body: str
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    auto_reply_forbidden: bool = False  # auto-submitted / bulk mail: never answered (mail loops)


def _text_of(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # unknown charset, broken encoding
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    if part.get_content_subtype() == "html":
        content = html.unescape(_TAG.sub(" ", _BLOCK.sub("\n", content)))
        content = "\n".join(" ".join(line.split()) for line in content.splitlines())
        content = re.sub(r"\n{3,}", "\n\n", content)
    return clean(content, multiline=True)


def parse(raw: bytes) -> ParsedMessage:
    """The fields a registration needs, decoded (RFC 2047 headers, charsets, transfer encodings)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)

    def header(name: str) -> str:
        try:
            return clean(str(msg.get(name, "") or ""), multiline=False)
        except (ValueError, IndexError):  # a header the parser cannot decode
            return ""

    name, address = "", ""
    try:
        sender = msg["from"]
        if sender is not None and sender.addresses:
            name, address = sender.addresses[0].display_name, sender.addresses[0].addr_spec
    except (ValueError, IndexError, AttributeError):
        pass
    address = contacts.norm_email(address)
    if not deposits.EMAIL_RE.match(address) or len(address) > 255:
        address = ""
    message_id = header("message-id").strip().strip("<>").strip()
    key = f"id:{message_id}" if message_id else f"raw:{hashlib.sha256(raw).hexdigest()}"
    try:
        date = parsedate_to_datetime(header("date")) if header("date") else None
        date = date if date is not None and date.utcoffset() is not None else None
    except (TypeError, ValueError):
        date = None
    body_part = msg.get_body(preferencelist=("plain", "html"))
    attachments = []
    for i, part in enumerate(msg.iter_attachments(), start=1):
        data = part.get_payload(decode=True) or b""
        attachments.append((part.get_filename() or f"piece-{i}", data))
    auto = header("auto-submitted").lower() not in ("", "no") or header("precedence").lower() in (
        "bulk",
        "list",
        "junk",
    )
    return ParsedMessage(
        raw=raw,
        subject=header("subject")[:255],
        sender_name=clean(name, multiline=False)[:150],
        sender_email=address,
        to=header("to")[:500],
        date=date,
        message_id_hash=hashlib.sha256(key.encode()).hexdigest(),
        body=_text_of(body_part)[: deposits.MAX_MESSAGE] if body_part is not None else "",
        attachments=attachments,
        auto_reply_forbidden=auto,
    )


# ------------------------------------------------------------------------------------ rendering


def _paragraph(pdf, text: str, size: float, style: str = "") -> None:
    """One paragraph, right-aligned in the Arabic font when it is Arabic (fallbacks cover the rest)."""
    arabic = bool(_ARABIC.search(text))
    use_font(pdf, FONT_AR if arabic else FONT_LATIN, size, style, sample=text)
    pdf.multi_cell(0, size * 0.55, text or " ", align="R" if arabic else "L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_pdf(message: ParsedMessage, refused: list[Refused], accepted_names: list[str]) -> bytes:
    """The message as PDF page(s): headers (sender, addressee, date, subject), attachments, text."""
    pdf = new_document(title=message.subject or "e-mail")
    pdf.add_page()
    when = message.date.astimezone(ZoneInfo(TIMEZONE)).strftime("%d/%m/%Y %H:%M") if message.date else "—"
    sender = " ".join(filter(None, (message.sender_name, f"<{message.sender_email}>" if message.sender_email else "")))
    rows = [
        ("De — من", sender or "—"),
        ("À — إلى", message.to or "—"),
        ("Date — التاريخ", when),
        ("Objet — الموضوع", message.subject or "—"),
    ]
    if accepted_names:
        rows.append(("Pièces jointes — المرفقات", ", ".join(accepted_names)))
    if refused:
        rows.append(("Pièces refusées — مرفقات مرفوضة", ", ".join(r.name for r in refused)))
    for label, value in rows:
        use_font(pdf, FONT_LATIN, 8, "B", sample=label)
        pdf.cell(0, 5, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _paragraph(pdf, value, 10)
    pdf.ln(2)
    pdf.set_draw_color(200, 200, 200)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(3)
    for para in (message.body or "").split("\n"):
        _paragraph(pdf, para, 10)
    return bytes(pdf.output())


# ------------------------------------------------------------------------------------ preparing


@dataclass
class Prepared:
    message: ParsedMessage
    page: bytes
    page_count: int
    accepted: list[files.InspectedFile]
    refused: list[Refused]


def prepare(raw: bytes) -> Prepared:
    """Parse, inspect the attachments, render and store every blob (before any transaction)."""
    message = parse(raw)
    accepted: list[files.InspectedFile] = []
    refused: list[Refused] = []
    max_files = get_settings().max_files
    for name, data in message.attachments:
        if len(accepted) >= max_files:
            refused.append(Refused(files.safe_filename(name), "error.too_many_files"))
            continue
        try:
            accepted.append(files.inspect(name, data))
        except DomainError as exc:
            refused.append(Refused(files.safe_filename(name), exc.code))
    page = render_pdf(message, refused, [f.filename for f in accepted])
    for f in accepted:
        storage.put(f.data)
        if f.pdf is not f.data:
            storage.put(f.pdf)
    storage.put(raw)
    storage.put(page)
    return Prepared(message, page, len(PdfReader(io.BytesIO(page)).pages), accepted, refused)


# ------------------------------------------------------------------------------------ registering


def _locked_mailbox(session: Session, mailbox_id: int) -> Mailbox:
    return session.execute(select(Mailbox).where(Mailbox.id == mailbox_id).with_for_update()).scalar_one()


def _advance(session: Session, box: Mailbox, uidvalidity: int, uid: int) -> None:
    if box.uidvalidity != uidvalidity:
        box.uidvalidity, box.last_uid = uidvalidity, 0
    box.last_uid = max(box.last_uid, uid)
    session.add(box)


def _register(session: Session, box: Mailbox, p: Prepared) -> tuple[Correspondence, int | None]:
    """The letter, its documents, receipt, audit event and the sender's e-mail (queued)."""
    m = p.message
    adm = session.get(Administration, box.administration_id)
    unit = session.get(Unit, box.unit_id) if box.unit_id else None
    now = utcnow().replace(microsecond=0)
    party = Party(kind=PartyKind.person, full_name=m.sender_name or m.sender_email or "—", email=m.sender_email)
    subject = m.subject or "(sans objet — بدون موضوع)"
    lang = "ar" if _ARABIC.search(f"{m.subject} {m.body[:500]}") else "fr"
    done = intake.register(
        session,
        adm,
        Direction.incoming,
        Channel.email,
        columns={
            "unit_id": unit.id if unit else None,
            "status": Status.to_qualify,
            "subject": subject,
            "message": m.body,
            "deadline": deadlines.default_deadline(session, box.administration_id, "", Priority.normal, now),
        },
        at=now,
        words=(subject, party.full_name, m.sender_email, m.body),
        verify_token=secrets.token_urlsafe(24),
        access_token=secrets.token_urlsafe(24),
        party=party,
        link_contact=True,
        lead=intake.Lead(
            DocumentKind.email,
            "courriel-{reference}.eml",
            files.InspectedFile("", "message/rfc822", m.raw, p.page, p.page_count),
        ),
        accepted=p.accepted,
        receipt=intake.Receipt(party.full_name, unit, conversions=False),
        actor_label=f"mailbox:{box.id}",
        data={
            "channel": Channel.email.value,
            "mailbox_id": box.id,
            "refused": [{"name": r.name, "reason": r.reason} for r in p.refused],
        },
        notice=intake.Notice(m.sender_email, lang) if m.sender_email and not m.auto_reply_forbidden else None,
    )
    return done.correspondence, done.notification.id if done.notification else None


@dataclass(frozen=True)
class Outcome:
    registered: bool  # False: already registered (same UID or same Message-ID)
    notification_id: int | None = None  # the sender's receipt e-mail, delivered after the commit


def register_message(mailbox_id: int, uidvalidity: int, uid: int, raw: bytes) -> Outcome:
    """Register one fetched message unless already done.

    Everything — the letter and the intake state — commits in one transaction (module docstring)."""
    prepared = prepare(raw)
    try:
        with db.write_session() as session:
            box = _locked_mailbox(session, mailbox_id)
            seen = session.execute(
                select(MailMessage.id).where(
                    MailMessage.mailbox_id == mailbox_id, MailMessage.uidvalidity == uidvalidity, MailMessage.uid == uid
                )
            ).first()
            if seen is not None:
                _advance(session, box, uidvalidity, uid)
                return Outcome(False)
            first = session.execute(
                select(MailMessage.correspondence_id).where(
                    MailMessage.administration_id == box.administration_id,
                    MailMessage.message_id_hash == prepared.message.message_id_hash,
                )
            ).first()
            refused = json.dumps([{"name": r.name, "reason": r.reason} for r in prepared.refused], ensure_ascii=False)
            if first is not None:  # the same message again (another mailbox, or a new UIDVALIDITY)
                outcome, correspondence_id, message_id_hash = Outcome(False), first[0], None
            else:
                corr, notification_id = _register(session, box, prepared)
                outcome, correspondence_id = Outcome(True, notification_id), corr.id
                message_id_hash = prepared.message.message_id_hash  # unique: only the first one carries it
            session.add(
                MailMessage(
                    administration_id=box.administration_id,
                    mailbox_id=mailbox_id,
                    uidvalidity=uidvalidity,
                    uid=uid,
                    message_id_hash=message_id_hash,
                    correspondence_id=correspondence_id,
                    refused=refused,
                )
            )
            _advance(session, box, uidvalidity, uid)
            return outcome
    except IntegrityError:  # another worker registered it meanwhile (PostgreSQL): nothing to do
        log.info("mailbox %s uid %s registered by another worker", mailbox_id, uid)
        return Outcome(False)


# ------------------------------------------------------------------------------------ fetching


def _uidvalidity(imap: imaplib.IMAP4) -> int:
    _, data = imap.response("UIDVALIDITY")
    if not data or not data[0]:
        raise imaplib.IMAP4.error("no UIDVALIDITY")
    return int(data[0])


def _new_uids(imap: imaplib.IMAP4, after: int) -> list[int]:
    status, data = imap.uid("SEARCH", None, f"UID {after + 1}:*")
    if status != "OK":
        raise imaplib.IMAP4.error("UID SEARCH failed")
    # "n:*" also matches the last message when every UID is below n: keep the new ones only
    return sorted(u for u in (int(x) for x in (data[0] or b"").split()) if u > after)


def _fetch(imap: imaplib.IMAP4, uid: int) -> bytes | None:
    status, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"UID FETCH {uid} failed")
    for item in data or ():
        if isinstance(item, tuple) and len(item) == 2:
            return item[1]
    return None  # expunged meanwhile


def fetch_mailbox(mailbox_id: int, *, limit: int = BATCH, after_fetch: Callable[[int], None] | None = None) -> int:
    """Read one mailbox's new messages and register them; how many letters were registered.

    ``after_fetch(uid)`` runs between fetching a message and registering it (tests kill the worker
    there). Connection problems are recorded on the mailbox (``last_error``) and raised."""
    with db.read_session() as session:
        box = session.get(Mailbox, mailbox_id)
        if box is None or not box.active:
            return 0
        session.expunge(box)
    registered, error = 0, ""
    try:
        imap = mailboxes.connect(box)
        try:
            uidvalidity = _uidvalidity(imap)
            after = box.last_uid if box.uidvalidity == uidvalidity else 0
            for uid in _new_uids(imap, after)[:limit]:
                raw = _fetch(imap, uid)
                if raw is None:
                    continue
                if after_fetch is not None:
                    after_fetch(uid)
                outcome = register_message(mailbox_id, uidvalidity, uid, raw)
                registered += outcome.registered
                if outcome.notification_id is not None:
                    notifications.deliver([outcome.notification_id])
        finally:
            mailboxes._logout(imap)
    except DomainError as exc:
        error = str(exc.params.get("reason", exc.code))
        raise
    except (OSError, imaplib.IMAP4.error) as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        with db.write_session() as session:
            row = session.get(Mailbox, mailbox_id)
            if row is not None:
                row.last_checked_at, row.last_error = utcnow(), error[:255]
    return registered


def run_all() -> str:
    """The job: every active mailbox in turn (one failing mailbox does not stop the others)."""
    with db.read_session() as session:
        ids = list(session.execute(select(Mailbox.id).where(Mailbox.active.is_(True)).order_by(Mailbox.id)).scalars())
    total, failed = 0, 0
    for mailbox_id in ids:
        try:
            total += fetch_mailbox(mailbox_id)
        except (DomainError, OSError, imaplib.IMAP4.error):
            log.warning("mailbox %s could not be read", mailbox_id, exc_info=True)
            failed += 1
    return f"{total} registered, {failed} mailboxes failed"
