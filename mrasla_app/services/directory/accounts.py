"""Staff accounts: passwords (argon2), TOTP, login sessions, and the ``Actor`` every service receives.

Login is two-step so the session token never touches JavaScript: ``authenticate`` (called by the
login form's event handler or the API) returns a one-time *ticket* valid 60 s; the browser posts it
to ``/api/v1/auth/session`` which swaps it for the HttpOnly session cookie (``exchange_ticket``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Row, bindparam, delete, select
from sqlmodel import Session

from mrasla_app.crypto import seal, unseal
from mrasla_app.models import Role, RoleMembership, Unit, User, UserSession
from mrasla_app.models.base import utcnow
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import audit
from mrasla_app.services.platform.text import clean
from mrasla_app.settings import get_settings

_hasher = PasswordHasher()
# A hash to compare against when the e-mail is unknown, so timing does not reveal which e-mails exist.
_DUMMY_HASH = _hasher.hash("not-a-password")

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
TICKET_TTL = timedelta(seconds=60)
MIN_PASSWORD_LENGTH = 10
#: How long an administrator's TOTP enrolment code stays usable.
ENROLMENT_TTL = timedelta(days=3)


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

    def has_role(self, *roles: Role | str) -> bool:
        """Any of ``roles`` held in some unit (a role's name works as well: adapters name roles by string)."""
        return any(role in self.roles for role in roles)

    def unit_ids(self, *roles: Role | str) -> frozenset[int]:
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


#: Built once: every event of a signed-in page resolves its actor (``actor_from_token``).
_MEMBERSHIPS = select(RoleMembership.unit_id, RoleMembership.role).where(RoleMembership.user_id == bindparam("user_id"))
_SESSION_USER = (
    select(
        User.id,
        User.email,
        User.full_name,
        User.administration_id,
        User.is_platform_admin,
        User.totp_enabled,
        User.totp_vouched,
        User.active,
        UserSession.expires_at,
    )
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.token_hash == bindparam("token_hash"))
)


def _memberships(session: Session, user_id: int | None) -> list[tuple[int, Role]]:
    return [(u, Role(r)) for u, r in session.execute(_MEMBERSHIPS, {"user_id": user_id})]


def _privileged(is_platform_admin: bool, memberships: list[tuple[int, Role]]) -> bool:
    """Whether the user holds a role listed in ``MRASLA_TOTP_ROLES`` (administrators by default)."""
    privileged = get_settings().totp_roles
    return (is_platform_admin and "platform_admin" in privileged) or any(r.value in privileged for _, r in memberships)


def load_actor(session: Session, user: User | Row[Any]) -> Actor:
    """The actor behind ``user`` (a ``User``, or a row of its columns: ``_SESSION_USER``, no ORM object per
    event). Roles listed in ``MRASLA_TOTP_ROLES`` (administrators by default) take
    effect only once the user has a confirmed TOTP second factor enrolled with a one-time enrolment
    code (``totp_vouched``, see ``begin_totp``): neither a stolen password alone nor a factor the
    thief enrolled himself opens the directory, accounts and keys. Until then the actor carries
    ``totp_pending`` (the account page asks for the code) and every service sees them without those roles."""
    memberships = _memberships(session, user.id)
    privileged = get_settings().totp_roles
    is_platform_admin = user.is_platform_admin
    pending = not (user.totp_enabled and user.totp_vouched) and _privileged(is_platform_admin, memberships)
    if pending:
        memberships = [(u, r) for u, r in memberships if r.value not in privileged]
        is_platform_admin = is_platform_admin and "platform_admin" not in privileged
    return Actor(
        user_id=user.id,
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
    audit.record(
        session,
        None,
        "auth.login_failed",
        object_type="user",
        object_id=user.id,
        administration_id=user.administration_id,
        actor_label=user.email,
        data={"ip": ip, "reason": reason},
    )
    session.commit()


def login_email(value: str) -> str:
    """The e-mail a login form's text names (case, spaces and control characters do not matter)."""
    return clean(value, multiline=False).lower()


def _check_password(session: Session, user: User | None, password: str, now: datetime, ip: str, reason: str) -> User:
    """``user`` when ``password`` is theirs and they may sign in; else ``error.invalid_credentials``.

    One answer for an unknown e-mail, a wrong password, a disabled and a locked account, each after
    the same argon2 verification: neither the message nor the time tells whether an account exists
    or was locked. Failures count towards the lockout (``_login_failed``), whatever asked for the
    password (login, password change, switching TOTP off)."""
    password_ok = _verify_password(user, password)
    locked = user is not None and is_locked(user, now)
    if user is None or locked or not password_ok or not user.active:
        if user is not None and not locked:
            _login_failed(session, user, now, ip, reason)
        raise DomainError("error.invalid_credentials")
    return user


def authenticate(
    session: Session, email: str, password: str, totp_code: str = "", *, ip: str = "", user_agent: str = ""
) -> str:
    """Check credentials (with lockout) and return a one-time login ticket.

    Raises ``DomainError`` with ``error.invalid_credentials`` (also for a locked account),
    ``error.totp_required`` or ``error.totp_invalid``. Failures are counted and audited.
    """
    now = utcnow()
    # The row is locked (PostgreSQL; SQLite has one writer) so two logins racing with one TOTP code
    # cannot both see it unused.
    found = session.execute(select(User).where(User.email == login_email(email)).with_for_update()).scalar_one_or_none()
    user = _check_password(session, found, password, now, ip, "password")
    check_second_factor(session, user, totp_code, now, ip)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return issue_ticket(session, user, now, ip=ip, user_agent=user_agent)


def check_second_factor(session: Session, user: User, totp_code: str, now: datetime, ip: str) -> None:
    """The TOTP step of every sign-in (local password, directory bind, OpenID Connect): required when
    the account has a factor; a wrong code counts towards the lockout like a wrong password."""
    if user.totp_enabled:
        if not totp_code.strip():
            raise DomainError("error.totp_required")
        if not _accept_totp(user, totp_code):
            _login_failed(session, user, now, ip, "totp")
            raise DomainError("error.totp_invalid")


def count_failed_login(session: Session, user: User, ip: str, reason: str) -> None:
    """A failed sign-in of ``user`` checked elsewhere (a directory refused the password): counted
    towards the lockout and audited like a local one (committed, see ``_login_failed``)."""
    _login_failed(session, user, utcnow(), ip, reason)


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def issue_ticket(
    session: Session, user: User, now: datetime, *, ip: str = "", user_agent: str = "", method: str = "password"
) -> str:
    """The one-time login ticket of a user whose credentials (and second factor) were checked:
    resets the failure counter, opens the pending session and audits the login (``method``:
    password, ldap, oidc)."""
    user.failed_logins, user.locked_until = 0, None
    ticket = secrets.token_urlsafe(32)
    session.add(user)
    session.add(
        UserSession(
            user_id=user.id,
            ticket_hash=hash_secret(ticket),
            ticket_expires_at=now + TICKET_TTL,
            expires_at=now + timedelta(days=get_settings().session_days),
            ip=ip[:64],
            user_agent=user_agent[:255],
        )
    )
    data = {"ip": ip} if method == "password" else {"ip": ip, "method": method}
    audit.record(
        session,
        load_actor(session, user),
        "auth.login",
        object_type="user",
        object_id=user.id,
        administration_id=user.administration_id,
        data=data,
    )
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
    row = session.execute(_SESSION_USER, {"token_hash": hash_secret(token)}).first()
    if row is None or row.expires_at < utcnow() or not row.active:
        return None
    return load_actor(session, row)


def logout(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.execute(select(UserSession).where(UserSession.token_hash == hash_secret(token))).scalar_one_or_none()
    if row is not None:
        user = session.get(User, row.user_id)
        session.delete(row)
        if user is not None:
            audit.record(
                session,
                load_actor(session, user),
                "auth.logout",
                object_type="user",
                object_id=user.id,
                administration_id=user.administration_id,
            )


def end_all_sessions(session: Session, user_id: int, *, keep_token: str | None = None) -> None:
    """End every session (and pending login ticket) of the user, except the one of ``keep_token``."""
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_token:
        stmt = stmt.where((UserSession.token_hash != hash_secret(keep_token)) | UserSession.token_hash.is_(None))
    session.execute(stmt)


# --- TOTP -------------------------------------------------------------------------------------


def totp_purpose(user_id: int) -> str:
    """The sealing purpose of a user's TOTP secret (``crypto.seal``)."""
    return f"totp:{user_id}"


def _totp(user: User) -> pyotp.TOTP:
    assert user.totp_secret is not None
    return pyotp.TOTP(unseal(user.totp_secret, totp_purpose(user.id)).decode())


def _accept_totp(user: User, code: str) -> bool:
    """Whether ``code`` is the user's TOTP code of the current 30-second step or a neighbour (clock
    drift), used ONCE: the step it matches must come after the last accepted one, which is then
    remembered (``totp_last_step``), so an observed or replayed code is refused."""
    code = code.strip()
    if user.totp_secret is None or len(code) != 6 or not code.isdigit():
        return False
    totp = _totp(user)
    now = int(time.time()) // totp.interval
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False


def new_enrolment_code(user: User) -> str:
    """A one-time TOTP enrolment code for ``user`` (shown once, stored hashed, valid ``ENROLMENT_TTL``);
    the caller checks who may issue it (``users.issue_totp_enrolment_code``, the CLI)."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode()  # 16 characters, 80 bits
    code = "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    user.totp_enrolment_hash = hash_secret(code)
    user.totp_enrolment_expires_at = utcnow() + ENROLMENT_TTL
    return code


#: Enrolment codes are base32 (A–Z, 2–7): digits read aloud or typed for the letters they resemble are taken as those.
_LOOKALIKES = str.maketrans("018", "OIB")


def _enrolment_code_ok(user: User, code: str) -> bool:
    code = code.strip().upper().replace(" ", "").translate(_LOOKALIKES)
    expires = user.totp_enrolment_expires_at
    return bool(
        code
        and user.totp_enrolment_hash
        and expires
        and expires > utcnow()
        and hmac.compare_digest(user.totp_enrolment_hash, hash_secret(code))
    )


def begin_totp(session: Session, actor: Actor, enrolment_code: str = "") -> str:
    """Create a new (not yet active) TOTP secret; returns the otpauth:// URI for the QR code.

    A user holding administrator rights (``MRASLA_TOTP_ROLES``) must give the one-time enrolment
    code another administrator (or the CLI) issued for them: only a factor enrolled that way
    unlocks those rights, so a stolen password is not enough to enrol one. The code is spent here.
    Others may enrol without a code (their factor is then not ``vouched``). An active factor is
    never replaced here: switching it off goes through ``disable_totp``, which asks for the password."""
    user = session.get(User, actor.user_id)
    if user is None or user.totp_enabled:
        raise DomainError("error.forbidden")
    vouched = False
    if enrolment_code.strip():
        if not _enrolment_code_ok(user, enrolment_code):
            raise DomainError("error.totp_enrolment_code_invalid")
        user.totp_enrolment_hash, user.totp_enrolment_expires_at, vouched = None, None, True
    elif _privileged(user.is_platform_admin, _memberships(session, user.id)):
        raise DomainError("error.totp_enrolment_code_required")
    secret = pyotp.random_base32()
    user.totp_secret = seal(secret.encode(), totp_purpose(user.id))
    user.totp_enabled, user.totp_vouched, user.totp_last_step = False, vouched, None
    session.add(user)
    audit.record(
        session,
        actor,
        "auth.totp_enrolment_started",
        object_type="user",
        object_id=user.id,
        administration_id=user.administration_id,
        data={"with_code": vouched},
    )
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Mrasla")


def confirm_totp(session: Session, actor: Actor, code: str) -> None:
    user = session.get(User, actor.user_id)
    if user is None or user.totp_enabled or not _accept_totp(user, code):
        raise DomainError("error.totp_invalid")
    user.totp_enabled = True
    session.add(user)
    audit.record(
        session,
        actor,
        "auth.totp_enabled",
        object_type="user",
        object_id=user.id,
        administration_id=user.administration_id,
        data={"vouched": user.totp_vouched},
    )


def disable_totp(session: Session, actor: Actor, password: str, *, ip: str = "") -> None:
    """Switch the second factor off (password asked, guesses counted like logins). Administrator
    rights wait again for a factor enrolled with a new enrolment code."""
    user = _check_password(session, session.get(User, actor.user_id), password, utcnow(), ip, "totp_disable")
    user.totp_secret, user.totp_enabled, user.totp_vouched, user.totp_last_step = None, False, False, None
    session.add(user)
    audit.record(
        session,
        actor,
        "auth.totp_disabled",
        object_type="user",
        object_id=user.id,
        administration_id=user.administration_id,
    )


def change_password(
    session: Session, actor: Actor, current: str, new: str, *, keep_token: str | None = None, ip: str = ""
) -> None:
    """Change one's own password. Wrong current passwords count towards the lockout like failed
    logins (the adapters also rate-limit the calls like the login form), and every other session
    of the user ends: whoever else held one (a stolen session, a forgotten computer) is signed out.
    ``keep_token``: the session making the change, which stays open."""
    user = _check_password(session, session.get(User, actor.user_id), current, utcnow(), ip, "password_change")
    check_password_strength(new)
    user.password_hash = hash_password(new)
    session.add(user)
    end_all_sessions(session, user.id, keep_token=keep_token)
    audit.record(
        session,
        actor,
        "user.password_changed",
        object_type="user",
        object_id=user.id,
        administration_id=user.administration_id,
    )


def unit_administration(session: Session, unit_id: int) -> int | None:
    unit = session.get(Unit, unit_id)
    return unit.administration_id if unit else None
