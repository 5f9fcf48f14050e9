"""The holiday calendar (العطل / jours fériés) used by the working-day deadlines.

- National days (``administration_id`` None) apply to every administration: only a platform
  administrator adds or removes them.
- An administration may add its own non-working days (a local holiday, a closure): its
  administrators manage them, and nobody else's.
- ``recurring`` days repeat every year on the same month and day (fixed national holidays);
  religious holidays follow the lunar calendar and are entered per year.

Any staff member may read the calendar of their administration (national days included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.models import Administration, Holiday
from mrasla_app.services.correspondence import deadlines
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.platform import audit, validation


@dataclass(frozen=True)
class HolidayEntry:
    """A holiday as it falls in a given year (recurring rows are placed in that year)."""

    id: int
    day: date
    name_ar: str
    name_fr: str
    recurring: bool
    administration_id: int | None

    @property
    def national(self) -> bool:
        return self.administration_id is None


def _require_manager(actor: Actor | None, administration_id: int | None) -> Actor:
    if administration_id is None:
        return permissions.require_platform_admin(actor)
    return permissions.require_admin_of(actor, administration_id)


def list_holidays(
    session: Session, actor: Actor | None, administration_id: int | None, year: int
) -> list[HolidayEntry]:
    """National days plus (if given) the administration's own, as they fall in ``year``, by date."""
    if administration_id is None:
        permissions.require_actor(actor)
    else:
        permissions.require_member_of(actor, administration_id)
    out: list[HolidayEntry] = []
    for h in deadlines.holiday_rows(session, administration_id):
        for day in sorted(deadlines.expand([h], [year])):
            out.append(HolidayEntry(h.id, day, h.name_ar, h.name_fr, h.recurring, h.administration_id))
    return sorted(out, key=lambda e: (e.day, e.administration_id is not None, e.id))


def _clash(session: Session, administration_id: int | None, day: date, recurring: bool) -> bool:
    """Same scope and same day, or (for recurring days) the same month and day."""
    scope = (
        Holiday.administration_id.is_(None)
        if administration_id is None
        else Holiday.administration_id == administration_id
    )
    for other in session.execute(select(Holiday).where(scope)).scalars():
        if other.day == day:
            return True
        if (recurring or other.recurring) and (other.day.month, other.day.day) == (day.month, day.day):
            return True  # a recurring day already covers (or would cover) that date
    return False


def add_holiday(
    session: Session,
    actor: Actor | None,
    administration_id: int | None,
    day: date,
    name_ar: str,
    name_fr: str,
    recurring: bool = False,
) -> Holiday:
    """Add a non-working day (national: platform administrator; an administration's: its admin)."""
    actor = _require_manager(actor, administration_id)
    if administration_id is not None and session.get(Administration, administration_id) is None:
        raise DomainError("error.unknown_administration")
    if not isinstance(day, date):
        raise DomainError("error.required", field="day")
    name_ar = validation.text(name_ar, "name_ar", max_len=120)
    name_fr = validation.text(name_fr, "name_fr", max_len=120)
    if _clash(session, administration_id, day, recurring):
        raise DomainError("error.holiday_exists", day=day.isoformat())
    h = Holiday(
        administration_id=administration_id, day=day, recurring=bool(recurring), name_ar=name_ar, name_fr=name_fr
    )
    session.add(h)
    session.flush()
    audit.record(
        session,
        actor,
        "holiday.added",
        object_type="holiday",
        object_id=h.id,
        administration_id=administration_id,
        data={"day": day.isoformat(), "recurring": h.recurring, "name_fr": name_fr, "name_ar": name_ar},
    )
    return h


def remove_holiday(session: Session, actor: Actor | None, holiday_id: int) -> None:
    """Remove a non-working day (same rights as adding it)."""
    permissions.require_actor(actor)
    h = session.get(Holiday, holiday_id)
    if h is None:
        raise NotFound()
    if h.administration_id is not None and not permissions.is_admin_of(actor, h.administration_id):
        raise NotFound()  # another administration's day: no existence oracle
    actor = _require_manager(actor, h.administration_id)
    data = {"day": h.day.isoformat(), "recurring": h.recurring, "name_fr": h.name_fr, "name_ar": h.name_ar}
    adm_id = h.administration_id
    session.delete(h)
    session.flush()
    audit.record(
        session,
        actor,
        "holiday.removed",
        object_type="holiday",
        object_id=holiday_id,
        administration_id=adm_id,
        data=data,
    )
