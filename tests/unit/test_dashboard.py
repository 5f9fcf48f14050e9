"""The management dashboard: scoping (a head sees only their branch) and the figures on a small fixture."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from mrasla_app import db
from mrasla_app.models import Channel, Correspondence, Dispatch, DispatchPurpose, Status
from mrasla_app.services.correspondence import dashboard, paper
from mrasla_app.services.errors import DomainError, PermissionDenied
from mrasla_app.settings import TIMEZONE

TZ = ZoneInfo(TIMEZONE)
NOW = datetime(2026, 4, 15, 10, 0, tzinfo=timezone.utc)
TODAY = NOW.astimezone(TZ).date()
CLERK = "clerk.mef@mrasla.ma"


def _mail(
    seeded,
    *,
    unit: str | None,
    status: Status = Status.dispatched,
    registered: datetime = NOW,
    deadline: date | None = None,
    answered: datetime | None = None,
    closed: datetime | None = None,
    channel: str = "paper",
    adm: str = "MEF",
    clerk: str = CLERK,
    confidential: bool = False,
) -> int:
    """An incoming letter, then moved by hand to the wanted state (dispatch, dates, status)."""
    with db.write_session() as s:
        reg = paper.register_incoming(
            s,
            seeded.actor(clerk),
            administration_id=seeded.adm_id(adm),
            channel="email",
            subject="Objet",
            sender_name="Ahmed Amrani",
        )
        corr = s.get(Correspondence, reg.correspondence.id)
        corr.status, corr.registered_at, corr.deadline = status, registered, deadline
        corr.answered_at, corr.closed_at, corr.channel = answered, closed, Channel(channel)
        corr.confidential = confidential
        if unit:
            uid = seeded.unit_id(adm, unit)
            corr.action_unit_id = uid
            s.add(Dispatch(correspondence_id=corr.id, unit_id=uid, purpose=DispatchPurpose.action))
        s.add(corr)
        return corr.id  # type: ignore[return-value]


def _board(seeded, email: str, **kw) -> dashboard.Dashboard:
    with db.read_session() as s:
        return dashboard.dashboard(s, seeded.actor(email), now=NOW, **kw)


@pytest.fixture
def fixture(seeded):
    late = TODAY - timedelta(days=3)
    later = TODAY + timedelta(days=10)
    _mail(seeded, unit="DB.DSS", deadline=late)  # overdue, DSS
    _mail(seeded, unit="DB.DSS", status=Status.in_progress, deadline=later)
    _mail(
        seeded, unit="DB.DSS", status=Status.closed, registered=NOW - timedelta(days=12), closed=NOW - timedelta(days=2)
    )  # 10 days, closed without answer
    _mail(seeded, unit="DB.DSP", deadline=late)  # overdue, DSP (sibling branch)
    _mail(
        seeded,
        unit="DB.DSP",
        status=Status.answered,
        registered=NOW - timedelta(days=5),
        answered=NOW - timedelta(days=1),
        closed=NOW,
    )  # 4 days (answer counts, not closing)
    _mail(
        seeded,
        unit="DAAG.DRH",
        status=Status.answered,
        registered=NOW - timedelta(days=3),
        answered=NOW - timedelta(days=1),
    )  # 2 days
    _mail(seeded, unit=None, status=Status.to_qualify, channel="portal")  # still at the registry
    _mail(seeded, unit="DAAG.DRH", confidential=True, channel="portal", deadline=late)
    _mail(seeded, unit="SEC", adm="CRB", clerk="clerk.crb@mrasla.ma", deadline=late)  # another administration
    return seeded


def test_administration_admin_sees_the_whole_administration(fixture):
    b = _board(fixture, "admin.mef@mrasla.ma")
    assert b.scope == "administration"
    assert b.queues == {"to_qualify": 1, "returned": 0, "dispatched": 3, "in_progress": 1, "answered": 2, "closed": 1}
    assert b.open_total == 5
    assert b.overdue == 3  # DSS, DSP and the confidential one (counted, never shown)
    assert b.median_days == 4.0 and b.processed == 3  # 10, 4, 2 days
    by_code = {u.code: (u.open, u.overdue) for u in b.units}
    assert by_code == {"DB.DSS": (2, 1), "DB.DSP": (1, 1), "DAAG.DRH": (1, 1)}
    assert b.units[0].code == "DB.DSS"  # busiest first
    assert "SEC" not in by_code


def test_head_sees_only_their_branch(fixture):
    head = _board(fixture, "head.mef@mrasla.ma")  # heads DB.DSS
    assert head.scope == "branch"
    assert [u.code for u in head.units] == ["DB.DSS"]
    assert head.open_total == 2 and head.overdue == 1
    assert head.queues["to_qualify"] == 0 and head.queues["closed"] == 1
    assert head.median_days == 10.0 and head.processed == 1
    director = _board(fixture, "director.mef@mrasla.ma")  # heads DB: DSS and DSP below
    assert {u.code for u in director.units} == {"DB.DSS", "DB.DSP"}
    assert director.open_total == 3 and director.overdue == 2
    assert director.median_days == 7.0  # median of 10 and 4


def test_deposits_per_day_use_morocco_dates(fixture):
    b = _board(fixture, "admin.mef@mrasla.ma")
    assert len(b.per_day) == dashboard.DAYS and b.per_day[-1].day == TODAY
    assert b.per_day[0].day == TODAY - timedelta(days=dashboard.DAYS - 1)
    today = b.per_day[-1]
    assert (today.portal, today.other) == (2, 3)
    assert sum(d.total for d in b.per_day) == 8  # the CRB letter is not counted
    # A letter registered late in the UTC evening falls on the next Morocco day when Morocco is ahead of UTC.
    evening = datetime.combine(TODAY - timedelta(days=1), datetime.min.time(), tzinfo=TZ).astimezone(
        timezone.utc
    ) - timedelta(minutes=30)
    _mail(fixture, unit="DB.DSS", registered=evening)
    b2 = _board(fixture, "admin.mef@mrasla.ma")
    local = evening.astimezone(TZ).date()
    before = {d.day: d.total for d in b.per_day}
    after = {d.day: d.total for d in b2.per_day}
    assert after[local] == before[local] + 1


def test_who_may_not_see_a_dashboard(fixture):
    for email in ("agent.mef@mrasla.ma", CLERK):
        with pytest.raises(PermissionDenied):
            _board(fixture, email)
        with db.read_session() as s:
            assert not dashboard.can_view(fixture.actor(email))
    with pytest.raises(PermissionDenied):  # another administration's figures
        _board(fixture, "admin.crb@mrasla.ma", administration_id=fixture.adm_id("MEF"))
    with pytest.raises(PermissionDenied):  # a head cannot widen the scope to another administration
        _board(fixture, "head.mef@mrasla.ma", administration_id=fixture.adm_id("CRB"))
    with pytest.raises(DomainError):
        with db.read_session() as s:
            dashboard.dashboard(s, None)
    crb = _board(fixture, "admin.crb@mrasla.ma")
    assert crb.open_total == 1 and [u.code for u in crb.units] == ["SEC"]
    assert dashboard.can_view(fixture.actor("head.mef@mrasla.ma"))
    assert dashboard.can_view(fixture.actor("admin.mef@mrasla.ma"))
