"""Submitting a folder to a circuit: the draft from uploaded files, the start of its circuit (the
document prepared once for every signature), a new version, the cancellation.

``prepare`` appends, ONCE, a signature page with the verification QR code and every empty
signature field (``documents.bordereau``); each signature then fills its own field. A letter
drafted in the application (``correspondence.drafting``) is rendered again with the QR code and
its last signatory's field in its signatory block.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.documents import bordereau as pdfs
from mrasla_app.models import Administration, Correspondence, Folder, FolderStatus, FolderStep, Role, StepStatus, User
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import scoping
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.parapheur import circuits, dematerialisation, folders, lifecycle
from mrasla_app.services.parapheur import steps as circuit_steps
from mrasla_app.services.parapheur.lifecycle import FolderAction
from mrasla_app.services.platform import storage
from mrasla_app.services.platform import validation as checks

MAX_COMMENT = 4000


def default_unit(actor: Actor) -> int | None:
    """The unit a folder is filed under when none is chosen: the actor's first working unit."""
    for role in (Role.agent, Role.head, Role.signatory, Role.clerk, Role.admin):
        units = sorted(actor.unit_ids(role))
        if units:
            return units[0]
    return None


def _documents_event(docs) -> list[dict]:
    return [{"name": d.filename, "sha256": d.pdf_sha256, "role": d.role.value} for d in docs]


def create_folder(
    session: Session,
    actor: Actor | None,
    title: str,
    files: Sequence[tuple[str, bytes]],
    correspondence_id: int | None = None,
    unit_id: int | None = None,
) -> Folder:
    """A draft folder from uploaded files (PDF, JPEG, PNG), optionally linked to a correspondence."""
    actor = permissions.require_actor(actor)
    if not actor.administration_id or not actor.memberships:
        raise PermissionDenied()
    title = checks.text(title, "title")
    if correspondence_id is not None:
        corr = scoping.get_visible(session, actor, correspondence_id)
        if corr.administration_id != actor.administration_id:
            raise NotFound()
    if unit_id is not None and unit_id not in actor.unit_ids():
        raise PermissionDenied()
    adm = session.get(Administration, actor.administration_id)
    assert adm is not None
    now = utcnow()
    folder = Folder(
        administration_id=adm.id,
        unit_id=unit_id or default_unit(actor),
        reference=f"tmp-{secrets.token_hex(8)}",
        title=title,
        initiator_id=actor.user_id,
        correspondence_id=correspondence_id,
        created_at=now,
        updated_at=now,
    )
    session.add(folder)
    session.flush()
    folder.reference = f"PAR-{adm.code}-{now.year}-{folder.id:06d}"
    docs = dematerialisation.documents(actor, folder.id, 1, files)
    session.add_all(docs)
    folder.current_sha256 = docs[0].pdf_sha256
    session.add(folder)
    session.flush()
    lifecycle.record(
        session,
        actor,
        folder,
        "folder.created",
        reference=folder.reference,
        title=title,
        documents=_documents_event(docs),
        correspondence_id=correspondence_id,
    )
    return folder


def create_for_number(
    session: Session, actor: Actor | None, title: str, number: str, files: Sequence[tuple[str, bytes]]
) -> Folder:
    """``create_folder`` linked to the correspondence the actor may see under registry ``number``
    (none when ``number`` is empty)."""
    actor = permissions.require_actor(actor)
    corr_id = (
        session.execute(
            select(Correspondence.id).where(
                Correspondence.registry_number == number, scoping.visible_clause(session, actor)
            )
        ).scalar()
        if number
        else None
    )
    if number and corr_id is None:
        raise DomainError("pf.error.unknown_number")
    return create_folder(session, actor, title, files, correspondence_id=corr_id)


def _signature_slots(session: Session, rows: list[FolderStep], placed: set[str]) -> list[pdfs.SlotSpec]:
    """One slot per signature field not already placed in a drafted letter's signatory block."""
    slots: list[pdfs.SlotSpec] = []
    for step in rows:
        if step.kind not in lifecycle.SIGNING_KINDS:
            continue
        parts = folders.participants(session, step.id)
        names = folders.people(session, [p.user_id for p in parts])
        by_field: dict[str, list[User]] = {}
        for p in parts:
            by_field.setdefault(p.field_name, []).append(names[p.user_id])
        for fname, people in by_field.items():
            if fname in placed:
                continue
            slots.append(
                pdfs.SlotSpec(
                    fname,
                    f"Étape {step.position} · {step.label_fr}",
                    f"المرحلة {step.position} · {step.label_ar}",
                    " / ".join(u.full_name for u in people),
                    " / ".join(u.full_name_ar or u.full_name for u in people),
                )
            )
    return slots


def prepare(session: Session, folder: Folder, rows: list[FolderStep]) -> None:
    """New QR token; signature page + empty fields appended when the circuit signs or seals. A letter
    drafted in the app (``drafting``) is rendered again with the QR code, its last signatory's field in
    its signatory block; only the other fields (if any) go on the signatures page."""
    token = secrets.token_urlsafe(24)
    folder.verify_token_hash = folders.token_hash(token)
    main = folders.main_document(session, folder)
    from mrasla_app.services.correspondence import (
        drafting,  # a letter drafted in the app: its signatory block holds a field
    )

    letter = drafting.prepared_letter(session, folder, rows, folders.verify_url(folder, token))
    base, placed = letter if letter is not None else (None, set())
    slots = _signature_slots(session, rows, placed)
    if not slots:
        main.prepared_sha256 = storage.put(base) if base is not None else main.pdf_sha256
    else:
        adm = session.get(Administration, folder.administration_id)
        assert adm is not None
        prepared, _ = pdfs.prepare_document(
            base or storage.get(main.pdf_sha256),
            pdfs.SignaturePageData(
                folder.title,
                folder.reference,
                adm.name_fr,
                adm.name_ar,
                folders.verify_url(folder, token),
                tuple(slots),
            ),
        )
        main.prepared_sha256 = storage.put(prepared)
    main.signed_sha256 = ""
    folder.current_sha256 = main.prepared_sha256
    session.add(main)


def _run_circuit(session: Session, folder: Folder, specs: Sequence[circuits.StepSpec | dict]) -> list[FolderStep]:
    """Build the steps, prepare the document, activate step 1."""
    rows = circuit_steps.build(session, folder, specs)
    prepare(session, folder, rows)
    circuit_steps.activate(session, folder, rows[0])
    return rows


def start(
    session: Session,
    actor: Actor | None,
    folder_id: int,
    template_id: int | None = None,
    steps: Sequence[dict | circuits.StepSpec] | None = None,
) -> Folder:
    """Start the circuit of a draft folder, from a template or ad-hoc ``steps`` (see ``circuits``)."""
    actor = permissions.require_actor(actor)
    folder = folders.get_visible(session, actor, folder_id, for_update=True)
    folders.require_initiator(actor, folder)
    lifecycle.require(folder, FolderAction.start)
    if (template_id is None) == (steps is None):
        raise DomainError("error.invalid_circuit")
    if template_id is not None:
        tpl, specs = circuits.template_steps(session, actor, template_id)
        folder.template_id = tpl.id
    else:
        specs = circuits.parse_steps(list(steps or []))
    rows = _run_circuit(session, folder, specs)
    folder.started_at = utcnow()
    session.flush()
    lifecycle.move(
        session,
        actor,
        folder,
        FolderStatus.in_progress,
        event="folder.started",
        template_id=template_id,
        version=folder.version,
        steps=[
            {
                "kind": s.kind.value,
                "mode": s.mode.value,
                "participants": [p.user_id for p in folders.participants(session, s.id)],
            }
            for s in rows
        ],
        prepared_sha256=folder.current_sha256,
    )
    session.flush()
    return folder


def _pause_active(session: Session, folder: Folder) -> None:
    """The active step (if any) waits again: the circuit stops or restarts."""
    for step in folders.steps(session, folder):
        if step.status == StepStatus.active:
            lifecycle.move_step(session, step, StepStatus.pending)


def cancel(session: Session, actor: Actor | None, folder_id: int, reason: str = "") -> Folder:
    """The initiator withdraws the folder (not once it is signed)."""
    actor = permissions.require_actor(actor)
    folder = folders.get_visible(session, actor, folder_id, for_update=True)
    folders.require_initiator(actor, folder)
    lifecycle.require(folder, FolderAction.cancel)
    _pause_active(session, folder)
    lifecycle.move(
        session,
        actor,
        folder,
        FolderStatus.cancelled,
        reason=checks.text(reason, "reason", max_len=MAX_COMMENT, required=False),
    )
    return folder


def _specs_of(session: Session, rows: list[FolderStep]) -> list[circuits.StepSpec]:
    """The steps as definitions again (same participants, deadlines and labels)."""
    return [
        circuits.StepSpec(
            s.kind,
            s.mode,
            tuple(p.user_id for p in folders.participants(session, s.id)),
            deadline_days=s.deadline_days,
            label_fr=s.label_fr,
            label_ar=s.label_ar,
        )
        for s in rows
    ]


def new_version(session: Session, actor: Actor | None, folder_id: int, files: Sequence[tuple[str, bytes]]) -> Folder:
    """Replace the documents; a started circuit restarts from step 1 (same steps and participants)."""
    actor = permissions.require_actor(actor)
    folder = folders.get_visible(session, actor, folder_id, for_update=True)
    folders.require_initiator(actor, folder)
    lifecycle.require(folder, FolderAction.new_version)
    old_specs = _specs_of(session, folders.steps(session, folder))
    _pause_active(session, folder)
    docs = dematerialisation.documents(actor, folder.id, folder.version + 1, files)
    folder.version += 1
    session.add_all(docs)
    session.flush()
    folder.current_sha256, folder.reject_reason, folder.updated_at = docs[0].pdf_sha256, "", utcnow()
    folder.current_step, folder.completed_at = 0, None
    if folder.status != FolderStatus.draft and old_specs:
        _run_circuit(session, folder, old_specs)
        if folder.status != FolderStatus.in_progress:
            lifecycle.enter(session, folder, FolderStatus.in_progress)  # told by "folder.new_version"
    session.add(folder)
    session.flush()
    lifecycle.record(
        session, actor, folder, "folder.new_version", version=folder.version, documents=_documents_event(docs)
    )
    return folder


__all__ = [
    "MAX_COMMENT",
    "default_unit",
    "create_folder",
    "create_for_number",
    "prepare",
    "start",
    "cancel",
    "new_version",
]
