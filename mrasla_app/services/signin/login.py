"""Sign-in through a directory, beside the local accounts (``accounts.authenticate``).

The login form's text goes to an LDAP provider when the person chose one on the login page, or
when it is an e-mail of a provider's login domain (``name@mef.gov.ma`` → login ``name``) that no
local account uses; anything else is a local sign-in. Whatever the path, the rules of local
accounts hold: the per-address rate limit (the adapters), the per-account lockout after repeated
wrong passwords, one answer for every refusal, and the second factor of accounts that have one —
administrator rights still wait for it (``accounts.load_actor``).
"""

from __future__ import annotations

import base64
import json
import time

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.crypto import seal, unseal
from mrasla_app.models import IdentityProvider, ProviderKind, User
from mrasla_app.models.base import utcnow
from mrasla_app.services.directory import accounts
from mrasla_app.services.errors import DomainError
from mrasla_app.services.signin import ldap
from mrasla_app.services.signin.identity import Identity
from mrasla_app.services.signin.provisioning import disable, linked_user, provision

PENDING_TTL = 300  # seconds to type the second factor after an OpenID Connect sign-in
PENDING_PURPOSE = "signin-second-factor"


def ldap_route(session: Session, ident: str, provider_id: int | None) -> tuple[IdentityProvider, str] | None:
    """(provider, directory login) when the form's text goes to a directory, None for a local account."""
    if provider_id:
        provider = session.get(IdentityProvider, provider_id)
        if provider is None or provider.kind != ProviderKind.ldap or not provider.enabled:
            raise DomainError("error.invalid_credentials")
        return provider, ident.strip()
    email = accounts.login_email(ident)
    if "@" not in email:
        return None
    name, domain = email.rsplit("@", 1)
    if session.execute(select(User.id).where(User.email == email, User.provider_id.is_(None))).first():
        return None  # a local account (an administrator's own, for when the directory is down)
    provider = (
        session.execute(
            select(IdentityProvider)
            .where(
                IdentityProvider.kind == ProviderKind.ldap,
                IdentityProvider.enabled.is_(True),
                IdentityProvider.login_domain == domain,
            )
            .order_by(IdentityProvider.id)
        )
        .scalars()
        .first()
    )
    return (provider, name) if provider is not None else None


def _absent_account(session: Session, provider: IdentityProvider, ident: str) -> None:
    """No enabled entry for the login: if the text names one of this directory's accounts by its
    e-mail, and the directory confirms that entry (by its DN) is gone or disabled, disable it here."""
    user = session.execute(
        select(User).where(User.email == accounts.login_email(ident), User.provider_id == provider.id)
    ).scalar_one_or_none()
    if user is not None and user.active and ldap.lookup(provider, user.external_id or "") is None:
        disable(session, provider, user, "absent_or_disabled_at_login")
        session.commit()  # kept although the refusal that follows rolls the transaction back


def authenticate(
    session: Session,
    ident: str,
    password: str,
    totp_code: str = "",
    *,
    provider_id: int | None = None,
    ip: str = "",
    user_agent: str = "",
) -> tuple[str, User]:
    """The login form: a one-time login ticket and the account, through a directory or locally.

    Refusals are ``DomainError``s as for local accounts (``error.invalid_credentials`` for any
    wrong or unknown login, ``error.totp_required`` / ``error.totp_invalid``), and
    ``error.directory_unreachable`` when the directory does not answer."""
    route = ldap_route(session, ident, provider_id)
    if route is None:
        ticket = accounts.authenticate(session, ident, password, totp_code, ip=ip, user_agent=user_agent)
        user = session.execute(select(User).where(User.email == accounts.login_email(ident))).scalar_one()
        return ticket, user
    provider, login = route
    now = utcnow()
    dn = ldap.find_dn(provider, login) if login else None
    if dn is None:
        _absent_account(session, provider, ident)
        raise DomainError("error.invalid_credentials")
    user = linked_user(session, provider, dn)
    if user is not None and (accounts.is_locked(user, now) or not user.active):
        raise DomainError("error.invalid_credentials")  # the directory's own lockout is not fed either
    try:
        identity = ldap.authenticate(provider, login, password)
    except ldap.Disabled:
        if user is not None:
            disable(session, provider, user, "disabled_at_login")
            session.commit()  # kept although the refusal that follows rolls the transaction back
        raise DomainError("error.invalid_credentials") from None
    except ldap.BadCredentials:
        if user is not None:
            accounts.count_failed_login(session, user, ip, "ldap")
        raise DomainError("error.invalid_credentials") from None
    user = provision(session, provider, identity)
    accounts.check_second_factor(session, user, totp_code, now, ip)
    return accounts.issue_ticket(session, user, now, ip=ip, user_agent=user_agent, method="ldap"), user


def complete_oidc(
    session: Session, provider: IdentityProvider, identity: Identity, *, ip: str = "", user_agent: str = ""
) -> tuple[str | None, User]:
    """After a verified OpenID Connect answer: (ticket, account), or (None, account) when the
    account has a second factor to type first (``seal_pending`` / ``finish_second_factor``)."""
    user = provision(session, provider, identity)
    if accounts.is_locked(user, utcnow()):
        raise DomainError("error.invalid_credentials")
    if user.totp_enabled:
        return None, user
    return accounts.issue_ticket(session, user, utcnow(), ip=ip, user_agent=user_agent, method="oidc"), user


def seal_pending(user_id: int) -> str:
    """The HttpOnly cookie saying "this browser passed the provider as ``user_id``; the second factor
    is still to come" (sealed under the master key, five minutes)."""
    return base64.urlsafe_b64encode(
        seal(json.dumps([user_id, time.time() + PENDING_TTL]).encode(), PENDING_PURPOSE)
    ).decode()


def pending_user_id(value: str | None) -> int | None:
    if not value:
        return None
    try:
        user_id, expires = json.loads(unseal(base64.urlsafe_b64decode(value.encode()), PENDING_PURPOSE))
    except Exception:  # noqa: BLE001 - altered or foreign: no pending sign-in
        return None
    return int(user_id) if float(expires) >= time.time() else None


def finish_second_factor(
    session: Session, pending: str | None, totp_code: str, *, ip: str = "", user_agent: str = ""
) -> tuple[str, User]:
    """The login form after an OpenID Connect sign-in of an account with a second factor."""
    user_id = pending_user_id(pending)
    user = (
        session.execute(select(User).where(User.id == user_id).with_for_update()).scalar_one_or_none()
        if user_id
        else None
    )
    now = utcnow()
    if user is None or not user.active or accounts.is_locked(user, now):
        raise DomainError("error.invalid_credentials")
    accounts.check_second_factor(session, user, totp_code, now, ip)
    return accounts.issue_ticket(session, user, now, ip=ip, user_agent=user_agent, method="oidc"), user
