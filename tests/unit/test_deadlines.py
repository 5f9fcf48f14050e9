"""Working-day deadlines: week-ends, the holiday calendar, default service levels, alert states."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest

from mrasla_app import db
from mrasla_app.models import Priority
from mrasla_app.services.correspondence import deadlines, holidays
from mrasla_app.services.correspondence.deadlines import (
    DEFAULT_SLA,
    add_working_days,
    deadline_state,
    is_working_day,
    sla_days,
    working_days_between,
)

FRI, SAT, SUN, MON, TUE = (date(2026, 7, 24) + timedelta(days=i) for i in (0, 1, 2, 3, 4))
THRONE_DAY = date(2026, 7, 30)  # Thursday


def test_weekend_is_off():
    assert is_working_day(FRI) and is_working_day(MON)
    assert not is_working_day(SAT) and not is_working_day(SUN)
    assert not is_working_day(MON, {MON})


def test_friday_plus_one_is_monday():
    assert add_working_days(FRI, 1, set()) == MON
    assert add_working_days(SAT, 1, set()) == MON  # a week-end start counts from Monday too
    assert add_working_days(SUN, 1, set()) == MON
    assert add_working_days(FRI, 5, set()) == date(2026, 7, 31)
    assert add_working_days(FRI, 0, set()) == FRI


def test_monday_holiday_pushes_to_tuesday():
    assert add_working_days(FRI, 1, {MON}) == TUE
    assert add_working_days(FRI, 2, {MON}) == date(2026, 7, 29)
    assert add_working_days(FRI, 1, {SAT}) == MON  # a holiday on a week-end changes nothing


def test_negative_and_between_are_consistent():
    assert add_working_days(MON, -1, set()) == FRI
    rng = random.Random(253)
    hol = {date(2026, 1, 1) + timedelta(days=rng.randrange(730)) for _ in range(40)}
    for _ in range(300):
        a = date(2026, 1, 1) + timedelta(days=rng.randrange(600))
        n = rng.randrange(0, 40)
        b = add_working_days(a, n, hol)
        assert working_days_between(a, b, hol) == n
        # brute force
        c = a + timedelta(days=rng.randrange(-60, 60))
        lo, hi = min(a, c), max(a, c)
        brute = sum(1 for i in range(1, (hi - lo).days + 1) if is_working_day(lo + timedelta(days=i), hol))
        assert working_days_between(a, c, hol) == (brute if c >= a else -brute)


def test_sla_table():
    assert DEFAULT_SLA["priority"] == {"normal": 20, "urgent": 5, "very_urgent": 2}
    assert DEFAULT_SLA["type"] == {"complaint": 15, "request": 20, "invoice": 10, "information": None}
    assert sla_days("", Priority.normal) == 20
    assert sla_days("complaint", "normal") == 15
    assert sla_days("complaint", "urgent") == 5  # the shorter one wins
    assert sla_days("invoice", "very_urgent") == 2
    assert sla_days("information", "very_urgent") is None
    assert sla_days("unknown_type", "urgent") == 5
    with pytest.raises(ValueError):
        sla_days("", "whenever")


def test_deadline_states_and_days_late():
    assert deadline_state(None, MON, set()) == ("none", 0)
    assert deadline_state(FRI, MON, set()) == ("overdue", 1)
    assert deadline_state(FRI, TUE, set()) == ("overdue", 2)
    assert deadline_state(FRI, SAT, set()) == ("overdue", 1)  # already late on the Saturday
    assert deadline_state(FRI, date(2026, 8, 7), set()) == ("overdue", 10)
    assert deadline_state(FRI, date(2026, 8, 7), {THRONE_DAY}) == ("overdue", 9)
    assert deadline_state(TUE, TUE, set()) == ("due_soon", 0)
    assert deadline_state(TUE, FRI, set()) == ("due_soon", 2)  # Mon, Tue
    assert deadline_state(date(2026, 7, 29), FRI, set()) == ("ok", 3)
    assert deadline_state(date(2026, 7, 29), FRI, {MON}) == ("due_soon", 2)


def test_recurring_throne_day_from_seeded_calendar(seeded):
    mef = seeded.adm_id("MEF")
    with db.read_session() as s:
        hol = deadlines.holidays_for(s, mef, [2026, 2027])
    assert THRONE_DAY in hol and date(2027, 7, 30) in hol  # recurring: every year
    assert date(2026, 1, 1) in hol and date(2026, 11, 18) in hol
    assert date(2026, 5, 27) in hol and date(2026, 5, 28) in hol  # Aïd al-Adha 2026 (one-off rows)
    assert date(2027, 5, 27) not in hol
    wed = date(2026, 7, 29)
    assert add_working_days(wed, 1, hol) == date(2026, 7, 31)  # Thursday 30 July is off
    assert deadline_state(wed, date(2026, 7, 31), hol) == ("overdue", 1)


def test_administration_holiday_is_its_own(seeded):
    crb, mef = seeded.adm_id("CRB"), seeded.adm_id("MEF")
    with db.write_session() as s:
        holidays.add_holiday(s, seeded.actor("admin.crb@mrasla.ma"), crb, MON, "عطلة محلية", "Fermeture locale")
    with db.read_session() as s:
        assert MON in deadlines.holidays_for(s, crb, [2026])
        assert MON not in deadlines.holidays_for(s, mef, [2026])
        assert deadlines.default_deadline(
            s, crb, "", "very_urgent", datetime(2026, 7, 24, 9, tzinfo=timezone.utc)
        ) == date(2026, 7, 29)
        assert (
            deadlines.default_deadline(s, mef, "", "very_urgent", datetime(2026, 7, 24, 9, tzinfo=timezone.utc)) == TUE
        )


def test_default_deadline_uses_casablanca_date(seeded):
    mef = seeded.adm_id("MEF")
    with db.read_session() as s:
        # 23:30 UTC on Thursday 23 July is already Friday 24 July in Morocco (UTC+1).
        late = datetime(2026, 7, 23, 23, 30, tzinfo=timezone.utc)
        assert deadlines.local_date(late) == FRI
        assert deadlines.default_deadline(s, mef, "", Priority.very_urgent, late) == TUE
        assert deadlines.default_deadline(s, mef, "information", Priority.urgent, late) is None
        # 20 working days from Friday 24 July: Throne Day (30/7), 14, 20 and 21 August are off…
        d = deadlines.default_deadline(s, mef, "request", Priority.normal, late)
        assert working_days_between(FRI, d, deadlines.holidays_for(s, mef, [2026])) == 20
        assert d == date(2026, 8, 31)  # …and so are 26–27 August (Aïd al-Mawlid 2026, approximate)
        with pytest.raises(ValueError):
            deadlines.default_deadline(s, mef, "", "normal", datetime(2026, 7, 24, 9))
