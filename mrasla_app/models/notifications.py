"""Outgoing messages, queued in the transaction that causes them and delivered after commit."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, enum_column, utcnow


class NotificationStatus(str, enum.Enum):
    queued = "queued"
    sending = "sending"  # claimed by one deliverer; back to queued if it stays claimed too long
    sent = "sent"
    failed = "failed"


class Notification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=255)
    subject: str = Field(max_length=255)
    body: str = Field(sa_column=Column(Text, nullable=False))
    correspondence_id: int | None = Field(default=None, foreign_key="correspondence.id", index=True)
    status: NotificationStatus = Field(
        default=NotificationStatus.queued, sa_column=enum_column(NotificationStatus, index=True)
    )
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
