"""Letters drafted in the application (``services.drafting``).

A ``LetterDraft`` is the source of a folder's main document for one version: the text and the
merge fields the agent saw in the preview. The parapheur renders the letter again from it when
the circuit starts (with the verification QR code and the signature field in the signatory
block), so the letter is kept as data, not only as the PDF made from it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, utcnow


class LetterDraft(SQLModel, table=True):
    __tablename__ = "letter_draft"
    __table_args__ = (UniqueConstraint("folder_id", "version", name="uq_letter_draft"),)

    id: int | None = Field(default=None, primary_key=True)
    folder_id: int = Field(foreign_key="folder.id", index=True)
    version: int
    lang: str = Field(max_length=2)  # "ar" or "fr": the letter's language
    reference: str = Field(default="", max_length=64)  # the incoming registry number answered ("" if none)
    place: str = Field(default="", max_length=120)
    dated: date
    addressee: str = Field(default="", max_length=1000)
    subject: str = Field(max_length=500)
    body: str = Field(sa_column=Column(Text, nullable=False))
    signatory_id: int | None = Field(default=None, foreign_key="user.id")  # as chosen for the preview
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
