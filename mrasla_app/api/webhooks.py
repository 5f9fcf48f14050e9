"""``/api/v1/webhooks``: an administration's administrators register endpoints, send a test event
and read the deliveries (``services/platform/webhooks.py`` checks the rights and describes the
signature). The secret is in the creation answer only."""

from __future__ import annotations

import enum
from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from mrasla_app import db
from mrasla_app.api.deps import Id, acting_actor, current_actor
from mrasla_app.api.errors import errors
from mrasla_app.models import WebhookAttempt, WebhookEndpoint
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotAuthenticated
from mrasla_app.services.platform import webhooks

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=errors(400, 401, 403, 404, 422))

#: The event types, as an enum of the contract (``webhooks.EVENT_TYPES`` is the source).
# mypy reads the members of a functional Enum only from a literal; these are built from EVENT_TYPES.
WebhookEvent = enum.Enum("WebhookEvent", {name.replace(".", "_"): name for name in webhooks.EVENT_TYPES}, type=str)  # type: ignore[misc]  # members built from data; mypy reads only literals


class WebhookIn(BaseModel):
    url: str = Field(min_length=1, max_length=webhooks.MAX_URL, examples=["https://si.example.ma/mrasla/events"])
    events: list[WebhookEvent] = Field(min_length=1)
    description: str = Field(default="", max_length=200)
    administration: Id | None = Field(default=None, description="For platform administrators: which administration")


class WebhookPatch(BaseModel):
    active: bool


class WebhookOut(BaseModel):
    id: int
    administration_id: int
    url: str
    events: list[str]
    description: str
    active: bool
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret (`whsec_…`): shown in this answer only, keep it safe")


class AttemptOut(BaseModel):
    number: int
    at: datetime
    worker: str
    status_code: int | None
    latency_ms: int
    error: str


class DeliveryOut(BaseModel):
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    history: list[AttemptOut]


def _staff(actor: Actor | None) -> Actor:
    if actor is None:
        raise NotAuthenticated()
    return actor


def _target(actor: Actor, administration: int | None) -> int:
    adm_id = administration or actor.administration_id
    if not adm_id:
        raise DomainError("error.choose_administration")
    return adm_id


def _out(e: WebhookEndpoint) -> dict[str, object]:
    return {
        "id": e.id,
        "administration_id": e.administration_id,
        "url": e.url,
        "events": e.events.split(","),
        "description": e.description,
        "active": e.active,
        "created_at": e.created_at,
    }


def _attempt(a: WebhookAttempt) -> AttemptOut:
    return AttemptOut(
        number=a.number, at=a.at, worker=a.worker, status_code=a.status_code, latency_ms=a.latency_ms, error=a.error
    )


@router.get("", response_model=list[WebhookOut])
def list_webhooks(administration: Id | None = None, actor: Actor | None = Depends(current_actor)) -> list[WebhookOut]:
    """The administration's endpoints (its administrators only; without their secrets)."""
    actor = _staff(actor)
    with db.read_session() as session:
        return [WebhookOut(**_out(e)) for e in webhooks.list_endpoints(session, actor, _target(actor, administration))]


@router.post("", status_code=201, response_model=WebhookCreatedOut)
def create_webhook(body: WebhookIn, actor: Actor | None = Depends(acting_actor)) -> WebhookCreatedOut:
    """Register an endpoint for some event types. Deliveries are `POST`s of JSON signed with the
    secret returned here: `Mrasla-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`;
    `Mrasla-Event-Id` is the same on every retry. Private and loopback addresses are refused."""
    actor = _staff(actor)
    with db.write_session() as session:
        created = webhooks.create_endpoint(
            session,
            actor,
            _target(actor, body.administration),
            body.url,
            [e.value for e in body.events],
            body.description,
        )
        return WebhookCreatedOut(**_out(created.endpoint), secret=created.secret)


@router.patch("/{webhook_id}", response_model=WebhookOut)
def update_webhook(webhook_id: Id, body: WebhookPatch, actor: Actor | None = Depends(acting_actor)) -> WebhookOut:
    """Enable or disable an endpoint (disabling stops its pending deliveries)."""
    with db.write_session() as session:
        return WebhookOut(**_out(webhooks.set_active(session, _staff(actor), webhook_id, body.active)))


@router.post("/{webhook_id}/test", status_code=202, response_model=DeliveryOut)
def test_webhook(webhook_id: Id, actor: Actor | None = Depends(acting_actor)) -> DeliveryOut:
    """Queue a `webhook.test` event for the endpoint; the job queue sends it within a minute."""
    with db.write_session() as session:
        d = webhooks.send_test(session, _staff(actor), webhook_id)
        return DeliveryOut(
            id=d.id,
            event_id=d.event_id,
            event_type=d.event_type,
            status=d.status.value,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_status_code=None,
            last_error="",
            created_at=d.created_at,
            delivered_at=None,
            history=[],
        )


@router.get("/{webhook_id}/deliveries", response_model=list[DeliveryOut])
def list_deliveries(webhook_id: Id, actor: Actor | None = Depends(current_actor)) -> list[DeliveryOut]:
    """The endpoint's 50 newest deliveries with every attempt (worker, time, HTTP status, latency, error)."""
    actor = _staff(actor)
    with db.read_session() as session:
        views = webhooks.recent_deliveries(session, actor, 0, endpoint_id=webhook_id)
    return [
        DeliveryOut(
            id=v.delivery.id,
            event_id=v.delivery.event_id,
            event_type=v.delivery.event_type,
            status=v.delivery.status.value,
            attempts=v.delivery.attempts,
            next_attempt_at=v.delivery.next_attempt_at if v.delivery.status.value == "pending" else None,
            last_status_code=v.delivery.last_status_code,
            last_error=v.delivery.last_error,
            created_at=v.delivery.created_at,
            delivered_at=v.delivery.delivered_at,
            history=[_attempt(a) for a in v.attempts],
        )
        for v in views
    ]
