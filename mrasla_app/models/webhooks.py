"""Webhooks: an administration's HTTP endpoints, the events queued for them (the outbox), and each
delivery attempt. See ``services/platform/webhooks.py``."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, enum_column, utcnow


class DeliveryStatus(str, enum.Enum):
    pending = "pending"  # waiting for its next attempt (``next_attempt_at``)
    delivering = "delivering"  # claimed by one worker; back to pending if it stays claimed too long
    delivered = "delivered"  # the endpoint answered 2xx
    failed = "failed"  # every attempt failed, or the endpoint was disabled: no more attempts


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id", index=True)
    url: str = Field(max_length=500)
    events: str = Field(max_length=500)  # subscribed event types, comma-separated (``EVENT_TYPES``)
    description: str = Field(default="", max_length=200)
    # ``crypto.seal(secret, "webhook:<id>")``: the signing secret, shown once at creation
    secret_sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="user.id")


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: written in the transaction of the change, sent after commit."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_delivery_event"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id")
    event_id: str = Field(max_length=40)  # ``evt_…``: the same for every endpoint and every retry
    event_type: str = Field(max_length=60)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # the exact JSON body sent (signed as is)
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, sa_column=enum_column(DeliveryStatus))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    last_status_code: int | None = Field(default=None)
    last_error: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class WebhookAttempt(SQLModel, table=True):
    """One HTTP request of a delivery: who sent it, when, what came back and how long it took."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    number: int
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    worker: str = Field(default="", max_length=80)
    status_code: int | None = Field(default=None)
    latency_ms: int = Field(default=0)
    error: str = Field(default="", max_length=255)
