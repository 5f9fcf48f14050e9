"""Who may do what: the single place adapters and services ask before acting.

Rules for the directory and accounts (later issues add correspondence scoping here):
- a platform administrator manages every administration;
- an administration's administrator (role ``admin`` in any of its units) manages that
  administration only: its units, users, memberships and delegations;
- any active staff member may read the unit tree of their own administration.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlmodel import Session, SQLModel

from mrasla_app.models import Role
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import NotAuthenticated, NotFound, PermissionDenied

Row = TypeVar("Row", bound=SQLModel)


def require_actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise NotAuthenticated()
    return actor


def is_admin_of(actor: Actor | None, administration_id: int | None) -> bool:
    if actor is None or administration_id is None:
        return False
    if actor.is_platform_admin:
        return True
    return actor.administration_id == administration_id and actor.has_role(Role.admin)


def require_admin_of(actor: Actor | None, administration_id: int | None) -> Actor:
    actor = require_actor(actor)
    if not is_admin_of(actor, administration_id):
        raise PermissionDenied()
    return actor


def require_platform_admin(actor: Actor | None) -> Actor:
    actor = require_actor(actor)
    if not actor.is_platform_admin:
        raise PermissionDenied()
    return actor


def require_member_of(actor: Actor | None, administration_id: int | None) -> Actor:
    """Staff of ``administration_id`` (or a platform administrator)."""
    actor = require_actor(actor)
    if not (actor.is_platform_admin or (administration_id and actor.administration_id == administration_id)):
        raise PermissionDenied()
    return actor


def require_role(actor: Actor | None, *roles: Role) -> Actor:
    actor = require_actor(actor)
    if not actor.has_role(*roles):
        raise PermissionDenied()
    return actor


def administered(session: Session, actor: Actor | None, model: type[Row], row_id: int) -> Row:
    """The row ``row_id`` of ``model`` (a table with ``administration_id``) if ``actor`` administers its
    administration: ``NotFound`` otherwise, as for a row that does not exist (no existence oracle)."""
    row = session.get(model, row_id)
    if row is None or not is_admin_of(actor, row.administration_id):
        require_actor(actor)
        raise NotFound()
    return row


def administered_rows(
    session: Session, actor: Actor | None, model: type[Row], administration_id: int, *order_by: Any
) -> list[Row]:
    """Every row of ``model`` in ``administration_id``, in ``order_by`` order, for its administrators."""
    require_admin_of(actor, administration_id)
    owned = model.administration_id == administration_id
    return list(session.execute(select(model).where(owned).order_by(*order_by)).scalars())
