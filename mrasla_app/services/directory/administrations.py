"""The directory of administrations and their unit trees.

Reads for the public portal need no actor; every change requires an administrator and writes an
audit event in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from mrasla_app.models import Administration, AdministrationKind, Unit, UnitLevel
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.platform import audit, validation
from mrasla_app.services.platform.text import normalize


@dataclass(frozen=True)
class UnitNode:
    """A unit with its depth in the tree, for indented lists and pickers."""

    unit: Unit
    depth: int


def public_directory(session: Session, query: str = "", limit: int = 50) -> list[Administration]:
    """Active administrations matching ``query`` (Arabic or French name, any spelling variant, or code)."""
    rows = (
        session.execute(select(Administration).where(Administration.active.is_(True)).order_by(Administration.code))
        .scalars()
        .all()
    )
    q = normalize(query)
    if q:
        rows = [a for a in rows if q in normalize(f"{a.code} {a.name_ar} {a.name_fr} {a.city_ar} {a.city_fr}")]
    return list(rows[:limit])


def get_administration(session: Session, administration_id: int) -> Administration:
    adm = session.get(Administration, administration_id)
    if adm is None:
        raise NotFound()
    return adm


def administrations_for(session: Session, actor: Actor | None) -> list[Administration]:
    """What the actor may manage: all for a platform admin, their own for an administration admin."""
    actor = permissions.require_actor(actor)
    stmt = select(Administration).order_by(Administration.code)
    if not actor.is_platform_admin:
        if not permissions.is_admin_of(actor, actor.administration_id):
            return []
        stmt = stmt.where(Administration.id == actor.administration_id)
    return list(session.execute(stmt).scalars())


def save_administration(
    session: Session,
    actor: Actor | None,
    *,
    administration_id: int | None = None,
    code: str,
    name_ar: str,
    name_fr: str,
    kind: str = "ministry",
    city_ar: str = "",
    city_fr: str = "",
    active: bool = True,
) -> Administration:
    """Create (platform admin) or update (its admin) an administration."""
    if administration_id is None:
        permissions.require_platform_admin(actor)
        adm = Administration(code="", name_ar="", name_fr="")
    else:
        permissions.require_admin_of(actor, administration_id)
        adm = get_administration(session, administration_id)
    new_code = validation.code(code, validation.ADMIN_CODE)
    if new_code != adm.code and administration_id is not None and not actor.is_platform_admin:
        raise DomainError("error.forbidden")  # registry numbers embed the code: only the platform changes it
    clash = session.execute(
        select(Administration.id).where(Administration.code == new_code, Administration.id != administration_id)
    ).first()
    if clash:
        raise DomainError("error.duplicate_code")
    try:
        adm.kind = AdministrationKind(kind)
    except ValueError:
        raise DomainError("error.invalid_request") from None
    adm.code = new_code
    adm.name_ar = validation.text(name_ar, "name_ar")
    adm.name_fr = validation.text(name_fr, "name_fr")
    adm.city_ar = validation.text(city_ar, "city_ar", max_len=120, required=False)
    adm.city_fr = validation.text(city_fr, "city_fr", max_len=120, required=False)
    adm.active = bool(active)
    session.add(adm)
    session.flush()
    audit.record(
        session,
        actor,
        "administration.created" if administration_id is None else "administration.updated",
        object_type="administration",
        object_id=adm.id,
        administration_id=adm.id,
        data={"code": adm.code, "name_fr": adm.name_fr, "active": adm.active},
    )
    return adm


def unit_tree(session: Session, administration_id: int, *, active_only: bool = False) -> list[UnitNode]:
    """The administration's units depth-first (parents before children), for display and pickers."""
    stmt = select(Unit).where(Unit.administration_id == administration_id)
    if active_only:
        stmt = stmt.where(Unit.active.is_(True))
    units = list(session.execute(stmt.order_by(Unit.code)).scalars())
    children: dict[int | None, list[Unit]] = {}
    ids = {u.id for u in units}
    for u in units:
        children.setdefault(u.parent_id if u.parent_id in ids else None, []).append(u)
    out: list[UnitNode] = []

    def walk(parent: int | None, depth: int) -> None:
        for u in children.get(parent, []):
            out.append(UnitNode(u, depth))
            walk(u.id, depth + 1)

    walk(None, 0)
    return out


def units_for(session: Session, actor: Actor | None, administration_id: int) -> list[UnitNode]:
    """The unit tree, readable by the administration's own staff and platform admins."""
    permissions.require_member_of(actor, administration_id)
    return unit_tree(session, administration_id)


def descendants(session: Session, unit_ids: set[int] | frozenset[int]) -> set[int]:
    """``unit_ids`` and every unit below them (heads see their sub-units)."""
    found = set(unit_ids)
    frontier = set(unit_ids)
    while frontier:
        frontier = set(session.execute(select(Unit.id).where(Unit.parent_id.in_(frontier))).scalars()) - found
        found |= frontier
    return found


def save_unit(
    session: Session,
    actor: Actor | None,
    *,
    administration_id: int,
    unit_id: int | None = None,
    parent_id: int | None,
    code: str,
    name_ar: str,
    name_fr: str,
    level: str = "central",
    active: bool = True,
) -> Unit:
    """Create or update a unit; the parent must belong to the same administration and not be below it."""
    permissions.require_admin_of(actor, administration_id)
    get_administration(session, administration_id)
    if unit_id is None:
        unit = Unit(administration_id=administration_id, code="", name_ar="", name_fr="")
    else:
        existing = session.get(Unit, unit_id)
        if existing is None or existing.administration_id != administration_id:
            raise NotFound()
        unit = existing
    if parent_id is not None:
        parent = session.get(Unit, parent_id)
        if parent is None or parent.administration_id != administration_id:
            raise DomainError("error.invalid_parent")
        if unit_id is not None and parent_id in descendants(session, {unit_id}):
            raise DomainError("error.invalid_parent")
    new_code = validation.code(code, validation.UNIT_CODE)
    clash = session.execute(
        select(func.count())
        .select_from(Unit)
        .where(Unit.administration_id == administration_id, Unit.code == new_code, Unit.id != unit_id)
    ).scalar_one()
    if clash:
        raise DomainError("error.duplicate_code")
    try:
        unit.level = UnitLevel(level)
    except ValueError:
        raise DomainError("error.invalid_request") from None
    unit.code, unit.parent_id = new_code, parent_id
    unit.name_ar = validation.text(name_ar, "name_ar")
    unit.name_fr = validation.text(name_fr, "name_fr")
    unit.active = bool(active)
    session.add(unit)
    session.flush()
    audit.record(
        session,
        actor,
        "unit.created" if unit_id is None else "unit.updated",
        object_type="unit",
        object_id=unit.id,
        administration_id=administration_id,
        data={"code": unit.code, "parent_id": parent_id, "level": unit.level.value, "active": unit.active},
    )
    return unit
