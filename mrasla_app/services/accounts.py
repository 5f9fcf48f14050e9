"""Staff accounts: passwords (argon2), TOTP, login sessions, and the ``Actor`` every service receives.

Login is two-step so the session token never touches JavaScript: ``authenticate`` (called by the
login form's event handler or the API) returns a one-time *ticket* valid 60 s; the browser posts it
to ``/api/v1/auth/session`` which swaps it for the HttpOnly session cookie (``exchange_ticket``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlmodel import Session

from mrasla_app.crypto import seal, unseal
from mrasla_app.models import Role, RoleMembership, Unit, User, UserSession
from mrasla_app.models.base import utcnow
from mrasla_app.services import audit
from mrasla_app.services.errors import DomainError
from mrasla_app.settings import get_settings

_hasher = PasswordHasher()
# A hash to compare against when the e-mail is unknown, so timing does not reveal which e-mails exist.
_DUMMY_HASH = _hasher.hash("not-a-password")

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
TICKET_TTL = timedelta(seconds=60)
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Actor:
    """Who is acting: resolved from the session on every request, never trusted from the client."""

    user_id: int
    email: str
    full_name: str
    administration_id: int | None
    is_platform_admin: bool = False
    memberships: tuple[tuple[int, Role], ...] = field(default=())  # (unit_id, role)
    totp_pending: bool = False  # privileged rights held back until a second factor is enrolled

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(role for _, role in self.memberships)

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    def unit_ids(self, *roles: Role) -> frozenset[int]:
        """Units where the actor holds any of ``roles`` (all units if none given)."""
        return frozenset(u for u, r in self.memberships if not roles or r in roles)


def system_actor(label: str = "system:cli") -> Actor:
    """The operator at the server's console (CLI commands): platform-wide rights, audited by label."""
    return Actor(user_id=0, email=label, full_name=label, administration_id=None, is_platform_admin=True)


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError("error.password_too_short", min=MIN_PASSWORD_LENGTH)


def load_actor(session: Session, user: User) -> Actor:
    """The actor behind ``user``. Roles listed in ``MRASLA_TOTP_ROLES`` (administrators by default) take
    effect only once the user has a confirmed TOTP second factor: a stolen password alone never opens
    the directory, accounts and keys. Until then the actor carries ``totp_pending`` (the account page
    asks them to enrol) and every service sees them without those roles."""
    memberships = [(u, Role(r)) for u, r in session.execute(
        select(RoleMembership.unit_id, RoleMembership.role).where(RoleMembership.user_id == user.id)
    ).all()]
    privileged = get_settings().totp_roles
    is_platform_admin = user.is_platform_admin
    pending = not user.totp_enabled and (
        (is_platform_admin and "platform_admin" in privileged) or any(r.value in privileged for _, r in memberships))
    if pending:
        memberships = [(u, r) for u, r in memberships if r.value not in privileged]
        is_platform_admin = is_platform_admin and "platform_admin" not in privileged
    return Actor(
        user_id=user.id,  # type: ignore[arg-type]
        email=user.email,
        full_name=user.full_name,
        administration_id=user.administration_id,
        is_platform_admin=is_platform_admin,
        memberships=tuple(sorted(memberships)),
        totp_pending=pending,
    )


def _verify_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def _login_failed(session: Session, user: User, now: datetime, ip: str, reason: str) -> None:
    """Count a failed login (locking after ``MAX_FAILED_LOGINS``), audit it, and COMMIT.

    The caller's transaction is rolled back by the ``DomainError`` raised next (``write_session``,
    the API's ``write_db``), so the counter and the audit event are committed here first —
    otherwise failures would never be counted and the lockout would never trigger.
    """
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until, user.failed_logins = now + LOCKOUT, 0
    session.add(user)
    audit.record(session, None, "auth.login_failed", object_type="user", object_id=user.id,
                 administration_id=user.administration_id, actor_label=user.email,
                 data={"ip": ip, "reason": reason})
    session.commit()


def authenticate(
    session: Session, email: str, password: str, totp_code: str = "", *, ip: str = "", user_agent: str = ""
) -> str:
    """Check credentials (with lockout) and return a one-time login ticket.

    Raises ``DomainError`` with ``error.invalid_credentials``, ``error.account_locked``,
    ``error.totp_required`` or ``error.totp_invalid``. Failures are counted and audited.
    """
    now = utcnow()
    user = session.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
    if user is not None and user.locked_until and user.locked_until > now:
        raise DomainError("error.account_locked")
    if not _verify_password(user, password) or user is None or not user.active:
        if user is not None:
            _login_failed(session, user, now, ip, "password")
        raise DomainError("error.invalid_credentials")
    if user.totp_enabled:
        if not totp_code.strip():
            raise DomainError("error.totp_required")
        if not _totp(user).verify(totp_code.strip(), valid_window=1):
            _login_failed(session, user, now, ip, "totp")
            raise DomainError("error.totp_invalid")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    ticket = secrets.token_urlsafe(32)
    session.add(user)
    session.add(UserSession(
        user_id=user.id,  # type: ignore[arg-type]
        ticket_hash=hash_secret(ticket),
        ticket_expires_at=now + TICKET_TTL,
        expires_at=now + timedelta(days=get_settings().session_days),
        ip=ip[:64],
        user_agent=user_agent[:255],
    ))
    audit.record(session, load_actor(session, user), "auth.login", object_type="user", object_id=user.id,
                 administration_id=user.administration_id, data={"ip": ip})
    return ticket


def exchange_ticket(session: Session, ticket: str) -> str | None:
    """Swap a fresh one-time ticket for a session token (returned once, stored hashed)."""
    row = session.execute(
        select(UserSession).where(UserSession.ticket_hash == hash_secret(ticket))
    ).scalar_one_or_none()
    if row is None:
        return None
    expired = row.ticket_expires_at is None or row.ticket_expires_at < utcnow()
    row.ticket_hash, row.ticket_expires_at = None, None
    if expired:
        session.delete(row)
        return None
    token = secrets.token_urlsafe(32)
    row.token_hash = hash_secret(token)
    session.add(row)
    return token


def actor_from_token(session: Session, token: str | None) -> Actor | None:
    """The actor behind a session cookie, or None when absent, expired, or the user is disabled."""
    if not token:
        return None
    row = session.execute(
        select(User, UserSession.expires_at)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == hash_secret(token))
    ).first()
    if row is None or row[1] < utcnow() or not row[0].active:
        return None
    return load_actor(session, row[0])


def logout(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.execute(
        select(UserSession).where(UserSession.token_hash == hash_secret(token))
    ).scalar_one_or_none()
    if row is not None:
        user = session.get(User, row.user_id)
        session.delete(row)
        if user is not None:
            audit.record(session, load_actor(session, user), "auth.logout", object_type="user",
                         object_id=user.id, administration_id=user.administration_id)


def end_all_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))


# --- TOTP -------------------------------------------------------------------------------------

def totp_purpose(user_id: int) -> str:
    """The sealing purpose of a user's TOTP secret (``crypto.seal``)."""
    return f"totp:{user_id}"


def _totp(user: User) -> pyotp.TOTP:
    assert user.totp_secret is not None
    return pyotp.TOTP(unseal(user.totp_secret, totp_purpose(user.id)).decode())  # type: ignore[arg-type]


def begin_totp(session: Session, actor: Actor) -> str:
    """Create a new (not yet active) TOTP secret; returns the otpauth:// URI for the QR code."""
    user = session.get(User, actor.user_id)
    assert user is not None
    secret = pyotp.random_base32()
    user.totp_secret, user.totp_enabled = seal(secret.encode(), totp_purpose(user.id)), False  # type: ignore[arg-type]
    session.add(user)
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Mrasla")


def confirm_totp(session: Session, actor: Actor, code: str) -> None:
    user = session.get(User, actor.user_id)
    if user is None or user.totp_secret is None or not _totp(user).verify(code.strip(), valid_window=1):
        raise DomainError("error.totp_invalid")
    user.totp_enabled = True
    session.add(user)
    audit.record(session, actor, "auth.totp_enabled", object_type="user", object_id=user.id,
                 administration_id=user.administration_id)


def disable_totp(session: Session, actor: Actor, password: str) -> None:
    user = session.get(User, actor.user_id)
    if user is None or not _verify_password(user, password):
        raise DomainError("error.invalid_credentials")
    user.totp_secret, user.totp_enabled = None, False
    session.add(user)
    audit.record(session, actor, "auth.totp_disabled", object_type="user", object_id=user.id,
                 administration_id=user.administration_id)


def change_password(session: Session, actor: Actor, current: str, new: str) -> None:
    user = session.get(User, actor.user_id)
    if user is None or not _verify_password(user, current):
        raise DomainError("error.invalid_credentials")
    check_password_strength(new)
    user.password_hash = hash_password(new)
    session.add(user)
    audit.record(session, actor, "user.password_changed", object_type="user", object_id=user.id,
                 administration_id=user.administration_id)


def unit_administration(session: Session, unit_id: int) -> int | None:
    unit = session.get(Unit, unit_id)
    return unit.administration_id if unit else None
