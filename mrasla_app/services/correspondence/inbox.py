"""The agents' inbox: queues, filters, search, counts and keyset pagination — all scoped.

Every query starts from ``scoping.visible_clause``, so a list, a count or a search result never
includes what the actor may not open. Pages are fetched by keyset (``after`` = the last row's
sort key), so page 10,000 costs the same as page 1.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, ColumnElement, Row, Select, and_, bindparam, case, false, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from mrasla_app.models import (
    Administration,
    Correspondence,
    Direction,
    Dispatch,
    DispatchPurpose,
    Party,
    PartyKind,
    Priority,
    Role,
    Status,
    Unit,
)
from mrasla_app.models.base import MAX_ID
from mrasla_app.services.correspondence import letter_actions, registry, scoping, search
from mrasla_app.services.correspondence.letter_actions import LetterAction
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import FieldErrors
from mrasla_app.services.platform.text import clean, search_terms
from mrasla_app.services.records import file_plan
from mrasla_app.settings import TIMEZONE

E = TypeVar("E", bound=enum.Enum)

OPEN = registry.OPEN_STATUSES
MAX_LIMIT = 100
#: Ids of the newest letters a search reads first (``_newest_matching``; each next window is four times
#: larger): at 1M letters, a common word fills a page of the largest administration from them.
SEARCH_WINDOW = 32_768
#: PostgreSQL: at most this many letters in scope are tested one by one (``search.Match.of_row``).
ROW_BY_ROW = 2_000


class Queue(str, enum.Enum):
    to_qualify = "to_qualify"
    assigned_to_me = "assigned_to_me"
    my_unit = "my_unit"
    for_information = "for_information"
    overdue = "overdue"
    awaiting_signature = "awaiting_signature"
    sent = "sent"
    all = "all"


# Queues of open items: a few per cent of an administration's mail, best read through the
# (administration, status) index and then sorted. Their pages sort on ``id + 0``, which no index
# provides: without statistics (SQLite keeps none) the planner would otherwise walk the whole
# administration in id order to avoid that small sort.
OPEN_QUEUES = frozenset({Queue.to_qualify, Queue.assigned_to_me, Queue.my_unit, Queue.overdue})


class Sort(str, enum.Enum):
    newest = "newest"
    oldest = "oldest"
    deadline = "deadline"
    relevance = "relevance"  # with a search: best matches first (``correspondence.search.rank``)


@dataclass(frozen=True)
class InboxFilter:
    queue: Queue = Queue.all
    direction: str = ""
    status: str = ""
    priority: str = ""
    date_from: date | None = None
    date_to: date | None = None
    unit_id: int | None = None
    sender: str = ""
    q: str = ""
    sort: Sort = Sort.newest
    # Records metadata (``records.file_plan``): file-plan node, document type, tag
    file_plan_node_id: int | None = None
    document_type_id: int | None = None
    tag_id: int | None = None


@dataclass(frozen=True)
class InboxRow:
    id: int
    registry_number: str
    subject: str
    sender: str
    direction: str
    channel: str
    status: str
    priority: str
    confidential: bool
    deadline: date | None
    registered_at: datetime
    action_unit_ar: str
    action_unit_fr: str
    sender_ar: str = ""  # the sender in Arabic when it is an administration (its French name in ``sender``)
    snippet: search.Snippet | None = None  # with a search: the message or document text around a hit


def _sender(row: Row) -> tuple[str, str]:
    """Who sent it, for a list (``_listed``'s row): an administration of the platform by its name in both
    scripts (its party only repeats the French name), otherwise the person or body recorded as the sender."""
    if row.adm_fr is not None and (row.party_kind is None or row.party_kind == PartyKind.administration):
        return row.adm_fr, row.adm_ar
    return (row.party_name or ""), ""


def today() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def _queue_clause(actor: Actor, queue: Queue) -> ColumnElement[bool] | None:
    return _queue_shape(queue, actor.has_role(Role.clerk), actor.user_id, actor.unit_ids(), today())


def _queue_shape(queue: Queue, clerk: bool, me: Any, own_units: Any, day: Any) -> ColumnElement[bool] | None:
    """What ``queue`` holds (None: everything visible) for the user ``me`` of ``own_units`` on ``day`` (values,
    or the bind parameters of ``_counts_statement``)."""
    if queue is Queue.to_qualify:
        if not clerk:
            return false()
        return Correspondence.status.in_(letter_actions.RULES[LetterAction.qualify].starts)
    if queue is Queue.assigned_to_me:
        return and_(Correspondence.assignee_id == me, Correspondence.status.in_(OPEN))
    if queue is Queue.my_unit:
        return and_(Correspondence.action_unit_id.in_(own_units), Correspondence.status.in_(OPEN))
    if queue is Queue.for_information:
        copies = select(Dispatch.correspondence_id).where(
            Dispatch.unit_id.in_(own_units), Dispatch.purpose == DispatchPurpose.information, Dispatch.active.is_(True)
        )
        return Correspondence.id.in_(copies)
    if queue is Queue.overdue:
        return and_(Correspondence.deadline < day, Correspondence.status.in_(OPEN))
    if queue is Queue.awaiting_signature:
        return false()  # filled by the signature book (parapheur) once answers travel through circuits
    if queue is Queue.sent:
        return col(Correspondence.direction) == Direction.outgoing
    return None


def search_clause(session: Session, q: str) -> ColumnElement[bool] | None:
    """Full-text match over the number, subject, parties, message and documents' text (every word, as
    prefixes of its folded form or its Arabic stem; see ``correspondence.search``).

    A whole registry number (what a clerk types or scans from a label) is looked up through its
    unique index instead: one row, without the full-text index matching each of its parts.

    Whatever ``q`` holds, the query is well-formed: ``clean`` removes control characters (a NUL
    ended SQLite's FTS string: "unterminated string", a 500) and the words are letters and digits
    only, quoted for FTS5."""
    q = clean(q, multiline=False)
    if (number := registry.typed_number(q)) is not None:
        return col(Correspondence.registry_number) == number
    terms = search_terms(q)
    if not terms:
        return None
    return Correspondence.id.in_(search.matching_ids(session, terms))


def _filtered(session: Session, actor: Actor | None, f: InboxFilter, *, words: bool = True) -> Select:
    """The scoped, filtered query; without ``words``, the search's words are left to ``_newest_matching``
    (a registry number is still looked up here)."""
    stmt = select(Correspondence).where(scoping.visible_clause(session, actor))
    if actor is not None and (clause := _queue_clause(actor, f.queue)) is not None:
        stmt = stmt.where(clause)
    if f.direction:
        stmt = stmt.where(Correspondence.direction == _value(Direction, f.direction, "direction"))
    if f.status:
        stmt = stmt.where(Correspondence.status == _value(Status, f.status, "status"))
    if f.priority:
        stmt = stmt.where(Correspondence.priority == _value(Priority, f.priority, "priority"))
    if f.date_from:
        stmt = stmt.where(Correspondence.registered_at >= _utc_midnight(f.date_from))
    if f.date_to:
        stmt = stmt.where(Correspondence.registered_at < _utc_midnight(f.date_to + timedelta(days=1)))
    if f.unit_id:
        stmt = stmt.where(Correspondence.action_unit_id == f.unit_id)
    if sender := clean(f.sender, multiline=False):
        like = f"%{sender}%"
        stmt = stmt.where(Correspondence.sender_party_id.in_(select(Party.id).where(Party.full_name.ilike(like))))
    if f.q.strip() and (words or _typed_number(f.q)) and (clause := search_clause(session, f.q)) is not None:
        stmt = stmt.where(clause)
    for ids in file_plan.letter_ids_clause(f.file_plan_node_id, f.document_type_id, [f.tag_id] if f.tag_id else ()):
        stmt = stmt.where(Correspondence.id.in_(ids))
    return stmt


def _typed_number(q: str) -> bool:
    return registry.typed_number(clean(q, multiline=False)) is not None


def _newest_matching(
    session: Session, stmt: Select, terms: search.Terms, *, below: int | None, limit: int
) -> list[int]:
    """The ids of the ``limit`` newest rows of ``stmt`` (scoped and filtered, without the words) that
    match ``terms``, below id ``below``, read window by window of ids, newest first, each window four
    times the last: a common word is answered from the newest letters without reading every letter
    that holds it, a rare one from a few windows (each read of the index costs little: the query's
    words are whole indexed words, see ``search.match``). On PostgreSQL, a scope of at most
    ``ROW_BY_ROW`` letters (a small unit's mail) is tested letter by letter instead."""
    hi = below if below is not None else (session.execute(select(func.max(Correspondence.id))).scalar() or 0) + 1
    ids = stmt.with_only_columns(Correspondence.id).order_by(Correspondence.id.desc())
    words = search.match(session, terms)
    if (
        words.postgresql
        and session.execute(
            select(func.count()).select_from(
                ids.where(Correspondence.id < hi).order_by(None).limit(ROW_BY_ROW + 1).subquery()
            )
        ).scalar_one()
        <= ROW_BY_ROW
    ):
        return list(session.execute(ids.where(Correspondence.id < hi, words.of_row()).limit(limit)).scalars())
    found: list[int] = []
    window = SEARCH_WINDOW
    while hi > 1 and len(found) < limit:
        lo = max(1, hi - window)
        found += session.execute(
            ids.where(Correspondence.id >= lo, Correspondence.id < hi, words.among(session, range(lo, hi))).limit(
                limit - len(found)
            )
        ).scalars()
        hi, window = lo, window * 4
    return found


def _value(kind: type[E], value: str, name: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise FieldErrors({name: "error.invalid_value"}) from None


def _id(text: str) -> int:
    value = int(text)
    if not 0 <= value <= MAX_ID:
        raise ValueError(text)
    return value


def _utc_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(TIMEZONE))


def _cursor(row: Row, sort: Sort) -> str:
    if sort is Sort.deadline:
        return f"{row.deadline.isoformat() if row.deadline else '9999-12-31'}|{row.id}"
    return str(row.id)


def _after(stmt: Select, sort: Sort, after: str) -> Select:
    """Rows after the cursor ``after`` (as ``_cursor`` wrote it; anything else is refused)."""
    try:
        if sort is Sort.newest:
            return stmt.where(Correspondence.id < _id(after))
        if sort is Sort.oldest:
            return stmt.where(Correspondence.id > _id(after))
        day_s, _, id_s = after.partition("|")
        day, last_id = date.fromisoformat(day_s), _id(id_s)
    except ValueError:
        raise FieldErrors({"after": "error.invalid_value"}) from None
    deadline = func.coalesce(Correspondence.deadline, date(9999, 12, 31))
    return stmt.where(or_(deadline > day, and_(deadline == day, Correspondence.id > last_id)))


def page(
    session: Session,
    actor: Actor | None,
    f: InboxFilter,
    *,
    after: str = "",
    limit: int = 25,
) -> tuple[list[InboxRow], str]:
    """One page of the inbox and the cursor of the next page ("" when this is the last one)."""
    limit = max(1, min(limit, MAX_LIMIT))
    terms = search_terms(clean(f.q, multiline=False)) if f.q.strip() else []
    words = bool(terms) and not _typed_number(f.q)  # a registry number is one index probe, whatever the sort
    if f.sort is Sort.relevance and words:
        return _ranked_page(session, actor, f, terms, after, limit)
    sort = Sort.newest if f.sort is Sort.relevance else f.sort
    key = Correspondence.id + 0 if f.queue in OPEN_QUEUES else Correspondence.id
    order = {
        Sort.newest: (key.desc(),),
        Sort.oldest: (key.asc(),),
        Sort.deadline: (func.coalesce(Correspondence.deadline, date(9999, 12, 31)).asc(), key.asc()),
    }[sort]
    ids: Select | list[int]
    if sort is Sort.newest and words:
        try:
            below = _id(after) if after else None
        except ValueError:
            raise FieldErrors({"after": "error.invalid_value"}) from None
        ids = _newest_matching(session, _filtered(session, actor, f, words=False), terms, below=below, limit=limit + 1)
    else:
        stmt = _filtered(session, actor, f)
        if after:
            stmt = _after(stmt, sort, after)
        # The page's ids first (from indexes where the filters allow), then only those rows.
        ids = stmt.with_only_columns(Correspondence.id).order_by(*order).limit(limit + 1)
    rows = _listed(session, ids, order)
    more = len(rows) > limit
    rows = rows[:limit]
    return _rows(session, rows, terms), (_cursor(rows[-1], sort) if more and rows else "")


def _ranked_page(
    session: Session, actor: Actor | None, f: InboxFilter, terms: list[tuple[str, ...]], after: str, limit: int
) -> tuple[list[InboxRow], str]:
    """A page of the RANK_POOL newest matches, best first; the cursor is the next page's offset."""
    try:
        offset = int(after) if after else 0
        if not 0 <= offset <= search.RANK_POOL:
            raise ValueError(after)
    except ValueError:
        raise FieldErrors({"after": "error.invalid_value"}) from None
    pool = _newest_matching(
        session, _filtered(session, actor, f, words=False), terms, below=None, limit=search.RANK_POOL
    )
    chosen = search.rank(session, pool, terms)[offset : offset + limit]
    by_id = {r.id: r for r in _listed(session, chosen)}
    more = offset + limit < len(pool)
    return _rows(session, [by_id[i] for i in chosen], terms), (str(offset + limit) if more else "")


def _listed(session: Session, ids: Select | list[int], order: Sequence[ColumnElement] = ()) -> list[Row]:
    """The letters ``ids`` as a list shows them, with their sender's and action unit's names: one query of
    the columns needed (the rows' full ORM objects and three lookups by id cost more than the page's
    own query, on every inbox load and refresh)."""
    return list(session.execute(_LISTED.where(Correspondence.id.in_(ids)).order_by(*order)).all())


_SENDER_ADM = aliased(Administration)
#: The list's columns and joins, built once (every inbox load and refresh): ``_listed`` adds the ids and order.
_LISTED = (
    select(
        Correspondence.id,
        Correspondence.registry_number,
        Correspondence.subject,
        Correspondence.direction,
        Correspondence.channel,
        Correspondence.status,
        Correspondence.priority,
        Correspondence.confidential,
        Correspondence.deadline,
        Correspondence.registered_at,
        Party.full_name.label("party_name"),
        Party.kind.label("party_kind"),
        _SENDER_ADM.name_fr.label("adm_fr"),
        _SENDER_ADM.name_ar.label("adm_ar"),
        Unit.name_ar.label("unit_ar"),
        Unit.name_fr.label("unit_fr"),
    )
    .outerjoin(Party, Party.id == Correspondence.sender_party_id)
    .outerjoin(_SENDER_ADM, _SENDER_ADM.id == Correspondence.sender_administration_id)
    .outerjoin(Unit, Unit.id == Correspondence.action_unit_id)
)


def _rows(session: Session, rows: list[Row], terms: list[tuple[str, ...]]) -> list[InboxRow]:
    """``_listed``'s rows as list rows (with a search, their snippets, read in one query)."""
    snippets = search.snippets(session, [r.id for r in rows], terms) if terms else {}
    out = []
    for r in rows:
        sender, sender_ar = _sender(r)
        out.append(
            InboxRow(
                id=r.id,
                registry_number=r.registry_number,
                subject=r.subject,
                sender=sender,
                sender_ar=sender_ar,
                direction=r.direction.value,
                channel=r.channel.value,
                status=r.status.value,
                priority=r.priority.value,
                confidential=r.confidential,
                deadline=r.deadline,
                registered_at=r.registered_at,
                action_unit_ar=r.unit_ar or "",
                action_unit_fr=r.unit_fr or "",
                snippet=snippets.get(r.id),
            )
        )
    return out


def counts(session: Session, actor: Actor | None) -> dict[str, int]:
    """How many items each queue holds for the actor (scoped like the lists), in one pass over what
    the actor may see: one conditional count per queue rather than one query per queue. The statement is
    built once per kind of actor (every inbox load and refresh runs it); the actor is in its parameters."""
    if actor is None or scoping.sees_nothing(actor):
        return dict.fromkeys((q.value for q in Queue), 0)
    clerk = actor.has_role(Role.clerk)
    params = {"me": actor.user_id, "own_units": list(actor.unit_ids()), "day": today()}
    row = session.execute(_counts_statement(clerk), {**params, **scoping.visible_params(session, actor)}).one()
    return {q.value: int(n) for q, n in zip(Queue, row)}


@functools.cache
def _counts_statement(clerk: bool) -> Select:
    me: BindParameter[int] = bindparam("me")
    own_units: BindParameter[list[int]] = bindparam("own_units", expanding=True)
    day: BindParameter[date] = bindparam("day")
    clauses = [_queue_shape(q, clerk, me, own_units, day) for q in Queue]
    return select(
        *(func.count(Correspondence.id) if clause is None else func.count(case((clause, 1))) for clause in clauses)
    ).where(scoping.visible_shape(clerk))
