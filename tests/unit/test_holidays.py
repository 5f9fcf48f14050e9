"""The holiday calendar: who may change which days, clashes, listing per year, audit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from mrasla_app import db
from mrasla_app.models import AuditEvent, Holiday
from mrasla_app.services.correspondence import holidays
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.platform import audit

DAY = date(2026, 9, 14)


def _holidays() -> int:
    with db.read_session() as s:
        return s.execute(select(func.count()).select_from(Holiday)).scalar_one()


def _events(action: str) -> list[AuditEvent]:
    with db.read_session() as s:
        return list(s.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def test_seeded_national_calendar(seeded):
    with db.read_session() as s:
        rows = holidays.list_holidays(s, seeded.actor("agent.mef@mrasla.ma"), seeded.adm_id("MEF"), 2027)
    days = {r.day for r in rows}
    assert date(2027, 7, 30) in days and date(2027, 11, 6) in days and date(2027, 1, 11) in days
    assert all(r.national for r in rows)
    assert not any(r.day == date(2027, 3, 20) for r in rows)  # 2026 religious days are one-off
    assert [r.day for r in rows] == sorted(r.day for r in rows)
    throne = next(r for r in rows if r.day == date(2027, 7, 30))
    assert throne.recurring and throne.name_fr == "Fête du Trône" and throne.name_ar == "عيد العرش"


def test_administration_admin_manages_own_days_only(seeded):
    crb, mef = seeded.adm_id("CRB"), seeded.adm_id("MEF")
    admin_crb = seeded.actor("admin.crb@mrasla.ma")
    before = _holidays()
    with db.write_session() as s:
        h = holidays.add_holiday(s, admin_crb, crb, DAY, "موسم محلي", "Moussem local")
    hid = h.id
    for actor, adm in (
        (admin_crb, mef),
        (seeded.actor("admin.mef@mrasla.ma"), crb),
        (seeded.actor("clerk.crb@mrasla.ma"), crb),
        (seeded.actor("agent.mef@mrasla.ma"), mef),
    ):
        with pytest.raises(PermissionDenied), db.write_session() as s:
            holidays.add_holiday(s, actor, adm, date(2026, 9, 15), "يوم", "Jour")
    assert _holidays() == before + 1
    # MEF's administrator cannot remove (nor learn about) CRB's day
    with pytest.raises(NotFound), db.write_session() as s:
        holidays.remove_holiday(s, seeded.actor("admin.mef@mrasla.ma"), hid)
    with db.read_session() as s:
        crb_days = {r.day for r in holidays.list_holidays(s, admin_crb, crb, 2026)}
        mef_days = {r.day for r in holidays.list_holidays(s, seeded.actor("agent.mef@mrasla.ma"), mef, 2026)}
        with pytest.raises(PermissionDenied):
            holidays.list_holidays(s, seeded.actor("agent.mef@mrasla.ma"), crb, 2026)
    assert DAY in crb_days and DAY not in mef_days
    with db.write_session() as s:
        holidays.remove_holiday(s, admin_crb, hid)
    assert _holidays() == before
    added, removed = _events("holiday.added"), _events("holiday.removed")
    assert added[-1].administration_id == crb and removed[-1].administration_id == crb
    assert '"Moussem local"' in removed[-1].data
    with db.read_session() as s:
        assert audit.verify(s) == []


def test_national_days_are_platform_only(seeded):
    for email in ("admin.mef@mrasla.ma", "admin.crb@mrasla.ma", "clerk.mef@mrasla.ma"):
        with pytest.raises(PermissionDenied), db.write_session() as s:
            holidays.add_holiday(s, seeded.actor(email), None, DAY, "عطلة", "Congé", recurring=True)
    with db.read_session() as s:
        national = s.execute(select(Holiday).where(Holiday.administration_id.is_(None))).scalars().first()
    with pytest.raises(PermissionDenied), db.write_session() as s:
        holidays.remove_holiday(s, seeded.actor("admin.mef@mrasla.ma"), national.id)
    platform = seeded.actor("admin@mrasla.ma")
    with db.write_session() as s:
        h = holidays.add_holiday(s, platform, None, DAY, "عطلة استثنائية", "Congé exceptionnel")
    ev = _events("holiday.added")[-1]
    assert ev.administration_id is None and ev.chain == "platform" and ev.object_id == str(h.id)
    with db.read_session() as s:
        days = {
            r.day for r in holidays.list_holidays(s, seeded.actor("agent.crb@mrasla.ma"), seeded.adm_id("CRB"), 2026)
        }
    assert DAY in days  # national: every administration
    with db.write_session() as s:
        holidays.remove_holiday(s, platform, h.id)


def test_clashes_and_validation(seeded):
    platform = seeded.actor("admin@mrasla.ma")
    admin_mef, mef = seeded.actor("admin.mef@mrasla.ma"), seeded.adm_id("MEF")
    with pytest.raises(DomainError) as e, db.write_session() as s:
        holidays.add_holiday(s, platform, None, date(2030, 7, 30), "عيد العرش", "Fête du Trône")
    assert e.value.code == "error.holiday_exists"  # the recurring row already covers every 30 July
    with pytest.raises(DomainError) as e, db.write_session() as s:
        holidays.add_holiday(s, platform, None, date(2026, 5, 27), "عيد", "Aïd")
    assert e.value.code == "error.holiday_exists"
    with pytest.raises(DomainError) as e, db.write_session() as s:
        holidays.add_holiday(s, admin_mef, mef, DAY, "", "Sans nom arabe")
    assert e.value.code == "error.required"
    with pytest.raises(DomainError) as e, db.write_session() as s:
        holidays.add_holiday(s, admin_mef, mef, DAY, "ا" * 121, "Trop long")
    assert e.value.code == "error.too_long"
    # the same date as a national day is still allowed for an administration (different scope)
    with db.write_session() as s:
        holidays.add_holiday(s, admin_mef, mef, date(2026, 7, 31), "جسر", "Pont après la fête du Trône")
    with pytest.raises(DomainError) as e, db.write_session() as s:
        holidays.add_holiday(s, admin_mef, mef, date(2026, 7, 31), "جسر", "Pont")
    assert e.value.code == "error.holiday_exists"
    with pytest.raises(NotFound), db.write_session() as s:
        holidays.remove_holiday(s, platform, 999_999)
