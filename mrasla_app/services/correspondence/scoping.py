"""Who may see which correspondence — the one rule every list, count, search and detail uses.

A correspondence is visible to:
- the registry (clerks) of its administration;
- the units it is dispatched to (action or information), and the heads of the units above them;
- for outgoing and internal mail, the unit that issued it (and the heads above);
- the people acting on it (its assignee, the person who registered it).
A confidential correspondence is visible only to the people named on it (and whoever registered it).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, false, or_, select
from sqlmodel import Session

from mrasla_app.models import ConfidentialAccess, Correspondence, Direction, Dispatch, Role
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import NotFound


def unit_scope(session: Session, actor: Actor) -> set[int]:
    """Units whose mail the actor sees: where they hold any role, plus everything below units they head.

    Kept for the rest of ``session`` (its ``info``): a page reads it for its counts, its list and its
    filters, and the unit tree does not change under one read."""
    key = ("unit_scope", actor.user_id, actor.memberships)
    scope = session.info.get(key)
    if scope is None:
        scope = session.info[key] = set(actor.unit_ids()) | directory.descendants(session, actor.unit_ids(Role.head))
    return set(scope)


def sees_nothing(actor: Actor) -> bool:
    """No correspondence is visible to ``actor``: they hold no role in an administration."""
    return not actor.memberships or not actor.administration_id


def visible_clause(session: Session, actor: Actor | None) -> ColumnElement[bool]:
    """A WHERE clause on ``Correspondence`` selecting what ``actor`` may see.

    Staff hold roles only in units of their own administration, and every way of reaching a
    correspondence (its units, its assignee, who registered it) stays inside the administration it
    belongs to, so the clause starts with the administration: lists and counts then read one
    administration's rows through its indexes instead of testing every row of the platform.
    """
    if actor is None or sees_nothing(actor):
        return false()
    clerk = actor.has_role(Role.clerk)
    return _reach(actor.user_id, actor.administration_id, set() if clerk else unit_scope(session, actor), clerk=clerk)


def visible_shape(clerk: bool) -> ColumnElement[bool]:
    """``visible_clause`` as bind parameters (``visible_params``), for statements built once and run on
    every page load: the clause of a clerk (the registry) or of anyone else."""
    return _reach(_USER, _ADM, _UNITS, clerk=clerk)


def visible_params(session: Session, actor: Actor) -> dict[str, object]:
    """The values of ``visible_shape``'s parameters for ``actor`` (who has memberships and an administration)."""
    clerk = actor.has_role(Role.clerk)
    return {
        "vis_user": actor.user_id,
        "vis_adm": actor.administration_id,
        "vis_units": [] if clerk else unit_scope(session, actor),
    }


_USER: BindParameter[int] = bindparam("vis_user")
_ADM: BindParameter[int] = bindparam("vis_adm")
_UNITS: BindParameter[list[int]] = bindparam("vis_units", expanding=True)


def _reach(user: Any, administration: Any, units: Any, *, clerk: bool) -> ColumnElement[bool]:
    """What ``user`` may see in ``administration``, with ``units`` their unit scope (values or bind parameters)."""
    own = Correspondence.administration_id == administration
    named = select(ConfidentialAccess.correspondence_id).where(ConfidentialAccess.user_id == user)
    confidential_ok = or_(
        Correspondence.confidential.is_(False), Correspondence.id.in_(named), Correspondence.created_by == user
    )
    if clerk:  # the registry sees its whole administration
        return and_(own, confidential_ok)
    dispatched = (
        select(Dispatch.id)
        .where(Dispatch.correspondence_id == Correspondence.id, Dispatch.unit_id.in_(units), Dispatch.active.is_(True))
        .exists()
    )
    reach = [  # the column tests first: the dispatch probe runs only for rows they do not settle
        Correspondence.action_unit_id.in_(units),
        Correspondence.assignee_id == user,
        Correspondence.created_by == user,
        and_(Correspondence.direction != Direction.incoming, Correspondence.unit_id.in_(units)),
        dispatched,
    ]
    return and_(own, or_(*reach), confidential_ok)


def get_visible(
    session: Session, actor: Actor | None, correspondence_id: int, *, for_update: bool = False
) -> Correspondence:
    """The correspondence if the actor may see it; ``NotFound`` otherwise (same answer as missing)."""
    if actor is None or sees_nothing(actor):
        raise NotFound()
    stmt = _visible_by_id(actor.has_role(Role.clerk), for_update)
    params = {"correspondence_id": correspondence_id, **visible_params(session, actor)}
    corr = session.execute(stmt, params).scalar_one_or_none()
    if corr is None:
        raise NotFound()
    return corr


@functools.cache
def _visible_by_id(clerk: bool, for_update: bool) -> Select[Correspondence]:
    """``get_visible``'s statement, built once per kind of actor (every letter opened runs it)."""
    stmt = select(Correspondence).where(Correspondence.id == bindparam("correspondence_id"), visible_shape(clerk))
    return stmt.with_for_update() if for_update else stmt
