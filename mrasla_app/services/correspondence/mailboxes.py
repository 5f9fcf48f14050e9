"""Mailboxes an administration connects for e-mail intake (IMAP over TLS only).

Administrators of the administration add, test and disable them; the password is sealed under
the master key (``crypto.seal``, purpose ``mailbox:<id>``) and only unsealed by the worker and the
test action, never shown again. ``mrasla rotate-master-key`` re-seals it with the other secrets.
"""

from __future__ import annotations

import imaplib
import re
import socket
import ssl
from dataclasses import dataclass

from sqlmodel import Session

from mrasla_app.crypto import seal, unseal
from mrasla_app.models import Mailbox, Unit
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, FieldErrors, NotFound
from mrasla_app.services.platform import audit
from mrasla_app.services.platform.text import clean
from mrasla_app.settings import get_settings

TIMEOUT = 30.0  # seconds for connecting and for each IMAP command
_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$")


def password_purpose(mailbox_id: int) -> str:
    return f"mailbox:{mailbox_id}"


@dataclass(frozen=True)
class MailboxInput:
    label: str
    host: str
    username: str
    password: str
    port: int = 993
    folder: str = "INBOX"
    unit_id: int | None = None


def _checked(session: Session, administration_id: int, data: MailboxInput) -> dict[str, object]:
    errors: dict[str, str] = {}
    label = clean(data.label, multiline=False)
    host = clean(data.host, multiline=False).lower()
    username = clean(data.username, multiline=False)
    folder = clean(data.folder, multiline=False) or "INBOX"
    if not label:
        errors["label"] = "error.required"
    elif len(label) > 120:
        errors["label"] = "error.too_long"
    if not _HOST_RE.match(host):
        errors["host"] = "error.mailbox_host"
    if not 1 <= int(data.port or 0) <= 65535:
        errors["port"] = "error.mailbox_port"
    if not username:
        errors["username"] = "error.required"
    if not data.password:
        errors["password"] = "error.required"
    if len(username) > 255 or len(folder) > 255 or len(data.password) > 255:
        errors["username"] = "error.too_long"
    if data.unit_id:
        unit = session.get(Unit, data.unit_id)
        if unit is None or unit.administration_id != administration_id:
            errors["unit"] = "error.unknown_unit"
    if errors:
        raise FieldErrors(errors)
    return {
        "label": label,
        "host": host,
        "port": int(data.port),
        "username": username,
        "folder": folder,
        "unit_id": data.unit_id or None,
    }


def add(session: Session, actor: Actor | None, administration_id: int, data: MailboxInput) -> Mailbox:
    """Connect a mailbox (not contacted here: ``test`` does that); audited without the password."""
    actor = permissions.require_admin_of(actor, administration_id)
    box = Mailbox(
        administration_id=administration_id, password_sealed=b"", **_checked(session, administration_id, data)
    )
    session.add(box)
    session.flush()
    box.password_sealed = seal(data.password.encode(), password_purpose(box.id))
    audit.record(
        session,
        actor,
        "mailbox.added",
        object_type="mailbox",
        object_id=box.id,
        administration_id=administration_id,
        data={"label": box.label, "host": box.host, "port": box.port, "username": box.username, "folder": box.folder},
    )
    return box


def get(session: Session, actor: Actor | None, mailbox_id: int) -> Mailbox:
    box = session.get(Mailbox, mailbox_id) if mailbox_id else None
    if box is None:
        raise NotFound()
    permissions.require_admin_of(actor, box.administration_id)
    return box


def set_active(session: Session, actor: Actor | None, mailbox_id: int, active: bool) -> Mailbox:
    """Disable (the worker stops reading it) or enable again; audited."""
    box = get(session, actor, mailbox_id)
    if box.active != active:
        box.active = active
        session.add(box)
        audit.record(
            session,
            actor,
            "mailbox.enabled" if active else "mailbox.disabled",
            object_type="mailbox",
            object_id=box.id,
            administration_id=box.administration_id,
        )
    return box


def list_for(session: Session, actor: Actor | None, administration_id: int) -> list[Mailbox]:
    return permissions.administered_rows(session, actor, Mailbox, administration_id, Mailbox.id)


def password(box: Mailbox) -> str:
    return unseal(box.password_sealed, password_purpose(box.id)).decode()


def tls_context() -> ssl.SSLContext:
    """Certificates verified against the system's CAs, or ``MRASLA_IMAP_CAFILE``."""
    cafile = get_settings().imap_cafile or None
    context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def connect(box: Mailbox) -> imaplib.IMAP4_SSL:
    """Logged in over TLS with the folder selected read-only (reading never changes the mailbox).
    Raises ``DomainError("error.mailbox_unreachable")`` with the reason in ``params``."""
    try:
        imap = imaplib.IMAP4_SSL(box.host, box.port, ssl_context=tls_context(), timeout=TIMEOUT)
    except (OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:
        raise DomainError("error.mailbox_unreachable", reason=f"{type(exc).__name__}: {exc}"[:200]) from None
    try:
        imap.login(box.username, password(box))
        status, _ = imap.select(_quoted(box.folder), readonly=True)
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select {box.folder}")
    except (OSError, imaplib.IMAP4.error) as exc:
        _logout(imap)
        raise DomainError("error.mailbox_unreachable", reason=f"{type(exc).__name__}: {exc}"[:200]) from None
    return imap


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _logout(imap: imaplib.IMAP4) -> None:
    try:
        imap.logout()
    except (OSError, imaplib.IMAP4.error, socket.timeout):
        pass


def test(session: Session, actor: Actor | None, mailbox_id: int) -> int:
    """Log in and select the folder now; the number of messages in it (raises with the reason)."""
    box = get(session, actor, mailbox_id)
    imap = connect(box)
    try:
        _, data = imap.response("EXISTS")
        return int(data[-1]) if data and data[-1] else 0
    finally:
        _logout(imap)
