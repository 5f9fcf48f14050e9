"""How each person wants to hear about folders waiting for them: the daily digest, an e-mail per
new folder, Web Push through the installed app, and the push subscriptions of their browsers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, utcnow


class NotificationPreference(SQLModel, table=True):
    """One row per user who changed the defaults (no row: digest and e-mail on, push off)."""

    __tablename__ = "notification_preference"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    digest: bool = Field(default=True)  # the daily digest of what waits, deadline first
    email_new: bool = Field(default=True)  # an e-mail each time a folder reaches one of my steps
    push: bool = Field(default=False)  # a push notification on the subscribed browsers
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class PushSubscription(SQLModel, table=True):
    """A browser's Web Push subscription (RFC 8030 endpoint + RFC 8291 keys), per user.

    ``endpoint_sha256`` keys it: the endpoint URL itself can be long (Text)."""

    __tablename__ = "push_subscription"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    endpoint_sha256: str = Field(max_length=64, unique=True)
    endpoint: str = Field(sa_column=Column(Text, nullable=False))
    p256dh: str = Field(max_length=200)  # the browser's ECDH public key (base64url)
    auth: str = Field(max_length=64)  # the browser's auth secret (base64url)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
