"""Text derived from a stored document (its PDF text layer or OCR), for search and snippets.

Derived data only: the document's bytes (whose hash the receipt proves) are never rewritten. One row
per document, made "pending" when the document is stored and filled by the background job
(``services/correspondence/extraction.py``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, enum_column, utcnow


class TextStatus(str, enum.Enum):
    pending = "pending"  # queued for the extraction job
    done = "done"
    failed = "failed"  # unreadable after the allowed attempts (kept, so it is not retried forever)


class TextSource(str, enum.Enum):
    pdf = "pdf"  # every page had a text layer
    ocr = "ocr"  # at least one page (or the photo) was read by Tesseract
    none = "none"  # not read (pending or failed)


class DocumentText(SQLModel, table=True):
    __tablename__ = "document_text"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", unique=True)
    correspondence_id: int = Field(foreign_key="correspondence.id", index=True)
    status: TextStatus = Field(default=TextStatus.pending, sa_column=enum_column(TextStatus, index=True))
    source: TextSource = Field(default=TextSource.none, sa_column=enum_column(TextSource))
    language: str = Field(default="", max_length=8)  # guess: ar, fr, ar+fr or "" (no letters)
    char_count: int = Field(default=0)
    pages: int = Field(default=0)  # pages read (bounded by MRASLA_OCR_MAX_PAGES)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))  # pages separated by form feeds
    # ``services.text.index_forms`` of the body; full-text indexed by the migration (FTS5 / tsvector).
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    attempts: int = Field(default=0)
    lease_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))  # worker's claim
    extracted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
