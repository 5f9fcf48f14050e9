"""The directory: public search (Arabic/French variants, codes), unit trees and their validation."""

from __future__ import annotations

import pytest

from mrasla_app import db
from mrasla_app.models import Unit
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.errors import DomainError, NotAuthenticated, NotFound, PermissionDenied


def search(q: str) -> list[str]:
    with db.read_session() as s:
        return [a.code for a in directory.public_directory(s, q)]


def save_unit(actor, **kw) -> Unit:
    kw.setdefault("name_ar", "وحدة تجريبية")
    kw.setdefault("name_fr", "Unité de test")
    with db.write_session() as s:
        return directory.save_unit(s, actor, **kw)


def refused(fn, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as exc:
        fn(*args, **kw)
    return exc.value


# --- public directory ---------------------------------------------------------------------------


def test_public_directory_lists_all_active(seeded):
    assert set(search("")) >= {"MEF", "MEN", "CRB", "ANCFCC", "MSPS"}
    assert search("") == sorted(search(""))


@pytest.mark.parametrize(
    "query,code",
    [
        ("وزارة الاقتصاد والمالية", "MEF"),
        ("وزاره الاقتصاد", "MEF"),  # ta marbuta written as ha
        ("الإقتصاد", "MEF"),  # hamza under alef (common misspelling)
        ("وَزَارَةُ الصِّحَّةِ", "MSPS"),  # with tashkeel
        ("الصحه والحمايه الاجتماعيه", "MSPS"),
        ("التعليم الاولي", "MEN"),  # أولي without hamza
        ("الوكاله الوطنيه للمحافظه العقاريه", "ANCFCC"),
        ("جماعه الرباط", "CRB"),
        ("economie et des finances", "MEF"),  # French without accents
        ("ÉDUCATION NATIONALE", "MEN"),
        ("education nationale", "MEN"),
        ("conservation fonciere", "ANCFCC"),
        ("sante", "MSPS"),
        ("ancfcc", "ANCFCC"),  # by code, any case
        ("MEF", "MEF"),
    ],
)
def test_public_directory_search(seeded, query, code):
    assert code in search(query)


def test_public_directory_search_is_selective(seeded):
    assert search("finances") == ["MEF"]
    assert search("جماعة") == ["CRB"]
    assert search("zzz-nothing") == []


def test_public_directory_by_city(seeded):
    assert "CRB" in search("الرباط") and "CRB" in search("rabat")


def test_inactive_administration_hidden_from_public(seeded):
    platform = seeded.actor("admin@mrasla.ma")
    with db.write_session() as s:
        adm = directory.get_administration(s, seeded.adm_id("MSPS"))
        directory.save_administration(
            s,
            platform,
            administration_id=adm.id,
            code=adm.code,
            name_ar=adm.name_ar,
            name_fr=adm.name_fr,
            kind=adm.kind.value,
            active=False,
        )
    assert "MSPS" not in search("")


def test_public_directory_limit(seeded):
    with db.read_session() as s:
        assert len(directory.public_directory(s, "", limit=2)) == 2


# --- unit tree ----------------------------------------------------------------------------------


def test_unit_tree_parents_before_children(seeded):
    for code in ("MEF", "MEN", "CRB", "ANCFCC", "MSPS"):
        with db.read_session() as s:
            nodes = directory.unit_tree(s, seeded.adm_id(code))
        seen: dict[int, int] = {}
        for node in nodes:
            if node.unit.parent_id is None:
                assert node.depth == 0
            else:
                assert node.unit.parent_id in seen, f"{node.unit.code} listed before its parent"
                assert node.depth == seen[node.unit.parent_id] + 1
            seen[node.unit.id] = node.depth
        assert len(seen) == len(nodes)


def test_unit_tree_order_and_depth(seeded):
    with db.read_session() as s:
        nodes = directory.unit_tree(s, seeded.adm_id("MEF"))
    codes = [n.unit.code for n in nodes]
    depth = {n.unit.code: n.depth for n in nodes}
    assert codes[0] == "SG" and depth["SG"] == 0
    assert depth["DB"] == 1 and depth["DB.DSS"] == 2
    assert depth["TGR.TR-CS"] == 2 and depth["TGR.TP-SETTAT"] == 3
    # a subtree is contiguous: DB then its divisions, then the next directorate
    i = codes.index("DB")
    assert codes[i + 1 : i + 3] == ["DB.DSP", "DB.DSS"]


def test_unit_tree_active_only(seeded):
    admin = seeded.actor("admin.mef@mrasla.ma")
    mef = seeded.adm_id("MEF")
    dsp = seeded.unit_id("MEF", "DB.DSP")
    save_unit(
        admin,
        administration_id=mef,
        unit_id=dsp,
        parent_id=seeded.unit_id("MEF", "DB"),
        code="DB.DSP",
        name_fr="Division des Secteurs Productifs",
        name_ar="قسم القطاعات الإنتاجية",
        active=False,
    )
    with db.read_session() as s:
        assert dsp in {n.unit.id for n in directory.unit_tree(s, mef)}
        assert dsp not in {n.unit.id for n in directory.unit_tree(s, mef, active_only=True)}


def test_descendants(seeded):
    tgr = seeded.unit_id("MEF", "TGR")
    with db.read_session() as s:
        below = directory.descendants(s, {tgr})
    expected = {
        seeded.unit_id("MEF", c)
        for c in ("TGR", "TGR.TR-CS", "TGR.TP-SETTAT", "TGR.TP-JADIDA", "TGR.TR-RSK", "TGR.TP-KENITRA")
    }
    assert below == expected


def test_units_for_staff_only(seeded):
    mef = seeded.adm_id("MEF")
    with db.read_session() as s:
        assert directory.units_for(s, seeded.actor("agent.mef@mrasla.ma"), mef)
        assert directory.units_for(s, seeded.actor("admin@mrasla.ma"), mef)
        with pytest.raises(PermissionDenied):
            directory.units_for(s, seeded.actor("agent.crb@mrasla.ma"), mef)
        with pytest.raises(NotAuthenticated):
            directory.units_for(s, None, mef)


# --- unit validation ----------------------------------------------------------------------------


def test_create_unit_normalises_code(seeded):
    admin = seeded.actor("admin.mef@mrasla.ma")
    unit = save_unit(
        admin,
        administration_id=seeded.adm_id("MEF"),
        parent_id=seeded.unit_id("MEF", "DB"),
        code=" db.dcf ",
        level="central",
    )
    assert unit.code == "DB.DCF" and unit.parent_id == seeded.unit_id("MEF", "DB")


def test_cycle_refused(seeded):
    admin = seeded.actor("admin.mef@mrasla.ma")
    mef = seeded.adm_id("MEF")
    db_id, dss = seeded.unit_id("MEF", "DB"), seeded.unit_id("MEF", "DB.DSS")
    before = seeded.counts()
    # DB under its own division
    err = refused(
        save_unit,
        admin,
        administration_id=mef,
        unit_id=db_id,
        parent_id=dss,
        code="DB",
        name_fr="Direction du Budget",
        name_ar="مديرية الميزانية",
    )
    assert err.code == "error.invalid_parent"
    # a unit as its own parent
    err = refused(save_unit, admin, administration_id=mef, unit_id=dss, parent_id=dss, code="DB.DSS")
    assert err.code == "error.invalid_parent"
    # deeper: SG under a provincial treasury three levels down
    err = refused(
        save_unit,
        admin,
        administration_id=mef,
        unit_id=seeded.unit_id("MEF", "SG"),
        parent_id=seeded.unit_id("MEF", "TGR.TP-SETTAT"),
        code="SG",
    )
    assert err.code == "error.invalid_parent"
    assert seeded.counts() == before
    with db.read_session() as s:
        assert s.get(Unit, db_id).parent_id == seeded.unit_id("MEF", "SG")


def test_parent_from_other_administration_refused(seeded):
    platform = seeded.actor("admin@mrasla.ma")
    before = seeded.counts()
    err = refused(
        save_unit, platform, administration_id=seeded.adm_id("MEF"), parent_id=seeded.unit_id("CRB", "DGS"), code="X1"
    )
    assert err.code == "error.invalid_parent"
    err = refused(save_unit, platform, administration_id=seeded.adm_id("MEF"), parent_id=999_999, code="X2")
    assert err.code == "error.invalid_parent"
    assert seeded.counts() == before


def test_move_unit_to_other_administration_refused(seeded):
    """A unit id of administration B cannot be edited through administration A."""
    platform = seeded.actor("admin@mrasla.ma")
    with pytest.raises(NotFound):
        save_unit(
            platform,
            administration_id=seeded.adm_id("MEF"),
            unit_id=seeded.unit_id("CRB", "SEC"),
            parent_id=None,
            code="SEC",
        )


def test_duplicate_unit_code_refused(seeded):
    admin = seeded.actor("admin.mef@mrasla.ma")
    mef = seeded.adm_id("MEF")
    before = seeded.counts()
    assert refused(save_unit, admin, administration_id=mef, parent_id=None, code="DB").code == "error.duplicate_code"
    assert refused(save_unit, admin, administration_id=mef, parent_id=None, code="db").code == "error.duplicate_code"
    # renaming an existing unit onto another's code
    err = refused(
        save_unit,
        admin,
        administration_id=mef,
        unit_id=seeded.unit_id("MEF", "DB.DSS"),
        parent_id=seeded.unit_id("MEF", "DB"),
        code="DB.DSP",
    )
    assert err.code == "error.duplicate_code"
    assert seeded.counts() == before


def test_same_unit_code_in_two_administrations_allowed(seeded):
    # every seeded administration already has "BO"; another code shared across administrations:
    platform = seeded.actor("admin@mrasla.ma")
    save_unit(platform, administration_id=seeded.adm_id("CRB"), parent_id=None, code="DB")


def test_unit_keeps_its_code_on_update(seeded):
    admin = seeded.actor("admin.mef@mrasla.ma")
    dss = seeded.unit_id("MEF", "DB.DSS")
    unit = save_unit(
        admin,
        administration_id=seeded.adm_id("MEF"),
        unit_id=dss,
        parent_id=seeded.unit_id("MEF", "DB"),
        code="DB.DSS",
        name_fr="Division des Secteurs Sociaux (renommée)",
        name_ar="قسم القطاعات الاجتماعية",
    )
    assert unit.id == dss and unit.name_fr.endswith("(renommée)")


@pytest.mark.parametrize(
    "field,value,code",
    [
        ("code", "", "error.invalid_code"),
        ("code", "é-bad", "error.invalid_code"),
        ("code", "A" * 33, "error.invalid_code"),
        ("name_fr", "   ", "error.required"),
        ("name_ar", "", "error.required"),
        ("name_fr", "x" * 256, "error.too_long"),
        ("level", "national", "error.invalid_request"),
    ],
)
def test_unit_field_validation(seeded, field, value, code):
    admin = seeded.actor("admin.mef@mrasla.ma")
    kw = {"administration_id": seeded.adm_id("MEF"), "parent_id": None, "code": "NEW", field: value}
    before = seeded.counts()
    assert refused(save_unit, admin, **kw).code == code
    assert seeded.counts() == before


# --- administrations ------------------------------------------------------------------------------


def save_adm(actor, **kw):
    kw.setdefault("name_ar", "إدارة تجريبية")
    kw.setdefault("name_fr", "Administration de test")
    with db.write_session() as s:
        return directory.save_administration(s, actor, **kw)


def test_only_platform_admin_creates_administrations(seeded):
    before = seeded.counts()
    assert isinstance(refused(save_adm, seeded.actor("admin.mef@mrasla.ma"), code="NEW"), PermissionDenied)
    assert isinstance(refused(save_adm, None, code="NEW"), NotAuthenticated)
    assert seeded.counts() == before
    adm = save_adm(seeded.actor("admin@mrasla.ma"), code="cnss", kind="agency")
    assert adm.code == "CNSS"


def test_duplicate_administration_code_refused(seeded):
    platform = seeded.actor("admin@mrasla.ma")
    assert refused(save_adm, platform, code="mef").code == "error.duplicate_code"
    assert refused(save_adm, platform, code="1AB").code == "error.invalid_code"
    assert refused(save_adm, platform, code="NEW", kind="kingdom").code == "error.invalid_request"


def test_admin_edits_own_administration_but_not_its_code(seeded):
    admin = seeded.actor("admin.mef@mrasla.ma")
    mef = seeded.adm_id("MEF")
    adm = save_adm(
        admin,
        administration_id=mef,
        code="MEF",
        name_fr="Ministère de l'Économie et des Finances",
        name_ar="وزارة الاقتصاد والمالية",
        city_fr="Rabat",
        city_ar="الرباط",
    )
    assert adm.code == "MEF"
    assert refused(save_adm, admin, administration_id=mef, code="MEFX").code == "error.forbidden"


def test_administrations_for(seeded):
    with db.read_session() as s:
        assert len(directory.administrations_for(s, seeded.actor("admin@mrasla.ma"))) >= 5
        assert [a.code for a in directory.administrations_for(s, seeded.actor("admin.mef@mrasla.ma"))] == ["MEF"]
        assert directory.administrations_for(s, seeded.actor("agent.mef@mrasla.ma")) == []
        with pytest.raises(NotFound):
            directory.get_administration(s, 999_999)
