"""E-mail intake: the mailboxes an administration connects and the messages read from them.

``MailMessage`` is the memory that makes intake exactly-once: one row per (mailbox, UIDVALIDITY,
UID) and per (administration, Message-ID), inserted in the same transaction as the registration
it produced. A crash before the commit leaves neither; a second attempt hits the unique keys.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, utcnow


class Mailbox(SQLModel, table=True):
    """An IMAP-over-TLS mailbox the worker reads for an administration; the password is sealed."""

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")  # addressee of what arrives here
    label: str = Field(max_length=120)
    host: str = Field(max_length=255)
    port: int = Field(default=993)
    username: str = Field(max_length=255)
    folder: str = Field(default="INBOX", max_length=255)
    password_sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # crypto.seal, mailbox_purpose
    active: bool = Field(default=True)
    uidvalidity: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_uid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    last_checked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    last_error: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class MailMessage(SQLModel, table=True):
    """One message read from a mailbox: registered as a letter, or skipped (duplicate Message-ID)."""

    __tablename__ = "mail_message"
    __table_args__ = (
        UniqueConstraint("mailbox_id", "uidvalidity", "uid", name="uq_mail_message_uid"),
        UniqueConstraint("administration_id", "message_id_hash", name="uq_mail_message_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id")
    mailbox_id: int = Field(foreign_key="mailbox.id", index=True)
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    # SHA-256 of the normalised Message-ID (or of the raw message when it has none); NULL = duplicate seen
    message_id_hash: str | None = Field(default=None, max_length=64)
    correspondence_id: int | None = Field(default=None, foreign_key="correspondence.id", index=True)
    refused: str = Field(default="", sa_column=Column(Text, nullable=False))  # JSON [{name, reason}] of attachments
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
