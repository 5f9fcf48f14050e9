"""Staff accounts, their roles per unit, delegations and login sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from mrasla_app.models.base import UTCDateTime, enum_column, utcnow


class Role(str, enum.Enum):
    """Roles are held per unit; a user may hold several, in several units."""

    clerk = "clerk"  # bureau d'ordre / مكتب الضبط
    agent = "agent"
    head = "head"  # head of unit: sees the unit and its sub-units
    signatory = "signatory"
    admin = "admin"  # administrator of the administration the unit belongs to
    archivist = "archivist"  # records manager: reviews retention ends, confirms transfers and destructions


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(index=True, unique=True, max_length=255)
    full_name: str = Field(max_length=255)
    full_name_ar: str = Field(default="", max_length=255)
    password_hash: str = Field(max_length=255)
    administration_id: int | None = Field(default=None, foreign_key="administration.id", index=True)
    is_platform_admin: bool = Field(default=False)
    totp_secret: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    totp_enabled: bool = Field(default=False)
    # Enrolled with a one-time enrolment code from another administrator or the CLI: only such a
    # factor unlocks administrator rights (services.accounts.load_actor).
    totp_vouched: bool = Field(default=False)
    totp_last_step: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )  # codes are single-use
    totp_enrolment_hash: str | None = Field(default=None, max_length=64)  # SHA-256 of the pending enrolment code
    totp_enrolment_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # Signs in through this identity provider (None: a local account with its own password), known
    # there as ``external_id`` (the entry's DN for LDAP, the ``sub`` claim for OpenID Connect).
    provider_id: int | None = Field(default=None, foreign_key="identity_provider.id", index=True)
    external_id: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class RoleMembership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user_id", "unit_id", "role", name="uq_membership"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: Role = Field(sa_column=enum_column(Role))


class Delegation(SQLModel, table=True):
    """``to_user`` acts for ``from_user`` between ``starts_at`` and ``ends_at`` (UTC)."""

    id: int | None = Field(default=None, primary_key=True)
    from_user_id: int = Field(foreign_key="user.id", index=True)
    to_user_id: int = Field(foreign_key="user.id", index=True)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ends_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    reason: str = Field(default="", max_length=255)
    revoked: bool = Field(default=False)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class UserSession(SQLModel, table=True):
    """A login session. Only SHA-256 hashes of the secrets are stored.

    ``ticket_hash`` is a one-time, short-lived ticket created by the login form's event handler
    and exchanged by the browser for the HttpOnly session cookie (``token_hash``), so the session
    token itself never passes through JavaScript.
    """

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str | None = Field(default=None, index=True, unique=True, max_length=64)
    ticket_hash: str | None = Field(default=None, index=True, unique=True, max_length=64)
    ticket_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=255)
