"""Directory endpoints: the public list of administrations, and staff-only unit trees."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import Session

from mrasla_app.api.deps import Id, current_actor, read_db
from mrasla_app.api.errors import errors
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory import users
from mrasla_app.services.directory.accounts import Actor

router = APIRouter(tags=["directory"])


class AdministrationOut(BaseModel):
    id: int
    code: str
    name_ar: str
    name_fr: str
    kind: str
    city_ar: str
    city_fr: str


class UnitOut(BaseModel):
    id: int
    parent_id: int | None
    code: str
    name_ar: str
    name_fr: str
    level: str
    depth: int
    active: bool


class UserOut(BaseModel):
    id: int
    email: str
    full_name: str
    active: bool


@router.get("/administrations", response_model=list[AdministrationOut], responses=errors(422))
def list_administrations(q: str = "", session: Session = Depends(read_db)) -> list[AdministrationOut]:
    """The public directory: active administrations, searchable in Arabic or French or by code."""
    return [
        AdministrationOut(
            id=a.id,
            code=a.code,
            name_ar=a.name_ar,
            name_fr=a.name_fr,
            kind=a.kind.value,
            city_ar=a.city_ar,
            city_fr=a.city_fr,
        )
        for a in directory.public_directory(session, q)
    ]


@router.get(
    "/administrations/{administration_id}/units", response_model=list[UnitOut], responses=errors(401, 403, 404, 422)
)
def list_units(
    administration_id: Id, session: Session = Depends(read_db), actor: Actor | None = Depends(current_actor)
) -> list[UnitOut]:
    """The unit tree (staff of that administration only)."""
    return [
        UnitOut(
            id=n.unit.id,
            parent_id=n.unit.parent_id,
            code=n.unit.code,
            name_ar=n.unit.name_ar,
            name_fr=n.unit.name_fr,
            level=n.unit.level.value,
            depth=n.depth,
            active=n.unit.active,
        )
        for n in directory.units_for(session, actor, administration_id)
    ]


@router.get(
    "/administrations/{administration_id}/users", response_model=list[UserOut], responses=errors(401, 403, 404, 422)
)
def list_users(
    administration_id: Id, session: Session = Depends(read_db), actor: Actor | None = Depends(current_actor)
) -> list[UserOut]:
    """The administration's staff (its administrators only)."""
    return [
        UserOut(id=u.id, email=u.email, full_name=u.full_name, active=u.active)
        for u in users.list_users(session, actor, administration_id)
    ]
