"""An administration's identity providers and role rules, managed by its administrators.

Every function checks that the actor administers the provider's administration. Secrets are
write-only: given in clear, sealed at once under the master key, never shown again (an empty field
keeps the sealed one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.crypto import seal
from mrasla_app.models import Administration, IdentityProvider, ProviderKind, ProviderRoleRule, Role, Unit
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.platform import audit, validation
from mrasla_app.services.signin import ldap, oidc

_DOMAIN = re.compile(r"^([a-z0-9-]+\.)+[a-z]{2,}$")
_ATTRIBUTE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class LoginChoice:
    """What the login page shows of a provider (no configuration detail)."""

    id: int
    kind: str
    name: str
    administration_code: str
    login_domain: str


def login_choices(session: Session) -> list[LoginChoice]:
    """The enabled providers, for the login page (public)."""
    rows = session.execute(
        select(IdentityProvider, Administration.code)
        .join(Administration, Administration.id == IdentityProvider.administration_id)
        .where(IdentityProvider.enabled.is_(True), Administration.active.is_(True))
        .order_by(Administration.code, IdentityProvider.name)
    ).all()
    return [LoginChoice(p.id, p.kind.value, p.name, code, p.login_domain) for p, code in rows]


def _provider(session: Session, actor: Actor | None, provider_id: int) -> IdentityProvider:
    return permissions.administered(session, actor, IdentityProvider, provider_id)


def list_providers(session: Session, actor: Actor | None, administration_id: int) -> list[IdentityProvider]:
    return permissions.administered_rows(session, actor, IdentityProvider, administration_id, IdentityProvider.name)


def _url(value: str, schemes: tuple[str, ...], field: str) -> str:
    value = validation.text(value, field).strip()
    parts = urlsplit(value)
    secure = parts.scheme in ("ldaps", "https") or (parts.scheme in ("ldap", "http") and parts.hostname in _LOOPBACK)
    if parts.scheme not in schemes or not parts.hostname or (parts.scheme == "http" and not secure):
        raise DomainError("error.invalid_url", field=field)
    return value


def _balanced(value: str) -> bool:
    depth = 0
    for c in value:
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0 and value.startswith("(")


def _ldap_fields(provider: IdentityProvider, form: dict[str, str]) -> None:
    provider.server_url = _url(form.get("server_url", ""), ("ldap", "ldaps"), "server_url")
    provider.start_tls = bool(form.get("start_tls")) and provider.server_url.lower().startswith("ldap://")
    provider.bind_dn = validation.text(form.get("bind_dn", ""), "bind_dn", required=False)
    provider.user_dn_template = validation.text(form.get("user_dn_template", ""), "user_dn_template", required=False)
    provider.search_base = validation.text(form.get("search_base", ""), "search_base")
    provider.search_filter = validation.text(
        form.get("search_filter", "") or "(uid={login})", "search_filter", max_len=512
    )
    if not _balanced(provider.search_filter) or "{login}" not in provider.search_filter:
        raise DomainError("error.invalid_filter")
    if provider.user_dn_template and "{login}" not in provider.user_dn_template:
        raise DomainError("error.invalid_filter")
    domain = validation.text(form.get("login_domain", ""), "login_domain", required=False).lower()
    if domain and not _DOMAIN.match(domain):
        raise DomainError("error.invalid_domain")
    provider.login_domain = domain
    for name, default in (
        ("name_attribute", "displayName"),
        ("email_attribute", "mail"),
        ("group_attribute", "memberOf"),
    ):
        value = (form.get(name, "") or default).strip()
        if not _ATTRIBUTE.match(value):
            raise DomainError("error.invalid_attribute", field=name)
        setattr(provider, name, value)


def _oidc_fields(provider: IdentityProvider, form: dict[str, str]) -> None:
    # Kept exactly as given: the discovery document's ``issuer`` must be this very string.
    provider.issuer = _url(form.get("issuer", ""), ("https", "http"), "issuer")
    provider.client_id = validation.text(form.get("client_id", ""), "client_id")
    claim = (form.get("groups_claim", "") or "groups").strip()
    if not re.match(r"^[A-Za-z0-9_:./-]{1,64}$", claim):
        raise DomainError("error.invalid_attribute", field="groups_claim")
    provider.groups_claim = claim


def save_provider(
    session: Session,
    actor: Actor | None,
    administration_id: int,
    provider_id: int | None,
    form: dict[str, str],
    secret: str = "",
) -> IdentityProvider:
    """Create (``provider_id`` None) or update a provider from the admin form's fields; ``secret``
    (bind password / client secret) replaces the sealed one when given."""
    if provider_id is None:
        permissions.require_admin_of(actor, administration_id)
        try:
            kind = ProviderKind(form.get("kind", ""))
        except ValueError:
            raise DomainError("error.invalid_request") from None
        provider = IdentityProvider(administration_id=administration_id, kind=kind, name="")
    else:
        provider = _provider(session, actor, provider_id)
    provider.name = validation.text(form.get("name", ""), "name", max_len=120)
    provider.enabled = bool(form.get("enabled"))
    (_ldap_fields if provider.kind == ProviderKind.ldap else _oidc_fields)(provider, form)
    session.add(provider)
    session.flush()
    if secret:
        purpose = (ldap.secret_purpose if provider.kind == ProviderKind.ldap else oidc.secret_purpose)(provider.id)
        sealed = seal(secret.encode(), purpose)
        if provider.kind == ProviderKind.ldap:
            provider.bind_secret = sealed
        else:
            provider.client_secret = sealed
        session.add(provider)
    audit.record(
        session,
        actor,
        "signin.provider_created" if provider_id is None else "signin.provider_updated",
        object_type="identity_provider",
        object_id=provider.id,
        administration_id=provider.administration_id,
        data={
            "kind": provider.kind.value,
            "name": provider.name,
            "enabled": provider.enabled,
            "secret_changed": bool(secret),
        },
    )
    return provider


def rules(session: Session, actor: Actor | None, provider_id: int) -> list[tuple[ProviderRoleRule, Unit]]:
    _provider(session, actor, provider_id)
    return [
        tuple(r)
        for r in session.execute(
            select(ProviderRoleRule, Unit)
            .join(Unit, Unit.id == ProviderRoleRule.unit_id)
            .where(ProviderRoleRule.provider_id == provider_id)
            .order_by(ProviderRoleRule.group, Unit.code)
        ).all()
    ]


def add_rule(
    session: Session, actor: Actor | None, provider_id: int, group: str, unit_id: int, role: str
) -> ProviderRoleRule:
    provider = _provider(session, actor, provider_id)
    unit = session.get(Unit, unit_id)
    if unit is None or unit.administration_id != provider.administration_id:
        raise DomainError("error.invalid_parent")
    try:
        role_value = Role(role)
    except ValueError:
        raise DomainError("error.invalid_role") from None
    group = validation.text(group, "group").strip().lower()
    if session.execute(
        select(ProviderRoleRule.id).where(
            ProviderRoleRule.provider_id == provider_id,
            ProviderRoleRule.group == group,
            ProviderRoleRule.unit_id == unit_id,
            ProviderRoleRule.role == role_value,
        )
    ).first():
        raise DomainError("error.duplicate_rule")
    rule = ProviderRoleRule(provider_id=provider_id, group=group, unit_id=unit_id, role=role_value)
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor,
        "signin.rule_added",
        object_type="identity_provider",
        object_id=provider_id,
        administration_id=provider.administration_id,
        data={"group": group, "unit_id": unit_id, "role": role_value.value},
    )
    return rule


def remove_rule(session: Session, actor: Actor | None, rule_id: int) -> None:
    rule = session.get(ProviderRoleRule, rule_id)
    if rule is None:
        permissions.require_actor(actor)
        raise NotFound()
    provider = _provider(session, actor, rule.provider_id)
    session.delete(rule)
    audit.record(
        session,
        actor,
        "signin.rule_removed",
        object_type="identity_provider",
        object_id=provider.id,
        administration_id=provider.administration_id,
        data={"group": rule.group, "unit_id": rule.unit_id, "role": Role(rule.role).value},
    )


def try_connection(session: Session, actor: Actor | None, provider_id: int) -> dict[str, object]:
    """Try the provider as configured: LDAP binds as the service account and counts the entries
    the filter finds; OpenID Connect fetches the discovery document. Parameters for the notice."""
    provider = _provider(session, actor, provider_id)
    if provider.kind == ProviderKind.ldap:
        return {"count": ldap.check(provider)}
    return {"endpoint": oidc.check(provider)}
