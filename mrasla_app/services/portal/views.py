"""What the public portal pages show, read in one place: the pages only format it.

No actor here: the portal's visitors are anonymous, so each function is given an id the server
itself holds (a tracking page's verified letter) or a public directory entry the visitor chose.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from mrasla_app.models import Administration, Correspondence
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.portal import tracking


@dataclass(frozen=True)
class DepositDestination:
    """An active administration of the public directory, with the units a deposit may be addressed to."""

    id: int
    code: str
    name_ar: str
    name_fr: str
    units: list[directory.UnitNode]  # its active units, depth-first


def deposit_destination(session: Session, administration_id: int) -> DepositDestination | None:
    """The administration a visitor picked, or None when there is no such active administration."""
    adm = session.get(Administration, administration_id) if administration_id else None
    if adm is None or not adm.active:
        return None
    return DepositDestination(
        adm.id,
        adm.code,
        adm.name_ar,
        adm.name_fr,
        directory.unit_tree(session, adm.id, active_only=True),
    )


def tracking_view(session: Session, correspondence_id: int) -> tracking.TrackingView | None:
    """The public tracking view of a letter whose access the page has already verified."""
    corr = session.get(Correspondence, correspondence_id)
    return tracking.view(session, corr) if corr is not None else None
