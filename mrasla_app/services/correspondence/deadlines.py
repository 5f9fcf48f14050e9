"""Deadlines in working days (jours ouvrables / أيام العمل), with the holiday calendar.

Moroccan public administrations work Monday to Friday: Saturday and Sunday are off, and so are
the days of the holiday calendar (national days, recurring every year, plus the religious
holidays of the lunar calendar entered per year, plus an administration's own days; see
``services/correspondence/holidays.py``).

Conventions, used everywhere deadlines are computed or shown:

- ``add_working_days(start, n)`` is the n-th working day *after* ``start`` (``start`` itself never
  counts, whether or not it is a working day): a letter registered on Friday with one working day
  is due on Monday; on a Saturday, also on Monday.
- ``working_days_between(a, b)`` counts the working days ``d`` with ``a < d <= b`` (negative when
  ``b < a``), so ``working_days_between(a, add_working_days(a, n)) == n``.
- ``deadline_state`` compares a deadline with "today" (a Morocco date): ``due_soon`` when at most
  :data:`DUE_SOON_DAYS` working days are left (the deadline day itself included, 0 left),
  ``overdue`` from the day after the deadline, with the number of days late counted in working
  days (at least 1: a Saturday after a Friday deadline is already one day late).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Row, bindparam, or_, select
from sqlmodel import Session

from mrasla_app.models import Holiday, Priority
from mrasla_app.settings import TIMEZONE

#: ``date.weekday()`` values of the week-end (Saturday, Sunday).
WEEKEND: frozenset[int] = frozenset({5, 6})
#: At most this many working days left → ``due_soon``.
DUE_SOON_DAYS = 2

#: Default service levels, in working days, from registration.
#: ``priority``: by priority. ``type``: by correspondence type (``Correspondence.type_code``);
#: ``None`` means "no deadline" (e.g. a letter for information only). When both apply, the
#: shorter one wins (an urgent invoice is due in 5 days, a normal complaint in 15); a type of
#: ``None`` means no deadline whatever the priority. Unknown types use the priority alone.
DEFAULT_SLA: dict[str, dict[str, int | None]] = {
    "priority": {
        Priority.normal.value: 20,
        Priority.urgent.value: 5,
        Priority.very_urgent.value: 2,
    },
    "type": {
        "complaint": 15,  # réclamation / شكاية
        "request": 20,  # demande / طلب
        "invoice": 10,  # facture / فاتورة
        "information": None,  # pour information / للإخبار: no deadline
    },
}

DeadlineState = str  # "none" | "ok" | "due_soon" | "overdue"


def local_date(at: datetime) -> date:
    """The Morocco calendar date of an aware datetime (stored UTC)."""
    if at.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return at.astimezone(ZoneInfo(TIMEZONE)).date()


def today() -> date:
    """Today in Morocco."""
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def is_working_day(day: date, holidays: Iterable[date] = frozenset()) -> bool:
    return day.weekday() not in WEEKEND and day not in holidays


def add_working_days(start: date, n: int, holidays: Iterable[date] = frozenset()) -> date:
    """The n-th working day after ``start`` (before it when ``n`` is negative; ``start`` if 0)."""
    off = holidays if isinstance(holidays, (set, frozenset)) else frozenset(holidays)
    step = 1 if n >= 0 else -1
    day, left = start, abs(n)
    while left:
        day += timedelta(days=step)
        if is_working_day(day, off):
            left -= 1
    return day


def working_days_between(a: date, b: date, holidays: Iterable[date] = frozenset()) -> int:
    """Working days ``d`` with ``a < d <= b``; negative (the same count) when ``b < a``."""
    if b < a:
        return -working_days_between(b, a, holidays)
    off = holidays if isinstance(holidays, (set, frozenset)) else frozenset(holidays)
    total = (b - a).days
    weeks, rest = divmod(total, 7)
    count = weeks * 5  # every full week holds 5 working days…
    for i in range(1, rest + 1):  # …then the remaining days one by one
        if (a + timedelta(days=i)).weekday() not in WEEKEND:
            count += 1
    count -= sum(1 for h in off if a < h <= b and h.weekday() not in WEEKEND)
    return count


def expand(holidays: Iterable[Holiday | Row[tuple[date, bool]]], years: Iterable[int]) -> set[date]:
    """Holiday rows → concrete dates: recurring rows once per year (29 Feb only in leap years)."""
    wanted = set(years)
    out: set[date] = set()
    for h in holidays:
        if h.recurring:
            for y in wanted:
                try:
                    out.add(h.day.replace(year=y))
                except ValueError:  # 29 February in a common year
                    pass
        elif h.day.year in wanted:
            out.add(h.day)
    return out


def holiday_rows(session: Session, administration_id: int | None) -> list[Holiday]:
    """National rows plus (if given) those of ``administration_id``."""
    scope = Holiday.administration_id.is_(None)
    if administration_id is not None:
        scope = or_(scope, Holiday.administration_id == administration_id)
    return list(session.execute(select(Holiday).where(scope).order_by(Holiday.day)).scalars())


#: Built once (every inbox and letter view reads the holidays): the two columns ``expand`` needs, national
#: rows plus those of the administration (none for ``administration_id`` None: no row has a NULL id equal).
_DAYS = select(Holiday.day, Holiday.recurring).where(
    or_(Holiday.administration_id.is_(None), Holiday.administration_id == bindparam("administration_id"))
)


def holidays_for(session: Session, administration_id: int | None, years: Iterable[int]) -> set[date]:
    """Non-working dates of ``years`` for an administration: national + its own, recurring expanded."""
    return expand(session.execute(_DAYS, {"administration_id": administration_id}), years)


def sla_days(type_code: str = "", priority: Priority | str = Priority.normal) -> int | None:
    """Working days allowed by :data:`DEFAULT_SLA` (``None``: no deadline)."""
    prio = Priority(priority).value
    by_priority = DEFAULT_SLA["priority"][prio]
    types = DEFAULT_SLA["type"]
    code = (type_code or "").strip().lower()
    if code in types:
        by_type = types[code]
        if by_type is None:
            return None
        return min(by_type, by_priority) if by_priority is not None else by_type
    return by_priority


def default_deadline(
    session: Session, administration_id: int, type_code: str, priority: Priority | str, start: datetime
) -> date | None:
    """The default deadline of a correspondence registered at ``start`` (aware, UTC stored)."""
    days = sla_days(type_code, priority)
    if days is None:
        return None
    first = local_date(start)
    # 20 working days never span more than ~6 weeks even with a long holiday: two years suffice.
    off = holidays_for(session, administration_id, (first.year, first.year + 1))
    return add_working_days(first, days, off)


def deadline_state(
    deadline: date | None, today: date, holidays: Iterable[date] = frozenset()
) -> tuple[DeadlineState, int]:
    """``(state, days)``: working days left (``ok``/``due_soon``) or days late (``overdue``)."""
    if deadline is None:
        return "none", 0
    if today > deadline:
        return "overdue", max(1, working_days_between(deadline, today, holidays))
    left = working_days_between(today, deadline, holidays)
    return ("due_soon" if left <= DUE_SOON_DAYS else "ok"), left
