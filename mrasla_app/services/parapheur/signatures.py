"""Signing a step's field: the signatory's credential, the visible stamp, the PAdES signature.

A signature fills the participant's own field of the prepared document (``submission.prepare``),
the first one certifying it (DocMDP FILL_FORMS); a seal is the platform's, applied at the
participant's decision. Signing happens inside the caller's write transaction (about 50–100 ms)
on a private event loop (``pki.signing.run_sync``): call from a worker thread, never from inside a
running event loop. pyHanko signers are built by ``pki.signing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pyhanko.sign.signers import Signer
from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.documents import bordereau as pdfs
from mrasla_app.models import (
    Administration,
    Decision,
    Folder,
    FolderStep,
    KeySource,
    SigningKey,
    StepAction,
    StepKind,
    StepParticipant,
    User,
)
from mrasla_app.models.base import utcnow
from mrasla_app.pki import ca, signing
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.parapheur import circuits, signing_keys
from mrasla_app.services.parapheur.folders import LIVE
from mrasla_app.services.platform import storage


@dataclass(frozen=True)
class Credential:
    """A signatory's unlocked key and its pyHanko signer, built once and used for one signature or
    for a whole batch (``services.parapheur.batch``): the PIN's scrypt and the signer are paid once.
    Keep it in memory only for the signing calls."""

    user_id: int
    key: signing_keys.UnlockedKey
    signer: Signer
    long_term: bool  # B-LTA (platform certificates) or B-T (another CA: no revocation data offline)


def unlock_credential(session: Session, actor: Actor, pin: str | None) -> Credential:
    """``signing_keys.unlock`` (wrong PINs counted) and the signer for the actor's key."""
    key = signing_keys.unlock(session, actor, pin or "")
    platform_issued = key.source == KeySource.platform
    signer = signing.personal_signer(key.certificate, key.private_key, key.chain, platform_issued=platform_issued)
    return Credential(actor.user_id, key, signer, platform_issued)


def _check_credential(session: Session, actor: Actor, credential: Credential) -> None:
    """A credential unlocked earlier (batch) is still the actor's usable key: revoked, locked or
    replaced since, it signs nothing more."""
    row = session.get(SigningKey, credential.key.key_id)
    if credential.user_id != actor.user_id or row is None or row.user_id != actor.user_id or not row.active:
        raise DomainError("error.no_signing_key")
    problem = signing_keys.key_problem(row)
    if problem:
        raise DomainError(problem)


def revoked_predecessors(session: Session, folder: Folder) -> list[str]:
    """Serials (hex) of the revoked certificates behind the live signatures already on this
    version's document. Nobody signs on top of them: the signed PDF would not verify."""
    serials = set(
        session.execute(
            select(StepAction.certificate_serial)
            .join(FolderStep, FolderStep.id == StepAction.step_id)
            .where(
                StepAction.folder_id == folder.id,
                FolderStep.version == folder.version,
                LIVE,
                StepAction.decision == Decision.signed,
                StepAction.certificate_serial != "",
            )
        ).scalars()
    )
    if not serials:
        return []
    return sorted(
        session.execute(
            select(SigningKey.serial).where(SigningKey.serial.in_(serials), SigningKey.revoked.is_(True))
        ).scalars()
    )


def _stamp(
    session: Session, folder: Folder, step: FolderStep, actor_user: User, for_user: User | None, now: datetime
) -> pdfs.StampData:
    """The visible stamp: the seal of the administration, or the signatory's name, capacity and
    unit (and whom they sign for by delegation), in both languages."""
    if step.kind == StepKind.seal:
        adm = session.get(Administration, folder.administration_id)
        assert adm is not None
        return pdfs.StampData(
            seal=True,
            name_fr=adm.name_fr,
            name_ar=adm.name_ar,
            role_fr=f"à la demande de {actor_user.full_name}",
            role_ar=f"بطلب من {actor_user.full_name_ar or actor_user.full_name}",
            unit_fr="",
            unit_ar="",
            signed_at=now,
        )
    unit, role = circuits.signing_capacity(session, actor_user.id)
    role_fr, role_ar = circuits.role_labels(role)
    return pdfs.StampData(
        seal=False,
        name_fr=actor_user.full_name,
        name_ar=actor_user.full_name_ar or actor_user.full_name,
        role_fr=role_fr,
        role_ar=role_ar,
        unit_fr=unit.name_fr if unit else "",
        unit_ar=unit.name_ar if unit else "",
        signed_at=now,
        for_fr=for_user.full_name if for_user else "",
        for_ar=(for_user.full_name_ar or for_user.full_name) if for_user else "",
    )


def sign_slot(
    session: Session,
    actor: Actor,
    folder: Folder,
    step: FolderStep,
    slot: StepParticipant,
    for_user_id: int | None,
    pin: str | None,
    credential: Credential | None = None,
) -> tuple[bytes, str]:
    """Sign or seal the slot's field; returns the new document and the certificate serial (hex)."""
    if revoked_predecessors(session, folder):
        raise DomainError("error.previous_signature_revoked")
    platform = ca.load_or_create_pki()
    current = storage.get(folder.current_sha256)
    certify = pdfs.signature_count(current) == 0
    now = utcnow()
    actor_user = session.get(User, actor.user_id)
    assert actor_user is not None
    stamp = _stamp(session, folder, step, actor_user, session.get(User, for_user_id) if for_user_id else None, now)
    long_term = True
    if step.kind == StepKind.seal:
        signer = signing.seal_signer(platform)
        serial = format(platform.seal_cert.serial_number, "x")
    else:
        if credential is None:
            credential = unlock_credential(session, actor, pin)
        else:
            _check_credential(session, actor, credential)
        signer, serial, long_term = credential.signer, credential.key.serial_hex, credential.long_term
    reason = stamp.text_fr().replace("\n", " · ") + f" · {folder.reference}"
    signed = pdfs.sign_field(
        current,
        signer,
        slot.field_name,
        pdfs.render_stamp(stamp),
        certify=certify,
        reason=reason[:500],
        location="Maroc",
        long_term=long_term,
        platform=platform,
    )
    return signed, serial


__all__ = ["Credential", "unlock_credential", "revoked_predecessors", "sign_slot"]
