"""Login (ticket → session), lockout, disabled users, TOTP, and how secrets are stored."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, text, update

from mrasla_app import db
from mrasla_app.models import AuditEvent, User, UserSession
from mrasla_app.models.base import utcnow
from mrasla_app.services import accounts, permissions, users
from mrasla_app.services.errors import DomainError, PermissionDenied
from mrasla_app.services.seed import DEMO_PASSWORD

AGENT = "agent.mef@mrasla.ma"


def login(email: str = AGENT, password: str = DEMO_PASSWORD, totp: str = "") -> str:
    with db.write_session() as s:
        return accounts.authenticate(s, email, password, totp, ip="10.0.0.1", user_agent="pytest")


def exchange(ticket: str) -> str | None:
    with db.write_session() as s:
        return accounts.exchange_ticket(s, ticket)


def whoami(token: str | None):
    with db.read_session() as s:
        return accounts.actor_from_token(s, token)


def login_error(**kw) -> str:
    with pytest.raises(DomainError) as exc:
        login(**kw)
    return exc.value.code


def get_user(email: str) -> User:
    with db.read_session() as s:
        return s.execute(select(User).where(User.email == email)).scalar_one()


class Clock:
    """A controllable ``utcnow`` for the accounts service."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(accounts, "utcnow", c)
    return c


def test_login_ticket_exchange_and_actor(seeded):
    ticket = login()
    token = exchange(ticket)
    assert token and token != ticket
    actor = whoami(token)
    assert actor is not None
    assert actor.email == AGENT
    assert actor.administration_id == seeded.adm_id("MEF")
    assert actor.unit_ids() == {seeded.unit_id("MEF", "DB.DSS")}
    assert not actor.is_platform_admin


def test_email_is_case_and_space_insensitive(seeded):
    assert exchange(login(email=f"  {AGENT.upper()} "))


def test_ticket_is_single_use(seeded):
    ticket = login()
    assert exchange(ticket)
    assert exchange(ticket) is None


def test_ticket_and_token_are_stored_hashed(seeded):
    ticket = login()
    with db.read_session() as s:
        row = s.execute(select(UserSession)).scalar_one()
        assert row.ticket_hash == accounts.hash_secret(ticket) and ticket not in (row.ticket_hash or "")
    token = exchange(ticket)
    with db.read_session() as s:
        row = s.execute(select(UserSession)).scalar_one()
        assert row.token_hash == accounts.hash_secret(token) and row.ticket_hash is None


def test_ticket_expires_after_60_seconds(seeded, clock):
    ticket = login()
    clock.advance(seconds=61)
    assert exchange(ticket) is None
    # an expired ticket's session row is dropped
    with db.read_session() as s:
        assert s.execute(select(UserSession)).first() is None


def test_ticket_valid_just_before_expiry(seeded, clock):
    ticket = login()
    clock.advance(seconds=59)
    assert exchange(ticket)


def test_session_expires(seeded, clock):
    token = exchange(login())
    assert whoami(token) is not None
    clock.advance(days=8)  # MRASLA_SESSION_DAYS defaults to 7
    assert whoami(token) is None


def test_unknown_or_missing_token(seeded):
    assert whoami(None) is None
    assert whoami("") is None
    assert whoami("not-a-token") is None
    assert exchange("not-a-ticket") is None


def test_logout_ends_session(seeded):
    token = exchange(login())
    with db.write_session() as s:
        accounts.logout(s, token)
    assert whoami(token) is None


def test_wrong_password_is_counted_and_audited(seeded):
    assert login_error(password="wrong-password") == "error.invalid_credentials"
    assert get_user(AGENT).failed_logins == 1
    with db.read_session() as s:
        ev = s.execute(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).scalar_one()
    assert ev.actor_label == AGENT
    # a success resets the counter
    login()
    assert get_user(AGENT).failed_logins == 0


def test_unknown_email_gives_the_same_error(seeded):
    assert login_error(email="nobody@mrasla.ma") == "error.invalid_credentials"


def test_lockout_after_five_failures(seeded, clock):
    for _ in range(accounts.MAX_FAILED_LOGINS):
        assert login_error(password="wrong-password") == "error.invalid_credentials"
    user = get_user(AGENT)
    assert user.locked_until is not None and user.locked_until > clock.now
    # even the right password is refused while locked
    assert login_error() == "error.account_locked"
    clock.advance(minutes=14)
    assert login_error() == "error.account_locked"
    clock.advance(minutes=2)
    assert exchange(login())


def test_other_users_not_locked(seeded):
    for _ in range(accounts.MAX_FAILED_LOGINS):
        login_error(password="wrong-password")
    assert exchange(login(email="clerk.mef@mrasla.ma"))


def test_disabled_user_cannot_log_in_and_sessions_end(seeded):
    token = exchange(login())
    admin = seeded.actor("admin.mef@mrasla.ma")
    with db.write_session() as s:
        users.set_active(s, admin, seeded.user_id(AGENT), False)
    assert whoami(token) is None
    with db.read_session() as s:
        assert s.execute(select(UserSession).where(UserSession.user_id == seeded.user_id(AGENT))).first() is None
    assert login_error() == "error.invalid_credentials"
    with db.write_session() as s:
        users.set_active(s, admin, seeded.user_id(AGENT), True)
    assert exchange(login())


def test_disabled_user_token_refused_even_if_session_row_remains(seeded):
    token = exchange(login())
    with db.write_session() as s:
        s.execute(text('UPDATE "user" SET active = false WHERE email = :e'), {"e": AGENT})
    assert whoami(token) is None


def test_password_stored_as_argon2(seeded):
    user = get_user(AGENT)
    assert user.password_hash.startswith("$argon2id$")
    assert DEMO_PASSWORD not in user.password_hash


def test_change_password(seeded):
    actor = seeded.actor(AGENT)
    with db.write_session() as s, pytest.raises(DomainError) as exc:
        accounts.change_password(s, actor, "wrong-password", "Nouveau-mot-2026")
    assert exc.value.code == "error.invalid_credentials"
    with db.write_session() as s, pytest.raises(DomainError) as exc:
        accounts.change_password(s, actor, DEMO_PASSWORD, "short")
    assert exc.value.code == "error.password_too_short"
    with db.write_session() as s:
        accounts.change_password(s, actor, DEMO_PASSWORD, "Nouveau-mot-2026")
    assert login_error() == "error.invalid_credentials"
    assert exchange(login(password="Nouveau-mot-2026"))


def _enrol_totp(email: str, seeded) -> pyotp.TOTP:
    actor = seeded.actor(email)
    with db.write_session() as s:
        uri = accounts.begin_totp(s, actor)
    totp = pyotp.parse_uri(uri)
    assert uri.startswith("otpauth://totp/") and "issuer=Mrasla" in uri
    with db.write_session() as s, pytest.raises(DomainError):
        accounts.confirm_totp(s, actor, "000000" if totp.now() != "000000" else "111111")
    with db.write_session() as s:
        accounts.confirm_totp(s, actor, totp.now())
    return totp  # type: ignore[return-value]


def test_totp_not_required_until_confirmed(seeded):
    with db.write_session() as s:
        accounts.begin_totp(s, seeded.actor(AGENT))
    assert get_user(AGENT).totp_enabled is False
    assert exchange(login())


def test_totp_enrol_confirm_and_required(seeded):
    totp = _enrol_totp(AGENT, seeded)
    assert get_user(AGENT).totp_enabled
    assert login_error() == "error.totp_required"
    wrong = "000000" if totp.now() != "000000" else "111111"
    assert login_error(totp=wrong) == "error.totp_invalid"
    assert get_user(AGENT).failed_logins == 1
    assert exchange(login(totp=totp.now()))


def test_totp_failures_lock_the_account(seeded):
    totp = _enrol_totp(AGENT, seeded)
    wrong = "000000" if totp.now() != "000000" else "111111"
    for _ in range(accounts.MAX_FAILED_LOGINS):
        assert login_error(totp=wrong) == "error.totp_invalid"
    assert login_error(totp=totp.now()) == "error.account_locked"


def test_totp_secret_not_stored_in_clear(seeded):
    totp = _enrol_totp(AGENT, seeded)
    raw = get_user(AGENT).totp_secret
    assert raw is not None
    assert totp.secret.encode() not in raw
    assert raw.startswith(b"M1") and len(raw) > len(totp.secret)
    # and it is sealed under a key kept in the data directory, not in the database
    assert (seeded.data_dir / "master.key").exists()


def test_disable_totp_needs_password(seeded):
    _enrol_totp(AGENT, seeded)
    actor = seeded.actor(AGENT)
    with db.write_session() as s, pytest.raises(DomainError):
        accounts.disable_totp(s, actor, "wrong-password")
    with db.write_session() as s:
        accounts.disable_totp(s, actor, DEMO_PASSWORD)
    user = get_user(AGENT)
    assert not user.totp_enabled and user.totp_secret is None
    assert exchange(login())


def test_password_strength():
    with pytest.raises(DomainError) as exc:
        accounts.check_password_strength("x" * (accounts.MIN_PASSWORD_LENGTH - 1))
    assert exc.value.code == "error.password_too_short" and exc.value.params["min"] == 10
    accounts.check_password_strength("x" * accounts.MIN_PASSWORD_LENGTH)


def test_actor_roles(seeded):
    director = seeded.actor("director.mef@mrasla.ma")
    from mrasla_app.models import Role

    assert director.roles == {Role.signatory, Role.head}
    assert director.has_role(Role.signatory) and not director.has_role(Role.admin)
    assert director.unit_ids(Role.head) == {seeded.unit_id("MEF", "DB")}
    assert director.unit_ids(Role.clerk) == frozenset()


def test_administrator_rights_need_a_second_factor(seeded):
    """A stolen password alone never opens the directory: admin rights wait for TOTP."""
    admin = "admin.mef@mrasla.ma"
    assert login_error(email=admin) == "error.totp_required"  # the demo administrators have one
    with db.write_session() as s:
        s.execute(update(User).where(User.email == admin).values(totp_enabled=False, totp_secret=None))
    actor = whoami(exchange(login(email=admin)))
    assert actor.totp_pending and not permissions.is_admin_of(actor, actor.administration_id)
    with pytest.raises(PermissionDenied), db.write_session() as s:
        users.create_user(s, actor, administration_id=actor.administration_id, email="x@mrasla.ma",
                          full_name="Intrus", password="Tres-Long-Mot2Passe")
    with db.write_session() as s:
        uri = accounts.begin_totp(s, actor)
        accounts.confirm_totp(s, actor, pyotp.parse_uri(uri).now())
    enrolled = whoami(exchange(login(email=admin, totp=pyotp.parse_uri(uri).now())))
    assert not enrolled.totp_pending and permissions.is_admin_of(enrolled, enrolled.administration_id)


def test_platform_administrator_without_second_factor_is_not_one(seeded):
    with db.write_session() as s:
        s.execute(update(User).where(User.email == "admin@mrasla.ma").values(totp_enabled=False))
    actor = whoami(exchange(login(email="admin@mrasla.ma")))
    assert actor.totp_pending and not actor.is_platform_admin
