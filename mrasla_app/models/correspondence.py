"""Correspondence (courrier), its gap-free registry counters and its documents.

Statuses and their allowed transitions live in ``services/correspondence/registry.py`` as data; the enums here
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
    platform = "platform"  # sent electronically inside the administration (a signed note to a unit)


class Status(str, enum.Enum):
    to_qualify = "to_qualify"
    dispatched = "dispatched"
    in_progress = "in_progress"
    answered = "answered"
    closed = "closed"
    archived = "archived"
    returned = "returned"
    to_send = "to_send"  # outgoing mail registered for a recipient on the platform, not delivered yet
    sent = "sent"  # outgoing mail delivered (citizen's tracking page, another administration's register)


class Priority(str, enum.Enum):
    normal = "normal"
    urgent = "urgent"
    very_urgent = "very_urgent"


class DispatchPurpose(str, enum.Enum):
    action = "action"  # pour traitement
    information = "information"  # pour information (copie)


class LinkKind(str, enum.Enum):
    reply_to = "reply_to"  # this correspondence answers the other
    same_file = "same_file"  # same dossier


class DocumentKind(str, enum.Enum):
    attachment = "attachment"  # deposited by the correspondent
    receipt = "receipt"  # sealed accusé de réception
    scan = "scan"  # paper mail scanned by the registry
    answer = "answer"
    signed = "signed"  # a signed letter or note sent through the platform (not in reply to anything)
    email = "email"  # a message read from a mailbox: the .eml as received, rendered as a PDF page


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
        Index("ix_corr_admin_dir_id", "administration_id", "direction", "id"),
        Index("ix_corr_assignee_status", "assignee_id", "status", "id"),
        # Overdue items, and the queue counts from the index alone (alembic 5b1e7c9d2a40).
        Index(
            "ix_corr_admin_queues",
            "administration_id",
            "status",
            "deadline",
            "direction",
            "confidential",
            "action_unit_id",
            "unit_id",
            "assignee_id",
            "created_by",
            "id",
        ),
        Index("ix_corr_admin_id", "administration_id", "id"),
        Index("ix_corr_action_unit_status", "action_unit_id", "status", "id"),
        Index("ix_corr_admin_registered", "administration_id", "registered_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id")
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
    type_code: str = Field(default="", max_length=32)  # request, complaint, invoice… (sets the default deadline)
    action_unit_id: int | None = Field(default=None, foreign_key="unit.id")  # unit dispatched for action
    assignee_id: int | None = Field(default=None, foreign_key="user.id", index=True)  # agent handling it
    sender_administration_id: int | None = Field(default=None, foreign_key="administration.id")
    recipient_administration_id: int | None = Field(default=None, foreign_key="administration.id")
    recipient_party_id: int | None = Field(default=None, foreign_key="party.id")
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    verify_token_hash: str = Field(max_length=64, unique=True, index=True)  # QR code token (SHA-256)
    access_token_hash: str = Field(default="", max_length=64, index=True)  # depositor's private link
    # SHA-256 of the portal's Idempotency-Key, and of the request it was first sent with (deposits.request_fingerprint)
    idempotency_key: str | None = Field(default=None, max_length=80, unique=True)
    idempotency_fingerprint: str | None = Field(default=None, max_length=64)
    # Normalised, see services/text. Indexed for full text by the migrations: FTS5 on SQLite; on
    # PostgreSQL a generated ``search_vector`` tsvector column (not mapped here) with a GIN index.
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False))


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
    # Platform-signed files (receipts): PAdES level once extended (None: as issued, B-T) and when the
    # newest document timestamp's TSA certificate expires (``mrasla archive-refresh`` renews before).
    signature_level: str | None = Field(default=None, max_length=8, index=True)
    archive_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True, index=True))


class TrackingCode(SQLModel, table=True):
    """A one-time code sent to a depositor who lost their tracking link (number + e-mail/phone)."""

    __tablename__ = "tracking_code"

    id: int | None = Field(default=None, primary_key=True)
    correspondence_id: int = Field(foreign_key="correspondence.id", index=True)
    code_hash: str = Field(max_length=64)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    attempts: int = Field(default=0)
    used: bool = Field(default=False)


class Dispatch(SQLModel, table=True):
    """Imputation: the correspondence is routed to a unit (or a person in it) for action or information."""

    __table_args__ = (
        Index("ix_dispatch_unit_active", "unit_id", "active", "purpose", "correspondence_id"),
        Index("ix_dispatch_corr_unit_active", "correspondence_id", "unit_id", "active"),
    )

    id: int | None = Field(default=None, primary_key=True)
    correspondence_id: int = Field(foreign_key="correspondence.id")
    unit_id: int = Field(foreign_key="unit.id")
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    purpose: DispatchPurpose = Field(sa_column=enum_column(DispatchPurpose))
    instructions: str = Field(default="", sa_column=Column(Text, nullable=False))
    active: bool = Field(default=True)  # a re-dispatch deactivates the previous action dispatch
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Note(SQLModel, table=True):
    """An annotation on a correspondence, visible to whoever may see the correspondence."""

    id: int | None = Field(default=None, primary_key=True)
    correspondence_id: int = Field(foreign_key="correspondence.id", index=True)
    author_id: int = Field(foreign_key="user.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class CorrespondenceLink(SQLModel, table=True):
    __tablename__ = "correspondence_link"
    __table_args__ = (UniqueConstraint("from_id", "to_id", "kind", name="uq_link"),)

    id: int | None = Field(default=None, primary_key=True)
    from_id: int = Field(foreign_key="correspondence.id", index=True)
    to_id: int = Field(foreign_key="correspondence.id", index=True)
    kind: LinkKind = Field(sa_column=enum_column(LinkKind))
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ConfidentialAccess(SQLModel, table=True):
    """The named people who may see a confidential correspondence."""

    __tablename__ = "confidential_access"

    correspondence_id: int = Field(foreign_key="correspondence.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)


class Holiday(SQLModel, table=True):
    """A non-working day. ``recurring`` days repeat every year (fixed national holidays);
    religious holidays (lunar calendar) are entered per year. ``administration_id`` None = national."""

    __table_args__ = (UniqueConstraint("administration_id", "day", name="uq_holiday_day"),)

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int | None = Field(default=None, foreign_key="administration.id", index=True)
    day: date
    recurring: bool = Field(default=False)
    name_ar: str = Field(max_length=120)
    name_fr: str = Field(max_length=120)
