"""Notifications to correspondents and staff.

Messages are queued as rows in the transaction that causes them (so a rolled-back deposit sends
nothing) and delivered after commit: by SMTP when ``MRASLA_SMTP_HOST`` is set, otherwise written
as one ``.eml`` file per message into ``<data>/outbox`` where they can be read and tested.

A message addressed to a phone number (``+212…``/``06…``, see ``is_phone``) is a text message: it
goes to the SMS provider's HTTP endpoint when ``MRASLA_SMS_URL`` is set (JSON ``{"from", "to",
"text"}``, ``Authorization: Bearer MRASLA_SMS_TOKEN``), otherwise into the outbox as a ``.sms``
file. A phone number is never written as an e-mail recipient. A message addressed ``push:<user id>`` is
a Web Push notification to that person's subscribed browsers (``services.parapheur.push``).
"""

from __future__ import annotations

import atexit
import json
import logging
import re
import smtplib
import threading
import urllib.request
from collections.abc import Iterable
from datetime import timedelta
from email.message import Message
from email.mime.text import MIMEText
from email.utils import format_datetime, make_msgid

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.fsutil import atomic_write
from mrasla_app.i18n import translate
from mrasla_app.models import Notification, NotificationStatus, PushSubscription
from mrasla_app.models.base import utcnow
from mrasla_app.settings import Settings, get_settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
CLAIM_TIMEOUT = timedelta(minutes=10)
PHONE_RE = re.compile(r"^\+?[0-9]{9,15}$")


def is_phone(address: str) -> bool:
    """A phone number (as stored at deposit: digits, optional ``+``), not an e-mail address."""
    return bool(PHONE_RE.match(address))


def bilingual_subject(key: str, **params: object) -> str:
    """Subjects carry both languages, Arabic first: the recipient may read either."""
    return f"{translate(key, 'ar', **params)} — {translate(key, 'fr', **params)}"


def bilingual_body(key: str, lang: str, *, ar: dict[str, object], fr: dict[str, object]) -> str:
    """Both languages in one message, the depositor's chosen language first."""
    parts = {"ar": translate(key, "ar", **ar), "fr": translate(key, "fr", **fr)}
    first = lang if lang in parts else "fr"
    return f"{parts[first]}\n\n————————\n\n{parts['fr' if first == 'ar' else 'ar']}\n"


def push_devices(session: Session, user_id: int) -> int:
    """How many browsers of this person receive Web Push (push can only be switched on with one)."""
    return session.execute(
        select(func.count()).select_from(PushSubscription).where(PushSubscription.user_id == user_id)
    ).scalar_one()


def queue(
    session: Session, to: str, subject: str, body: str, correspondence_id: int | None = None, *, claimed: bool = False
) -> Notification:
    """Queue a message in the caller's transaction.

    ``claimed``: the caller sends it itself once that transaction commits (``deliver_claimed``). The row
    is born claimed (``sending``, one attempt), so no other deliverer takes it meanwhile and the caller
    needs no claim transaction of its own; if the caller dies before sending, the claim goes stale and
    the retry job sends it after ``CLAIM_TIMEOUT`` (at least once, never lost)."""
    n = Notification(to_address=to, subject=subject[:255], body=body, correspondence_id=correspondence_id)
    if claimed:
        n.status, n.claimed_at, n.attempts = NotificationStatus.sending, utcnow(), 1
    session.add(n)
    session.flush()
    return n


def _message(n: Notification, settings: Settings) -> Message:
    """The e-mail: UTF-8 text in base64 (safe for any line length), headers as RFC 2047 encoded words.

    Built with the ``email`` package's compat32 classes: the default policy's ``EmailMessage`` parses and
    re-folds every header through its header registry, ≈ 1 ms per message against ≈ 0.25 ms here, for the
    same standard message (every request that deposits a letter sends one)."""
    msg = MIMEText(n.body, "plain", "utf-8")
    msg["From"] = settings.smtp_from
    msg["To"] = n.to_address
    msg["Subject"] = n.subject
    msg["Date"] = format_datetime(n.created_at)
    msg["Message-ID"] = make_msgid(domain="mrasla.local")
    return msg


def _send_sms(n: Notification, settings: Settings) -> None:
    """One text message: the provider's HTTP API, or ``<outbox>/<time>-<id>.sms`` in development."""
    if settings.sms_url:
        payload = json.dumps({"from": settings.sms_sender, "to": n.to_address, "text": n.body}).encode()
        request = urllib.request.Request(
            settings.sms_url,
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {settings.sms_token}"},
        )
        with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310 - the operator's configured URL
            if not 200 <= answer.status < 300:
                raise OSError(f"SMS provider answered {answer.status}")
        return
    text = f"To: {n.to_address}\nFrom: {settings.sms_sender}\n\n{n.body}"
    atomic_write(settings.outbox_dir / f"{n.created_at:%Y%m%dT%H%M%S}-{n.id:08d}.sms", text.encode(), mode=0o600)


def _send_push(n: Notification) -> None:
    """A Web Push notification (``services.parapheur.push``): body = text, then the page it opens."""
    from mrasla_app.services.parapheur import push

    text, _, url = n.body.rpartition("\n")
    push.send(int(n.to_address.removeprefix("push:")), push.Message(n.subject, text or url, url if text else "/"))


def _send(msg: Message, settings: Settings, n: Notification) -> None:
    if settings.smtp_host:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(msg)
        return
    atomic_write(settings.outbox_dir / f"{n.created_at:%Y%m%dT%H%M%S}-{n.id:08d}.eml", msg.as_bytes(), mode=0o600)


def _claim(ids: Iterable[int] | None) -> list[Notification]:
    """Take queued messages for sending, each by exactly one caller: ``queued → sending`` is the claim.

    Messages left in ``sending`` longer than ``CLAIM_TIMEOUT`` (a deliverer died) are taken again.
    """
    now = utcnow()
    with db.write_session() as session:
        stale = and_(Notification.status == NotificationStatus.sending, Notification.claimed_at < now - CLAIM_TIMEOUT)
        stmt = select(Notification.id).where(or_(Notification.status == NotificationStatus.queued, stale))
        if ids is not None:
            stmt = stmt.where(Notification.id.in_(list(ids)))
        candidates = list(session.execute(stmt.order_by(Notification.id).limit(200)).scalars())
        claimed_ids = [
            nid
            for nid in candidates
            if session.execute(
                update(Notification)
                .where(Notification.id == nid, or_(Notification.status == NotificationStatus.queued, stale))
                .values(status=NotificationStatus.sending, claimed_at=now, attempts=Notification.attempts + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        ]
        claimed = list(session.execute(select(Notification).where(Notification.id.in_(claimed_ids))).scalars())
        session.expunge_all()
    return claimed


def deliver(ids: Iterable[int] | None = None) -> int:
    """Send queued notifications (those in ``ids``, or all queued); returns how many were sent.

    Claimed in one short transaction, sent outside any transaction (SMTP can be slow), then marked
    sent or failed; a crash in between leaves the message queued, so it is sent again later
    (at least once, never lost).
    """
    return deliver_claimed(_claim(ids))


Outcome = dict[int, tuple[NotificationStatus, str]]  # message id → (status, error)


def deliver_claimed(messages: Iterable[Notification], *, write_back_later: bool = False) -> int:
    """Send messages already claimed (by ``_claim``, or queued ``claimed=True`` in a transaction that has
    committed since), outside any transaction, then mark each sent, or queued again for the retry job
    (failed after ``MAX_ATTEMPTS``) in one transaction; returns how many were sent.

    ``write_back_later`` (requests): the outcomes join those of the requests of the next
    ``WRITE_BACK_DELAY`` and are written together (``_OUTCOMES``), not in a transaction per request.
    A process that dies before writing them leaves its messages claimed: the retry job sends them
    again after ``CLAIM_TIMEOUT`` — at least once, never lost, as when it dies before sending."""
    settings = get_settings()
    outcome: Outcome = {}
    for n in messages:
        try:
            if is_phone(n.to_address):
                _send_sms(n, settings)
            elif n.to_address.startswith("push:"):
                _send_push(n)
            else:
                _send(_message(n, settings), settings, n)
            outcome[n.id] = (NotificationStatus.sent, "")
        except (OSError, smtplib.SMTPException) as exc:
            status = NotificationStatus.failed if n.attempts >= MAX_ATTEMPTS else NotificationStatus.queued
            outcome[n.id] = (status, f"{type(exc).__name__}: {exc}"[:255])
    if write_back_later:
        _OUTCOMES.add(settings.database_url, outcome)
    elif outcome:
        _write_back(settings.database_url, outcome)
    return sum(1 for status, _ in outcome.values() if status is NotificationStatus.sent)


def _write_back(url: str, outcome: Outcome) -> None:
    with db.write_session(url) as session:
        for nid, (status, error) in outcome.items():
            session.execute(
                update(Notification)
                .where(Notification.id == nid)
                .values(
                    status=status, last_error=error, sent_at=utcnow() if status is NotificationStatus.sent else None
                )
                .execution_options(synchronize_session=False)
            )


WRITE_BACK_DELAY = 0.5  # seconds


class _PendingOutcomes:
    """Outcomes waiting to be written, per database URL, by a timer ``WRITE_BACK_DELAY`` after the first
    one; written at once when the process exits or switches databases (``db.BEFORE_RESET``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, Outcome] = {}
        self._timer: threading.Timer | None = None

    def add(self, url: str, outcome: Outcome) -> None:
        if not outcome:
            return
        with self._lock:
            self._pending.setdefault(url, {}).update(outcome)
            if self._timer is None:
                self._timer = threading.Timer(WRITE_BACK_DELAY, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        for url, outcome in pending.items():
            try:
                _write_back(url, outcome)
            except Exception:  # noqa: BLE001 - logged; the claims go stale and the retry job resends
                log.exception("writing back %d notification outcomes failed", len(outcome))


_OUTCOMES = _PendingOutcomes()


def write_back_pending() -> None:
    """Write the outcomes still waiting now (at exit, before a switch of database, in tests)."""
    _OUTCOMES.flush()


atexit.register(write_back_pending)
db.BEFORE_RESET.append(write_back_pending)
