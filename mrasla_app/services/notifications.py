"""Notifications to correspondents and staff.

Messages are queued as rows in the transaction that causes them (so a rolled-back deposit sends
nothing) and delivered after commit: by SMTP when ``MRASLA_SMTP_HOST`` is set, otherwise written
as one ``.eml`` file per message into ``<data>/outbox`` where they can be read and tested.
"""

from __future__ import annotations

import os
import smtplib
import tempfile
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.i18n import translate
from mrasla_app.models import Notification, NotificationStatus
from mrasla_app.models.base import utcnow
from mrasla_app.settings import Settings, get_settings

MAX_ATTEMPTS = 5


def bilingual_subject(key: str, **params: object) -> str:
    """Subjects carry both languages, Arabic first: the recipient may read either."""
    return f"{translate(key, 'ar', **params)} — {translate(key, 'fr', **params)}"


def bilingual_body(key: str, lang: str, *, ar: dict[str, object], fr: dict[str, object]) -> str:
    """Both languages in one message, the depositor's chosen language first."""
    parts = {"ar": translate(key, "ar", **ar), "fr": translate(key, "fr", **fr)}
    first = lang if lang in parts else "fr"
    return f"{parts[first]}\n\n————————\n\n{parts['fr' if first == 'ar' else 'ar']}\n"


def queue(session: Session, to: str, subject: str, body: str, correspondence_id: int | None = None) -> Notification:
    n = Notification(to_address=to, subject=subject[:255], body=body, correspondence_id=correspondence_id)
    session.add(n)
    session.flush()
    return n


def _message(n: Notification, settings: Settings) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = n.to_address
    msg["Subject"] = n.subject
    msg["Date"] = format_datetime(n.created_at)
    msg["Message-ID"] = make_msgid(domain="mrasla.local")
    msg.set_content(n.body)
    return msg


def _send(msg: EmailMessage, settings: Settings, n: Notification) -> None:
    if settings.smtp_host:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(msg)
        return
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=settings.outbox_dir, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(msg.as_bytes())
    os.replace(tmp, settings.outbox_dir / f"{n.created_at:%Y%m%dT%H%M%S}-{n.id:08d}.eml")


def deliver(ids: Iterable[int] | None = None) -> int:
    """Send queued notifications (those in ``ids``, or all queued); returns how many were sent."""
    settings = get_settings()
    sent = 0
    with db.write_session() as session:
        stmt = select(Notification).where(Notification.status == NotificationStatus.queued)
        if ids is not None:
            stmt = stmt.where(Notification.id.in_(list(ids)))
        for n in session.execute(stmt.order_by(Notification.id).limit(200)).scalars():
            n.attempts += 1
            try:
                _send(_message(n, settings), settings, n)
                n.status, n.sent_at, n.last_error = NotificationStatus.sent, utcnow(), ""
                sent += 1
            except (OSError, smtplib.SMTPException) as exc:
                n.last_error = f"{type(exc).__name__}: {exc}"[:255]
                if n.attempts >= MAX_ATTEMPTS:
                    n.status = NotificationStatus.failed
            session.add(n)
    return sent
