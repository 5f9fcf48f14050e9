"""Correspondence (courrier), its gap-free registry counters and its documents.

Statuses and their allowed transitions live in ``services/registry.py`` as data; the enums here
only name them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, enum_column, utcnow


class Direction(str, enum.Enum):
    incoming = "incoming"  # arrivée — letter A in registry numbers
    outgoing = "outgoing"  # départ — D
    internal = "internal"  # interne — I

    @property
    def letter(self) -> str:
        return {"incoming": "A", "outgoing": "D", "internal": "I"}[self.value]


class Channel(str, enum.Enum):
    portal = "portal"
    paper = "paper"
    email = "email"
    inter_administration = "inter_administration"


class Status(str, enum.Enum):
    to_qualify = "to_qualify"
    dispatched = "dispatched"
    in_progress = "in_progress"
    answered = "answered"
    closed = "closed"
    archived = "archived"
    returned = "returned"


class Priority(str, enum.Enum):
    normal = "normal"
    urgent = "urgent"
    very_urgent = "very_urgent"


class DocumentKind(str, enum.Enum):
    attachment = "attachment"  # deposited by the correspondent
    receipt = "receipt"  # sealed accusé de réception
    scan = "scan"  # paper mail scanned by the registry
    answer = "answer"


class RegistryCounter(SQLModel, table=True):
    """One row per (administration, year, direction): incremented in the registering transaction."""

    __tablename__ = "registry_counter"

    administration_id: int = Field(foreign_key="administration.id", primary_key=True)
    year: int = Field(primary_key=True)
    direction: str = Field(primary_key=True, max_length=12)
    value: int = Field(default=0)


class Correspondence(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("administration_id", "year", "direction", "seq", name="uq_corr_number"),
        Index("ix_corr_admin_status", "administration_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)  # addressee chosen at deposit
    direction: Direction = Field(sa_column=enum_column(Direction))
    channel: Channel = Field(sa_column=enum_column(Channel))
    year: int
    seq: int
    registry_number: str = Field(max_length=40, unique=True, index=True)  # e.g. MEF/2026/A/000123
    status: Status = Field(default=Status.to_qualify, sa_column=enum_column(Status))
    priority: Priority = Field(default=Priority.normal, sa_column=enum_column(Priority))
    confidential: bool = Field(default=False)
    subject: str = Field(max_length=255)
    message: str = Field(default="", sa_column=Column(Text, nullable=False))
    sender_party_id: int | None = Field(default=None, foreign_key="party.id")
    deadline: date | None = Field(default=None)
    registered_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="user.id")
    verify_token_hash: str = Field(max_length=64, unique=True, index=True)  # QR code token (SHA-256)
    access_token_hash: str = Field(default="", max_length=64, index=True)  # depositor's private link
    idempotency_key: str | None = Field(default=None, max_length=80, unique=True)
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False))  # normalised, see services/text


class Document(SQLModel, table=True):
    """A file of a correspondence; bytes live in content-addressed private storage (by SHA-256)."""

    id: int | None = Field(default=None, primary_key=True)
    correspondence_id: int = Field(foreign_key="correspondence.id", index=True)
    kind: DocumentKind = Field(sa_column=enum_column(DocumentKind))
    position: int = Field(default=0)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=80)
    size: int
    sha256: str = Field(max_length=64, index=True)  # of the file exactly as received
    pages: int = Field(default=0)
    pdf_sha256: str = Field(default="", max_length=64)  # PDF rendition (images become PDF pages)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class TrackingCode(SQLModel, table=True):
    """A one-time code sent to a depositor who lost their tracking link (number + e-mail/phone)."""

    __tablename__ = "tracking_code"

    id: int | None = Field(default=None, primary_key=True)
    correspondence_id: int = Field(foreign_key="correspondence.id", index=True)
    code_hash: str = Field(max_length=64)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    attempts: int = Field(default=0)
    used: bool = Field(default=False)
