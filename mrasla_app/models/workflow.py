"""The electronic signature book (parapheur / الحامل الإلكتروني): circuits, folders, steps, actions.

- ``CircuitTemplate``: a reusable circuit of an administration; its ordered steps are data (JSON).
- ``Folder``: documents travelling through a circuit; ``version`` counts document versions (a new
  version restarts the circuit), ``current_step`` is the active step's position (0: none).
- ``FolderDocument``: main document and annexes per version; bytes in content-addressed storage.
- ``FolderStep`` / ``StepParticipant``: the circuit of one version, participants resolved to user
  ids when the circuit starts. ``round`` increases each time a step is (re)activated.
- ``StepAction``: one decision; ``uq_step_action`` makes acting twice for the same person in the
  same round of a step impossible, even under concurrency. A decision its author undid stays on
  file with ``withdrawn_at`` set and no longer counts (the index covers live decisions only).
- ``FolderAnnotation``: comments on the folder and notes pinned to a page.
- ``SigningKey``: a signatory's certificate and private key (encrypted under the PIN, then sealed).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, enum_column, utcnow


class StepKind(str, enum.Enum):
    visa = "visa"  # تأشيرة: approval without signing the document
    opinion = "opinion"  # رأي: an opinion (comment required)
    signature = "signature"  # توقيع: personal PAdES signature (PIN)
    seal = "seal"  # ختم: the platform's electronic seal, applied at the participant's decision


class CompletionMode(str, enum.Enum):
    all = "all"  # every participant must act
    any = "any"  # the first participant to act completes the step


class FolderStatus(str, enum.Enum):
    draft = "draft"
    in_progress = "in_progress"
    rejected = "rejected"
    completed = "completed"  # the circuit is done: signed, waiting to be sent (shown "to send")
    cancelled = "cancelled"
    sent = "sent"  # the signed document left through ``services.sending``


class StepStatus(str, enum.Enum):
    pending = "pending"
    active = "active"
    completed = "completed"
    rejected = "rejected"


class Decision(str, enum.Enum):
    approved = "approved"  # visa given
    opinion = "opinion"
    signed = "signed"
    rejected = "rejected"
    returned = "returned"  # sent back to the previous step


class DocumentRole(str, enum.Enum):
    main = "main"
    annex = "annex"


class KeySource(str, enum.Enum):
    platform = "platform"  # issued by the platform CA, key generated server-side
    pkcs12 = "pkcs12"  # imported certificate from another CA


class CircuitTemplate(SQLModel, table=True):
    """A named circuit; ``steps`` is a JSON list of ``{"kind", "mode", "user_ids" | ("role",
    "unit_id"), "deadline_days", "label_fr", "label_ar"}`` (validated by ``services.circuits``)."""

    __tablename__ = "circuit_template"

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id", index=True)
    name_ar: str = Field(max_length=255)
    name_fr: str = Field(max_length=255)
    steps: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    active: bool = Field(default=True)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Folder(SQLModel, table=True):
    __table_args__ = (
        Index("ix_folder_admin_status", "administration_id", "status", "id"),
        Index("ix_folder_initiator_status", "initiator_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id")
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)  # initiator's unit
    reference: str = Field(max_length=40, unique=True)  # e.g. PAR-MEF-2026-000012
    title: str = Field(max_length=255)
    initiator_id: int = Field(foreign_key="user.id")
    correspondence_id: int | None = Field(default=None, foreign_key="correspondence.id", index=True)
    template_id: int | None = Field(default=None, foreign_key="circuit_template.id")
    status: FolderStatus = Field(default=FolderStatus.draft, sa_column=enum_column(FolderStatus))
    version: int = Field(default=1)
    current_step: int = Field(default=0)  # position of the active step (1-based), 0 when none
    current_sha256: str = Field(default="", max_length=64)  # main document as it stands (signed so far)
    verify_token_hash: str = Field(default="", max_length=64, index=True)  # QR code on the signature page
    reject_reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class FolderDocument(SQLModel, table=True):
    __tablename__ = "folder_document"
    __table_args__ = (UniqueConstraint("folder_id", "version", "role", "position", name="uq_folder_document"),)

    id: int | None = Field(default=None, primary_key=True)
    folder_id: int = Field(foreign_key="folder.id", index=True)
    version: int
    role: DocumentRole = Field(sa_column=enum_column(DocumentRole))
    position: int = Field(default=0)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=80)  # of the original upload(s)
    size: int
    sha256: str = Field(max_length=64)  # original bytes (first file when images were merged)
    pdf_sha256: str = Field(max_length=64)  # PDF rendition submitted to the circuit
    pages: int = Field(default=0)
    prepared_sha256: str = Field(default="", max_length=64)  # main: with signature page and empty fields
    signed_sha256: str = Field(default="", max_length=64)  # main: last signed bytes of this version
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class FolderStep(SQLModel, table=True):
    __tablename__ = "folder_step"
    __table_args__ = (
        UniqueConstraint("folder_id", "version", "position", name="uq_folder_step"),
        Index("ix_folder_step_active", "status", "kind", "folder_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    folder_id: int = Field(foreign_key="folder.id", index=True)
    version: int
    position: int  # 1-based
    kind: StepKind = Field(sa_column=enum_column(StepKind))
    mode: CompletionMode = Field(default=CompletionMode.all, sa_column=enum_column(CompletionMode))
    label_fr: str = Field(default="", max_length=255)
    label_ar: str = Field(default="", max_length=255)
    role: str = Field(default="", max_length=24)  # when participants came from a role in a unit
    role_unit_id: int | None = Field(default=None, foreign_key="unit.id")
    deadline_days: int | None = Field(default=None)  # working days once active
    due_on: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    status: StepStatus = Field(default=StepStatus.pending, sa_column=enum_column(StepStatus))
    round: int = Field(default=0)
    base_sha256: str = Field(default="", max_length=64)  # document when the step was (last) activated
    activated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class StepParticipant(SQLModel, table=True):
    """Who is expected on a step; ``field_name`` is the signature field they fill (signature/seal)."""

    __tablename__ = "step_participant"

    step_id: int = Field(foreign_key="folder_step.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)
    position: int = Field(default=0)
    field_name: str = Field(default="", max_length=64)


class StepAction(SQLModel, table=True):
    """One decision on a step. ``for_user_id`` is the participant whose slot it fills: the actor,
    or the person they act for by delegation (``on_behalf_of_id``)."""

    __tablename__ = "step_action"
    __table_args__ = (
        Index(
            "uq_step_action",
            "step_id",
            "round",
            "for_user_id",
            unique=True,
            sqlite_where=text("withdrawn_at IS NULL"),
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    folder_id: int = Field(foreign_key="folder.id", index=True)
    step_id: int = Field(foreign_key="folder_step.id", index=True)
    round: int
    actor_id: int = Field(foreign_key="user.id", index=True)
    for_user_id: int = Field(foreign_key="user.id")
    on_behalf_of_id: int | None = Field(default=None, foreign_key="user.id")
    decision: Decision = Field(sa_column=enum_column(Decision))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    document_sha256: str = Field(default="", max_length=64)  # document after a signature
    certificate_serial: str = Field(default="", max_length=64)  # hex
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    # Undone by its author (``services.parapheur.undo``): kept for the history, no longer counts.
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class FolderAnnotation(SQLModel, table=True):
    """A comment on the folder (``page`` None) or a note pinned to a page of the main document
    (``page`` 1-based, ``x``/``y`` as fractions of the page width/height from the top left)."""

    __tablename__ = "folder_annotation"

    id: int | None = Field(default=None, primary_key=True)
    folder_id: int = Field(foreign_key="folder.id", index=True)
    version: int
    author_id: int = Field(foreign_key="user.id")
    body: str = Field(sa_column=Column(Text, nullable=False))
    page: int | None = Field(default=None)
    x: float | None = Field(default=None)
    y: float | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class SigningKey(SQLModel, table=True):
    """A signatory's certificate (public, DER) and private key.

    ``key_blob`` = ``crypto.seal(b"K1" + salt + nonce + AES-GCM(scrypt(PIN, salt), PKCS#8), "signing-key:<user>")``:
    neither a database copy nor the master key alone opens it; the PIN is needed too.
    """

    __tablename__ = "signing_key"
    __table_args__ = (Index("ix_signing_key_user_active", "user_id", "active"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    source: KeySource = Field(sa_column=enum_column(KeySource))
    certificate: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # DER
    chain_pem: str = Field(default="", sa_column=Column(Text, nullable=False))  # issuers (imported keys)
    serial: str = Field(max_length=64, index=True)  # hex
    subject: str = Field(default="", max_length=255)
    not_after: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    key_blob: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    active: bool = Field(default=True)  # the one in use (an older key is superseded, not deleted)
    revoked: bool = Field(default=False)
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    failed_attempts: int = Field(default=0)
    locked: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
