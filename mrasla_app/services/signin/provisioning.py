"""Accounts that follow a directory: created at the first sign-in, re-synced at each one and by the
daily sync job; disabled here when the directory disables or removes the person.

Roles come from the provider's group → role rules. The rules own the (unit, role) pairs they name:
those memberships are added and removed to match the groups; other roles given by hand stay.
A disabled account stays disabled until an administrator enables it again (the directory never
re-enables an account: someone here disabled it, or it was disabled for a reason).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.models import IdentityProvider, ProviderKind, ProviderRoleRule, Role, RoleMembership, User
from mrasla_app.services.directory import users
from mrasla_app.services.directory.accounts import system_actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import audit, validation
from mrasla_app.services.signin.identity import Identity

#: Directory accounts have no password here: no argon2 hash ever matches this one.
NO_PASSWORD = "!directory"


def directory_actor(provider: IdentityProvider):
    """Who the audit trail names for what a directory decided (provisioning, role sync, disabling)."""
    return system_actor(f"directory:{provider.id}")


def linked_user(session: Session, provider: IdentityProvider, external_id: str) -> User | None:
    return session.execute(
        select(User).where(User.provider_id == provider.id, User.external_id == external_id).with_for_update()
    ).scalar_one_or_none()


def desired_roles(
    session: Session, provider: IdentityProvider, groups: frozenset[str]
) -> tuple[set[tuple[int, Role]], set[tuple[int, Role]]]:
    """(the (unit, role) pairs the rules own, those ``groups`` grant)."""
    rules = session.execute(select(ProviderRoleRule).where(ProviderRoleRule.provider_id == provider.id)).scalars().all()
    owned = {(r.unit_id, Role(r.role)) for r in rules}
    granted = {(r.unit_id, Role(r.role)) for r in rules if r.group.strip().lower() in groups}
    return owned, granted


def _sync_roles(session: Session, provider: IdentityProvider, user: User, groups: frozenset[str]) -> list[str]:
    owned, granted = desired_roles(session, provider, groups)
    held = {
        (m.unit_id, Role(m.role)): m
        for m in session.execute(select(RoleMembership).where(RoleMembership.user_id == user.id)).scalars()
    }
    changes = []
    for unit_id, role in sorted(granted - set(held)):
        session.add(RoleMembership(user_id=user.id, unit_id=unit_id, role=role))
        changes.append(f"+{role.value}@{unit_id}")
    for pair in sorted((owned - granted) & set(held)):
        session.delete(held[pair])
        changes.append(f"-{pair[1].value}@{pair[0]}")
    return changes


def provision(session: Session, provider: IdentityProvider, identity: Identity) -> User:
    """The account of ``identity`` at ``provider``, created at the first sign-in and brought in line
    with the directory (name, e-mail, roles) otherwise; audited. A disabled account is refused."""
    actor = directory_actor(provider)
    user = linked_user(session, provider, identity.external_id)
    email = validation.email(identity.email) if identity.email else ""
    if not email:
        raise DomainError("error.directory_no_email")
    if user is None or user.email != email:
        taken = session.execute(select(User.id).where(User.email == email)).scalar_one_or_none()
        if taken is not None and (user is None or taken != user.id):
            # A local account (or another directory's) already uses this e-mail: never taken over.
            raise DomainError("error.directory_email_taken")
    name = validation.text(identity.full_name or email, "full_name")
    if user is None:
        user = User(
            email=email,
            full_name=name,
            password_hash=NO_PASSWORD,
            administration_id=provider.administration_id,
            provider_id=provider.id,
            external_id=identity.external_id,
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor,
            "signin.user_provisioned",
            object_type="user",
            object_id=user.id,
            administration_id=provider.administration_id,
            data={"email": email, "provider_id": provider.id, "external_id": identity.external_id},
        )
    elif not user.active:
        raise DomainError("error.invalid_credentials")
    else:
        user.email, user.full_name = email, name
        session.add(user)
    changes = _sync_roles(session, provider, user, identity.groups)
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "signin.roles_synced",
            object_type="user",
            object_id=user.id,
            administration_id=provider.administration_id,
            data={"changes": changes},
        )
    return user


def disable(session: Session, provider: IdentityProvider, user: User, reason: str) -> None:
    """The directory no longer has ``user`` enabled: disabled here too (sessions ended, signing
    certificates revoked, as when an administrator disables them), audited with the reason."""
    if not user.active:
        return
    users.set_active(session, directory_actor(provider), user.id, False)
    audit.record(
        session,
        directory_actor(provider),
        "signin.user_disabled",
        object_type="user",
        object_id=user.id,
        administration_id=user.administration_id,
        data={"provider_id": provider.id, "reason": reason},
    )


def sync_ldap(session: Session) -> str:
    """The daily sync job: every active account of every enabled LDAP provider is looked up in its
    directory; absent or disabled there → disabled here, otherwise its roles follow its groups.
    A directory that does not answer is skipped (never a reason to disable anyone)."""
    from mrasla_app.services.signin import ldap

    disabled = synced = unreachable = 0
    providers = (
        session.execute(
            select(IdentityProvider).where(
                IdentityProvider.kind == ProviderKind.ldap, IdentityProvider.enabled.is_(True)
            )
        )
        .scalars()
        .all()
    )
    for provider in providers:
        accounts = (
            session.execute(
                select(User).where(User.provider_id == provider.id, User.active.is_(True)).order_by(User.id)
            )
            .scalars()
            .all()
        )
        try:
            found = {u.id: ldap.lookup(provider, u.external_id or "") for u in accounts}
        except DomainError:
            unreachable += 1
            continue
        for user in accounts:
            identity = found[user.id]
            if identity is None:
                disable(session, provider, user, "absent_or_disabled")
                disabled += 1
            else:
                changes = _sync_roles(session, provider, user, identity.groups)
                if changes:
                    audit.record(
                        session,
                        directory_actor(provider),
                        "signin.roles_synced",
                        object_type="user",
                        object_id=user.id,
                        administration_id=user.administration_id,
                        data={"changes": changes},
                    )
                synced += 1
    return f"{synced} synced, {disabled} disabled, {unreachable} unreachable"
