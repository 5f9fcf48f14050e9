"""The directory: administrations (tenants), their unit trees, and external parties."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, enum_column, utcnow


class AdministrationKind(str, enum.Enum):
    ministry = "ministry"
    agency = "agency"
    commune = "commune"
    region = "region"
    other = "other"


class UnitLevel(str, enum.Enum):
    """Where a unit sits in the territorial organisation (central / déconcentré)."""

    central = "central"
    regional = "regional"
    provincial = "provincial"


class PartyKind(str, enum.Enum):
    person = "person"
    company = "company"
    administration = "administration"


class Administration(SQLModel, table=True):
    """A ministry, agency, commune or other public body: the tenant of every other record."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=16)
    name_ar: str = Field(max_length=255)
    name_fr: str = Field(max_length=255)
    kind: AdministrationKind = Field(default=AdministrationKind.ministry, sa_column=enum_column(AdministrationKind))
    city_ar: str = Field(default="", max_length=120)
    city_fr: str = Field(default="", max_length=120)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Unit(SQLModel, table=True):
    """A node of an administration's tree (directorate, division, service, delegation)."""

    __table_args__ = (UniqueConstraint("administration_id", "code", name="uq_unit_admin_code"),)

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    code: str = Field(max_length=32)
    name_ar: str = Field(max_length=255)
    name_fr: str = Field(max_length=255)
    level: UnitLevel = Field(default=UnitLevel.central, sa_column=enum_column(UnitLevel))
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Party(SQLModel, table=True):
    """A correspondent outside the platform's staff: citizen, company or administration contact."""

    id: int | None = Field(default=None, primary_key=True)
    kind: PartyKind = Field(default=PartyKind.person, sa_column=enum_column(PartyKind))
    full_name: str = Field(max_length=255)
    id_kind: str = Field(default="", max_length=8)  # CIN or ICE
    id_value: str = Field(default="", max_length=32, index=True)
    email: str = Field(default="", max_length=255)
    phone: str = Field(default="", max_length=32)
    administration_id: int | None = Field(default=None, foreign_key="administration.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)  # directory entry
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
