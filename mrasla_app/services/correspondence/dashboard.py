"""The management dashboard (لوحة القيادة / tableau de bord) of a head of unit or an administrator.

Figures are computed over what the actor may oversee:

- an administrator of the administration (or a platform administrator): the whole
  administration, confidential items included (only counted, never shown);
- a head of unit: ``scoping.visible_clause`` (their branch: the units they head and everything
  below, plus what they act on), within their administration; the per-unit table only lists
  units of that branch.

Figures: open items per status ("queue"), open and overdue items per action unit, the overdue
total, the median processing time in days (registration → answer, or closing when there was no
answer) of incoming mail processed in the last :data:`MEDIAN_WINDOW_DAYS` days, and incoming
registrations per Morocco calendar day over the last :data:`DAYS` days (portal deposits and
other channels). No Reflex import: the UI and tests call it directly.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from mrasla_app.models import Channel, Correspondence, Direction, Role, Status, Unit
from mrasla_app.services.correspondence import registry, scoping
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import PermissionDenied
from mrasla_app.settings import TIMEZONE

#: Length of the "registrations per day" series (today included).
DAYS = 30
#: The median processing time looks at items answered/closed in this many last days.
MEDIAN_WINDOW_DAYS = 365
OPEN = registry.OPEN_STATUSES
#: The statuses shown as queues, in workflow order.
QUEUES = (Status.to_qualify, Status.returned, Status.dispatched, Status.in_progress, Status.answered, Status.closed)


@dataclass(frozen=True)
class UnitFigures:
    unit_id: int
    code: str
    name_ar: str
    name_fr: str
    open: int
    overdue: int


@dataclass(frozen=True)
class DayFigures:
    day: date
    portal: int
    other: int

    @property
    def total(self) -> int:
        return self.portal + self.other


@dataclass(frozen=True)
class Dashboard:
    scope: str  # "administration" or "branch"
    administration_id: int
    queues: dict[str, int]  # status value → count (all directions)
    open_total: int
    overdue: int
    median_days: float | None  # None: nothing processed in the window
    processed: int  # how many items the median is computed over
    units: list[UnitFigures] = field(default_factory=list)
    per_day: list[DayFigures] = field(default_factory=list)
    today: date | None = None


def today() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(TIMEZONE)).astimezone(timezone.utc)


def _aware(at: datetime) -> datetime:
    return at if at.utcoffset() is not None else at.replace(tzinfo=timezone.utc)


def can_view(actor: Actor | None) -> bool:
    """Heads of unit and administrators (of an administration) may open a dashboard."""
    if actor is None or not actor.administration_id:
        return False
    return actor.has_role(Role.head) or permissions.is_admin_of(actor, actor.administration_id)


def _scope(
    session: Session, actor: Actor | None, administration_id: int | None
) -> tuple[str, int, ColumnElement[bool], set[int] | None]:
    """(scope name, administration id, WHERE clause, units of the branch or None for all)."""
    actor = permissions.require_actor(actor)
    adm_id = administration_id or actor.administration_id
    if not adm_id:
        raise PermissionDenied()
    in_adm = col(Correspondence.administration_id) == adm_id
    if permissions.is_admin_of(actor, adm_id):
        return "administration", adm_id, in_adm, None
    if actor.administration_id == adm_id and actor.has_role(Role.head):
        branch = scoping.unit_scope(session, actor)
        return "branch", adm_id, in_adm & scoping.visible_clause(session, actor), branch
    raise PermissionDenied()


def dashboard(
    session: Session,
    actor: Actor | None,
    administration_id: int | None = None,
    *,
    now: datetime | None = None,
    days: int = DAYS,
) -> Dashboard:
    """The figures the actor may see (``administration_id`` defaults to the actor's own)."""
    scope, adm_id, where, branch = _scope(session, actor, administration_id)
    now = _aware(now) if now is not None else datetime.now(timezone.utc)
    day0 = now.astimezone(ZoneInfo(TIMEZONE)).date()

    # Per status ("queues").
    by_status: dict[Status, int] = dict(
        session.execute(
            select(Correspondence.status, func.count(Correspondence.id)).where(where).group_by(Correspondence.status)
        ).all()
    )
    queues = {s.value: int(by_status.get(s, 0)) for s in QUEUES}
    open_total = sum(int(by_status.get(s, 0)) for s in OPEN)

    # Overdue: open with a deadline before today (Morocco date).
    overdue_clause = where & Correspondence.status.in_(OPEN) & (Correspondence.deadline < day0)
    overdue = int(session.execute(select(func.count(Correspondence.id)).where(overdue_clause)).scalar_one())

    # Per action unit: open and overdue.
    open_by_unit: dict[int, int] = dict(
        session.execute(
            select(Correspondence.action_unit_id, func.count(Correspondence.id))
            .where(where, Correspondence.status.in_(OPEN), Correspondence.action_unit_id.is_not(None))
            .group_by(Correspondence.action_unit_id)
        ).all()
    )
    late_by_unit: dict[int, int] = dict(
        session.execute(
            select(Correspondence.action_unit_id, func.count(Correspondence.id))
            .where(overdue_clause, Correspondence.action_unit_id.is_not(None))
            .group_by(Correspondence.action_unit_id)
        ).all()
    )
    unit_ids = {u for u in open_by_unit if branch is None or u in branch}
    units_rows: Iterable[Unit] = (
        session.execute(select(Unit).where(Unit.id.in_(unit_ids))).scalars() if unit_ids else []
    )
    units = sorted(
        (
            UnitFigures(
                u.id,
                u.code,
                u.name_ar,
                u.name_fr,
                int(open_by_unit.get(u.id, 0)),
                int(late_by_unit.get(u.id, 0)),
            )
            for u in units_rows
        ),
        key=lambda f: (-f.open, -f.overdue, f.code),
    )

    # Median processing time of incoming mail (registered → answered, else closed), in days.
    done_at = func.coalesce(Correspondence.answered_at, Correspondence.closed_at)
    since = now - timedelta(days=MEDIAN_WINDOW_DAYS)
    pairs = session.execute(
        select(Correspondence.registered_at, Correspondence.answered_at, Correspondence.closed_at).where(
            where, Correspondence.direction == Direction.incoming, done_at.is_not(None), done_at >= since
        )
    ).all()
    durations = []
    for registered, answered, closed in pairs:
        end = answered or closed
        durations.append(max(0.0, (_aware(end) - _aware(registered)).total_seconds() / 86400))
    median_days = round(statistics.median(durations), 1) if durations else None

    # Incoming registrations per Morocco day over the last ``days`` days.
    first = day0 - timedelta(days=days - 1)
    stamps = session.execute(
        select(Correspondence.registered_at, Correspondence.channel).where(
            where,
            Correspondence.direction == Direction.incoming,
            Correspondence.registered_at >= _utc_midnight(first),
            Correspondence.registered_at < _utc_midnight(day0 + timedelta(days=1)),
        )
    ).all()
    portal: Counter[date] = Counter()
    other: Counter[date] = Counter()
    tz = ZoneInfo(TIMEZONE)
    for at, channel in stamps:
        d = _aware(at).astimezone(tz).date()
        (portal if channel == Channel.portal else other)[d] += 1
    per_day = [
        DayFigures(first + timedelta(days=i), portal[first + timedelta(days=i)], other[first + timedelta(days=i)])
        for i in range(days)
    ]

    return Dashboard(
        scope=scope,
        administration_id=adm_id,
        queues=queues,
        open_total=open_total,
        overdue=overdue,
        median_days=median_days,
        processed=len(durations),
        units=units,
        per_day=per_day,
        today=day0,
    )
