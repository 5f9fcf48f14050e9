"""Records management: an administration's file plan, document types with retention rules, tags,
custom fields, each letter's classification and its disposal (transfer to the archives or
destruction).

Disposal statuses and their transitions live in ``services/records/retention.py`` as data.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, enum_column, utcnow


class RetentionStart(str, enum.Enum):
    """The event the retention period runs from (durée d'utilité administrative, point de départ)."""

    registered = "registered"  # registration date
    closed = "closed"  # closing date of the letter (not due while the letter is open)


class FinalAction(str, enum.Enum):
    """Sort final: what happens when the retention period ends."""

    destroy = "destroy"  # élimination
    transfer = "transfer"  # versement aux archives (SEDA package)
    review = "review"  # tri: the archivist decides letter by letter


class FieldKind(str, enum.Enum):
    text = "text"
    number = "number"
    date = "date"
    choice = "choice"


class DisposalStatus(str, enum.Enum):
    active = "active"  # kept: retention running
    due = "due"  # retention ended, awaiting the archivist
    transfer_pending = "transfer_pending"  # package built, awaiting the archives' acknowledgement
    transferred = "transferred"  # acknowledged by the archives; originals removed from live storage
    destroyed = "destroyed"  # destroyed with a sealed certificate


class DisposalKind(str, enum.Enum):
    transfer = "transfer"
    destruction = "destruction"


class FilePlanNode(SQLModel, table=True):
    """A node of an administration's classification tree (plan de classement), e.g. ``01.02``."""

    __tablename__ = "file_plan_node"
    __table_args__ = (UniqueConstraint("administration_id", "code", name="uq_file_plan_code"),)

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="file_plan_node.id", index=True)
    code: str = Field(max_length=32)
    name_ar: str = Field(max_length=255)
    name_fr: str = Field(max_length=255)
    active: bool = Field(default=True)


class DocumentType(SQLModel, table=True):
    """A document type and its retention rule (durée + point de départ + sort final)."""

    __tablename__ = "document_type"
    __table_args__ = (UniqueConstraint("administration_id", "code", name="uq_document_type_code"),)

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id", index=True)
    code: str = Field(max_length=32)
    name_ar: str = Field(max_length=255)
    name_fr: str = Field(max_length=255)
    retention_years: int = Field(default=0)
    retention_months: int = Field(default=0)
    retention_start: RetentionStart = Field(default=RetentionStart.closed, sa_column=enum_column(RetentionStart))
    final_action: FinalAction = Field(default=FinalAction.review, sa_column=enum_column(FinalAction))
    active: bool = Field(default=True)


class Tag(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("administration_id", "label", name="uq_tag_label"),)

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id", index=True)
    label: str = Field(max_length=64)


class CustomField(SQLModel, table=True):
    """A typed metadata field an administration adds to its letters (choices: one per line)."""

    __tablename__ = "custom_field"
    __table_args__ = (UniqueConstraint("administration_id", "code", name="uq_custom_field_code"),)

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id", index=True)
    code: str = Field(max_length=32)
    name_ar: str = Field(max_length=255)
    name_fr: str = Field(max_length=255)
    kind: FieldKind = Field(default=FieldKind.text, sa_column=enum_column(FieldKind))
    choices: str = Field(default="", sa_column=Column(Text, nullable=False))


class RecordInfo(SQLModel, table=True):
    """A letter's classification and disposal state (one row per classified correspondence)."""

    __tablename__ = "record_info"

    correspondence_id: int = Field(foreign_key="correspondence.id", primary_key=True)
    administration_id: int = Field(foreign_key="administration.id", index=True)
    file_plan_node_id: int | None = Field(default=None, foreign_key="file_plan_node.id", index=True)
    document_type_id: int | None = Field(default=None, foreign_key="document_type.id", index=True)
    retention_due_on: date | None = Field(default=None)  # set by the retention job when the start event happened
    disposal_status: DisposalStatus = Field(
        default=DisposalStatus.active, sa_column=enum_column(DisposalStatus, index=True)
    )
    disposal_id: int | None = Field(default=None, foreign_key="disposal.id", index=True)


class CorrespondenceTag(SQLModel, table=True):
    __tablename__ = "correspondence_tag"

    correspondence_id: int = Field(foreign_key="correspondence.id", primary_key=True)
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, index=True)


class CustomFieldValue(SQLModel, table=True):
    """A custom field's value on a letter, stored as text in a canonical form (ISO date, decimal)."""

    __tablename__ = "custom_field_value"

    correspondence_id: int = Field(foreign_key="correspondence.id", primary_key=True)
    field_id: int = Field(foreign_key="custom_field.id", primary_key=True, index=True)
    value: str = Field(max_length=255)


class Disposal(SQLModel, table=True):
    """One transfer or destruction decided by an archivist for a batch of letters.

    A transfer keeps the SEDA/BagIt package (``package_sha256``, a ZIP in blob storage) and, once the
    archives acknowledge it, their reference; a destruction keeps its sealed certificate.
    """

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id", index=True)
    kind: DisposalKind = Field(sa_column=enum_column(DisposalKind))
    reference: str = Field(max_length=64, unique=True)
    package_sha256: str = Field(default="", max_length=64)
    certificate_sha256: str = Field(default="", max_length=64)
    acknowledgement: str = Field(default="", max_length=255)
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
