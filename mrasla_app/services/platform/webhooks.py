"""Webhooks: an administration's information system is told, over HTTP, when its mail changes.

Events are written to an outbox (``webhook_delivery``) by ``on_audit``, called from
``audit.record``: the event is queued in the very transaction of the change it reports, so a
rolled-back change announces nothing and a committed one is never forgotten. The ``webhooks`` job
(``services/platform/jobs.py``) sends due deliveries after commit, claiming each one (pending → delivering)
so that any number of workers send it once; a failure is retried with exponential backoff
(``backoff``) up to ``MAX_ATTEMPTS``, then the delivery is ``failed``. Every attempt is kept
(worker, time, HTTP status, latency, error) for the administrators' page and the API.

**Signature** (Stripe / Standard Webhooks style). Each request carries
``Mrasla-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``, where ``secret``
is the endpoint's whole secret string (``whsec_…``) as UTF-8 and ``body`` the exact bytes
received. A receiver recomputes it, compares in constant time and refuses a ``t`` more than five
minutes away from its clock (``verify``). ``Mrasla-Event-Id`` is the same for every retry of an
event: a receiver that has seen it already answers 2xx and does nothing.

**Scope.** A payload names the object (ids, registry number or folder reference, status,
direction, channel, dates) and links to the staff API, which checks the caller's rights: no
subject, no name, no identity number, no contact, no document bytes. Endpoints only receive the
events of their own administration.

**SSRF.** Only ``http``/``https`` URLs whose host resolves to public addresses are accepted, at
registration and again before each request (no redirects followed); ``MRASLA_WEBHOOK_ALLOW_PRIVATE=1``
allows private and loopback addresses (tests, an on-premises receiver).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.crypto import seal, unseal
from mrasla_app.models import (
    Administration,
    Correspondence,
    DeliveryStatus,
    Folder,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from mrasla_app.models.base import utcnow
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.platform import audit
from mrasla_app.services.platform.text import clean
from mrasla_app.settings import get_settings

#: The events an endpoint may subscribe to (name → what happened), as published in the README.
EVENT_TYPES: dict[str, str] = {
    "deposit.received": "a citizen's or company's deposit arrived through the portal (status to_qualify)",
    "correspondence.registered": "mail was registered in the incoming register (paper, e-mail, another administration)",
    "correspondence.status_changed": "a correspondence moved in its lifecycle (dispatched, in_progress, answered, …)",
    "correspondence.sent": "outgoing mail left (to the citizen's tracking page or another administration)",
    "correspondence.acknowledged": "the receiving administration registered the mail sent to it",
    "folder.signed": "a signature-book folder completed its circuit: the document is signed",
}
#: Sent by "send a test event" whatever the subscription.
TEST_EVENT = "webhook.test"
#: The audit actions that are also webhook events (``correspondence.<status>`` transitions aside).
ACTION_EVENTS: dict[str, str] = {
    "correspondence.deposited": "deposit.received",
    "correspondence.registered": "correspondence.registered",
    "correspondence.received": "correspondence.registered",
    "correspondence.sent": "correspondence.sent",
    "correspondence.acknowledged": "correspondence.acknowledged",
    "folder.completed": "folder.signed",
}

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
CLAIM_TIMEOUT = timedelta(minutes=10)
TIMEOUT_SECONDS = 10.0
TOLERANCE_SECONDS = 300
BATCH = 100  # deliveries per job run: a slow endpoint cannot hold a worker for long
SIGNATURE_HEADER = "Mrasla-Signature"
MAX_URL = 500

Poster = Callable[[str, bytes, dict[str, str]], int]


# --- signing --------------------------------------------------------------------------------------


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def secret_purpose(endpoint_id: int) -> str:
    """The sealing purpose of an endpoint's secret (``crypto.seal``; re-sealed by master-key rotation)."""
    return f"webhook:{endpoint_id}"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Mrasla-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: float | None = None, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: the header's ``v1`` matches ``body`` and its ``t`` is recent."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k.strip() == "t"]
    macs = [v.strip() for k, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not macs:
        return False
    timestamp = int(stamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).rsplit("v1=", 1)[1]
    return any(hmac.compare_digest(expected, mac) for mac in macs)


# --- URLs -----------------------------------------------------------------------------------------


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, resolve: bool = True) -> str:
    """``url`` if webhooks may be sent there (module docstring, SSRF); ``error.webhook_url`` otherwise."""
    url = clean(url, multiline=False)
    parts = urlsplit(url)
    try:
        host, _port = parts.hostname, parts.port
    except ValueError:
        raise DomainError("error.webhook_url") from None
    if parts.scheme not in ("http", "https") or not host or len(url) > MAX_URL or parts.username or parts.password:
        raise DomainError("error.webhook_url")
    if get_settings().webhook_allow_private or not resolve:
        return url
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        raise DomainError("error.webhook_url") from None
    if not addresses or not all(_public(a) for a in addresses):
        raise DomainError("error.webhook_private")
    return url


# --- events into the outbox -----------------------------------------------------------------------


def event_type_for(action: str, data: Mapping[str, object]) -> str | None:
    """The webhook event an audit action is, if any (``registry.transition`` writes ``from``/``to``)."""
    if action.startswith("correspondence.") and "from" in data and data.get("to") == action.split(".", 1)[1]:
        return "correspondence.status_changed"
    return ACTION_EVENTS.get(action)


def _object(session: Session, object_type: str, object_id: str, data: Mapping[str, object]) -> dict[str, object]:
    """What the payload says about the object: identifiers, state and links, no personal data."""
    api = f"{get_settings().public_url}/api/v1"
    oid = int(object_id) if str(object_id).isdigit() else 0
    if object_type == "correspondence":
        corr = session.get(Correspondence, oid)
        if corr is None:
            return {}
        out: dict[str, object] = {
            "object": "correspondence",
            "id": corr.id,
            "reference": corr.registry_number,
            "status": corr.status.value,
            "direction": corr.direction.value,
            "channel": corr.channel.value,
            "registered_at": corr.registered_at.isoformat(),
            "links": {"self": f"{api}/correspondence/{corr.id}"},
        }
        if "from" in data and "to" in data:
            out["previous_status"] = str(data["from"])
        return out
    if object_type == "folder":
        folder = session.get(Folder, oid)
        if folder is None:
            return {}
        return {
            "object": "folder",
            "id": folder.id,
            "reference": folder.reference,
            "status": folder.status.value,
            "links": {"document": f"{api}/folders/{folder.id}/document.pdf"},
        }
    return {}


def _body(event_id: str, event_type: str, administration: Administration, obj: Mapping[str, object]) -> str:
    return json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "created_at": utcnow().replace(microsecond=0).isoformat(),
            "administration": {"id": administration.id, "code": administration.code},
            "data": dict(obj),
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


def _queue(
    session: Session,
    endpoints: list[WebhookEndpoint],
    event_type: str,
    administration: Administration,
    obj: Mapping[str, object],
) -> list[WebhookDelivery]:
    event_id = "evt_" + secrets.token_hex(16)
    body = _body(event_id, event_type, administration, obj)
    rows = [
        WebhookDelivery(
            endpoint_id=e.id,
            event_id=event_id,
            event_type=event_type,
            payload=body,
        )
        for e in endpoints
    ]
    session.add_all(rows)
    session.flush()
    return rows


#: Built once: ``on_audit`` runs it for every audited action that is a webhook event (every deposit).
_ACTIVE = select(WebhookEndpoint.id, WebhookEndpoint.events).where(
    WebhookEndpoint.administration_id == bindparam("administration_id"), WebhookEndpoint.active.is_(True)
)


def on_audit(
    session: Session,
    action: str,
    *,
    object_type: str,
    object_id: str,
    administration_id: int | None,
    data: Mapping[str, object],
) -> list[WebhookDelivery]:
    """Queue the webhook event ``action`` is (if any) for the subscribed endpoints of its
    administration, in the caller's transaction (called by ``audit.record``)."""
    event_type = event_type_for(action, data)
    if event_type is None or not administration_id:
        return []
    subscribed = [
        endpoint_id
        for endpoint_id, events in session.connection().execute(_ACTIVE, {"administration_id": administration_id})
        if event_type in events.split(",")
    ]
    if not subscribed:  # most administrations, most events: one small read, no ORM object
        return []
    endpoints = list(session.execute(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(subscribed))).scalars())
    obj = _object(session, object_type, object_id, data)
    administration = session.get(Administration, administration_id)
    if not obj or administration is None:
        return []
    return _queue(session, endpoints, event_type, administration, obj)


# --- endpoints (administrators of the administration) ----------------------------------------------


@dataclass(frozen=True)
class Created:
    endpoint: WebhookEndpoint
    secret: str  # shown once; only its sealed form is stored


def _events(events: list[str] | tuple[str, ...]) -> str:
    chosen = [e for e in EVENT_TYPES if e in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise DomainError("error.webhook_events")
    return ",".join(chosen)


def create_endpoint(
    session: Session,
    actor: Actor | None,
    administration_id: int,
    url: str,
    events: list[str] | tuple[str, ...],
    description: str = "",
) -> Created:
    """Register an endpoint; returns it with its secret (sealed under the master key at rest)."""
    actor = permissions.require_admin_of(actor, administration_id)
    if session.get(Administration, administration_id) is None:
        raise NotFound()
    endpoint = WebhookEndpoint(
        administration_id=administration_id,
        url=check_url(url),
        events=_events(events),
        description=clean(description, multiline=False)[:200],
        secret_sealed=b"",
        created_by=actor.user_id or None,
    )
    session.add(endpoint)
    session.flush()
    secret = new_secret()
    endpoint.secret_sealed = seal(secret.encode(), secret_purpose(endpoint.id))
    session.add(endpoint)
    audit.record(
        session,
        actor,
        "webhook.endpoint_created",
        object_type="webhook_endpoint",
        object_id=endpoint.id or "",
        administration_id=administration_id,
        data={"url": endpoint.url, "events": endpoint.events},
    )
    return Created(endpoint, secret)


def _endpoint(session: Session, actor: Actor | None, endpoint_id: int) -> WebhookEndpoint:
    """The endpoint if ``actor`` administers its administration (404 otherwise: no existence oracle)."""
    return permissions.administered(session, actor, WebhookEndpoint, endpoint_id)


def set_active(session: Session, actor: Actor | None, endpoint_id: int, active: bool) -> WebhookEndpoint:
    """Enable or disable an endpoint; disabling also stops its pending deliveries (failed)."""
    endpoint = _endpoint(session, actor, endpoint_id)
    endpoint.active = active
    session.add(endpoint)
    if not active:
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.endpoint_id == endpoint.id,
                WebhookDelivery.status == DeliveryStatus.pending,
            )
            .values(status=DeliveryStatus.failed, last_error="endpoint disabled")
        )
    audit.record(
        session,
        actor,
        "webhook.endpoint_enabled" if active else "webhook.endpoint_disabled",
        object_type="webhook_endpoint",
        object_id=endpoint.id or "",
        administration_id=endpoint.administration_id,
    )
    return endpoint


def send_test(session: Session, actor: Actor | None, endpoint_id: int) -> WebhookDelivery:
    """Queue a ``webhook.test`` event for one endpoint (the job sends it like any other)."""
    endpoint = _endpoint(session, actor, endpoint_id)
    if not endpoint.active:
        raise DomainError("error.webhook_inactive")
    administration = session.get(Administration, endpoint.administration_id)
    delivery = _queue(
        session,
        [endpoint],
        TEST_EVENT,
        administration,
        {"object": "webhook_endpoint", "id": endpoint.id},
    )[0]
    audit.record(
        session,
        actor,
        "webhook.test_queued",
        object_type="webhook_endpoint",
        object_id=endpoint.id or "",
        administration_id=endpoint.administration_id,
        data={"event_id": delivery.event_id},
    )
    return delivery


def list_endpoints(session: Session, actor: Actor | None, administration_id: int) -> list[WebhookEndpoint]:
    return permissions.administered_rows(session, actor, WebhookEndpoint, administration_id, WebhookEndpoint.id)


@dataclass(frozen=True)
class DeliveryView:
    delivery: WebhookDelivery
    url: str
    attempts: list[WebhookAttempt]


def recent_deliveries(
    session: Session, actor: Actor | None, administration_id: int, *, endpoint_id: int | None = None, limit: int = 50
) -> list[DeliveryView]:
    """The newest deliveries of the administration's endpoints (or of one), with their attempts."""
    if endpoint_id is not None:
        endpoint = _endpoint(session, actor, endpoint_id)
        urls = {endpoint.id: endpoint.url}
    else:
        urls = {e.id: e.url for e in list_endpoints(session, actor, administration_id)}
    if not urls:
        return []
    rows = list(
        session.execute(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id.in_(urls))
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        ).scalars()
    )
    attempts: dict[int, list[WebhookAttempt]] = {r.id: [] for r in rows}
    if rows:
        for a in session.execute(
            select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(attempts)).order_by(WebhookAttempt.number)
        ).scalars():
            attempts[a.delivery_id].append(a)
    return [DeliveryView(r, urls[r.endpoint_id], attempts[r.id]) for r in rows]


# --- delivery (the job) ---------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4 … minutes, at most six hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST without following redirects (a redirect is an answer, not a delivery); the status code."""
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False) as client:
        return client.post(url, content=body, headers=headers).status_code


def _claim(delivery_id: int, now: datetime) -> bool:
    with db.write_session() as session:
        return (
            session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery_id,
                    WebhookDelivery.status == DeliveryStatus.pending,
                )
                .values(status=DeliveryStatus.delivering, claimed_at=now)
            ).rowcount
            == 1
        )


def _due(now: datetime) -> list[int]:
    with db.write_session() as session:  # claims left by a killed worker go back to the queue
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.status == DeliveryStatus.delivering,
                WebhookDelivery.claimed_at < now - CLAIM_TIMEOUT,
            )
            .values(status=DeliveryStatus.pending)
        )
        return list(
            session.execute(
                select(WebhookDelivery.id)
                .where(
                    WebhookDelivery.status == DeliveryStatus.pending,
                    WebhookDelivery.next_attempt_at <= now,
                )
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(BATCH)
            ).scalars()
        )


def _attempt(
    delivery: WebhookDelivery, endpoint: WebhookEndpoint, post: Poster, now: datetime
) -> tuple[int | None, str, int]:
    """Send once: (HTTP status or None, error, latency in ms)."""
    body = delivery.payload.encode()
    started = time.monotonic()
    try:
        url = check_url(endpoint.url)  # again: the name may resolve elsewhere since registration
        secret = unseal(endpoint.secret_sealed, secret_purpose(endpoint.id)).decode()
        status = post(
            url,
            body,
            {
                "Content-Type": "application/json",
                "User-Agent": "Mrasla-Webhooks/1",
                "Mrasla-Event-Id": delivery.event_id,
                "Mrasla-Event-Type": delivery.event_type,
                "Mrasla-Delivery-Attempt": str(delivery.attempts + 1),
                SIGNATURE_HEADER: signature(secret, int(now.timestamp()), body),
            },
        )
        error = "" if 200 <= status < 300 else f"HTTP {status}"
    except DomainError as exc:
        status, error = None, exc.code
    except (httpx.HTTPError, OSError) as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"
    return status, error[:255], int((time.monotonic() - started) * 1000)


def deliver_due(now: datetime | None = None, *, post: Poster = http_post, worker: str = "") -> int:
    """Send every due delivery once (claimed one by one, outside any transaction); returns how many
    were delivered. A failure is retried after ``backoff``; after ``MAX_ATTEMPTS``, ``failed``."""
    now = now or utcnow()
    delivered = 0
    for delivery_id in _due(now):
        if not _claim(delivery_id, now):
            continue  # another worker took it
        with db.read_session() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        if not endpoint.active:
            status, error, latency = None, "endpoint disabled", 0
        else:
            status, error, latency = _attempt(delivery, endpoint, post, now)
        number = delivery.attempts + 1
        ok = not error
        final = ok or number >= MAX_ATTEMPTS or not endpoint.active
        with db.write_session() as session:
            session.add(
                WebhookAttempt(
                    delivery_id=delivery_id,
                    number=number,
                    at=now,
                    worker=worker,
                    status_code=status,
                    latency_ms=latency,
                    error=error,
                )
            )
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id)
                .values(
                    attempts=number,
                    last_status_code=status,
                    last_error=error,
                    claimed_at=None,
                    status=DeliveryStatus.delivered
                    if ok
                    else DeliveryStatus.failed
                    if final
                    else DeliveryStatus.pending,
                    delivered_at=now if ok else None,
                    next_attempt_at=now if final else now + backoff(number),
                )
            )
        delivered += ok
    return delivered
