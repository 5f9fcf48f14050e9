"""Batch scanning (``services/correspondence/batches.py``): a stack of paper letters scanned as one
PDF, split at separator sheets into letters that wait for the clerk's confirmation.

A ``ScanBatch`` keeps the stack (a blob) until it is closed; each ``BatchLetter`` keeps its own PDF
(the pages between two separators), the text read from it and the indexing proposals. A letter gets
a registry number only when the clerk confirms it (``correspondence_id`` then points to it).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, enum_column, utcnow


class BatchStatus(str, enum.Enum):
    uploaded = "uploaded"  # stored, waiting for the worker
    processing = "processing"  # a worker is splitting and reading it
    ready = "ready"  # split and read: letters wait for confirmation
    failed = "failed"  # the stack could not be read (message in ``error``)
    closed = "closed"  # every letter confirmed or discarded; the stack is released


class LetterStatus(str, enum.Enum):
    pending = "pending"  # split, not read yet
    ready = "ready"  # read: proposals wait for the clerk
    confirmed = "confirmed"  # registered (it has its number)
    discarded = "discarded"  # not registered (a blank page, a duplicate…): never takes a number


class ScanBatch(SQLModel, table=True):
    __tablename__ = "scan_batch"
    __table_args__ = (Index("ix_scan_batch_admin_status", "administration_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id")
    status: BatchStatus = Field(sa_column=enum_column(BatchStatus))
    filename: str = Field(max_length=255)
    stack_sha256: str = Field(default="", max_length=64)  # the scanned stack ("" once the batch is closed)
    pages: int = Field(default=0)
    pages_done: int = Field(default=0)  # progress of the worker
    separators: int = Field(default=0)
    error: str = Field(default="", max_length=80)  # catalogue key when ``failed``
    type_code: str = Field(default="", max_length=32)  # the type printed on the first separator, if any
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class BatchLetter(SQLModel, table=True):
    __tablename__ = "batch_letter"
    __table_args__ = (UniqueConstraint("batch_id", "position", name="uq_batch_letter"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="scan_batch.id", index=True)
    position: int  # 1, 2, … in the stack
    status: LetterStatus = Field(sa_column=enum_column(LetterStatus))
    first_page: int  # 1-based page of the stack
    pages: int
    pdf_sha256: str = Field(max_length=64)  # the letter's own PDF (its pages of the stack)
    preview_sha256: str = Field(default="", max_length=64)  # a small JPEG of its first page
    type_code: str = Field(default="", max_length=32)  # from the separator sheet before it
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    proposal: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))  # JSON
    correspondence_id: int | None = Field(default=None, foreign_key="correspondence.id")
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
