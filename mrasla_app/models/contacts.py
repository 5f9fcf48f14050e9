"""The contacts directory: correspondents an administration writes to or hears from.

A ``Party`` stays the snapshot of a correspondent as given on one letter; a ``Contact`` is the
lasting entry it points to (``Party.contact_id``), de-duplicated through the ``norm_*`` columns and
merged (``merged_into_id``) by registry staff.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, enum_column, utcnow
from mrasla_app.models.directory import PartyKind


class Contact(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id", index=True)
    kind: PartyKind = Field(default=PartyKind.person, sa_column=enum_column(PartyKind))
    name_ar: str = Field(default="", max_length=255)
    name_latin: str = Field(default="", max_length=255)
    email: str = Field(default="", max_length=255)
    phone: str = Field(default="", max_length=32)
    id_kind: str = Field(default="", max_length=8)  # CIN or ICE
    id_value: str = Field(default="", max_length=32)
    correspondent_administration_id: int | None = Field(default=None, foreign_key="administration.id")
    norm_name: str = Field(default="", max_length=255, index=True)  # letters of both names, folded and sorted
    norm_email: str = Field(default="", max_length=255, index=True)
    norm_phone: str = Field(default="", max_length=32, index=True)  # national form: 0XXXXXXXXX
    merged_into_id: int | None = Field(default=None, foreign_key="contact.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
