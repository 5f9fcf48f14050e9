"""Administration of staff: users, role memberships per unit, and delegations.

Every function checks that the actor administers the administration concerned, so the admin
pages and the API cannot reach another administration's people.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.models import Delegation, Role, RoleMembership, Unit, User
from mrasla_app.models.base import utcnow
from mrasla_app.services.directory import accounts, permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.parapheur import signing_keys
from mrasla_app.services.platform import audit, validation


def _user_in(session: Session, actor: Actor | None, user_id: int) -> User:
    """The user, if the actor administers their administration (NotFound otherwise: no oracle)."""
    return permissions.administered(session, actor, User, user_id)


def list_users(session: Session, actor: Actor | None, administration_id: int) -> list[User]:
    return permissions.administered_rows(session, actor, User, administration_id, User.full_name)


def create_user(
    session: Session,
    actor: Actor | None,
    *,
    administration_id: int,
    email: str,
    full_name: str,
    password: str,
    full_name_ar: str = "",
) -> User:
    permissions.require_admin_of(actor, administration_id)
    email = validation.email(email)
    if session.execute(select(User.id).where(User.email == email)).first():
        raise DomainError("error.duplicate_email")
    accounts.check_password_strength(password)
    user = User(
        email=email,
        full_name=validation.text(full_name, "full_name"),
        full_name_ar=validation.text(full_name_ar, "full_name_ar", required=False),
        password_hash=accounts.hash_password(password),
        administration_id=administration_id,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.created",
        object_type="user",
        object_id=user.id,
        administration_id=administration_id,
        data={"email": email},
    )
    return user


def set_active(session: Session, actor: Actor | None, user_id: int, active: bool) -> User:
    """Disabling a user also ends all of their sessions at once and revokes their signing certificates."""
    user = _user_in(session, actor, user_id)
    user.active = bool(active)
    session.add(user)
    if not active:  # a disabled user can neither stay logged in nor keep signing
        accounts.end_all_sessions(session, user_id)
        signing_keys.revoke_for_user(session, actor, user_id)
    audit.record(
        session,
        actor,
        "user.enabled" if active else "user.disabled",
        object_type="user",
        object_id=user_id,
        administration_id=user.administration_id,
    )
    return user


def reset_password(session: Session, actor: Actor | None, user_id: int, password: str) -> None:
    user = _user_in(session, actor, user_id)
    accounts.check_password_strength(password)
    user.password_hash = accounts.hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    accounts.end_all_sessions(session, user_id)
    audit.record(
        session,
        actor,
        "user.password_reset",
        object_type="user",
        object_id=user_id,
        administration_id=user.administration_id,
    )


def issue_totp_enrolment_code(session: Session, actor: Actor | None, user_id: int) -> str:
    """A one-time code with which ``user_id`` enrols the second factor that unlocks administrator
    rights (``accounts.begin_totp``); returned once, stored hashed, replacing any earlier one.

    Issued by an administrator of the user's administration, a platform administrator (the only
    ones for platform administrators), or the CLI (``mrasla totp-enrolment-code``) — never by the
    user for themselves. Meant to reach the user out of band (in person, by phone)."""
    actor = permissions.require_actor(actor)
    user = session.get(User, user_id)
    if user is None or not (
        actor.is_platform_admin
        or (permissions.is_admin_of(actor, user.administration_id) and not user.is_platform_admin)
    ):
        raise NotFound()
    if user.id == actor.user_id:
        raise DomainError("error.same_user")
    if not user.active:
        raise DomainError("error.invalid_request")
    code = accounts.new_enrolment_code(user)
    session.add(user)
    audit.record(
        session,
        actor,
        "user.totp_enrolment_code_issued",
        object_type="user",
        object_id=user.id,
        administration_id=user.administration_id,
    )
    return code


def memberships(
    session: Session, actor: Actor | None, administration_id: int
) -> list[tuple[RoleMembership, User, Unit]]:
    permissions.require_admin_of(actor, administration_id)
    return [
        tuple(r)
        for r in session.execute(
            select(RoleMembership, User, Unit)
            .join(User, User.id == RoleMembership.user_id)
            .join(Unit, Unit.id == RoleMembership.unit_id)
            .where(Unit.administration_id == administration_id)
            .order_by(User.full_name, Unit.code, RoleMembership.role)
        ).all()
    ]


def add_membership(session: Session, actor: Actor | None, user_id: int, unit_id: int, role: str) -> RoleMembership:
    user = _user_in(session, actor, user_id)
    unit = session.get(Unit, unit_id)
    if unit is None or unit.administration_id != user.administration_id:
        raise DomainError("error.invalid_parent")
    try:
        role_value = Role(role)
    except ValueError:
        raise DomainError("error.invalid_role") from None
    existing = session.execute(
        select(RoleMembership).where(
            RoleMembership.user_id == user_id, RoleMembership.unit_id == unit_id, RoleMembership.role == role_value
        )
    ).scalar_one_or_none()
    if existing:
        return existing
    m = RoleMembership(user_id=user_id, unit_id=unit_id, role=role_value)
    session.add(m)
    session.flush()
    audit.record(
        session,
        actor,
        "membership.added",
        object_type="user",
        object_id=user_id,
        administration_id=user.administration_id,
        data={"unit_id": unit_id, "role": role_value.value},
    )
    return m


def remove_membership(session: Session, actor: Actor | None, membership_id: int) -> None:
    m = session.get(RoleMembership, membership_id)
    if m is None:
        permissions.require_actor(actor)
        raise NotFound()
    user = _user_in(session, actor, m.user_id)
    session.delete(m)
    audit.record(
        session,
        actor,
        "membership.removed",
        object_type="user",
        object_id=user.id,
        administration_id=user.administration_id,
        data={"unit_id": m.unit_id, "role": m.role.value},
    )


def delegations(session: Session, actor: Actor | None, administration_id: int) -> list[Delegation]:
    permissions.require_admin_of(actor, administration_id)
    users = select(User.id).where(User.administration_id == administration_id)
    return list(
        session.execute(
            select(Delegation).where(Delegation.from_user_id.in_(users)).order_by(Delegation.starts_at.desc())
        ).scalars()
    )


def delegation_status(delegation: Delegation, now: datetime | None = None) -> str:
    """Where a delegation stands now: ``revoked``, ``upcoming``, ``expired`` or ``current``."""
    now = now or utcnow()
    if delegation.revoked:
        return "revoked"
    if delegation.starts_at > now:
        return "upcoming"
    return "expired" if delegation.ends_at <= now else "current"


def create_delegation(
    session: Session,
    actor: Actor | None,
    *,
    from_user_id: int,
    to_user_id: int,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
) -> Delegation:
    """A user delegates their own signature, or an administrator sets one up for them."""
    actor = permissions.require_actor(actor)
    grantor = session.get(User, from_user_id)
    delegate = session.get(User, to_user_id)
    if grantor is None or delegate is None:
        raise NotFound()
    if actor.user_id != from_user_id and not permissions.is_admin_of(actor, grantor.administration_id):
        raise NotFound()
    if from_user_id == to_user_id:
        raise DomainError("error.same_user")
    if delegate.administration_id != grantor.administration_id or not delegate.active:
        raise DomainError("error.invalid_request")
    if ends_at <= starts_at:
        raise DomainError("error.invalid_period")
    d = Delegation(
        from_user_id=from_user_id,
        to_user_id=to_user_id,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=validation.text(reason, "reason", required=False),
        created_by=actor.user_id or None,
    )
    session.add(d)
    session.flush()
    audit.record(
        session,
        actor,
        "delegation.created",
        object_type="delegation",
        object_id=d.id,
        administration_id=grantor.administration_id,
        data={"from": from_user_id, "to": to_user_id, "starts_at": starts_at, "ends_at": ends_at},
    )
    return d


def revoke_delegation(session: Session, actor: Actor | None, delegation_id: int) -> Delegation:
    actor = permissions.require_actor(actor)
    d = session.get(Delegation, delegation_id)
    grantor = session.get(User, d.from_user_id) if d else None
    if (
        d is None
        or grantor is None
        or (actor.user_id != d.from_user_id and not permissions.is_admin_of(actor, grantor.administration_id))
    ):
        raise NotFound()
    d.revoked = True
    session.add(d)
    audit.record(
        session,
        actor,
        "delegation.revoked",
        object_type="delegation",
        object_id=d.id,
        administration_id=grantor.administration_id,
    )
    return d


def acting_for(session: Session, user_id: int, at: datetime | None = None) -> list[int]:
    """Users for whom ``user_id`` currently holds a delegation (used by the parapheur)."""
    at = at or utcnow()
    return list(
        session.execute(
            select(Delegation.from_user_id).where(
                Delegation.to_user_id == user_id,
                Delegation.revoked.is_(False),
                Delegation.starts_at <= at,
                Delegation.ends_at > at,
            )
        ).scalars()
    )
