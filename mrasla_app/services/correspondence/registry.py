"""Registers: gap-free numbering and the status lifecycle of correspondence.

Numbers are ``CODE/YEAR/L/NNNNNN`` (L = A incoming, D outgoing, I internal), sequential without
gaps per administration, year and direction. The counter row is incremented with
``UPDATE … RETURNING`` inside the transaction that inserts the correspondence: a rollback gives
the number back, and concurrent writers serialise on the row (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: the row lock taken by the UPDATE).
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Executable, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from mrasla_app.models import Administration, Correspondence, Direction, RegistryCounter, Status
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import audit
from mrasla_app.services.platform.text import clean
from mrasla_app.settings import TIMEZONE

# Allowed status transitions: the lifecycle as data, checked by ``transition``.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.to_qualify: frozenset({Status.dispatched, Status.closed, Status.returned}),
    Status.dispatched: frozenset(
        {Status.in_progress, Status.answered, Status.returned, Status.dispatched, Status.closed}
    ),
    Status.in_progress: frozenset({Status.answered, Status.closed, Status.returned, Status.dispatched}),
    Status.returned: frozenset({Status.to_qualify, Status.dispatched, Status.closed}),
    Status.answered: frozenset({Status.closed, Status.archived}),
    Status.closed: frozenset({Status.archived}),
    Status.to_send: frozenset({Status.sent, Status.closed}),
    Status.sent: frozenset({Status.closed, Status.archived}),
    Status.archived: frozenset(),
}


def reachable(start: Status) -> tuple[Status, ...]:
    """Every status a letter that begins in ``start`` can reach through ``TRANSITIONS`` (``start`` included),
    in the enum's order."""
    seen, todo = {start}, [start]
    while todo:
        for nxt in TRANSITIONS[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return tuple(s for s in Status if s in seen)


#: What an incoming letter (a deposit, a registered arrival) can go through: the statuses its tracking shows.
INCOMING_STATUSES = reachable(Status.to_qualify)
#: Statuses still waiting for work: queues, deadlines and overdue counts look only at these.
OPEN_STATUSES: tuple[Status, ...] = (Status.to_qualify, Status.dispatched, Status.in_progress, Status.returned)
OPEN_VALUES = frozenset(s.value for s in OPEN_STATUSES)


def local_year(at: datetime) -> int:
    """The registry year is the calendar year in Morocco at registration time."""
    return at.astimezone(ZoneInfo(TIMEZONE)).year


def format_number(code: str, year: int, direction: Direction, seq: int) -> str:
    return f"{code}/{year}/{direction.letter}/{seq:06d}"


def reference_slug(registry_number: str) -> str:
    """URL-safe form of a registry number (``MEF/2026/A/000123`` → ``MEF-2026-A-000123``)."""
    return registry_number.replace("/", "-")


def number_from_slug(slug: str) -> str:
    """The registry number a URL's reference names (control characters dropped: PostgreSQL refuses a NUL)."""
    return clean(slug, multiline=False).replace("-", "/")


# A whole registry number as people type it: any case, "/" or "-" (the URL form), spaces, the sequence
# with or without its leading zeros ("mef-2026-a-123").
TYPED_NUMBER_RE = re.compile(
    r"^\s*([A-Za-z][A-Za-z0-9]{1,15})\s*[/-]\s*(\d{4})\s*[/-]\s*([ADIadi])\s*[/-]\s*(\d{1,6})\s*$"
)


def typed_number(text: str) -> str | None:
    """The canonical registry number when ``text`` is one whole number (``MEF/2026/A/000123``), else None."""
    m = TYPED_NUMBER_RE.match(text or "")
    if not m:
        return None
    code, year, letter, seq = m.groups()
    return f"{code.upper()}/{year}/{letter.upper()}/{int(seq):06d}"


def next_number(session: Session, administration_id: int, year: int, direction: Direction) -> int:
    """Take the next sequence number; only valid inside the transaction that uses it. One statement
    creates the counter at 1 or increments it, and holds its row lock until the transaction ends: a
    concurrent registration of the same register waits, so numbers are handed out without gaps."""
    return (
        session.connection()
        .execute(
            _increment(session.get_bind().dialect.name),
            {"administration_id": administration_id, "year": year, "direction": direction.value},
        )
        .scalar_one()
    )


@functools.cache
def _increment(dialect: str) -> Executable:
    """``next_number``'s upsert for ``dialect`` (PostgreSQL or SQLite), built once."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    keys = (RegistryCounter.administration_id, RegistryCounter.year, RegistryCounter.direction)
    return (
        insert(RegistryCounter)
        .values({key: bindparam(key.key) for key in keys} | {RegistryCounter.value: 1})
        .on_conflict_do_update(index_elements=list(keys), set_={"value": RegistryCounter.value + 1})
        .returning(RegistryCounter.value)
    )


def allocate(
    session: Session, administration: Administration, direction: Direction, at: datetime
) -> tuple[int, int, str]:
    """(year, seq, registry number) for a correspondence registered at ``at`` — in the caller's transaction."""
    year = local_year(at)
    seq = next_number(session, administration.id, year, direction)
    return year, seq, format_number(administration.code, year, direction, seq)


def transition(session: Session, actor: Actor | None, corr: Correspondence, new: Status, **data: object) -> None:
    """Move ``corr`` to ``new`` if the lifecycle allows it, with an audit event."""
    if new not in TRANSITIONS[corr.status]:
        raise DomainError("error.invalid_transition", current=corr.status.value, target=new.value)
    old, corr.status = corr.status, new
    session.add(corr)
    audit.record(
        session,
        actor,
        f"correspondence.{new.value}",
        object_type="correspondence",
        object_id=corr.id or "",
        administration_id=corr.administration_id,
        data={"from": old.value, "to": new.value, **data},
    )
