"""Web Push to the installed PWA (RFC 8030 delivery, RFC 8291 payload encryption, RFC 8292 VAPID).

The platform's VAPID key pair is made on first use (``mrasla init``/``seed`` make it at once) and
kept like the other platform keys: sealed under the master key in ``<data>/pki/vapid.key.sealed``
(re-sealed by ``mrasla rotate-master-key``). Browsers subscribe from the account page with the
public key; each subscription is stored per user. Messages are queued as ``Notification`` rows
addressed ``push:<user id>`` in the transaction that causes them, and ``notifications.deliver``
hands them to ``send`` after commit; the service worker shows them. A push service answering
404/410 means the subscription is gone: it is deleted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, select
from sqlmodel import Session

from mrasla_app import crypto, db
from mrasla_app.fsutil import atomic_write
from mrasla_app.models import PushSubscription
from mrasla_app.services.errors import DomainError
from mrasla_app.settings import get_settings

ADDRESS_PREFIX = "push:"
PURPOSE = "pki:vapid"
TTL = 24 * 3600  # a push service keeps an undelivered message one day
MAX_SUBSCRIPTIONS = 10  # per user: browsers come and go
_lock = threading.Lock()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def key_path():
    return get_settings().pki_dir / "vapid.key.sealed"


def private_key() -> ec.EllipticCurvePrivateKey:
    """The platform's VAPID key (P-256), created and sealed on first use."""
    path = key_path()
    with _lock:
        if not path.exists():
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, crypto.seal(pem, PURPOSE), mode=0o600)
        pem = crypto.unseal(path.read_bytes(), PURPOSE)
    loaded = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    key = loaded
    return key


def public_key() -> str:
    """The VAPID public key as browsers want it (``applicationServerKey``: uncompressed point, base64url)."""
    return _b64url(
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )


def address(user_id: int) -> str:
    return f"{ADDRESS_PREFIX}{user_id}"


def is_push(to_address: str) -> bool:
    return to_address.startswith(ADDRESS_PREFIX) and to_address[len(ADDRESS_PREFIX) :].isdigit()


def subscribe(session: Session, user_id: int, subscription: object) -> PushSubscription:
    """Save a browser's ``PushSubscription.toJSON()`` for ``user_id`` (replacing the same endpoint)."""
    sub = subscription if isinstance(subscription, dict) else {}
    endpoint = str(sub.get("endpoint") or "")
    keys = sub.get("keys") if isinstance(sub.get("keys"), dict) else {}
    p256dh, auth = str(keys.get("p256dh") or ""), str(keys.get("auth") or "")
    url = urlsplit(endpoint)
    local = url.hostname in ("127.0.0.1", "localhost", "::1")  # a push service on this machine (tests)
    if (
        (url.scheme != "https" and not (url.scheme == "http" and local))
        or not url.netloc
        or len(endpoint) > 2000
        or not 40 <= len(p256dh) <= 200
        or not 8 <= len(auth) <= 64
    ):
        raise DomainError("account.push_invalid")
    digest = hashlib.sha256(endpoint.encode()).hexdigest()
    session.execute(delete(PushSubscription).where(PushSubscription.endpoint_sha256 == digest))
    mine = list(
        session.execute(
            select(PushSubscription).where(PushSubscription.user_id == user_id).order_by(PushSubscription.id)
        ).scalars()
    )
    for old in mine[: max(0, len(mine) - MAX_SUBSCRIPTIONS + 1)]:
        session.delete(old)
    row = PushSubscription(user_id=user_id, endpoint_sha256=digest, endpoint=endpoint, p256dh=p256dh, auth=auth)
    session.add(row)
    session.flush()
    return row


def unsubscribe_all(session: Session, user_id: int) -> int:
    return session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id)).rowcount or 0


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str = "/parapheur"

    def payload(self) -> bytes:
        """What the service worker reads (``event.data.json()``)."""
        return json.dumps({"title": self.title, "body": self.body[:500], "url": self.url}, ensure_ascii=False).encode()


def send(user_id: int, message: Message) -> int:
    """Push ``message`` to every browser ``user_id`` subscribed; returns how many accepted it.

    Raises ``OSError`` when a push service failed otherwise (the notification is retried)."""
    from pywebpush import WebPushException, webpush

    with db.read_session() as session:
        subs = [
            (s.id, s.endpoint, s.p256dh, s.auth)
            for s in session.execute(select(PushSubscription).where(PushSubscription.user_id == user_id)).scalars()
        ]
    if not subs:
        return 0
    pem = (
        private_key()
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    from py_vapid import Vapid

    vapid = Vapid.from_pem(pem.encode())
    sent, gone, failure = 0, [], ""
    for sid, endpoint, p256dh, auth in subs:
        try:
            webpush(
                {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
                data=message.payload(),
                vapid_private_key=vapid,
                vapid_claims={"sub": f"mailto:{get_settings().smtp_from}"},
                ttl=TTL,
                timeout=15,
            )
            sent += 1
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                gone.append(sid)
            else:
                failure = f"push service answered {status}: {exc}"[:200]
    if gone:
        with db.write_session() as session:
            session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
    if failure and not sent:
        raise OSError(failure)
    return sent


__all__ = [
    "public_key",
    "private_key",
    "subscribe",
    "unsubscribe_all",
    "send",
    "Message",
    "address",
    "is_push",
    "ADDRESS_PREFIX",
]
