"""Reprinting the QR label of a registered letter from its page (the registration page is long gone).

The label's QR code carries a verification token whose hash is all the database keeps, so a reprint
issues a *new* token: the previous label's code stops working (the reprint says so). That is only
allowed where the code lives on the label alone — letters without a sealed receipt (paper, e-mail,
outgoing and internal registrations); a portal deposit's receipt carries the same code and keeps it.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.models import Correspondence, Document, DocumentKind
from mrasla_app.services.correspondence import letter_actions, paper, registry, scoping
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor, hash_secret
from mrasla_app.services.errors import DomainError, PermissionDenied
from mrasla_app.services.platform import audit

SHEETS = ("label", "a4")


def can_reprint(session: Session, actor: Actor, corr: Correspondence) -> bool:
    """A registry clerk of the letter's administration, for a letter whose code is only on its label."""
    if not letter_actions.is_registry_clerk(actor, corr):
        return False
    return (
        session.execute(
            select(Document.id)
            .where(Document.correspondence_id == corr.id, Document.kind == DocumentKind.receipt)
            .limit(1)
        ).first()
        is None
    )


def reprint(session: Session, actor: Actor | None, correspondence_id: int, sheet: str = "label") -> tuple[bytes, str]:
    """A new label (new QR token, the old one revoked) and the file name to save it under."""
    actor = permissions.require_actor(actor)
    if sheet not in SHEETS:
        raise DomainError("error.invalid_request")
    corr = scoping.get_visible(session, actor, correspondence_id)
    if not can_reprint(session, actor, corr):
        raise PermissionDenied()
    token = secrets.token_urlsafe(24)
    corr.verify_token_hash = hash_secret(token)
    session.add(corr)
    session.flush()
    audit.record(
        session,
        actor,
        "correspondence.label_reprinted",
        object_type="correspondence",
        object_id=corr.id or "",
        administration_id=corr.administration_id,
        data={"sheet": sheet},
    )
    pdf = paper.label_pdf(session, paper.Registration(corr, token), sheet=sheet)
    slug = registry.reference_slug(corr.registry_number)
    return pdf, f"etiquette-{slug}{'' if sheet == 'label' else '-a4'}.pdf"
