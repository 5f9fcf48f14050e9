"""Directory sign-in against a real OpenLDAP (slapd started in a temporary directory): first login
creates the account with its roles from the groups, roles follow the groups, a person disabled in
the directory is refused and their account disabled (at login and by the sync job), wrong
passwords lock the account like a local one, an empty password and filter injection get nowhere."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import AuditEvent, IdentityProvider, Role, RoleMembership, User
from mrasla_app.services.directory import accounts
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.platform.seed import DEMO_PASSWORD
from mrasla_app.services.signin import login, providers
from mrasla_app.services.signin.provisioning import sync_ldap
from tests.signin_servers import FILTER, GROUPS, PASSWORD, PEOPLE, Slapd, slapd

pytestmark = pytest.mark.external  # drives an outside server/program (see pyproject markers)

ADMIN = "admin.mef@mrasla.ma"


@pytest.fixture(scope="module")
def directory() -> Iterator[Slapd]:
    with slapd() as server:
        server.add_person("a.alaoui", "Amina Alaoui", groups=("courrier-arrivee",))
        server.add_person("h.haddad", "Hicham Haddad", groups=("courrier-arrivee", "chefs-dss"))
        server.add_person("d.dahbi", "Driss Dahbi", groups=("courrier-arrivee",))
        server.add_person("s.sbai", "Salma Sbai", groups=("courrier-arrivee",))
        server.add_person("l.lamrani", "Leila Lamrani", groups=("courrier-arrivee",))
        server.add_person("t.tahiri", "Taha Tahiri", groups=())
        server.add_person("c.chraibi", "Chama Chraibi", groups=("chefs-dss",))  # chefs-dss keeps a member
        yield server


@pytest.fixture
def provider(seeded, directory: Slapd) -> int:
    """MEF's directory, configured by MEF's administrator through the service, with two rules."""
    actor = seeded.actor(ADMIN)
    with db.write_session() as s:
        p = providers.save_provider(
            s,
            actor,
            seeded.adm_id("MEF"),
            None,
            {
                "kind": "ldap",
                "name": "Annuaire MEF",
                "enabled": "1",
                "server_url": directory.url,
                "bind_dn": "",
                "search_base": PEOPLE,
                "search_filter": FILTER,
                "login_domain": "mef.gov.ma",
            },
        )
        providers.add_rule(s, actor, p.id, f"cn=courrier-arrivee,{GROUPS}", seeded.unit_id("MEF", "BO"), "clerk")
        providers.add_rule(s, actor, p.id, f"CN=chefs-dss,{GROUPS}", seeded.unit_id("MEF", "DB.DSS"), "head")
        return p.id


def _login(ident: str, password: str = PASSWORD, provider_id: int | None = None, totp: str = "") -> User:
    with db.write_session() as s:
        ticket, user = login.authenticate(s, ident, password, totp, provider_id=provider_id, ip="10.0.0.9")
        assert ticket
        s.expunge(user)
        return user


def _roles(user_id: int) -> set[tuple[int, Role]]:
    with db.read_session() as s:
        return {
            (u, Role(r))
            for u, r in s.execute(
                select(RoleMembership.unit_id, RoleMembership.role).where(RoleMembership.user_id == user_id)
            ).all()
        }


def _refused(ident: str, password: str = PASSWORD, provider_id: int | None = None, code="error.invalid_credentials"):
    with pytest.raises(DomainError) as info, db.write_session() as s:
        login.authenticate(s, ident, password, provider_id=provider_id, ip="10.0.0.9")
    assert info.value.code == code


def test_first_login_creates_the_account_with_roles_from_groups(seeded, provider):
    user = _login("a.alaoui@mef.gov.ma")  # by the provider's login domain
    assert (user.email, user.full_name, user.provider_id) == ("a.alaoui@mef.gov.ma", "Amina Alaoui", provider)
    assert user.external_id == f"uid=a.alaoui,{PEOPLE}".lower()
    assert _roles(user.id) == {(seeded.unit_id("MEF", "BO"), Role.clerk)}
    assert seeded.actor("a.alaoui@mef.gov.ma").has_role(Role.clerk)
    again = _login("a.alaoui", provider_id=provider)  # the plain login, the directory chosen on the page
    assert again.id == user.id
    with db.read_session() as s:
        actions = [
            a
            for (a,) in s.execute(
                select(AuditEvent.action).where(AuditEvent.object_id == user.id, AuditEvent.object_type == "user")
            )
        ]
    assert actions.count("signin.user_provisioned") == 1 and actions.count("auth.login") == 2


def test_roles_follow_the_groups_and_hand_given_roles_stay(seeded, provider, directory):
    user = _login("h.haddad@mef.gov.ma")
    bo, dss, db_unit = (seeded.unit_id("MEF", c) for c in ("BO", "DB.DSS", "DB"))
    assert _roles(user.id) == {(bo, Role.clerk), (dss, Role.head)}
    with db.write_session() as s:  # an administrator adds a role no rule names
        from mrasla_app.services.directory import users

        users.add_membership(s, seeded.actor(ADMIN), user.id, db_unit, "agent")
    directory.remove_from_group("h.haddad", "chefs-dss")
    _login("h.haddad@mef.gov.ma")
    assert _roles(user.id) == {(bo, Role.clerk), (db_unit, Role.agent)}


def test_wrong_password_refused_and_locks_like_a_local_account(seeded, provider):
    user = _login("s.sbai@mef.gov.ma")
    for _ in range(accounts.MAX_FAILED_LOGINS):
        _refused("s.sbai@mef.gov.ma", "wrong password")
    with db.read_session() as s:
        locked = s.get(User, user.id)
        assert locked.locked_until is not None
        failures = (
            s.execute(
                select(AuditEvent.data).where(AuditEvent.action == "auth.login_failed", AuditEvent.object_id == user.id)
            )
            .scalars()
            .all()
        )
    assert len(failures) == accounts.MAX_FAILED_LOGINS and json.loads(failures[0])["reason"] == "ldap"
    _refused("s.sbai@mef.gov.ma")  # the right password too, while locked


def test_empty_password_and_filter_injection_get_nowhere(seeded, provider):
    _refused("a.alaoui@mef.gov.ma", "")  # an LDAP bind without password would be anonymous and succeed
    _refused("*", provider_id=provider)
    _refused("a.alaoui)(uid=*", provider_id=provider)
    _refused("nobody@mef.gov.ma")


def test_disabled_in_the_directory_is_refused_and_disabled_here(seeded, provider, directory):
    user = _login("d.dahbi@mef.gov.ma")
    directory.set_disabled("d.dahbi")
    _refused("d.dahbi@mef.gov.ma")
    with db.read_session() as s:
        assert s.get(User, user.id).active is False
        assert s.execute(
            select(AuditEvent.id).where(AuditEvent.action == "signin.user_disabled", AuditEvent.object_id == user.id)
        ).first()


def test_direct_bind_disabled_person_is_refused_and_disabled_here(seeded, provider, directory):
    with db.write_session() as s:  # the same directory, with a DN template instead of a search
        p = s.get(IdentityProvider, provider)
        p.user_dn_template = f"uid={{login}},{PEOPLE}"
    directory.add_person("b.bennis", "Badr Bennis")
    user = _login("b.bennis", provider_id=provider)
    directory.set_disabled("b.bennis")
    _refused("b.bennis", provider_id=provider)  # the password is right, the entry is filtered out
    with db.read_session() as s:
        assert s.get(User, user.id).active is False


def test_sync_job_disables_who_the_directory_disabled(seeded, provider, directory):
    kept, gone = _login("t.tahiri@mef.gov.ma"), _login("l.lamrani@mef.gov.ma")
    directory.set_disabled("l.lamrani")
    with db.write_session() as s:
        result = sync_ldap(s)
    assert "1 disabled" in result
    with db.read_session() as s:
        assert s.get(User, gone.id).active is False and s.get(User, kept.id).active is True
    _refused("l.lamrani@mef.gov.ma")


def test_unreachable_directory_disables_nobody(seeded, provider):
    user = _login("a.alaoui@mef.gov.ma")
    with db.write_session() as s:
        s.get(IdentityProvider, provider).server_url = "ldap://127.0.0.1:1"
    _refused("a.alaoui@mef.gov.ma", code="error.directory_unreachable")
    with db.write_session() as s:
        assert "1 unreachable" in sync_ldap(s)
    with db.read_session() as s:
        assert s.get(User, user.id).active is True


def test_local_accounts_still_sign_in_and_are_never_taken_over(seeded, provider, directory):
    directory.add_person("clerk", "Usurper", mail="clerk.mef@mrasla.ma", groups=("courrier-arrivee",))
    _refused("clerk", provider_id=provider, code="error.directory_email_taken")
    assert _login("clerk.mef@mrasla.ma", DEMO_PASSWORD).provider_id is None  # its own password, locally


def test_administrator_second_factor_still_applies(seeded, provider, directory):
    actor = seeded.actor(ADMIN)
    with db.write_session() as s:
        providers.add_rule(s, actor, provider, f"cn=admins,{GROUPS}", seeded.unit_id("MEF", "DAAG"), "admin")
    directory.add_person("n.nadi", "Nabil Nadi", groups=("admins",))
    _login("n.nadi@mef.gov.ma")
    signed_in = seeded.actor("n.nadi@mef.gov.ma")
    assert signed_in.totp_pending and not signed_in.has_role(Role.admin)  # held back until a vouched factor


def test_only_the_administrations_admins_configure_its_providers(seeded, provider):
    with db.write_session() as s:
        with pytest.raises(NotFound):
            providers.try_connection(s, seeded.actor("admin.crb@mrasla.ma"), provider)
        with pytest.raises(PermissionDenied):
            providers.list_providers(s, seeded.actor("clerk.mef@mrasla.ma"), seeded.adm_id("MEF"))
        assert providers.try_connection(s, seeded.actor(ADMIN), provider) == {"count": 7}
        p = s.get(IdentityProvider, provider)
        assert p.bind_secret is None
        with pytest.raises(DomainError):
            providers.save_provider(
                s,
                seeded.actor(ADMIN),
                seeded.adm_id("MEF"),
                provider,
                {"name": "x", "server_url": "http://evil", "search_base": PEOPLE, "search_filter": FILTER},
            )
