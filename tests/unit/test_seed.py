"""The demo seed: realistic directory, one account per role, idempotent, fully audited."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from mrasla_app import db
from mrasla_app.models import Administration, AuditEvent, Delegation, Role, RoleMembership, Unit, UnitLevel, User
from mrasla_app.services.directory import accounts
from mrasla_app.services.platform import audit, seed
from mrasla_app.services.platform.seed import DEMO_PASSWORD, demo_accounts_markdown, demo_totp, seed_demo

ARABIC = range(0x0600, 0x06FF + 1)


def has_arabic(s: str) -> bool:
    return any(ord(c) in ARABIC for c in s)


def test_at_least_five_administrations_and_thirty_units(seeded):
    with db.read_session() as s:
        adms = s.execute(select(Administration)).scalars().all()
        n_units = s.execute(select(func.count()).select_from(Unit)).scalar_one()
    assert {a.code for a in adms} >= {"MEF", "MEN", "CRB", "ANCFCC", "MSPS"}
    assert n_units >= 30
    for a in adms:
        assert has_arabic(a.name_ar) and not has_arabic(a.name_fr)
        assert a.code.isupper() and a.active


def test_every_unit_bilingual(seeded):
    with db.read_session() as s:
        for u in s.execute(select(Unit)).scalars():
            assert has_arabic(u.name_ar), u.code
            assert u.name_fr and not has_arabic(u.name_fr), u.code


def test_levels_and_trees(seeded):
    """Regional units sit under central ones, provincial ones under regional ones."""
    order = {UnitLevel.central: 0, UnitLevel.regional: 1, UnitLevel.provincial: 2}
    with db.read_session() as s:
        units = {u.id: u for u in s.execute(select(Unit)).scalars()}
    levels = Counter(u.level for u in units.values())
    assert levels[UnitLevel.central] and levels[UnitLevel.regional] and levels[UnitLevel.provincial]
    for u in units.values():
        if u.parent_id is None:
            assert u.level == UnitLevel.central, u.code
            continue
        parent = units[u.parent_id]
        assert parent.administration_id == u.administration_id
        assert order[parent.level] <= order[u.level], u.code
        if u.level == UnitLevel.provincial:
            assert parent.level == UnitLevel.regional, u.code
        if u.level == UnitLevel.regional:
            assert parent.level == UnitLevel.central, u.code


def test_some_known_units(seeded):
    with db.read_session() as s:

        def unit(adm, code):
            return s.get(Unit, seeded.unit_id(adm, code))

        assert unit("MEF", "DB").name_fr == "Direction du Budget"
        assert unit("MEF", "TGR.TR-CS").level == UnitLevel.regional
        assert unit("MEF", "TGR.TP-SETTAT").level == UnitLevel.provincial
        assert unit("MEN", "AREF-RSK").level == UnitLevel.regional
        assert unit("MEN", "DP-RABAT").parent_id == seeded.unit_id("MEN", "AREF-RSK")
        assert unit("CRB", "SEC").name_ar == "مصلحة الحالة المدنية"
        assert unit("ANCFCC", "CF-ANFA").level == UnitLevel.provincial


def test_every_administration_has_a_central_registry(seeded):
    with db.read_session() as s:
        for adm in s.execute(select(Administration)).scalars():
            bo = seed.registry_unit(s, adm.id)
            assert bo is not None, adm.code
            assert bo.level == UnitLevel.central
            assert "مكتب الضبط" in bo.name_ar and "Bureau d'ordre" in bo.name_fr
            depth = 0
            while bo.parent_id is not None:
                bo, depth = s.get(Unit, bo.parent_id), depth + 1
            assert depth <= 2


def test_every_role_present(seeded):
    with db.read_session() as s:
        roles = set(s.execute(select(RoleMembership.role)).scalars())
        platform = s.execute(select(User).where(User.is_platform_admin.is_(True))).scalars().all()
    assert roles == set(Role)
    assert [u.email for u in platform] == ["admin@mrasla.ma"]


def test_accounts_match_database(seeded):
    with db.read_session() as s:
        for acc in seeded.accounts:
            user = s.execute(select(User).where(User.email == acc.email)).scalar_one()
            actor = accounts.load_actor(s, user)
            assert user.full_name == acc.full_name and user.full_name_ar == acc.full_name_ar
            assert has_arabic(user.full_name_ar)
            if acc.administration:
                assert user.administration_id == seeded.adm_id(acc.administration)
                unit = seeded.unit_id(acc.administration, acc.unit)
                assert {r.value for u, r in actor.memberships if u == unit} == set(acc.roles)
            else:
                assert actor.is_platform_admin and user.administration_id is None


def test_required_demo_accounts(seeded):
    emails = {a.email for a in seeded.accounts}
    assert {
        "admin@mrasla.ma",
        "admin.mef@mrasla.ma",
        "clerk.mef@mrasla.ma",
        "agent.mef@mrasla.ma",
        "head.mef@mrasla.ma",
        "director.mef@mrasla.ma",
        "clerk.crb@mrasla.ma",
        "agent.crb@mrasla.ma",
    } <= emails
    sg = seeded.actor("sg.mef@mrasla.ma")
    director = seeded.actor("director.mef@mrasla.ma")
    assert Role.signatory in sg.roles and Role.signatory in director.roles and Role.head in director.roles
    assert len(DEMO_PASSWORD) >= accounts.MIN_PASSWORD_LENGTH
    assert all(a.password == DEMO_PASSWORD for a in seeded.accounts)


def test_every_demo_account_can_log_in(seeded):
    for acc in seeded.accounts:
        with db.write_session() as s:
            ticket = accounts.authenticate(s, acc.email, acc.password, demo_totp(acc.email))
        with db.write_session() as s:
            token = accounts.exchange_ticket(s, ticket)
        with db.read_session() as s:
            assert accounts.actor_from_token(s, token).email == acc.email


def test_demo_delegation(seeded):
    with db.read_session() as s:
        d = s.execute(select(Delegation)).scalar_one()
    assert d.from_user_id == seeded.user_id("director.mef@mrasla.ma")
    assert d.to_user_id == seeded.user_id("head.mef@mrasla.ma")
    assert 29 <= (d.ends_at - d.starts_at).days <= 30 and not d.revoked


def test_idempotent(seeded):
    before = seeded.counts()
    with db.write_session() as s:
        again = seed_demo(s)
    assert again == seeded.accounts
    assert seeded.counts() == before


def test_seed_from_scratch_is_audited(fresh_db):
    with db.write_session() as s:
        result = seed_demo(s)
    assert len(result) >= 10
    with db.read_session() as s:
        assert audit.verify(s) == []
        first = (
            s.execute(select(AuditEvent).where(AuditEvent.chain == "platform").order_by(AuditEvent.seq))
            .scalars()
            .first()
        )
        n_events = s.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        n_units = s.execute(select(func.count()).select_from(Unit)).scalar_one()
    assert first.action == "seed.platform_admin"
    assert n_events > n_units  # every unit, user, membership... is an event


def test_markdown_table():
    md = demo_accounts_markdown()
    assert DEMO_PASSWORD in md and "| e-mail |" in md
    for acc in seed.DEMO_ACCOUNTS:
        assert f"`{acc.email}`" in md
    rows = [line for line in md.splitlines() if line.startswith("| `")]
    assert len(rows) == len(seed.DEMO_ACCOUNTS)


def test_migrate_is_idempotent_on_seeded_db(seeded):
    before = seeded.counts()
    db.migrate()
    assert seeded.counts() == before
