"""Login (ticket → session), lockout, disabled users, TOTP, and how secrets are stored."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, text, update

from mrasla_app import db
from mrasla_app.models import AuditEvent, User, UserSession
from mrasla_app.models.base import utcnow
from mrasla_app.services.directory import accounts, permissions, users
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.platform.seed import DEMO_PASSWORD, unused_totp_code

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
    assert exchange(login(email=f"{AGENT}\x00\u202e"))  # control characters never reach the query (PostgreSQL: 500)


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


def test_lockout_after_five_failures_answers_like_a_wrong_password(seeded, clock):
    for _ in range(accounts.MAX_FAILED_LOGINS):
        assert login_error(password="wrong-password") == "error.invalid_credentials"
    user = get_user(AGENT)
    assert user.locked_until is not None and user.locked_until > clock.now
    # even the right password is refused while locked, with the very message of a wrong password or an
    # unknown e-mail: whoever locked the account learns nothing about it (no account enumeration)
    assert login_error() == login_error(email="nobody@mrasla.ma") == "error.invalid_credentials"
    clock.advance(minutes=14)
    assert login_error() == "error.invalid_credentials"
    assert login_error(password="wrong-password") == "error.invalid_credentials"  # not counted: no longer lock
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
        accounts.confirm_totp(s, actor, unused_totp_code(totp, email))
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
    assert exchange(login(totp=unused_totp_code(totp, AGENT)))


def test_a_totp_code_is_accepted_once(seeded):
    """A code seen over a shoulder, or replayed from a captured request, no longer opens a session."""
    totp = _enrol_totp(AGENT, seeded)
    code = unused_totp_code(totp, AGENT)
    assert exchange(login(totp=code))
    assert login_error(totp=code) == "error.totp_invalid"
    # and no earlier step either, once a later one was accepted
    later = unused_totp_code(totp, AGENT)
    assert exchange(login(totp=later))
    assert login_error(totp=code) == "error.totp_invalid"


def test_totp_failures_lock_the_account(seeded):
    totp = _enrol_totp(AGENT, seeded)
    wrong = "000000" if totp.now() != "000000" else "111111"
    for _ in range(accounts.MAX_FAILED_LOGINS):
        assert login_error(totp=wrong) == "error.totp_invalid"
    assert login_error(totp=unused_totp_code(totp, AGENT)) == "error.invalid_credentials"


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
    assert get_user(AGENT).failed_logins == 1  # a guess, counted like a failed login
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


def _issue_code(issuer: str, email: str, seeded) -> str:
    with db.write_session() as s:
        return users.issue_totp_enrolment_code(s, seeded.actor(issuer), seeded.user_id(email))


def _begin(actor, code: str = "") -> pyotp.TOTP:
    with db.write_session() as s:
        return pyotp.parse_uri(accounts.begin_totp(s, actor, code))  # type: ignore[return-value]


def test_administrator_rights_need_a_second_factor_enrolled_with_a_code_from_another_administrator(seeded):
    """A stolen password alone never opens the directory: admin rights wait for a TOTP factor, and
    the thief cannot enrol one himself — it takes a one-time code another administrator issued."""
    admin = "admin.mef@mrasla.ma"
    assert login_error(email=admin) == "error.totp_required"  # the demo administrators have one
    with db.write_session() as s:
        s.execute(
            update(User).where(User.email == admin).values(totp_enabled=False, totp_secret=None, totp_vouched=False)
        )
    actor = whoami(exchange(login(email=admin)))
    assert actor.totp_pending and not permissions.is_admin_of(actor, actor.administration_id)
    with pytest.raises(PermissionDenied), db.write_session() as s:
        users.create_user(
            s,
            actor,
            administration_id=actor.administration_id,
            email="x@mrasla.ma",
            full_name="Intrus",
            password="Tres-Long-Mot2Passe",
        )
    # trust on first use is over: no enrolment without a code, nor with a made-up or own one
    with pytest.raises(DomainError) as exc:
        _begin(actor)
    assert exc.value.code == "error.totp_enrolment_code_required"
    with pytest.raises(DomainError) as exc:
        _begin(actor, "AAAA-BBBB-CCCC-DDDD")
    assert exc.value.code == "error.totp_enrolment_code_invalid"
    with pytest.raises(NotFound), db.write_session() as s:
        users.issue_totp_enrolment_code(s, actor, actor.user_id)  # pending: not an administrator
    assert get_user(admin).totp_secret is None

    code = _issue_code("admin@mrasla.ma", admin, seeded)  # the platform administrator issues one
    assert get_user(admin).totp_enrolment_hash not in (None, code)  # stored hashed
    totp = _begin(actor, f" {code.lower().replace('o', '0')} ")  # as typed: case, spaces, 0 for O do not matter
    with pytest.raises(DomainError) as exc:
        _begin(actor, code)  # one use (and an active enrolment is not replaced without the password)
    assert exc.value.code in ("error.totp_enrolment_code_invalid", "error.forbidden")
    with db.write_session() as s:
        accounts.confirm_totp(s, actor, unused_totp_code(totp, admin))
    enrolled = whoami(exchange(login(email=admin, totp=unused_totp_code(totp, admin))))
    assert not enrolled.totp_pending and permissions.is_admin_of(enrolled, enrolled.administration_id)
    with db.read_session() as s:
        issued = s.execute(
            select(AuditEvent).where(AuditEvent.action == "user.totp_enrolment_code_issued")
        ).scalar_one()
    assert code not in str(issued.data)

    # switching the factor off (password) puts the rights on hold again, until a NEW code
    with db.write_session() as s:
        accounts.disable_totp(s, enrolled, DEMO_PASSWORD)
    assert whoami(exchange(login(email=admin))).totp_pending
    with pytest.raises(DomainError):
        _begin(actor, code)


def test_a_factor_enrolled_without_code_does_not_unlock_administrator_rights_granted_later(seeded):
    """A clerk's password thief enrols "his" TOTP; when the clerk is made administrator, that factor
    is not enough: the new administrator needs a code, and enrols again."""
    totp = _enrol_totp(AGENT, seeded)  # agents may enrol a factor of their own, without a code
    with db.write_session() as s:
        users.add_membership(
            s, seeded.actor("admin.mef@mrasla.ma"), seeded.user_id(AGENT), seeded.unit_id("MEF", "DB.DSS"), "admin"
        )
    actor = whoami(exchange(login(totp=unused_totp_code(totp, AGENT))))
    assert actor.totp_pending and not permissions.is_admin_of(actor, actor.administration_id)


def test_who_may_issue_an_enrolment_code(seeded, clock):
    mef_admin, crb_admin = seeded.actor("admin.mef@mrasla.ma"), seeded.actor("admin.crb@mrasla.ma")
    agent = seeded.user_id(AGENT)
    with db.write_session() as s, pytest.raises(NotFound):
        users.issue_totp_enrolment_code(s, crb_admin, agent)  # another administration's
    with db.write_session() as s, pytest.raises(NotFound):
        users.issue_totp_enrolment_code(s, mef_admin, seeded.user_id("admin@mrasla.ma"))  # the platform's
    with db.write_session() as s, pytest.raises(DomainError) as exc:
        users.issue_totp_enrolment_code(s, mef_admin, mef_admin.user_id)  # oneself
    assert exc.value.code == "error.same_user"
    with db.write_session() as s, pytest.raises(NotFound):
        users.issue_totp_enrolment_code(s, seeded.actor("clerk.mef@mrasla.ma"), agent)
    with db.write_session() as s:
        users.issue_totp_enrolment_code(s, accounts.system_actor(), agent)  # the CLI
    code = _issue_code("admin.mef@mrasla.ma", AGENT, seeded)  # replaces the CLI's
    clock.advance(days=3, minutes=1)
    with pytest.raises(DomainError) as exc:
        _begin(seeded.actor(AGENT), code)
    assert exc.value.code == "error.totp_enrolment_code_invalid"  # expired


def test_password_change_guesses_count_like_failed_logins(seeded, clock):
    actor = seeded.actor(AGENT)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        with db.write_session() as s, pytest.raises(DomainError) as exc:
            accounts.change_password(s, actor, "guess-guess-guess", "Nouveau-mot-2026")
        assert exc.value.code == "error.invalid_credentials"
    assert get_user(AGENT).locked_until is not None
    # locked: even the right password is refused, for the change as for a login
    with db.write_session() as s, pytest.raises(DomainError):
        accounts.change_password(s, actor, DEMO_PASSWORD, "Nouveau-mot-2026")
    assert login_error() == "error.invalid_credentials"
    clock.advance(minutes=16)
    with db.write_session() as s:
        accounts.change_password(s, actor, DEMO_PASSWORD, "Nouveau-mot-2026")


def test_password_change_ends_the_other_sessions(seeded):
    mine, other = exchange(login()), exchange(login())
    pending_ticket = login()  # not yet exchanged (a login under way elsewhere)
    with db.write_session() as s:
        accounts.change_password(s, seeded.actor(AGENT), DEMO_PASSWORD, "Nouveau-mot-2026", keep_token=mine)
    assert whoami(mine) is not None
    assert whoami(other) is None and exchange(pending_ticket) is None


def test_platform_administrator_without_second_factor_is_not_one(seeded):
    with db.write_session() as s:
        s.execute(update(User).where(User.email == "admin@mrasla.ma").values(totp_enabled=False))
    actor = whoami(exchange(login(email="admin@mrasla.ma")))
    assert actor.totp_pending and not actor.is_platform_admin


def test_the_console_issues_an_enrolment_code_for_a_new_administrator(seeded, capsys):
    """The production path: `mrasla create-user … --role X:admin`, then `mrasla totp-enrolment-code EMAIL`."""
    from mrasla_app.cli import main

    email = "nouvel.admin@mrasla.ma"
    assert (
        main(
            [
                "create-user",
                "--email",
                email,
                "--name",
                "Nouvel Admin",
                "--administration",
                "MEF",
                "--role",
                "DAAG:admin",
                "--password",
                "Tres-Long-Mot2Passe",
            ]
        )
        == 0
    )
    assert main(["totp-enrolment-code", email.upper()]) == 0
    code = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    assert main(["totp-enrolment-code", "personne@mrasla.ma"]) == 2
    actor = whoami(exchange(login(email=email, password="Tres-Long-Mot2Passe")))
    assert actor.totp_pending
    totp = _begin(actor, code)
    with db.write_session() as s:
        accounts.confirm_totp(s, actor, unused_totp_code(totp, email))
    admin = whoami(exchange(login(email=email, password="Tres-Long-Mot2Passe", totp=unused_totp_code(totp, email))))
    assert permissions.is_admin_of(admin, seeded.adm_id("MEF"))


def test_account_page_password_guesses_are_rate_limited_like_logins(seeded, monkeypatch):
    """The pen test's 30 guesses in 4.6 s at ``AccountState.change_password``: now the login form's
    per-address limit answers, and the guesses lock the account."""
    from reflex.istate.data import RouterData

    import mrasla_app.mrasla_app  # noqa: F401  (registers the pages' states)
    from mrasla_app.api.auth import login_limit
    from mrasla_app.i18n import translate
    from mrasla_app.ui.pages.account import AccountState

    login_limit.reset()
    monkeypatch.setattr(login_limit, "limit", 8)
    token = exchange(login())
    root = AccountState.get_root_state()(_reflex_internal_init=True)
    parts = AccountState.get_full_name().split(".")[1:]
    state = root.get_substate(parts)
    router = RouterData.from_router_data(
        {
            "headers": {"cookie": f"mrasla_session={token}"},
            "pathname": "/account",
            "asPath": "/account",
            "query": {},
            "ip": "203.0.113.9",
            "token": "t",
            "sid": "s",
        }
    )
    for i in range(len(parts) + 1):
        (root.get_substate(parts[:i]) if i else root).router = router
    errors = []
    for _ in range(10):
        AccountState.event_handlers["change_password"].fn(
            state, {"current": "guess-guess-guess", "new": "Nouveau-mot-2026", "confirm": "Nouveau-mot-2026"}
        )
        errors.append(state.error_fr)
    assert errors[0] == translate("error.invalid_credentials", "fr")
    assert errors[-1] == translate("error.rate_limited", "fr")  # the limit answers, not the password check
    assert get_user(AGENT).locked_until is not None  # and the first guesses locked the account
    login_limit.reset()
