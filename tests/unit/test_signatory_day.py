"""Issue 17 (signatory's day): annotations pinned on the document, the daily digest and the
notification preferences, Web Push to a local push service."""

from __future__ import annotations

import base64
import io
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pypdf import PdfReader
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import (
    AuditEvent,
    Folder,
    FolderStep,
    Notification,
    PushSubscription,
    StepStatus,
)
from mrasla_app.models.base import utcnow
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.parapheur import annotations, push, reminders, viewer
from mrasla_app.services.parapheur import summary as signature_summary
from mrasla_app.services.platform import notifications, storage
from tests.unit.test_workflow import (
    AGENT,
    DIRECTOR,
    HEAD,
    SG,
    act,
    new_folder,
)


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)


def test_annotations_crud_rights_and_document_untouched(seeded):
    fid = new_folder(seeded, [{"kind": "visa", "user_ids": [seeded.user_id(HEAD)]}])
    with db.read_session() as s:
        folder = s.get(Folder, fid)
        sha, data = folder.current_sha256, storage.get(folder.current_sha256)
        pages = annotations.page_count(s, folder)
    with db.write_session() as s:
        pin = annotations.add(s, seeded.actor(HEAD), fid, "Vérifier le montant", page=1, x=0.25, y=0.6)
        annotations.add(s, seeded.actor(AGENT), fid, "ملاحظة عامة")
        with pytest.raises(DomainError):
            annotations.add(s, seeded.actor(HEAD), fid, "hors page", page=pages + 1, x=0.1, y=0.1)
        with pytest.raises(DomainError):
            annotations.add(s, seeded.actor(HEAD), fid, "hors cadre", page=1, x=1.5, y=0.1)
    pin_id = pin.id
    # the director (head of the unit above) may see the folder, but is not in it: no annotating
    with pytest.raises(PermissionDenied), db.write_session() as s:
        annotations.add(s, seeded.actor(DIRECTOR), fid, "intrus", page=1, x=0.5, y=0.5)
    with pytest.raises(NotFound), db.write_session() as s:  # another administration: not even visible
        annotations.add(s, seeded.actor("agent.crb@mrasla.ma"), fid, "intrus")
    # only the author changes or removes a comment
    with pytest.raises(PermissionDenied), db.write_session() as s:
        annotations.update(s, seeded.actor(AGENT), pin_id, "réécrit")
    with db.write_session() as s:
        annotations.update(s, seeded.actor(HEAD), pin_id, "Vérifier le montant (ligne 3)")
    with db.read_session() as s:
        views = annotations.listing(s, seeded.actor(AGENT), fid)
        events = list(
            s.execute(
                select(AuditEvent.action).where(
                    AuditEvent.object_id == str(fid), AuditEvent.action.like("folder.annotation%")
                )
            ).scalars()
        )
    assert [(v.body, v.page, v.x, v.y, v.mine) for v in views] == [
        ("Vérifier le montant (ligne 3)", 1, 0.25, 0.6, False),
        ("ملاحظة عامة", None, None, None, True),
    ]
    assert "folder.annotation_changed" in events
    with db.write_session() as s:
        removable = annotations.add(s, seeded.actor(AGENT), fid, "à retirer", page=2, x=0.1, y=0.9).id
    with db.write_session() as s:
        annotations.remove(s, seeded.actor(AGENT), removable)
    # the signed bytes never change; the annotated copy is a separate file with the pins as PDF annotations
    with db.read_session() as s:
        folder = s.get(Folder, fid)
        assert folder.current_sha256 == sha and storage.get(sha) == data
        copy = annotations.annotated_copy(s, seeded.actor(HEAD), fid)
        bordereau = signature_summary.bordereau(s, seeded.actor(AGENT), fid)
    reader = PdfReader(io.BytesIO(copy))
    assert len(reader.pages) > pages
    notes = [a.get_object() for a in reader.pages[0].get("/Annots", [])]
    text_notes = [a for a in notes if a["/Subtype"] == "/Text"]
    assert len(text_notes) == 1 and "Vérifier le montant (ligne 3)" in text_notes[0]["/Contents"]
    assert "Khadija Tazi" in _text(copy) and "à retirer" not in _text(copy)
    summary = _text(bordereau)
    assert "Vérifier le montant (ligne 3)" in summary and "Page 1" in summary


def test_viewer_renders_pages_for_those_who_see_the_folder(seeded):
    fid = new_folder(seeded, [{"kind": "visa", "user_ids": [seeded.user_id(HEAD)]}])
    with db.read_session() as s:
        png = viewer.page_png(s, seeded.actor(HEAD), fid, 1, 390)
        with pytest.raises(NotFound):
            viewer.page_png(s, seeded.actor(HEAD), fid, 99, 390)
        with pytest.raises(NotFound):
            viewer.page_png(s, seeded.actor("agent.crb@mrasla.ma"), fid, 1, 390)
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == viewer.best_width(390) == 640


def _shift_due(folder_id: int, delta: timedelta | None) -> None:
    with db.write_session() as s:
        step = s.execute(
            select(FolderStep).where(FolderStep.folder_id == folder_id, FolderStep.status == StepStatus.active)
        ).scalar_one()
        step.due_on = None if delta is None else utcnow() + delta
        s.add(step)


def test_digest_is_deadline_aware_and_respects_preferences(seeded):
    head = seeded.user_id(HEAD)
    later = new_folder(seeded, [{"kind": "visa", "user_ids": [head]}])
    none = new_folder(seeded, [{"kind": "visa", "user_ids": [head]}])
    overdue = new_folder(seeded, [{"kind": "visa", "user_ids": [head]}])
    soon = new_folder(seeded, [{"kind": "visa", "user_ids": [head]}])
    very_late = new_folder(seeded, [{"kind": "visa", "user_ids": [head]}])
    done = new_folder(seeded, [{"kind": "visa", "user_ids": [head]}])
    for fid, delta in (
        (later, timedelta(days=6)),
        (none, None),
        (overdue, timedelta(days=-1)),
        (soon, timedelta(hours=5)),
        (very_late, timedelta(days=-4)),
    ):
        _shift_due(fid, delta)
    act(seeded, HEAD, done, "approved")  # acted on: no longer waiting
    with db.read_session() as s:
        items = reminders.waiting(s, {head})[head]
        refs = {f.id: f.reference for f in s.execute(select(Folder)).scalars()}
    assert [i.folder_id for i in items] == [very_late, overdue, soon, later, none]
    with db.write_session() as s:
        assert reminders.daily_digest(s) == "1 digests"
        mail = (
            s.execute(select(Notification).where(Notification.to_address == HEAD).order_by(Notification.id.desc()))
            .scalars()
            .first()
        )
    body = mail.body
    positions = [body.index(refs[f]) for f in (very_late, overdue, soon, later, none)]
    assert positions == sorted(positions)  # in the Arabic half, in the same order
    assert "en retard" in body and "2 en retard" in mail.subject
    # the registered daily job: once per day whatever the number of workers
    from mrasla_app.services.platform import jobs

    job = next(j for j in jobs.JOBS if j.name == "signatory_digest")
    noon = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)
    assert jobs.run_due(noon, (job,)) == {"signatory_digest": "1 digests"}
    assert jobs.run_due(noon + timedelta(hours=2), (job,)) == {}
    # turned off: no digest for them
    with db.write_session() as s:
        reminders.set_preferences(s, seeded.actor(HEAD), digest=False, email_new=True, push_on=False)
    with db.write_session() as s:
        assert reminders.daily_digest(s) == "0 digests"
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "account.notification_preferences")).first()


def test_new_folder_mail_and_push_follow_preferences(seeded):
    head, sg = seeded.user_id(HEAD), seeded.user_id(SG)
    with db.write_session() as s:
        reminders.set_preferences(s, seeded.actor(SG), digest=True, email_new=False, push_on=True)
    start = _last_notification_id()
    fid = new_folder(seeded, [{"kind": "visa", "user_ids": [head, sg]}])
    with db.read_session() as s:
        sent = [
            (n.to_address, n.subject)
            for n in s.execute(select(Notification).where(Notification.id > start).order_by(Notification.id)).scalars()
        ]
        reference = s.get(Folder, fid).reference
    assert [a for a, _ in sent] == [HEAD, push.address(sg)]
    assert all(reference in subject for _, subject in sent)


def _last_notification_id() -> int:
    with db.read_session() as s:
        return s.execute(select(Notification.id).order_by(Notification.id.desc()).limit(1)).scalar() or 0


class _PushService(BaseHTTPRequestHandler):
    """A push service on this machine: records what it is sent (RFC 8030 POST), answers 201 — or
    410 for the endpoint ``/gone`` (the subscription expired)."""

    received: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(410 if self.path == "/gone" else 201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _decrypt_aes128gcm(body: bytes, receiver: ec.EllipticCurvePrivateKey, auth: bytes) -> bytes:
    """RFC 8291 decryption, as the browser does it (http_ece, the library pywebpush encrypts with)."""
    import http_ece

    return http_ece.decrypt(body, private_key=receiver, auth_secret=auth, version="aes128gcm")


def test_web_push_to_a_local_push_service(seeded):
    """Delivery through a real HTTP exchange with a local push service; the browser's side
    (decryption) is done here with the RFC 8291 keys a browser would hold."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PushService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _PushService.received = []
    browser = ec.generate_private_key(ec.SECP256R1())
    auth = b"0123456789abcdef"
    public = browser.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    sg = seeded.user_id(SG)
    try:
        with db.write_session() as s:
            push.subscribe(s, sg, {"endpoint": f"{base}/sub/1", "keys": {"p256dh": _b64(public), "auth": _b64(auth)}})
            push.subscribe(s, sg, {"endpoint": f"{base}/gone", "keys": {"p256dh": _b64(public), "auth": _b64(auth)}})
            with pytest.raises(DomainError):
                push.subscribe(
                    s, sg, {"endpoint": "http://push.example/x", "keys": {"p256dh": _b64(public), "auth": _b64(auth)}}
                )
            reminders.set_preferences(s, seeded.actor(SG), digest=True, email_new=False, push_on=True)
        new_folder(seeded, [{"kind": "visa", "user_ids": [sg]}])
        notifications.deliver()
    finally:
        server.shutdown()
    _path, headers, body = next(r for r in _PushService.received if r[0] == "/sub/1")
    assert headers["content-encoding"] == "aes128gcm" and int(headers["ttl"]) == push.TTL
    assert headers["authorization"].startswith("vapid t=") and f"k={push.public_key()}" in headers["authorization"]
    payload = json.loads(_decrypt_aes128gcm(body, browser, auth))
    assert payload["url"].startswith("/parapheur/") and "Réponse à la demande" in payload["body"]
    with db.read_session() as s:  # the expired subscription (410) is forgotten, the live one kept
        left = [p.endpoint for p in s.execute(select(PushSubscription)).scalars()]
        status = s.execute(select(Notification.status).where(Notification.to_address == push.address(sg))).scalar()
    assert left == [f"{base}/sub/1"] and status.value == "sent"
    # the VAPID key is sealed on disk, never in clear
    sealed = push.key_path().read_bytes()
    assert b"PRIVATE KEY" not in sealed
