"""Retention and disposal: which letters reached the end of their retention period, and what the
archivist decides for them — keep longer, transfer to the archives (SEDA 2.2 + BagIt package), or
destroy (sealed certificate of destruction).

Disposal statuses move only along ``TRANSITIONS``; each move is an audit event in the
administration's chain. Files leave live storage only after the decision is committed with its
trail (package or certificate hashes, each document's SHA-256), and only when no live row still
uses them (``purge_disposed``, also run by the daily job).
"""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.models import (
    Administration,
    AuditEvent,
    Correspondence,
    CorrespondenceTag,
    CustomField,
    CustomFieldValue,
    Disposal,
    DisposalKind,
    DisposalStatus,
    Document,
    DocumentType,
    FilePlanNode,
    FinalAction,
    RecordInfo,
    RetentionStart,
    Role,
    Status,
    Tag,
)
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import deadlines, registry
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, PermissionDenied
from mrasla_app.services.platform import audit, storage, validation
from mrasla_app.services.records import bag, seda

TRANSITIONS: dict[DisposalStatus, frozenset[DisposalStatus]] = {
    DisposalStatus.active: frozenset({DisposalStatus.due}),
    DisposalStatus.due: frozenset({DisposalStatus.active, DisposalStatus.transfer_pending, DisposalStatus.destroyed}),
    DisposalStatus.transfer_pending: frozenset({DisposalStatus.transferred, DisposalStatus.due}),
    DisposalStatus.transferred: frozenset(),
    DisposalStatus.destroyed: frozenset(),
}
# What each decision may be applied to: a document type's final action, or "review" (the archivist's choice).
ALLOWED_FOR = {
    DisposalKind.transfer: {FinalAction.transfer, FinalAction.review},
    DisposalKind.destruction: {FinalAction.destroy, FinalAction.review},
}
DISPOSED = (DisposalStatus.transferred, DisposalStatus.destroyed)
ARCHIVAL_AGENCY = "ARCHIVES"  # the receiving service's identifier in SEDA messages (MRASLA_ARCHIVES_ID overrides)


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (31 Jan + 1 month = 28/29 Feb)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retention_end(dtype: DocumentType, corr: Correspondence) -> date | None:
    """When ``corr``'s retention ends under ``dtype``; None while its starting event has not happened."""
    start = corr.registered_at if dtype.retention_start is RetentionStart.registered else corr.closed_at
    if start is None:
        return None
    return add_months(start.date(), dtype.retention_years * 12 + dtype.retention_months)


def _move(session: Session, actor: Actor | None, info: RecordInfo, new: DisposalStatus, **data: object) -> None:
    if new not in TRANSITIONS[info.disposal_status]:
        raise DomainError("error.invalid_transition", current=info.disposal_status.value, target=new.value)
    old, info.disposal_status = info.disposal_status, new
    session.add(info)
    audit.record(
        session,
        actor,
        f"record.{new.value}",
        object_type="correspondence",
        object_id=info.correspondence_id,
        administration_id=info.administration_id,
        actor_label="" if actor else "worker",
        data={"from": old.value, "to": new.value, **data},
    )


def mark_due(session: Session, today: date | None = None) -> list[int]:
    """The retention job's work: set each classified letter's end date once its starting event
    happened, and mark due those whose end has come. Returns the ids marked due."""
    today = today or deadlines.today()
    rows = session.execute(
        select(RecordInfo, Correspondence, DocumentType)
        .join(Correspondence, Correspondence.id == RecordInfo.correspondence_id)
        .join(DocumentType, DocumentType.id == RecordInfo.document_type_id)
        .where(RecordInfo.disposal_status == DisposalStatus.active)
        .order_by(RecordInfo.correspondence_id)
    ).all()
    marked = []
    for info, corr, dtype in rows:
        if info.retention_due_on is None:
            info.retention_due_on = retention_end(dtype, corr)
            session.add(info)
        if info.retention_due_on is not None and info.retention_due_on <= today:
            _move(session, None, info, DisposalStatus.due, due_on=info.retention_due_on.isoformat())
            marked.append(corr.id)
    return marked


def retention_job(session: Session) -> str:
    """Daily job (``services.jobs``): letters reaching their retention end go to the archivists."""
    return f"{len(mark_due(session))} due"


def _require_archivist(actor: Actor | None, administration_id: int | None) -> Actor:
    actor = permissions.require_actor(actor)
    if not (actor.administration_id == administration_id and actor.has_role(Role.archivist)):
        raise PermissionDenied()
    return actor


@dataclass(frozen=True)
class DueLetter:
    correspondence_id: int
    registry_number: str
    subject: str
    document_type: str
    final_action: str
    due_on: date | None
    status: str
    disposal_reference: str


def letters(
    session: Session,
    actor: Actor | None,
    statuses: Iterable[DisposalStatus] = (DisposalStatus.due, DisposalStatus.transfer_pending),
    limit: int = 200,
) -> list[DueLetter]:
    """The archivist's list: letters of their administration in ``statuses``, oldest end first."""
    actor = _require_archivist(actor, actor.administration_id if actor else None)
    rows = session.execute(
        select(RecordInfo, Correspondence, DocumentType, Disposal)
        .join(Correspondence, Correspondence.id == RecordInfo.correspondence_id)
        .outerjoin(DocumentType, DocumentType.id == RecordInfo.document_type_id)
        .outerjoin(Disposal, Disposal.id == RecordInfo.disposal_id)
        .where(RecordInfo.administration_id == actor.administration_id, RecordInfo.disposal_status.in_(list(statuses)))
        .order_by(RecordInfo.retention_due_on, RecordInfo.correspondence_id)
        .limit(limit)
    ).all()
    return [
        DueLetter(
            c.id,
            c.registry_number,
            c.subject,
            (t.name_fr if t else ""),
            (t.final_action.value if t else ""),
            i.retention_due_on,
            i.disposal_status.value,
            d.reference if d else "",
        )
        for i, c, t, d in rows
    ]


def _due_infos(session: Session, actor: Actor, ids: Iterable[int], kind: DisposalKind | None) -> list[RecordInfo]:
    """The letters ``ids``, locked, all due, of the archivist's administration, and allowed for ``kind``."""
    wanted = sorted(set(ids))
    if not wanted:
        raise DomainError("error.nothing_selected")
    infos = list(
        session.execute(select(RecordInfo).where(RecordInfo.correspondence_id.in_(wanted)).with_for_update()).scalars()
    )
    if len(infos) != len(wanted) or any(i.administration_id != actor.administration_id for i in infos):
        raise PermissionDenied()
    for info in infos:
        if info.disposal_status is not DisposalStatus.due:
            raise DomainError("error.invalid_transition", current=info.disposal_status.value, target="disposal")
        if kind is not None:
            dtype = session.get(DocumentType, info.document_type_id)
            if dtype is None or dtype.final_action not in ALLOWED_FOR[kind]:
                raise DomainError("error.final_action_mismatch")
    return infos


def keep_longer(session: Session, actor: Actor | None, ids: Iterable[int], years: int, reason: str) -> int:
    """Review outcome "keep": the letters go back to active with a new end ``years`` from today."""
    actor = _require_archivist(actor, actor.administration_id if actor else None)
    if not 1 <= int(years) <= 100:
        raise DomainError("error.invalid_retention")
    why = validation.text(reason, "reason", max_len=1000)
    infos = _due_infos(session, actor, ids, None)
    until = add_months(deadlines.today(), int(years) * 12)
    for info in infos:
        info.retention_due_on = until
        _move(session, actor, info, DisposalStatus.active, until=until.isoformat(), reason=why)
    return len(infos)


def _new_disposal(session: Session, actor: Actor, kind: DisposalKind) -> Disposal:
    adm = session.get(Administration, actor.administration_id)
    now = utcnow()
    count = len(
        session.execute(
            select(Disposal.id).where(
                Disposal.administration_id == adm.id,
                Disposal.kind == kind,
            )
        ).all()
    )
    prefix = "VER" if kind is DisposalKind.transfer else "ELIM"
    row = Disposal(
        administration_id=adm.id,
        kind=kind,
        decided_by=actor.user_id or None,
        reference=f"{adm.code}-{prefix}-{now:%Y%m%d}-{count + 1:04d}",
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _documents(session: Session, corr_id: int) -> list[Document]:
    return list(
        session.execute(select(Document).where(Document.correspondence_id == corr_id).order_by(Document.id)).scalars()
    )


def audit_extract(session: Session, corr_id: int) -> bytes:
    """The letter's audit events as JSON, with each event's chain position and hashes (the chain
    itself stays in the platform and can be checked with ``mrasla audit-verify``)."""
    events = session.execute(
        select(AuditEvent)
        .where(AuditEvent.object_type == "correspondence", AuditEvent.object_id == str(corr_id))
        .order_by(AuditEvent.id)
    ).scalars()
    return json.dumps(
        [
            {
                "chain": e.chain,
                "seq": e.seq,
                "at": e.at.isoformat(),
                "actor": e.actor_label,
                "action": e.action,
                "data": json.loads(e.data),
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in events
        ],
        ensure_ascii=False,
        indent=1,
    ).encode()


def _validation_report(data: bytes) -> bytes | None:
    """ETSI TS 119 102-2 validation report of a signed PDF (None for anything else)."""
    from mrasla_app.pki.ltv import signature_level
    from mrasla_app.services.portal.verification import etsi_report_xml

    if not data.startswith(b"%PDF") or not signature_level(data):
        return None
    xml = etsi_report_xml(data)
    return xml.encode() if xml else None


def _letter_unit(session: Session, index: int, info: RecordInfo, payload: dict[str, bytes]) -> seda.LetterUnit:
    """Describe one letter and put its files (originals, validation reports, audit extract) in ``payload``."""
    corr = session.get(Correspondence, info.correspondence_id)
    assert corr is not None
    node = session.get(FilePlanNode, info.file_plan_node_id) if info.file_plan_node_id else None
    dtype = session.get(DocumentType, info.document_type_id) if info.document_type_id else None
    adm = session.get(Administration, corr.administration_id)
    folder = f"content/{registry.reference_slug(corr.registry_number)}"
    objects: list[seda.DataObject] = []

    def add(name: str, data: bytes, mime: str, title: str) -> None:
        uri = f"{folder}/{name}"
        payload[uri] = data
        objects.append(
            seda.DataObject(
                f"L{index}-O{len(objects) + 1}", uri, hashlib.sha256(data).hexdigest(), len(data), name, mime, title
            )
        )

    for doc in _documents(session, corr.id):
        data = storage.get(doc.sha256)
        add(f"{doc.id}-{doc.filename}", data, doc.content_type, f"{doc.kind.value}: {doc.filename}")
        if (report := _validation_report(data)) is not None:
            add(f"{doc.id}-validation-etsi.xml", report, "application/xml", f"validation: {doc.filename}")
    add("audit.json", audit_extract(session, corr.id), "application/json", "audit")
    tags = session.execute(
        select(Tag.label)
        .join(CorrespondenceTag, CorrespondenceTag.tag_id == Tag.id)
        .where(CorrespondenceTag.correspondence_id == corr.id)
        .order_by(Tag.label)
    ).scalars()
    keywords = session.execute(
        select(CustomField.code, CustomFieldValue.value)
        .join(CustomFieldValue, CustomFieldValue.field_id == CustomField.id)
        .where(CustomFieldValue.correspondence_id == corr.id)
        .order_by(CustomField.code)
    ).all()
    start = None
    if dtype is not None:
        at = corr.registered_at if dtype.retention_start is RetentionStart.registered else corr.closed_at
        start = at.date() if at else None
    return seda.LetterUnit(
        id=f"L{index}",
        registry_number=corr.registry_number,
        subject=corr.subject,
        registered_at=corr.registered_at,
        file_plan_position=f"{node.code} {node.name_fr}" if node else "",
        document_type=dtype.name_fr if dtype else "",
        appraisal_rule=dtype.code if dtype else "",
        appraisal_start=start,
        final_action=dtype.final_action.value if dtype else "transfer",
        originating_agency=adm.code if adm else "",
        tags=tuple(tags),
        keywords=tuple(tuple(k) for k in keywords),
        objects=tuple(objects),
    )


def transfer(
    session: Session, actor: Actor | None, ids: Iterable[int], archival_agency: str = ARCHIVAL_AGENCY
) -> Disposal:
    """Build the SEDA 2.2 + BagIt package of the due letters ``ids`` and hold them as pending
    until the archives acknowledge it (``acknowledge``)."""
    actor = _require_archivist(actor, actor.administration_id if actor else None)
    infos = _due_infos(session, actor, ids, DisposalKind.transfer)
    disposal = _new_disposal(session, actor, DisposalKind.transfer)
    adm = session.get(Administration, actor.administration_id)
    payload: dict[str, bytes] = {}
    units = tuple(_letter_unit(session, i + 1, info, payload) for i, info in enumerate(infos))
    manifest = seda.build(
        seda.Transfer(
            disposal.reference, f"Versement {disposal.reference}", disposal.created_at, archival_agency, adm.code, units
        )
    )
    payload["manifest.xml"] = manifest
    package = bag.make_zip(
        payload,
        {
            "Source-Organization": adm.name_fr,
            "External-Identifier": disposal.reference,
            "External-Description": "SEDA 2.2 ArchiveTransfer (manifest.xml)",
        },
    )
    disposal.package_sha256 = storage.put(package)
    session.add(disposal)
    for info in infos:
        info.disposal_id = disposal.id
        _move(
            session,
            actor,
            info,
            DisposalStatus.transfer_pending,
            disposal=disposal.reference,
            package_sha256=disposal.package_sha256,
        )
    return disposal


def _disposal_of(session: Session, actor: Actor, disposal_id: int, kind: DisposalKind) -> Disposal:
    row = session.get(Disposal, disposal_id)
    if row is None or row.administration_id != actor.administration_id or row.kind is not kind:
        raise PermissionDenied()
    return row


def acknowledge(session: Session, actor: Actor | None, disposal_id: int, acknowledgement: str) -> Disposal:
    """The archives accepted the package (their acknowledgement / ArchiveTransferReply reference):
    the letters are transferred and archived; their originals then leave live storage."""
    actor = _require_archivist(actor, actor.administration_id if actor else None)
    row = _disposal_of(session, actor, disposal_id, DisposalKind.transfer)
    if row.completed_at is not None:
        raise DomainError("error.invalid_transition", current="transferred", target="transferred")
    row.acknowledgement = validation.text(acknowledgement, "acknowledgement", max_len=255)
    row.completed_at = utcnow()
    session.add(row)
    for info in session.execute(select(RecordInfo).where(RecordInfo.disposal_id == row.id)).scalars():
        _move(
            session,
            actor,
            info,
            DisposalStatus.transferred,
            disposal=row.reference,
            acknowledgement=row.acknowledgement,
            documents=_hashes(session, info.correspondence_id),
        )
        corr = session.get(Correspondence, info.correspondence_id)
        if corr is not None and Status.archived in registry.TRANSITIONS[corr.status]:
            registry.transition(session, actor, corr, Status.archived, disposal=row.reference)
    return row


def _hashes(session: Session, corr_id: int) -> list[str]:
    return [f"{d.filename}:{d.sha256}" for d in _documents(session, corr_id)]


def destroy(session: Session, actor: Actor | None, ids: Iterable[int]) -> Disposal:
    """Destroy the due letters ``ids``: a sealed certificate of destruction lists each letter and the
    SHA-256 of each of its files; its own hash goes into every letter's audit event."""
    from mrasla_app.services.records.certificate import CertificateLine, render_certificate

    actor = _require_archivist(actor, actor.administration_id if actor else None)
    infos = _due_infos(session, actor, ids, DisposalKind.destruction)
    disposal = _new_disposal(session, actor, DisposalKind.destruction)
    adm = session.get(Administration, actor.administration_id)
    lines = []
    for info in infos:
        corr = session.get(Correspondence, info.correspondence_id)
        dtype = session.get(DocumentType, info.document_type_id)
        lines.append(
            CertificateLine(
                corr.registry_number,
                corr.subject,
                dtype.name_fr if dtype else "",
                tuple((d.filename, d.sha256) for d in _documents(session, corr.id)),
            )
        )
    certificate = render_certificate(disposal.reference, adm, actor.email, disposal.created_at, lines)
    disposal.certificate_sha256 = storage.put(certificate)
    disposal.completed_at = disposal.created_at
    session.add(disposal)
    for info in infos:
        info.disposal_id = disposal.id
        _move(
            session,
            actor,
            info,
            DisposalStatus.destroyed,
            disposal=disposal.reference,
            certificate_sha256=disposal.certificate_sha256,
            documents=_hashes(session, info.correspondence_id),
        )
    return disposal


def purge_disposed(session: Session) -> int:
    """Remove from live storage the files of transferred or destroyed letters (their rows and
    hashes stay, with the audit trail) unless a live row still uses them; returns files removed."""
    from mrasla_app.services.platform import fsck

    live = fsck.referenced_blobs(session)  # excludes documents of disposed letters
    disposed = session.execute(
        select(Document.sha256, Document.pdf_sha256)
        .join(RecordInfo, RecordInfo.correspondence_id == Document.correspondence_id)
        .where(RecordInfo.disposal_status.in_(DISPOSED))
    ).all()
    removed = 0
    for sha in {s for row in disposed for s in row if s}:
        if sha not in live and storage.exists(sha):
            storage.blob_path(sha).unlink()
            removed += 1
    return removed


def purge_job() -> str:
    """Daily job: files of letters disposed of since the last run leave live storage."""
    from mrasla_app import db

    with db.write_session() as session:
        return f"{purge_disposed(session)} removed"


def disposed_document_ids(session: Session):
    """Ids of documents of transferred or destroyed letters (whose files left live storage)."""
    return (
        select(Document.id)
        .join(RecordInfo, RecordInfo.correspondence_id == Document.correspondence_id)
        .where(RecordInfo.disposal_status.in_(DISPOSED))
    )


def certificate(session: Session, actor: Actor | None, disposal_id: int) -> bytes:
    """The sealed certificate of destruction (archivists of the administration)."""
    actor = _require_archivist(actor, actor.administration_id if actor else None)
    return storage.get(_disposal_of(session, actor, disposal_id, DisposalKind.destruction).certificate_sha256)


def package(session: Session, actor: Actor | None, disposal_id: int) -> bytes:
    """The transfer's zipped bag, to hand to the archives."""
    actor = _require_archivist(actor, actor.administration_id if actor else None)
    return storage.get(_disposal_of(session, actor, disposal_id, DisposalKind.transfer).package_sha256)


def disposals(session: Session, actor: Actor | None, limit: int = 20) -> list[tuple[Disposal, int]]:
    """The administration's latest transfers and destructions, newest first, with their letter counts."""
    actor = _require_archivist(actor, actor.administration_id if actor else None)
    rows = list(
        session.execute(
            select(Disposal)
            .where(Disposal.administration_id == actor.administration_id)
            .order_by(Disposal.id.desc())
            .limit(limit)
        ).scalars()
    )
    counts: dict[int, int] = {}
    for (did,) in session.execute(
        select(RecordInfo.disposal_id).where(RecordInfo.disposal_id.in_([r.id for r in rows]))
    ).all():
        counts[did] = counts.get(did, 0) + 1
    return [(r, counts.get(r.id, 0)) for r in rows]
