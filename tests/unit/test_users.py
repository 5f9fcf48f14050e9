"""Users, memberships and delegations: tenant isolation between administrations, and validation."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import Delegation, Role, RoleMembership, User
from mrasla_app.models.base import utcnow
from mrasla_app.services.directory import accounts, permissions, users
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied
from mrasla_app.services.platform.seed import DEMO_PASSWORD

NOW = utcnow().replace(microsecond=0)


def call(fn, *args, **kw):
    with db.write_session() as s:
        return fn(s, *args, **kw)


def refused(fn, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as exc:
        call(fn, *args, **kw)
    return exc.value


def raises(fn, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as exc:
        fn(*args, **kw)
    return exc.value


def membership_id(seeded, email: str) -> int:
    with db.read_session() as s:
        return (
            s.execute(select(RoleMembership.id).where(RoleMembership.user_id == seeded.user_id(email)))
            .scalars()
            .first()
        )


def crb_delegation(seeded) -> int:
    """A delegation inside CRB, set up by the platform administrator."""
    d = call(
        users.create_delegation,
        seeded.actor("admin@mrasla.ma"),
        from_user_id=seeded.user_id("clerk.crb@mrasla.ma"),
        to_user_id=seeded.user_id("agent.crb@mrasla.ma"),
        starts_at=NOW,
        ends_at=NOW + timedelta(days=3),
    )
    return d.id


# --- an administrator of MEF against CRB -------------------------------------------------------------


def _cross_admin_attempts(seeded, actor):
    crb = seeded.adm_id("CRB")
    crb_user = seeded.user_id("agent.crb@mrasla.ma")
    crb_unit = seeded.unit_id("CRB", "SEC")
    mef_user = seeded.user_id("agent.mef@mrasla.ma")
    deleg = crb_delegation(seeded)
    return [
        ("list_users", lambda: call(users.list_users, actor, crb)),
        (
            "create_user",
            lambda: call(
                users.create_user,
                actor,
                administration_id=crb,
                email="intrus@mrasla.ma",
                full_name="Intrus",
                password=DEMO_PASSWORD,
            ),
        ),
        ("disable_user", lambda: call(users.set_active, actor, crb_user, False)),
        ("reset_password", lambda: call(users.reset_password, actor, crb_user, "Pirate-2026!")),
        ("memberships", lambda: call(users.memberships, actor, crb)),
        ("add_membership", lambda: call(users.add_membership, actor, crb_user, crb_unit, "admin")),
        ("add_own_user_to_crb_unit", lambda: call(users.add_membership, actor, mef_user, crb_unit, "agent")),
        (
            "remove_membership",
            lambda: call(users.remove_membership, actor, membership_id(seeded, "agent.crb@mrasla.ma")),
        ),
        ("delegations", lambda: call(users.delegations, actor, crb)),
        (
            "create_delegation",
            lambda: call(
                users.create_delegation,
                actor,
                from_user_id=crb_user,
                to_user_id=seeded.user_id("clerk.crb@mrasla.ma"),
                starts_at=NOW,
                ends_at=NOW + timedelta(days=1),
            ),
        ),
        ("revoke_delegation", lambda: call(users.revoke_delegation, actor, deleg)),
        (
            "create_unit",
            lambda: call(
                directory.save_unit,
                actor,
                administration_id=crb,
                parent_id=None,
                code="PIRATE",
                name_ar="وحدة",
                name_fr="Unité",
            ),
        ),
        (
            "edit_unit",
            lambda: call(
                directory.save_unit,
                actor,
                administration_id=crb,
                unit_id=crb_unit,
                parent_id=None,
                code="SEC",
                name_ar="وحدة",
                name_fr="Unité",
            ),
        ),
        (
            "edit_administration",
            lambda: call(
                directory.save_administration,
                actor,
                administration_id=crb,
                code="CRB",
                name_ar="جماعة",
                name_fr="Commune",
            ),
        ),
        ("units_for", lambda: call(directory.units_for, actor, crb)),
    ]


@pytest.mark.parametrize("who", ["admin.mef@mrasla.ma", "agent.mef@mrasla.ma", "director.mef@mrasla.ma"])
def test_mef_staff_cannot_touch_crb(seeded, who):
    actor = seeded.actor(who)
    attempts = _cross_admin_attempts(seeded, actor)
    before = seeded.counts()
    with db.read_session() as s:
        crb_users = {
            u.id: (u.active, u.password_hash)
            for u in s.execute(select(User).where(User.administration_id == seeded.adm_id("CRB"))).scalars()
        }
        revoked = s.execute(select(Delegation.id, Delegation.revoked).order_by(Delegation.id)).all()
    for name, attempt in attempts:
        with pytest.raises((PermissionDenied, NotFound, DomainError)) as exc:
            attempt()
        assert exc.value.code in {"error.forbidden", "error.not_found", "error.invalid_parent"}, name
    assert seeded.counts() == before
    with db.read_session() as s:
        after = {
            u.id: (u.active, u.password_hash)
            for u in s.execute(select(User).where(User.administration_id == seeded.adm_id("CRB"))).scalars()
        }
        assert s.execute(select(Delegation.id, Delegation.revoked).order_by(Delegation.id)).all() == revoked
    assert after == crb_users


def test_platform_admin_can_manage_crb(seeded):
    platform = seeded.actor("admin@mrasla.ma")
    crb = seeded.adm_id("CRB")
    assert len(call(users.list_users, platform, crb)) == 3
    user = call(
        users.create_user,
        platform,
        administration_id=crb,
        email="Nouveau.CRB@mrasla.ma",
        full_name="Salma Naciri",
        full_name_ar="سلمى الناصري",
        password=DEMO_PASSWORD,
    )
    assert user.email == "nouveau.crb@mrasla.ma" and user.administration_id == crb
    m = call(users.add_membership, platform, user.id, seeded.unit_id("CRB", "URB"), "agent")
    assert m.role == Role.agent
    assert any(row[0].id == m.id for row in call(users.memberships, platform, crb))
    call(users.remove_membership, platform, m.id)
    call(users.set_active, platform, user.id, False)
    deleg = crb_delegation(seeded)
    assert [d.id for d in call(users.delegations, platform, crb)] == [deleg]
    assert call(users.revoke_delegation, platform, deleg).revoked


def test_admin_manages_own_administration(seeded):
    admin = seeded.actor("admin.crb@mrasla.ma")
    crb = seeded.adm_id("CRB")
    user = call(
        users.create_user,
        admin,
        administration_id=crb,
        email="agent2.crb@mrasla.ma",
        full_name="Amine Cherkaoui",
        full_name_ar="أمين الشرقاوي",
        password=DEMO_PASSWORD,
    )
    call(users.add_membership, admin, user.id, seeded.unit_id("CRB", "URB"), "agent")
    call(users.reset_password, admin, user.id, "Autre-mot-2026")
    assert {u.email for u in call(users.list_users, admin, crb)} >= {"agent2.crb@mrasla.ma", "clerk.crb@mrasla.ma"}
    with pytest.raises(PermissionDenied):
        call(users.list_users, admin, seeded.adm_id("MEF"))


def test_non_admin_staff_cannot_administer_own_administration(seeded):
    mef = seeded.adm_id("MEF")
    for who in ("agent.mef@mrasla.ma", "clerk.mef@mrasla.ma", "head.mef@mrasla.ma", "director.mef@mrasla.ma"):
        actor = seeded.actor(who)
        with pytest.raises(PermissionDenied):
            call(users.list_users, actor, mef)
        with pytest.raises(PermissionDenied):
            call(
                users.create_user,
                actor,
                administration_id=mef,
                email="x@mrasla.ma",
                full_name="X",
                password=DEMO_PASSWORD,
            )
        with pytest.raises(NotFound):
            call(users.add_membership, actor, actor.user_id, seeded.unit_id("MEF", "SG"), "admin")


def test_anonymous_refused(seeded):
    assert isinstance(refused(users.list_users, None, seeded.adm_id("MEF")), NotAuthenticated)
    assert isinstance(refused(users.set_active, None, seeded.user_id("agent.mef@mrasla.ma"), False), NotAuthenticated)
    assert isinstance(
        refused(
            users.create_delegation, None, from_user_id=1, to_user_id=2, starts_at=NOW, ends_at=NOW + timedelta(days=1)
        ),
        NotAuthenticated,
    )


def test_unknown_ids_are_not_found(seeded):
    admin = seeded.actor("admin.mef@mrasla.ma")
    assert isinstance(refused(users.set_active, admin, 999_999, False), NotFound)
    assert isinstance(refused(users.remove_membership, admin, 999_999), NotFound)
    assert isinstance(refused(users.revoke_delegation, admin, 999_999), NotFound)


# --- user validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw,code",
    [
        ({"email": "agent.mef@mrasla.ma"}, "error.duplicate_email"),
        ({"email": "AGENT.MEF@mrasla.ma "}, "error.duplicate_email"),
        ({"email": "not-an-email"}, "error.invalid_email"),
        ({"password": "short"}, "error.password_too_short"),
        ({"full_name": " "}, "error.required"),
    ],
)
def test_create_user_validation(seeded, kw, code):
    admin = seeded.actor("admin.mef@mrasla.ma")
    args = {
        "administration_id": seeded.adm_id("MEF"),
        "email": "new.mef@mrasla.ma",
        "full_name": "Said Amrani",
        "password": DEMO_PASSWORD,
    } | kw
    before = seeded.counts()
    assert refused(users.create_user, admin, **args).code == code
    assert seeded.counts() == before


def test_add_membership_validation(seeded):
    admin = seeded.actor("admin.mef@mrasla.ma")
    agent = seeded.user_id("agent.mef@mrasla.ma")
    assert (
        refused(users.add_membership, admin, agent, seeded.unit_id("MEF", "DB"), "minister").code
        == "error.invalid_role"
    )
    assert refused(users.add_membership, admin, agent, 999_999, "agent").code == "error.invalid_parent"
    # adding an existing membership is a no-op
    before = seeded.counts()
    call(users.add_membership, admin, agent, seeded.unit_id("MEF", "DB.DSS"), "agent")
    assert seeded.counts() == before


def test_membership_changes_actor_roles(seeded):
    admin = seeded.actor("admin.mef@mrasla.ma")
    agent = seeded.user_id("agent.mef@mrasla.ma")
    assert not permissions.is_admin_of(seeded.actor("agent.mef@mrasla.ma"), seeded.adm_id("MEF"))
    m = call(users.add_membership, admin, agent, seeded.unit_id("MEF", "DB.DSS"), "admin")
    # administrator rights wait for a second factor
    pending = seeded.actor("agent.mef@mrasla.ma")
    assert pending.totp_pending and not permissions.is_admin_of(pending, seeded.adm_id("MEF"))
    with db.write_session() as s:
        code = users.issue_totp_enrolment_code(s, admin, agent)
    with db.write_session() as s:
        secret = parse_qs(urlsplit(accounts.begin_totp(s, pending, code)).query)["secret"][0]
        accounts.confirm_totp(s, pending, pyotp.TOTP(secret).now())
    enrolled = seeded.actor("agent.mef@mrasla.ma")
    assert not enrolled.totp_pending and permissions.is_admin_of(enrolled, seeded.adm_id("MEF"))
    call(users.remove_membership, admin, m.id)
    assert not permissions.is_admin_of(seeded.actor("agent.mef@mrasla.ma"), seeded.adm_id("MEF"))


def test_reset_password_unlocks_and_ends_sessions(seeded):

    with db.write_session() as s:
        ticket = accounts.authenticate(s, "agent.mef@mrasla.ma", DEMO_PASSWORD)
    with db.write_session() as s:
        token = accounts.exchange_ticket(s, ticket)
    call(
        users.reset_password,
        seeded.actor("admin.mef@mrasla.ma"),
        seeded.user_id("agent.mef@mrasla.ma"),
        "Nouveau-mot-2026",
    )
    with db.read_session() as s:
        assert accounts.actor_from_token(s, token) is None


# --- delegations ---------------------------------------------------------------------------------


def delegate(actor, frm: str, to: str, seeded, start=NOW, end=NOW + timedelta(days=5)):
    return call(
        users.create_delegation,
        actor,
        from_user_id=seeded.user_id(frm),
        to_user_id=seeded.user_id(to),
        starts_at=start,
        ends_at=end,
        reason="Mission à l'étranger",
    )


def test_seeded_delegation_is_active(seeded):
    with db.read_session() as s:
        assert users.acting_for(s, seeded.user_id("head.mef@mrasla.ma")) == [seeded.user_id("director.mef@mrasla.ma")]
        assert users.acting_for(s, seeded.user_id("head.mef@mrasla.ma"), NOW + timedelta(days=31)) == []
        assert users.acting_for(s, seeded.user_id("sg.mef@mrasla.ma")) == []


def test_user_delegates_own_signature(seeded):
    sg = seeded.actor("sg.mef@mrasla.ma")
    d = delegate(sg, "sg.mef@mrasla.ma", "director.mef@mrasla.ma", seeded)
    assert d.created_by == sg.user_id
    with db.read_session() as s:
        assert seeded.user_id("sg.mef@mrasla.ma") in users.acting_for(s, seeded.user_id("director.mef@mrasla.ma"))
    # the grantor (not only an admin) may revoke it
    call(users.revoke_delegation, sg, d.id)
    with db.read_session() as s:
        assert seeded.user_id("sg.mef@mrasla.ma") not in users.acting_for(s, seeded.user_id("director.mef@mrasla.ma"))


def test_user_cannot_delegate_someone_else(seeded):
    before = seeded.counts()
    err = raises(delegate, seeded.actor("agent.mef@mrasla.ma"), "director.mef@mrasla.ma", "agent.mef@mrasla.ma", seeded)
    assert isinstance(err, NotFound)
    assert seeded.counts() == before


def test_delegate_cannot_revoke(seeded):
    d = delegate(seeded.actor("sg.mef@mrasla.ma"), "sg.mef@mrasla.ma", "director.mef@mrasla.ma", seeded)
    assert isinstance(refused(users.revoke_delegation, seeded.actor("director.mef@mrasla.ma"), d.id), NotFound)


def test_delegation_period_validation(seeded):
    director = seeded.actor("director.mef@mrasla.ma")
    before = seeded.counts()
    for start, end in ((NOW, NOW), (NOW, NOW - timedelta(days=1))):
        err = raises(delegate, director, "director.mef@mrasla.ma", "sg.mef@mrasla.ma", seeded, start, end)
        assert err.code == "error.invalid_period"
    assert seeded.counts() == before


def test_delegation_to_self_refused(seeded):
    director = seeded.actor("director.mef@mrasla.ma")
    err = raises(delegate, director, "director.mef@mrasla.ma", "director.mef@mrasla.ma", seeded)
    assert err.code == "error.same_user"


def test_delegation_across_administrations_refused(seeded):
    before = seeded.counts()
    for actor in (seeded.actor("director.mef@mrasla.ma"), seeded.actor("admin@mrasla.ma")):
        err = raises(delegate, actor, "director.mef@mrasla.ma", "agent.crb@mrasla.ma", seeded)
        assert err.code == "error.invalid_request"
    assert seeded.counts() == before


def test_delegation_to_disabled_user_refused(seeded):
    admin = seeded.actor("admin.mef@mrasla.ma")
    call(users.set_active, admin, seeded.user_id("sg.mef@mrasla.ma"), False)
    err = raises(delegate, admin, "director.mef@mrasla.ma", "sg.mef@mrasla.ma", seeded)
    assert err.code == "error.invalid_request"


def test_delegations_listing_scoped(seeded):
    mef_admin = seeded.actor("admin.mef@mrasla.ma")
    crb_delegation(seeded)
    mef = call(users.delegations, mef_admin, seeded.adm_id("MEF"))
    assert len(mef) == 1 and mef[0].from_user_id == seeded.user_id("director.mef@mrasla.ma")
    assert len(call(users.delegations, seeded.actor("admin.crb@mrasla.ma"), seeded.adm_id("CRB"))) == 1
