"""What the staff member's own account page shows, read in one place: the page only formats it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from mrasla_app.models import Unit, User
from mrasla_app.services.directory.accounts import Actor


@dataclass(frozen=True)
class MembershipView:
    role: str
    unit_code: str
    unit_name_ar: str
    unit_name_fr: str


@dataclass(frozen=True)
class AccountView:
    totp_enabled: bool
    totp_pending: bool  # administrator rights wait for a second factor (see ``accounts.load_actor``)
    memberships: list[MembershipView]  # the actor's roles, each in its unit


def account_view(session: Session, actor: Actor) -> AccountView:
    """The actor's own second-factor state and roles (nobody else's: the actor is the subject)."""
    user = session.get(User, actor.user_id)
    rows = []
    for unit_id, role in actor.memberships:
        unit = session.get(Unit, unit_id)
        if unit is not None:
            rows.append(MembershipView(role.value, unit.code, unit.name_ar, unit.name_fr))
    return AccountView(bool(user and user.totp_enabled), actor.totp_pending, rows)
