"""E-mail intake against a real IMAP server (a private Dovecot over TLS, started here) and a real
SMTP server (aiosmtpd) that receives the receipts: every message becomes one letter, even when the
worker is killed between fetching a message and registering it and then started again."""

from __future__ import annotations

import imaplib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from pypdf import PdfReader
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.crypto import unseal_with
from mrasla_app.models import (
    AuditEvent,
    Channel,
    Contact,
    Correspondence,
    Document,
    DocumentKind,
    Mailbox,
    MailMessage,
    Party,
    Status,
)
from mrasla_app.services.correspondence import mail_intake, mailboxes
from mrasla_app.services.errors import DomainError, PermissionDenied
from mrasla_app.services.platform import master_key, storage
from mrasla_app.settings import get_settings

pytestmark = pytest.mark.external  # drives an outside server/program (see pyproject markers)
USER, PASSWORD = "courrier@mef.gov.ma", "s3cret-imap"
ARABIC_SUBJECT = "طلب شهادة الإعفاء الضريبي"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Dovecot:
    port: int
    cafile: Path


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    """Dovecot with IMAPS (ssl=required), a self-signed certificate, one user (note §3). Its
    directory is outside pytest's (0700) base: Dovecot's unprivileged processes must reach it."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    assert Path(binary).exists(), "dovecot missing: run `make test-deps` (Debian dovecot-imapd)"
    # Files readable by Dovecot's unprivileged processes even if an earlier test (the CLI's) left the private umask.
    umask = os.umask(0o022)
    d = Path(tempfile.mkdtemp(prefix="mrasla-dovecot-", dir="/tmp"))  # not $TMPDIR: other tests point it at 0700 dirs
    d.chmod(0o755)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(d / "key.pem"),
            "-out",
            str(d / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    (d / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (d / "mail").mkdir()
    if os.geteuid() == 0:
        shutil.chown(d / "mail", "nobody", "nogroup")
        users, ids = "dovenull", "uid=65534 gid=65534"
    else:
        me = os.environ.get("USER") or subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        users, ids = me, f"uid={os.getuid()} gid={os.getgid()}"
    port, plain = _free_port(), _free_port()
    (d / "dovecot.conf").write_text(
        textwrap.dedent(f"""\
        base_dir = {d}/run
        state_dir = {d}/state
        log_path = {d}/dovecot.log
        instance_name = test-{port}
        protocols = imap
        listen = 127.0.0.1
        default_internal_user = {users}
        default_login_user = {users}
        auth_mechanisms = plain login
        mail_location = maildir:{d}/mail/%u
        passdb {{
          driver = passwd-file
          args = scheme=PLAIN username_format=%u {d}/users
        }}
        userdb {{
          driver = static
          args = {ids} home={d}/mail/%u
        }}
        service imap-login {{
          inet_listener imap {{
            port = {plain}
          }}
          inet_listener imaps {{
            port = {port}
            ssl = yes
          }}
        }}
        ssl = required
        ssl_cert = <{d}/cert.pem
        ssl_key = <{d}/key.pem
        """)
    )
    proc = subprocess.Popen([binary, "-F", "-c", str(d / "dovecot.conf")])
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", plain), timeout=1) as s:
                if s.recv(100).startswith(b"* OK"):
                    break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise AssertionError((d / "dovecot.log").read_text() if (d / "dovecot.log").exists() else "no log")
            time.sleep(0.05)
    os.umask(umask)
    yield Dovecot(port, d / "cert.pem")
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(d, ignore_errors=True)


class _Collect(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:  # noqa: ANN001 - aiosmtpd's hook
        self.messages.append(message)


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[int, _Collect]]:
    handler = _Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.port, handler
    controller.stop()


def _pdf() -> bytes:
    from mrasla_app.documents.receipt_layout import new_document

    pdf = new_document(title="facture")
    pdf.add_page()
    pdf.set_font("NotoSans", size=12)
    pdf.cell(0, 10, "Facture 2026-117")
    return bytes(pdf.output())


def _message(
    n: int,
    subject: str,
    body: str,
    sender: str,
    attachment: tuple[str, bytes, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = USER
    msg["Subject"] = subject
    msg["Date"] = "Fri, 04 Dec 2026 10:0%d:00 +0100" % n
    msg["Message-ID"] = message_id or f"<m{n}.{time.time_ns()}@example.ma>"
    msg.set_content(body)
    if attachment:
        name, data, ctype = attachment
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def _append(server: Dovecot, raw: bytes) -> None:
    context = ssl.create_default_context(cafile=str(server.cafile))
    with imaplib.IMAP4_SSL("127.0.0.1", server.port, ssl_context=context) as imap:
        imap.login(USER, PASSWORD)
        assert imap.append("INBOX", "", None, raw)[0] == "OK"


@pytest.fixture
def mailbox(seeded, dovecot: Dovecot, smtp, monkeypatch: pytest.MonkeyPatch) -> int:
    port, _ = smtp
    monkeypatch.setenv("MRASLA_IMAP_CAFILE", str(dovecot.cafile))
    monkeypatch.setenv("MRASLA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MRASLA_SMTP_PORT", str(port))
    monkeypatch.setenv("MRASLA_SMTP_STARTTLS", "0")
    get_settings.cache_clear()
    admin = seeded.actor("admin.mef@mrasla.ma")
    with db.write_session() as s:
        box = mailboxes.add(
            s,
            admin,
            seeded.adm_id("MEF"),
            mailboxes.MailboxInput(
                label="Courrier MEF", host="127.0.0.1", port=dovecot.port, username=USER, password=PASSWORD
            ),
        )
        return box.id  # type: ignore[return-value]


_WORKER = """
import os, signal, sys
from mrasla_app.services.correspondence import mail_intake

def crash(uid):
    if uid == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)  # killed after fetching, before registering

mail_intake.fetch_mailbox(int(sys.argv[1]), after_fetch=crash)
"""


def _letters() -> list[Correspondence]:
    with db.read_session() as s:
        return list(
            s.execute(
                select(Correspondence).where(Correspondence.channel == Channel.email).order_by(Correspondence.seq)
            ).scalars()
        )


def test_messages_become_letters_once_even_when_the_worker_is_killed(
    seeded, mailbox: int, dovecot: Dovecot, smtp, tmp_path: Path
) -> None:
    _, received = smtp
    received.messages.clear()
    pdf = _pdf()
    first_id = f"<first.{time.time_ns()}@example.ma>"
    _append(
        dovecot,
        _message(
            1,
            ARABIC_SUBJECT,
            "السلام عليكم،\nأرجو منحي شهادة الإعفاء.\nMerci d'avance.",
            "=?utf-8?b?2YPYsdmK2YXYqSDYp9mE2LnZhNmI2Yo=?= <karima@example.ma>",
            ("facture.pdf", pdf, "application/pdf"),
            message_id=first_id,
        ),
    )
    _append(
        dovecot,
        _message(
            2,
            "Réclamation — pièce exécutable",
            "Veuillez trouver ci-joint le programme.",
            "Société Atlas SARL <contact@atlas.ma>",
            ("setup.exe", b"MZ\x90\x00" + b"\x00" * 200, "application/octet-stream"),
        ),
    )
    _append(
        dovecot,
        _message(
            3, "Demande de rendez-vous", "Bonjour, je souhaite un rendez-vous.", "Ahmed El Fassi <a.elfassi@example.ma>"
        ),
    )
    _append(dovecot, _message(1, ARABIC_SUBJECT, "renvoyé", "karima@example.ma", message_id=first_id))  # resent

    with db.read_session() as s:
        assert mailboxes.test(s, seeded.actor("admin.mef@mrasla.ma"), mailbox) >= 4

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    worker = subprocess.run(
        [sys.executable, "-c", _WORKER, str(mailbox), "2"], env=env, capture_output=True, timeout=120
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr.decode()[-2000:]
    letters = _letters()
    assert [c.subject for c in letters] == [ARABIC_SUBJECT]  # the first one, committed before the kill
    with db.read_session() as s:
        assert s.get(Mailbox, mailbox).last_uid == 1  # type: ignore[union-attr]

    assert mail_intake.run_all() == "2 registered, 0 mailboxes failed"  # the restarted worker
    assert mail_intake.run_all() == "0 registered, 0 mailboxes failed"  # and nothing new afterwards

    letters = _letters()
    assert [c.subject for c in letters] == [ARABIC_SUBJECT, "Réclamation — pièce exécutable", "Demande de rendez-vous"]
    assert [c.seq for c in letters] == list(range(letters[0].seq, letters[0].seq + 3))  # gap-free
    assert all(c.status is Status.to_qualify and c.direction.value == "incoming" for c in letters)
    with db.read_session() as s:
        docs = {
            c.id: list(
                s.execute(select(Document).where(Document.correspondence_id == c.id).order_by(Document.id)).scalars()
            )
            for c in letters
        }
        first, second, third = letters
        assert [d.kind for d in docs[first.id]] == [DocumentKind.email, DocumentKind.attachment, DocumentKind.receipt]
        assert docs[first.id][1].filename == "facture.pdf" and storage.get(docs[first.id][1].sha256) == pdf
        eml = storage.get(docs[first.id][0].sha256)
        assert first_id.encode() in eml  # the original message, byte for byte
        page = PdfReader(__import__("io").BytesIO(storage.get(docs[first.id][0].pdf_sha256)))
        text = "".join(p.extract_text() for p in page.pages)
        assert "karima@example.ma" in text and "facture.pdf" in text and "Merci" in text
        fonts = {
            str(f) for p in page.pages for f in p["/Resources"]["/Font"].values() for f in [f.get_object()["/BaseFont"]]
        }
        assert any("NotoNaskhArabic" in f for f in fonts)  # the Arabic lines are set in the Arabic font
        sender = s.get(Party, first.sender_party_id)
        assert sender.full_name == "كريمة العلوي" and sender.email == "karima@example.ma"  # type: ignore[union-attr]
        contact = s.get(Contact, sender.contact_id)  # type: ignore[union-attr]
        assert contact.name_ar == "كريمة العلوي" and contact.email == "karima@example.ma"  # type: ignore[union-attr]

        # the refused attachment: listed, not kept as a document
        assert [d.kind for d in docs[second.id]] == [DocumentKind.email, DocumentKind.receipt]
        row = s.execute(select(MailMessage).where(MailMessage.correspondence_id == second.id)).scalar_one()
        assert json.loads(row.refused) == [{"name": "setup.exe", "reason": "error.file_type"}]
        event = s.execute(
            select(AuditEvent).where(
                AuditEvent.action == "correspondence.registered", AuditEvent.object_id == str(second.id)
            )
        ).scalar_one()
        assert "setup.exe" in event.data
        # the resent copy (same Message-ID, UID 4) is remembered as a duplicate of the first letter
        dup = s.execute(select(MailMessage).where(MailMessage.uid == 4)).scalar_one()
        assert dup.correspondence_id == first.id and dup.message_id_hash is None

    # every sender received the receipt e-mail once, with the registry number and the receipt link
    to = sorted(m["X-RcptTo"] for m in received.messages)
    assert to == ["a.elfassi@example.ma", "contact@atlas.ma", "karima@example.ma"]
    for m in received.messages:
        subject = str(make_header(decode_header(m["Subject"])))  # RFC 2047 encoded words, as a mail client reads them
        c = next(c for c in letters if c.id and c.registry_number in subject)
        assert "/receipt.pdf?k=" in m.get_payload(decode=True).decode()
        assert c.registry_number in m.get_payload(decode=True).decode()


def test_mailbox_rights_sealing_and_a_bad_password(seeded, mailbox: int, dovecot: Dovecot) -> None:
    with db.read_session() as s:
        box = s.get(Mailbox, mailbox)
        assert PASSWORD.encode() not in box.password_sealed  # type: ignore[union-attr]
        assert mailboxes.password(box) == PASSWORD  # type: ignore[arg-type]
        for email in ("clerk.mef@mrasla.ma", "admin.crb@mrasla.ma"):
            with pytest.raises((PermissionDenied, DomainError)):
                mailboxes.test(s, seeded.actor(email), mailbox)
    admin = seeded.actor("admin.mef@mrasla.ma")
    with db.write_session() as s:
        bad = mailboxes.add(
            s,
            admin,
            seeded.adm_id("MEF"),
            mailboxes.MailboxInput(
                label="Mauvais", host="127.0.0.1", port=dovecot.port, username=USER, password="wrong"
            ),
        )
        bad_id = bad.id
    with db.read_session() as s, pytest.raises(DomainError) as refused:
        mailboxes.test(s, admin, bad_id)  # type: ignore[arg-type]
    assert refused.value.code == "error.mailbox_unreachable"
    with db.write_session() as s:
        mailboxes.set_active(s, admin, mailbox, False)
    assert mail_intake.run_all() == "0 registered, 1 mailboxes failed"  # the bad one; the disabled one unread
    with db.write_session() as s:
        assert "AUTHENTICATIONFAILED" in s.get(Mailbox, bad_id).last_error  # type: ignore[union-attr]
        mailboxes.set_active(s, admin, bad_id, False)  # type: ignore[arg-type]
    assert mail_intake.run_all() == "0 registered, 0 mailboxes failed"

    master_key.rotate()  # the sealed password follows the master key
    get_settings.cache_clear()
    with db.read_session() as s:
        box = s.get(Mailbox, mailbox)
        assert (
            unseal_with(
                box.password_sealed,
                mailboxes.password_purpose(mailbox),  # type: ignore[union-attr]
                [get_settings().master_key()],
            )
            == PASSWORD.encode()
        )
        assert mailboxes.test(s, admin, mailbox) >= 0
