"""The parapheur (الحامل الإلكتروني): folders travelling through a circuit of visas, opinions,
signatures and seals.

Life of a folder::

    create_folder (draft) → start (in_progress, step 1 active) → act … act → completed
                                    ↘ act(rejected) → rejected → new_version → in_progress
                                    ↘ act(returned) → previous step active again

``start`` prepares the main document ONCE (signature page with the verification QR code and
every empty signature field, see ``pki.bordereau``); each signature fills its own field, the first
one certifying (DocMDP FILL_FORMS). Every change locks the folder row first (``FOR UPDATE``; SQLite
writers are already serialised) and ``uq_step_action`` backs it up, so two people acting at once
on an "any one" step give exactly one completion and the second gets ``error.step_already_done``.

Signing happens inside the caller's write transaction (about 50–100 ms) on a private event loop:
call ``act`` from a worker thread, never from inside a running event loop.

Completion hook: ``on_completed(fn)`` registers ``fn(session, folder)`` called in the completing
transaction (e.g. register the signed answer as outgoing correspondence and send it);
``signed_document(folder)`` returns the signed bytes.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from pypdf import PdfReader, PdfWriter
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from mrasla_app.models import (
    Administration, CompletionMode, Decision, DocumentRole, Folder, FolderAnnotation, FolderDocument, FolderStatus,
    FolderStep, KeySource, Role, RoleMembership, SigningKey, StepAction, StepKind, StepParticipant, StepStatus, User,
)
from mrasla_app.models.base import utcnow
from mrasla_app.documents import bordereau as pdfs
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.platform import audit, files, storage
from mrasla_app.services.parapheur import circuits, signing_keys
from mrasla_app.services.directory import permissions, users
from mrasla_app.services.correspondence import scoping
from mrasla_app.services.platform import validation as checks
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.settings import TIMEZONE, get_settings

SIGNING_KINDS = (StepKind.signature, StepKind.seal)
VISA_KINDS = (StepKind.visa, StepKind.opinion)
DECISIONS_BY_KIND = {
    StepKind.visa: (Decision.approved, Decision.rejected, Decision.returned),
    StepKind.opinion: (Decision.opinion, Decision.rejected, Decision.returned),
    StepKind.signature: (Decision.signed, Decision.rejected, Decision.returned),
    StepKind.seal: (Decision.signed, Decision.rejected, Decision.returned),
}
DECISION_LABELS = {
    Decision.approved: ("Visé", "مؤشر عليه"),
    Decision.opinion: ("Avis donné", "أبدى رأيه"),
    Decision.signed: ("Signé", "موقع"),
    Decision.rejected: ("Rejeté", "مرفوض"),
    Decision.returned: ("Renvoyé", "مرجع"),
}
STATUS_LABELS = {
    FolderStatus.draft: ("Brouillon", "مسودة"),
    FolderStatus.in_progress: ("En cours", "قيد الإنجاز"),
    FolderStatus.rejected: ("Rejeté", "مرفوض"),
    FolderStatus.completed: ("Signé, à envoyer", "موقع، في انتظار الإرسال"),
    FolderStatus.cancelled: ("Annulé", "ملغى"),
    FolderStatus.sent: ("Envoyé", "مرسل"),
}
# The folder lifecycle as data: a signed folder is not finished until it is sent (``services.sending``).
FOLDER_TRANSITIONS: dict[FolderStatus, frozenset[FolderStatus]] = {
    FolderStatus.draft: frozenset({FolderStatus.in_progress, FolderStatus.cancelled}),
    FolderStatus.in_progress: frozenset({FolderStatus.completed, FolderStatus.rejected, FolderStatus.cancelled}),
    FolderStatus.rejected: frozenset({FolderStatus.in_progress, FolderStatus.cancelled}),
    FolderStatus.completed: frozenset({FolderStatus.sent}),
    FolderStatus.sent: frozenset(),
    FolderStatus.cancelled: frozenset(),
}
#: The circuit is done and the document signed (whether or not it has been sent yet).
SIGNED_STATUSES = (FolderStatus.completed, FolderStatus.sent)
#: Folders whose initiator still has something to do (the "my folders" queue); the rest are "done".
OPEN_FOLDER_STATUSES = (FolderStatus.draft, FolderStatus.in_progress, FolderStatus.rejected, FolderStatus.completed)
QUEUES = ("to_visa", "to_sign", "my_folders", "done")
MAX_COMMENT = 4000

CompletionHook = Callable[[Session, Folder], None]
_completion_hooks: list[CompletionHook] = []


def on_completed(fn: CompletionHook) -> CompletionHook:
    """Register ``fn(session, folder)``, called in the transaction that completes a circuit."""
    if fn not in _completion_hooks:
        _completion_hooks.append(fn)
    return fn


# ------------------------------------------------------------------------------- helpers


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def verify_url(folder: Folder, token: str) -> str:
    """The QR code's address: same scheme as receipts, ``/verify/<reference>?t=<token>``."""
    return f"{get_settings().public_url}/verify/{folder.reference}?t={token}"


def _record(session: Session, actor: Actor | None, folder: Folder, action: str, **data: object) -> None:
    audit.record(session, actor, action, object_type="folder", object_id=folder.id or "",
                 administration_id=folder.administration_id, data=data)


def _lock(session: Session, folder_id: int) -> Folder | None:
    return session.execute(select(Folder).where(Folder.id == folder_id).with_for_update()).scalar_one_or_none()


def _participant_ids(session: Session, folder_id: int) -> set[int]:
    return set(session.execute(
        select(StepParticipant.user_id).join(FolderStep, FolderStep.id == StepParticipant.step_id)
        .where(FolderStep.folder_id == folder_id)
    ).scalars())


def can_see(session: Session, actor: Actor | None, folder: Folder) -> bool:
    """Initiator, participants (any version), people acting for them by delegation, people who
    acted, and heads of the initiator's unit (or a unit above it)."""
    if actor is None or actor.administration_id != folder.administration_id:
        return False
    if folder.initiator_id == actor.user_id:
        return True
    people = _participant_ids(session, folder.id)  # type: ignore[arg-type]
    if actor.user_id in people or people & set(users.acting_for(session, actor.user_id)):
        return True
    if session.execute(select(StepAction.id).where(StepAction.folder_id == folder.id,
                                                   StepAction.actor_id == actor.user_id).limit(1)).first():
        return True
    heads = actor.unit_ids(Role.head)
    return folder.unit_id is not None and folder.unit_id in (set(heads) | directory.descendants(session, heads))


def _get(session: Session, actor: Actor | None, folder_id: int, *, for_update: bool = False) -> Folder:
    actor = permissions.require_actor(actor)
    folder = _lock(session, folder_id) if for_update else session.get(Folder, folder_id)
    if folder is None or not can_see(session, actor, folder):
        raise NotFound()
    return folder


def _require_initiator(actor: Actor, folder: Folder) -> None:
    if folder.initiator_id != actor.user_id:
        raise PermissionDenied()


def _steps(session: Session, folder: Folder) -> list[FolderStep]:
    return list(session.execute(
        select(FolderStep).where(FolderStep.folder_id == folder.id, FolderStep.version == folder.version)
        .order_by(FolderStep.position)
    ).scalars())


def _participants(session: Session, step_id: int) -> list[StepParticipant]:
    return list(session.execute(
        select(StepParticipant).where(StepParticipant.step_id == step_id).order_by(StepParticipant.position)
    ).scalars())


def _main(session: Session, folder: Folder) -> FolderDocument:
    return session.execute(select(FolderDocument).where(
        FolderDocument.folder_id == folder.id, FolderDocument.version == folder.version,
        FolderDocument.role == DocumentRole.main)).scalar_one()


def _names(session: Session, ids: Iterable[int]) -> dict[int, User]:
    ids = set(ids)
    if not ids:
        return {}
    return {u.id: u for u in session.execute(select(User).where(User.id.in_(ids))).scalars()}  # type: ignore[misc]


# -------------------------------------------------------------------- dematerialisation


def _merge_pdfs(parts: Sequence[bytes]) -> bytes:
    writer = PdfWriter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for part in parts:
            writer.append(PdfReader(io.BytesIO(part)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _check_signable(pdf: bytes) -> None:
    """pyHanko must be able to append to the main document (incremental updates)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        int(reader.root["/Pages"]["/Count"])
        perms = [s for s in reader.embedded_signatures if s.docmdp_level is not None]
    except Exception:  # noqa: BLE001
        raise DomainError("error.pdf_broken") from None
    from pyhanko.sign.fields import MDPPerm

    if perms and perms[0].docmdp_level == MDPPerm.NO_CHANGES:
        raise DomainError("error.pdf_certified")  # a certified document that forbids any change


def _documents(actor: Actor, folder_id: int, version: int, uploads: Sequence[tuple[str, bytes]]) -> list[FolderDocument]:
    """Inspect uploads; several images become ONE PDF (in order, orientation kept). The main document
    is the first PDF, or the merged images when there is no PDF; the rest are annexes."""
    settings = get_settings()
    if not uploads:
        raise DomainError("error.files_required")
    if len(uploads) > settings.max_files:
        raise DomainError("error.too_many_files", max=settings.max_files)
    inspected = [files.inspect(name, data) for name, data in uploads]
    images = [f for f in inspected if f.content_type.startswith("image/")]
    pdf_files = [f for f in inspected if not f.content_type.startswith("image/")]  # PDFs, converted Office
    entries: list[tuple[str, str, bytes, bytes, int, int]] = []  # name, ctype, original, pdf, pages, size
    for f in pdf_files:
        entries.append((f.filename, f.content_type, f.data, f.pdf, f.pages, len(f.data)))
    if images:
        merged = images[0].pdf if len(images) == 1 else _merge_pdfs([f.pdf for f in images])
        name = images[0].filename.rsplit(".", 1)[0] + ".pdf"
        ctype = images[0].content_type if len(images) == 1 else "multipart/images"
        item = (name, ctype, images[0].data, merged, len(images), sum(len(f.data) for f in images))
        if pdf_files:
            entries.append(item)
        else:
            entries.insert(0, item)
    _check_signable(entries[0][3])  # the last check: nothing is stored for a refused upload
    for entry in entries:
        storage.put(entry[2])
    docs = []
    annex_pos = 0
    for i, (name, ctype, original, pdf, pages, size) in enumerate(entries):
        pdf_sha = storage.put(pdf)
        role = DocumentRole.main if i == 0 else DocumentRole.annex
        docs.append(FolderDocument(
            folder_id=folder_id, version=version, role=role, position=0 if i == 0 else annex_pos + 1,
            filename=name, content_type=ctype, size=size, sha256=hashlib.sha256(original).hexdigest(),
            pdf_sha256=pdf_sha, pages=pages, created_by=actor.user_id))
        if i:
            annex_pos += 1
    for img in images[1:]:  # keep every original image retrievable from storage
        storage.put(img.data)
    return docs


def _default_unit(actor: Actor) -> int | None:
    for role in (Role.agent, Role.head, Role.signatory, Role.clerk, Role.admin):
        units = sorted(actor.unit_ids(role))
        if units:
            return units[0]
    return None


def create_folder(session: Session, actor: Actor | None, title: str, files: Sequence[tuple[str, bytes]],
                  correspondence_id: int | None = None, unit_id: int | None = None) -> Folder:
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
    folder = Folder(administration_id=adm.id, unit_id=unit_id or _default_unit(actor),  # type: ignore[arg-type]
                    reference=f"tmp-{secrets.token_hex(8)}", title=title, initiator_id=actor.user_id,
                    correspondence_id=correspondence_id, created_at=now, updated_at=now)
    session.add(folder)
    session.flush()
    folder.reference = f"PAR-{adm.code}-{now.year}-{folder.id:06d}"
    docs = _documents(actor, folder.id, 1, files)  # type: ignore[arg-type]
    session.add_all(docs)
    folder.current_sha256 = docs[0].pdf_sha256
    session.add(folder)
    session.flush()
    _record(session, actor, folder, "folder.created", reference=folder.reference, title=title,
            documents=[{"name": d.filename, "sha256": d.pdf_sha256, "role": d.role.value} for d in docs],
            correspondence_id=correspondence_id)
    return folder


# ------------------------------------------------------------------------------- circuit


def _build_steps(session: Session, folder: Folder, specs: Sequence[circuits.StepSpec | dict]) -> list[FolderStep]:
    rows = []
    v = folder.version
    for pos, raw in enumerate(specs, 1):
        spec = circuits.parse_step(raw)
        people = circuits.resolve(session, folder.administration_id, spec)
        label_fr, label_ar = spec.labels()
        step = FolderStep(folder_id=folder.id, version=v, position=pos, kind=spec.kind, mode=spec.mode,  # type: ignore[arg-type]
                          label_fr=label_fr, label_ar=label_ar, role=spec.role, role_unit_id=spec.unit_id,
                          deadline_days=spec.deadline_days)
        session.add(step)
        session.flush()
        for k, uid in enumerate(people):
            name = ""
            if spec.kind in SIGNING_KINDS:
                shared = spec.mode == CompletionMode.any
                name = f"Mrasla.v{v}.s{pos}" + ("" if shared else f".p{k + 1}")
            session.add(StepParticipant(step_id=step.id, user_id=uid, position=k, field_name=name))  # type: ignore[arg-type]
        rows.append(step)
    session.flush()
    return rows


def _prepare(session: Session, folder: Folder, steps: list[FolderStep]) -> None:
    """New QR token; signature page + empty fields appended when the circuit signs or seals. A letter
    drafted in the app (``drafting``) is rendered again with the QR code, its last signatory's field in
    its signatory block; only the other fields (if any) go on the signatures page."""
    token = secrets.token_urlsafe(24)
    folder.verify_token_hash = _hash(token)
    main = _main(session, folder)
    from mrasla_app.services.correspondence import drafting  # a letter drafted in the app: its signatory block holds a field

    letter = drafting.prepared_letter(session, folder, steps, verify_url(folder, token))
    base, placed = letter if letter is not None else (None, set())
    slots: list[pdfs.SlotSpec] = []
    for step in steps:
        if step.kind not in SIGNING_KINDS:
            continue
        parts = _participants(session, step.id)  # type: ignore[arg-type]
        names = _names(session, [p.user_id for p in parts])
        by_field: dict[str, list[User]] = {}
        for p in parts:
            by_field.setdefault(p.field_name, []).append(names[p.user_id])
        for fname, people in by_field.items():
            if fname in placed:
                continue
            slots.append(pdfs.SlotSpec(
                fname, f"Étape {step.position} · {step.label_fr}", f"المرحلة {step.position} · {step.label_ar}",
                " / ".join(u.full_name for u in people), " / ".join(u.full_name_ar or u.full_name for u in people)))
    if not slots:
        main.prepared_sha256 = storage.put(base) if base is not None else main.pdf_sha256
    else:
        adm = session.get(Administration, folder.administration_id)
        assert adm is not None
        prepared, _ = pdfs.prepare_document(base or storage.get(main.pdf_sha256), pdfs.SignaturePageData(
            folder.title, folder.reference, adm.name_fr, adm.name_ar, verify_url(folder, token), tuple(slots)))
        main.prepared_sha256 = storage.put(prepared)
    main.signed_sha256 = ""
    folder.current_sha256 = main.prepared_sha256
    session.add(main)


def _due(session: Session, folder: Folder, days: int | None) -> datetime | None:
    if not days:
        return None
    from mrasla_app.services.correspondence import deadlines

    start = deadlines.today()
    holidays = deadlines.holidays_for(session, folder.administration_id, {start.year, start.year + 1})
    day = deadlines.add_working_days(start, days, holidays)
    return datetime.combine(day, time(23, 59, 59), ZoneInfo(TIMEZONE))


def _activate(session: Session, folder: Folder, step: FolderStep) -> None:
    step.status, step.round = StepStatus.active, step.round + 1
    step.base_sha256, step.activated_at, step.completed_at = folder.current_sha256, utcnow(), None
    step.due_on = _due(session, folder, step.deadline_days)
    folder.current_step = step.position
    session.add(step)
    from mrasla_app.services.parapheur import reminders  # the participants' e-mail/push, as they chose

    reminders.step_activated(session, folder, step)


def start(session: Session, actor: Actor | None, folder_id: int, template_id: int | None = None,
          steps: Sequence[dict | circuits.StepSpec] | None = None) -> Folder:
    """Start the circuit of a draft folder, from a template or ad-hoc ``steps`` (see ``circuits``)."""
    actor = permissions.require_actor(actor)
    folder = _get(session, actor, folder_id, for_update=True)
    _require_initiator(actor, folder)
    if folder.status != FolderStatus.draft:
        raise DomainError("error.invalid_transition", current=folder.status.value, target="in_progress")
    if (template_id is None) == (steps is None):
        raise DomainError("error.invalid_circuit")
    if template_id is not None:
        tpl, specs = circuits.template_steps(session, actor, template_id)
        folder.template_id = tpl.id
    else:
        specs = circuits.parse_steps(list(steps or []))
    rows = _build_steps(session, folder, specs)
    _prepare(session, folder, rows)
    _activate(session, folder, rows[0])
    folder.status, folder.started_at, folder.updated_at = FolderStatus.in_progress, utcnow(), utcnow()
    session.add(folder)
    session.flush()
    _record(session, actor, folder, "folder.started", template_id=template_id, version=folder.version,
            steps=[{"kind": s.kind.value, "mode": s.mode.value,
                    "participants": [p.user_id for p in _participants(session, s.id)]} for s in rows],  # type: ignore[arg-type]
            prepared_sha256=folder.current_sha256)
    return folder


def cancel(session: Session, actor: Actor | None, folder_id: int, reason: str = "") -> Folder:
    actor = permissions.require_actor(actor)
    folder = _get(session, actor, folder_id, for_update=True)
    _require_initiator(actor, folder)
    if FolderStatus.cancelled not in FOLDER_TRANSITIONS[folder.status]:
        raise DomainError("error.invalid_transition", current=folder.status.value, target="cancelled")
    for step in _steps(session, folder):
        if step.status == StepStatus.active:
            step.status = StepStatus.pending
            session.add(step)
    folder.status, folder.updated_at = FolderStatus.cancelled, utcnow()
    session.add(folder)
    _record(session, actor, folder, "folder.cancelled", reason=checks.text(reason, "reason", max_len=MAX_COMMENT,
                                                                           required=False))
    return folder


# ---------------------------------------------------------------------------------- acting


def _acting_as(session: Session, actor: Actor, folder: Folder, step: FolderStep,
               on_behalf_of: int | None, pinned: bool) -> tuple[StepParticipant, int | None]:
    """The participant slot the actor fills, and whom they act for (None: in their own name).

    Acting for a delegator is chosen automatically only when the caller pinned the step it showed
    (``pinned``): otherwise someone who meant to act on a step another participant just completed
    would silently act on the *next* step in their delegator's name.
    """
    parts = {p.user_id: p for p in _participants(session, step.id)}  # type: ignore[arg-type]
    delegators = set(users.acting_for(session, actor.user_id))
    if on_behalf_of is not None and on_behalf_of != actor.user_id:
        if on_behalf_of not in parts or on_behalf_of not in delegators:
            raise PermissionDenied("error.not_delegate")
        return parts[on_behalf_of], on_behalf_of
    if actor.user_id in parts:
        return parts[actor.user_id], None
    if on_behalf_of is None and pinned:
        pending = [uid for uid in parts if uid in delegators and not _acted(session, step, uid)]
        if len(pending) == 1:
            return parts[pending[0]], pending[0]
        if len(pending) > 1:
            raise DomainError("error.choose_on_behalf_of")
        if any(uid in delegators for uid in parts):
            raise DomainError("error.step_already_done")
    if _was_participant(session, actor, folder, delegators):
        raise DomainError("error.step_already_done")
    raise PermissionDenied()


def _was_participant(session: Session, actor: Actor, folder: Folder, delegators: set[int]) -> bool:
    """Whether the actor (or someone they act for) was expected on an earlier step of this version."""
    ids = {actor.user_id, *delegators}
    return session.execute(
        select(StepParticipant.user_id).join(FolderStep, FolderStep.id == StepParticipant.step_id)
        .where(FolderStep.folder_id == folder.id, FolderStep.version == folder.version,
               FolderStep.status == StepStatus.completed, StepParticipant.user_id.in_(ids)).limit(1)
    ).first() is not None


LIVE = StepAction.withdrawn_at.is_(None)  # decisions that count (an undone one stays on file)


def _acted(session: Session, step: FolderStep, user_id: int) -> bool:
    return session.execute(select(StepAction.id).where(
        StepAction.step_id == step.id, StepAction.round == step.round, StepAction.for_user_id == user_id, LIVE
    ).limit(1)).first() is not None


def _stamp(session: Session, folder: Folder, step: FolderStep, actor_user: User, for_user: User | None,
           now: datetime) -> pdfs.StampData:
    if step.kind == StepKind.seal:
        adm = session.get(Administration, folder.administration_id)
        assert adm is not None
        return pdfs.StampData(seal=True, name_fr=adm.name_fr, name_ar=adm.name_ar,
                              role_fr=f"à la demande de {actor_user.full_name}",
                              role_ar=f"بطلب من {actor_user.full_name_ar or actor_user.full_name}",
                              unit_fr="", unit_ar="", signed_at=now)
    unit = signing_keys.signing_unit(session, actor_user.id)  # type: ignore[arg-type]
    role = ""
    if unit is not None:
        held = {Role(r) for r in session.execute(select(RoleMembership.role).where(
            RoleMembership.user_id == actor_user.id, RoleMembership.unit_id == unit.id)).scalars()}
        role = next((r.value for r in (Role.signatory, Role.head, Role.agent) if r in held), "")
    role_fr, role_ar = circuits.ROLE_LABELS.get(role, ("", ""))
    return pdfs.StampData(
        seal=False, name_fr=actor_user.full_name, name_ar=actor_user.full_name_ar or actor_user.full_name,
        role_fr=role_fr, role_ar=role_ar, unit_fr=unit.name_fr if unit else "", unit_ar=unit.name_ar if unit else "",
        signed_at=now, for_fr=for_user.full_name if for_user else "",
        for_ar=(for_user.full_name_ar or for_user.full_name) if for_user else "")


@dataclass(frozen=True)
class Credential:
    """A signatory's unlocked key and its pyHanko signer, built once and used for one signature or
    for a whole batch (``services.parapheur.batch``): the PIN's scrypt and the signer are paid once.
    Keep it in memory only for the signing calls."""

    user_id: int
    key: signing_keys.UnlockedKey
    signer: object  # pyhanko.sign.signers.Signer
    long_term: bool  # B-LTA (platform certificates) or B-T (another CA: no revocation data offline)


def unlock_credential(session: Session, actor: Actor, pin: str | None) -> Credential:
    """``signing_keys.unlock`` (wrong PINs counted) and the signer for the actor's key."""
    from pyhanko.sign import signers as hsigners
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from mrasla_app.pki import ca, signing

    key = signing_keys.unlock(session, actor, pin or "")
    if key.source == KeySource.platform:
        return Credential(actor.user_id, key, signing.make_signer(key.certificate, key.private_key,
                                                                  ca.load_or_create_pki()), True)
    signer = hsigners.SimpleSigner(signing_cert=key.certificate, signing_key=key.private_key,
                                   cert_registry=SimpleCertificateStore.from_certs(list(key.chain)))
    return Credential(actor.user_id, key, signer, False)


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
    serials = set(session.execute(select(StepAction.certificate_serial).join(
        FolderStep, FolderStep.id == StepAction.step_id).where(
        StepAction.folder_id == folder.id, FolderStep.version == folder.version, LIVE,
        StepAction.decision == Decision.signed, StepAction.certificate_serial != "")).scalars())
    if not serials:
        return []
    return sorted(session.execute(select(SigningKey.serial).where(
        SigningKey.serial.in_(serials), SigningKey.revoked.is_(True))).scalars())


def _sign(session: Session, actor: Actor, folder: Folder, step: FolderStep, slot: StepParticipant,
          for_user_id: int | None, pin: str | None, credential: Credential | None = None) -> tuple[bytes, str]:
    """Sign or seal the slot's field; returns the new document and the certificate serial (hex)."""
    from mrasla_app.pki import ca, signing

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
    signed = pdfs.sign_field(current, signer, slot.field_name, pdfs.render_stamp(stamp), certify=certify,
                             reason=reason[:500], location="Maroc", long_term=long_term, platform=platform)
    return signed, serial


def act(session: Session, actor: Actor | None, folder_id: int, decision: str, comment: str = "",
        pin: str | None = None, on_behalf_of: int | None = None, step_id: int | None = None,
        credential: Credential | None = None) -> Folder:
    """Decide on the folder's active step.

    ``decision``: ``approved`` (visa), ``opinion``, ``signed`` (signature: needs the PIN; seal:
    the platform seal), ``rejected`` (reason required: back to the initiator, circuit stops) or
    ``returned`` (reason required: the previous step is active again, the document as it was then).
    ``on_behalf_of``: act for a participant who delegated to the actor (chosen automatically when
    unambiguous and ``step_id`` is given). ``step_id``: the step the user saw (UIs should always
    pass it); a different current step means someone was faster (``error.step_already_done``).
    ``credential``: the actor's key unlocked once for several signatures (batch), instead of ``pin``.
    """
    actor = permissions.require_actor(actor)
    try:
        decision_v = Decision(decision)
    except ValueError:
        raise DomainError("error.invalid_request") from None
    folder = _get(session, actor, folder_id, for_update=True)
    if folder.status != FolderStatus.in_progress:
        if folder.status in SIGNED_STATUSES:
            raise DomainError("error.step_already_done")
        raise DomainError("error.folder_not_in_progress")
    steps = _steps(session, folder)
    step = next((s for s in steps if s.position == folder.current_step), None)
    if step is None or step.status != StepStatus.active:
        raise DomainError("error.folder_not_in_progress")
    if step_id is not None and step_id != step.id:
        raise DomainError("error.step_already_done")
    slot, for_user = _acting_as(session, actor, folder, step, on_behalf_of, step_id is not None)
    if _acted(session, step, slot.user_id):
        raise DomainError("error.step_already_done")
    if decision_v not in DECISIONS_BY_KIND[step.kind]:
        raise DomainError("error.invalid_decision")
    needs_reason = decision_v in (Decision.rejected, Decision.returned, Decision.opinion)
    comment = checks.text(comment, "comment", max_len=MAX_COMMENT, required=needs_reason)
    if decision_v == Decision.returned and step.position == 1:
        raise DomainError("error.no_previous_step")

    doc_sha, serial = "", ""
    if decision_v == Decision.signed:
        signed, serial = _sign(session, actor, folder, step, slot, for_user, pin, credential)
        doc_sha = storage.put(signed)
    action = StepAction(folder_id=folder.id, step_id=step.id, round=step.round, actor_id=actor.user_id,  # type: ignore[arg-type]
                        for_user_id=slot.user_id, on_behalf_of_id=for_user, decision=decision_v, comment=comment,
                        document_sha256=doc_sha, certificate_serial=serial)
    try:
        with session.begin_nested():
            session.add(action)
            session.flush()
    except IntegrityError:
        raise DomainError("error.step_already_done") from None

    now = utcnow()
    folder.updated_at = now
    if doc_sha:
        folder.current_sha256 = doc_sha
        main = _main(session, folder)
        main.signed_sha256 = doc_sha
        session.add(main)
    event = {"step": step.position, "kind": step.kind.value, "decision": decision_v.value, "round": step.round,
             "on_behalf_of": for_user, "comment": comment, "document_sha256": doc_sha or None,
             "certificate_serial": serial or None}
    if decision_v == Decision.rejected:
        step.status, step.completed_at = StepStatus.rejected, now
        folder.status, folder.reject_reason = FolderStatus.rejected, comment
        session.add_all([step, folder])
        _record(session, actor, folder, "folder.rejected", **event)
        return folder
    if decision_v == Decision.returned:
        step.status = StepStatus.pending
        previous = next(s for s in steps if s.position == step.position - 1)
        folder.current_sha256 = previous.base_sha256
        main = _main(session, folder)
        main.signed_sha256 = "" if previous.base_sha256 == main.prepared_sha256 else previous.base_sha256
        session.add(main)
        _activate(session, folder, previous)
        session.add_all([step, folder])
        _record(session, actor, folder, "folder.returned", **event)
        return folder

    _record(session, actor, folder, f"folder.{decision_v.value}", **event)
    if step.mode == CompletionMode.any or _all_acted(session, step):
        step.status, step.completed_at = StepStatus.completed, now
        session.add(step)
        following = next((s for s in steps if s.position == step.position + 1), None)
        if following is not None:
            _activate(session, folder, following)
            session.add(folder)
            _record(session, actor, folder, "folder.step_completed", step=step.position, next_step=following.position)
        else:
            folder.status, folder.completed_at, folder.current_step = FolderStatus.completed, now, 0
            session.add(folder)
            session.flush()
            _record(session, actor, folder, "folder.completed", document_sha256=folder.current_sha256,
                    version=folder.version)
            for hook in list(_completion_hooks):
                hook(session, folder)
    session.add(folder)
    session.flush()
    return folder


def _all_acted(session: Session, step: FolderStep) -> bool:
    expected = session.execute(select(func.count()).select_from(StepParticipant)
                               .where(StepParticipant.step_id == step.id)).scalar_one()
    done = session.execute(select(func.count()).select_from(StepAction).where(
        StepAction.step_id == step.id, StepAction.round == step.round, LIVE)).scalar_one()
    return done >= expected


# ----------------------------------------------------------------------- versions, notes


def new_version(session: Session, actor: Actor | None, folder_id: int, files: Sequence[tuple[str, bytes]]) -> Folder:
    """Replace the documents; a started circuit restarts from step 1 (same steps and participants)."""
    actor = permissions.require_actor(actor)
    folder = _get(session, actor, folder_id, for_update=True)
    _require_initiator(actor, folder)
    if folder.status not in (FolderStatus.draft, FolderStatus.in_progress, FolderStatus.rejected):
        raise DomainError("error.invalid_transition", current=folder.status.value, target="new_version")
    old_steps = _steps(session, folder)
    old_specs = []
    for s in old_steps:
        old_specs.append(circuits.StepSpec(s.kind, s.mode, tuple(p.user_id for p in _participants(session, s.id)),  # type: ignore[arg-type]
                                           deadline_days=s.deadline_days, label_fr=s.label_fr, label_ar=s.label_ar))
        if s.status == StepStatus.active:
            s.status = StepStatus.pending
            session.add(s)
    docs = _documents(actor, folder.id, folder.version + 1, files)  # type: ignore[arg-type]
    folder.version += 1
    session.add_all(docs)
    session.flush()
    folder.current_sha256, folder.reject_reason, folder.updated_at = docs[0].pdf_sha256, "", utcnow()
    folder.current_step, folder.completed_at = 0, None
    if folder.status != FolderStatus.draft and old_specs:
        rows = _build_steps(session, folder, old_specs)
        _prepare(session, folder, rows)
        _activate(session, folder, rows[0])
        folder.status = FolderStatus.in_progress
    session.add(folder)
    session.flush()
    _record(session, actor, folder, "folder.new_version", version=folder.version,
            documents=[{"name": d.filename, "sha256": d.pdf_sha256, "role": d.role.value} for d in docs])
    return folder


def annotate(session: Session, actor: Actor | None, folder_id: int, body: str, page: int | None = None,
             x: float | None = None, y: float | None = None) -> FolderAnnotation:
    """A comment on the folder, or a note pinned to ``page`` (1-based) at (``x``, ``y``) in [0, 1]."""
    actor = permissions.require_actor(actor)
    folder = _get(session, actor, folder_id, for_update=True)
    body = checks.text(body, "body", max_len=MAX_COMMENT)
    if page is not None:
        main = _main(session, folder)
        if not 1 <= page <= max(main.pages, 1):
            raise DomainError("error.invalid_request")
        for v in (x, y):
            if v is not None and not 0.0 <= float(v) <= 1.0:
                raise DomainError("error.invalid_request")
    elif x is not None or y is not None:
        raise DomainError("error.invalid_request")
    note = FolderAnnotation(folder_id=folder.id, version=folder.version, author_id=actor.user_id, body=body,  # type: ignore[arg-type]
                            page=page, x=x, y=y)
    session.add(note)
    session.flush()
    _record(session, actor, folder, "folder.annotated", annotation_id=note.id, page=page)
    return note


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class QueueItem:
    folder: Folder
    step: FolderStep | None = None
    on_behalf_of: int | None = None  # the delegator, when the item is in the queue by delegation


def queue(session: Session, actor: Actor | None, name: str, limit: int = 100) -> list[QueueItem]:
    """``to_visa`` / ``to_sign``: active visa-opinion / signature-seal steps waiting for the actor (or
    someone they act for); ``my_folders``: open folders the actor initiated; ``done``: folders the
    actor acted on, and their own finished ones."""
    actor = permissions.require_actor(actor)
    if name not in QUEUES:
        raise DomainError("error.invalid_request")
    if name in ("to_visa", "to_sign"):
        me = [actor.user_id, *users.acting_for(session, actor.user_id)]
        kinds = VISA_KINDS if name == "to_visa" else SIGNING_KINDS
        acted = exists().where(StepAction.step_id == FolderStep.id, StepAction.round == FolderStep.round,
                               StepAction.for_user_id == StepParticipant.user_id, StepAction.withdrawn_at.is_(None))
        rows = session.execute(
            select(Folder, FolderStep, StepParticipant.user_id)
            .join(FolderStep, and_(FolderStep.folder_id == Folder.id, FolderStep.version == Folder.version,
                                   FolderStep.position == Folder.current_step))
            .join(StepParticipant, StepParticipant.step_id == FolderStep.id)
            .where(Folder.status == FolderStatus.in_progress, Folder.administration_id == actor.administration_id,
                   FolderStep.status == StepStatus.active, FolderStep.kind.in_(kinds),
                   StepParticipant.user_id.in_(me), ~acted)
            .order_by(FolderStep.activated_at, Folder.id).limit(limit)
        ).all()
        seen: dict[int, QueueItem] = {}
        for folder, step, uid in rows:  # one line per folder, own slot first
            item = QueueItem(folder, step, None if uid == actor.user_id else uid)
            if folder.id not in seen or item.on_behalf_of is None:
                seen[folder.id] = item
        return list(seen.values())
    if name == "my_folders":
        stmt = select(Folder).where(Folder.initiator_id == actor.user_id, Folder.status.in_(OPEN_FOLDER_STATUSES))
    else:
        mine = select(StepAction.folder_id).where(StepAction.actor_id == actor.user_id)
        stmt = select(Folder).where(or_(Folder.id.in_(mine), and_(
            Folder.initiator_id == actor.user_id, Folder.status.not_in(OPEN_FOLDER_STATUSES))))
    return [QueueItem(f) for f in session.execute(stmt.order_by(Folder.updated_at.desc(), Folder.id.desc())
                                                  .limit(limit)).scalars()]


@dataclass(frozen=True)
class ActionView:
    action: StepAction
    actor_name: str
    on_behalf_of_name: str


@dataclass(frozen=True)
class StepView:
    step: FolderStep
    participants: list[tuple[int, str, bool]]  # (user id, name, acted in the current round)
    actions: list[ActionView]


@dataclass(frozen=True)
class FolderDetail:
    folder: Folder
    documents: list[FolderDocument]
    steps: list[StepView]
    history: list[ActionView]  # every decision of every version, oldest first
    annotations: list[FolderAnnotation]
    can_act: bool = False
    decisions: tuple[str, ...] = ()
    acting_for: tuple[int, ...] = ()  # participants of the active step the actor may act for
    needs_pin: bool = False
    links: dict = field(default_factory=dict)


def folder_detail(session: Session, actor: Actor | None, folder_id: int) -> FolderDetail:
    actor = permissions.require_actor(actor)
    folder = _get(session, actor, folder_id)
    docs = list(session.execute(select(FolderDocument).where(
        FolderDocument.folder_id == folder.id, FolderDocument.version == folder.version)
        .order_by(FolderDocument.role.desc(), FolderDocument.position)).scalars())
    actions = list(session.execute(select(StepAction).where(StepAction.folder_id == folder.id)
                                   .order_by(StepAction.at, StepAction.id)).scalars())
    steps = _steps(session, folder)
    parts = {s.id: _participants(session, s.id) for s in steps}  # type: ignore[arg-type]
    names = _names(session, {a.actor_id for a in actions} | {a.on_behalf_of_id for a in actions if a.on_behalf_of_id}
                   | {p.user_id for ps in parts.values() for p in ps})
    views = {a.id: ActionView(a, names[a.actor_id].full_name if a.actor_id in names else "?",
                              names[a.on_behalf_of_id].full_name if a.on_behalf_of_id in names else "")
             for a in actions}
    step_views = []
    for s in steps:
        acted = {a.for_user_id for a in actions if a.step_id == s.id and a.round == s.round and a.withdrawn_at is None}
        step_views.append(StepView(s, [(p.user_id, names[p.user_id].full_name, p.user_id in acted) for p in parts[s.id]],
                                   [views[a.id] for a in actions if a.step_id == s.id]))
    can_act, decisions, acting, needs_pin = False, (), (), False
    if folder.status == FolderStatus.in_progress:
        active = next((s for s in steps if s.position == folder.current_step), None)
        if active is not None:
            delegators = set(users.acting_for(session, actor.user_id))
            acted = {a.for_user_id for a in actions
                     if a.step_id == active.id and a.round == active.round and a.withdrawn_at is None}
            slots = [p.user_id for p in parts[active.id] if p.user_id not in acted
                     and (p.user_id == actor.user_id or p.user_id in delegators)]
            if slots:
                can_act = True
                decisions = tuple(d.value for d in DECISIONS_BY_KIND[active.kind]
                                  if not (d == Decision.returned and active.position == 1))
                acting = tuple(u for u in slots if u != actor.user_id)
                needs_pin = active.kind == StepKind.signature
    notes = list(session.execute(select(FolderAnnotation).where(FolderAnnotation.folder_id == folder.id)
                                 .order_by(FolderAnnotation.created_at, FolderAnnotation.id)).scalars())
    links = {"correspondence_id": folder.correspondence_id}
    return FolderDetail(folder, docs, step_views, list(views.values()), notes, can_act, decisions, acting, needs_pin,
                        links)


def document(session: Session, actor: Actor | None, folder_id: int, document_id: int | None = None) -> tuple[str, bytes]:
    """(file name, PDF bytes): the main document as it stands (prepared/signed so far) or an annex."""
    folder = _get(session, actor, folder_id)
    if document_id is None:
        main = _main(session, folder)
        return main.filename, storage.get(folder.current_sha256 or main.pdf_sha256)
    doc = session.get(FolderDocument, document_id)
    if doc is None or doc.folder_id != folder.id:
        raise NotFound()
    sha = folder.current_sha256 if (doc.role == DocumentRole.main and doc.version == folder.version) else (
        doc.signed_sha256 or doc.prepared_sha256 or doc.pdf_sha256)
    return doc.filename, storage.get(sha)


def move(session: Session, actor: Actor | None, folder: Folder, new: FolderStatus, **data: object) -> None:
    """Move ``folder`` to ``new`` if ``FOLDER_TRANSITIONS`` allows it, with its audit event
    (``folder.<new status>``). The caller holds the folder's row lock."""
    if new not in FOLDER_TRANSITIONS[folder.status]:
        raise DomainError("error.invalid_transition", current=folder.status.value, target=new.value)
    folder.status, folder.updated_at = new, utcnow()
    session.add(folder)
    _record(session, actor, folder, f"folder.{new.value}", **data)


def signed_document(folder: Folder) -> bytes:
    """The signed main document of a completed folder (for the completion hook: register, send)."""
    if folder.status not in SIGNED_STATUSES or not folder.current_sha256:
        raise DomainError("error.folder_not_completed")
    return storage.get(folder.current_sha256)


def report(session: Session, actor: Actor | None, folder_id: int):
    """``pki.validation.validate_pdf`` of the main document as it stands."""
    from mrasla_app.pki.validation import validate_pdf

    folder = _get(session, actor, folder_id)
    return validate_pdf(storage.get(folder.current_sha256))


def bordereau(session: Session, actor: Actor | None, folder_id: int) -> bytes:
    """The signature summary PDF (every decision of every version)."""
    detail = folder_detail(session, actor, folder_id)
    folder = detail.folder
    adm = session.get(Administration, folder.administration_id)
    initiator = session.get(User, folder.initiator_id)
    assert adm is not None and initiator is not None
    step_of = {s.id: s for s in session.execute(select(FolderStep).where(FolderStep.folder_id == folder.id)).scalars()}
    rows = []
    for view in detail.history:
        a, s = view.action, step_of[view.action.step_id]
        kind_fr, kind_ar = circuits.KIND_LABELS[s.kind]
        dec_fr, dec_ar = DECISION_LABELS[a.decision]
        label = f"{kind_fr}" + (f" (v{s.version})" if s.version != folder.version else "")
        rows.append(pdfs.BordereauRow(s.position, label, kind_ar, view.actor_name, view.on_behalf_of_name,
                                      dec_fr, dec_ar, a.at, a.comment))
    st_fr, st_ar = STATUS_LABELS[folder.status]
    notes = detail.annotations
    authors = _names(session, {n.author_id for n in notes})
    lines = tuple(pdfs.AnnotationLine(n.page, n.version, authors[n.author_id].full_name,
                                      authors[n.author_id].full_name_ar or authors[n.author_id].full_name,
                                      n.created_at, n.body) for n in notes)
    return pdfs.render_bordereau(pdfs.BordereauData(
        folder.title, folder.reference, adm.name_fr, adm.name_ar, initiator.full_name, st_fr, st_ar,
        folder.current_sha256, utcnow(), rows=tuple(rows), annotations=lines))


def public_status(session: Session, reference: str, token: str) -> dict | None:
    """What the QR code's verification page may show (None when reference and token do not match)."""
    folder = session.execute(select(Folder).where(Folder.reference == reference)).scalar_one_or_none()
    if folder is None or not token or not secrets.compare_digest(folder.verify_token_hash, _hash(token)):
        return None
    adm = session.get(Administration, folder.administration_id)
    return {"reference": folder.reference, "status": folder.status.value,
            "administration_fr": adm.name_fr if adm else "", "administration_ar": adm.name_ar if adm else "",
            "document_sha256": folder.current_sha256, "completed_at": folder.completed_at,
            "version": folder.version}


__all__ = ["create_folder", "start", "act", "cancel", "new_version", "annotate", "queue", "folder_detail", "document",
           "signed_document", "move", "FOLDER_TRANSITIONS", "report", "bordereau", "public_status", "on_completed", "can_see", "QueueItem",
           "FolderDetail", "QUEUES"]
