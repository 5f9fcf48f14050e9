"""Directory sign-in: an administration's identity providers (LDAP / Active Directory, OpenID Connect)
and the rules that turn directory groups into roles in its units."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from mrasla_app.models.accounts import Role
from mrasla_app.models.base import UTCDateTime, enum_column, utcnow


class ProviderKind(str, enum.Enum):
    ldap = "ldap"  # OpenLDAP, Active Directory: password checked by a bind, through the login form
    oidc = "oidc"  # OpenID Connect: authorisation code + PKCE, through a redirect


class IdentityProvider(SQLModel, table=True):
    """One directory an administration's staff sign in with. Secrets (the LDAP service account's
    password, the OIDC client secret) are sealed under the master key (``crypto.seal``)."""

    __tablename__ = "identity_provider"

    id: int | None = Field(default=None, primary_key=True)
    administration_id: int = Field(foreign_key="administration.id", index=True)
    kind: ProviderKind = Field(sa_column=enum_column(ProviderKind))
    name: str = Field(max_length=120)  # shown on the login page ("Annuaire du ministère")
    enabled: bool = Field(default=True)
    # LDAP / AD
    server_url: str = Field(default="", max_length=255)  # ldap://host:389 or ldaps://host:636
    start_tls: bool = Field(default=False)
    bind_dn: str = Field(default="", max_length=255)  # service account for the search ("" = anonymous)
    bind_secret: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    user_dn_template: str = Field(default="", max_length=255)  # direct bind: "uid={login},ou=people,dc=…"
    search_base: str = Field(default="", max_length=255)
    search_filter: str = Field(default="(uid={login})", max_length=512)  # also excludes disabled accounts
    login_domain: str = Field(default="", max_length=120, index=True)  # "mef.gov.ma": name@mef.gov.ma goes here
    name_attribute: str = Field(default="displayName", max_length=64)
    email_attribute: str = Field(default="mail", max_length=64)
    group_attribute: str = Field(default="memberOf", max_length=64)
    # OpenID Connect
    issuer: str = Field(default="", max_length=255)
    client_id: str = Field(default="", max_length=255)
    client_secret: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    groups_claim: str = Field(default="groups", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ProviderRoleRule(SQLModel, table=True):
    """Members of ``group`` (an LDAP group DN, or a value of the OIDC groups claim) hold ``role`` in
    ``unit_id``. The rules of a provider own the (unit, role) pairs they name: sign-in and the sync
    job add and remove exactly those; roles given by hand in other pairs are left alone."""

    __tablename__ = "provider_role_rule"
    __table_args__ = (UniqueConstraint("provider_id", "group", "unit_id", "role", name="uq_provider_rule"),)

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="identity_provider.id", index=True)
    group: str = Field(max_length=255)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: Role = Field(sa_column=enum_column(Role))
