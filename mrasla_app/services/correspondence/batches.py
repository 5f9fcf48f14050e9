"""Batch scanning (issue 16): a stack of paper letters scanned as one PDF, split at separator
sheets, read, and queued for the registry clerk's confirmation.

1. ``create`` (in the upload's request): the files are inspected by content like every upload,
   joined into one stack PDF, stored as a blob, and a ``ScanBatch`` row is written (*uploaded*).
2. ``process`` (never in the request: a worker thread started after the upload, and the ``jobs``
   loop for anything left behind): the batch is claimed (*processing*; a claim older than
   ``STALE_AFTER`` is taken over, so a killed worker's batch is finished by another), the stack is
   split at its separators (``splitting``), each letter's PDF and preview are stored and its row
   written (*pending*), then each letter is read (``reading.read_pdf_pages``) and given indexing
   proposals (``indexing.propose``) — *ready*. Progress (pages and letters done) is in the rows,
   so a page that reloads sees it; nothing lives in the browser.
3. ``confirm``: the clerk's corrected fields register the letter through ``paper.register_incoming``
   — number, party, correspondence, document and audit event in the caller's one transaction, so a
   failure gives the number back; ``discard`` takes no number. When every letter is decided the
   batch is *closed* and its stack released (the letters keep their own PDFs).
Statuses move only along ``BATCH_TRANSITIONS`` / ``LETTER_TRANSITIONS``; every change is audited.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from sqlalchemy import or_, select, update
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.models import (
    Administration,
    BatchLetter,
    BatchStatus,
    Channel,
    Correspondence,
    LetterStatus,
    Role,
    ScanBatch,
)
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import indexing, paper, reading, splitting
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, FieldErrors, PermissionDenied
from mrasla_app.services.platform import audit, files, storage
from mrasla_app.services.platform.text import clean

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=10)  # a claim older than this belongs to a dead worker
LIST_LIMIT = 30

BATCH_TRANSITIONS: dict[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.uploaded: frozenset({BatchStatus.processing}),
    BatchStatus.processing: frozenset({BatchStatus.processing, BatchStatus.ready, BatchStatus.failed}),
    BatchStatus.ready: frozenset({BatchStatus.closed}),
    BatchStatus.failed: frozenset({BatchStatus.closed}),
    BatchStatus.closed: frozenset(),
}
LETTER_TRANSITIONS: dict[LetterStatus, frozenset[LetterStatus]] = {
    LetterStatus.pending: frozenset({LetterStatus.ready, LetterStatus.discarded}),
    LetterStatus.ready: frozenset({LetterStatus.confirmed, LetterStatus.discarded}),
    LetterStatus.confirmed: frozenset(),
    LetterStatus.discarded: frozenset(),
}
DECIDED = (LetterStatus.confirmed, LetterStatus.discarded)


def _move_letter(letter: BatchLetter, new: LetterStatus) -> None:
    if new not in LETTER_TRANSITIONS[letter.status]:
        raise DomainError("error.invalid_transition", current=letter.status.value, target=new.value)
    letter.status = new


def _move_batch(batch: ScanBatch, new: BatchStatus) -> None:
    if new not in BATCH_TRANSITIONS[batch.status]:
        raise DomainError("error.invalid_transition", current=batch.status.value, target=new.value)
    batch.status = new


# ------------------------------------------------------------------------------------ rights


def require_clerk(session: Session, actor: Actor | None, administration_id: int) -> Actor:
    """Registry clerks of that administration only (role ``clerk`` in one of its units)."""
    actor = permissions.require_actor(actor)
    if not administration_id or not paper.units_of(session, actor, administration_id, Role.clerk):
        raise PermissionDenied()
    return actor


def get_batch(session: Session, actor: Actor | None, batch_id: int) -> ScanBatch:
    batch = session.get(ScanBatch, batch_id)
    if batch is None:
        raise DomainError("error.not_found")
    require_clerk(session, actor, batch.administration_id)
    return batch


def get_letter(session: Session, actor: Actor | None, letter_id: int) -> tuple[ScanBatch, BatchLetter]:
    letter = session.get(BatchLetter, letter_id)
    if letter is None:
        raise DomainError("error.not_found")
    return get_batch(session, actor, letter.batch_id), letter


# ------------------------------------------------------------------------------------ 1. upload


def separator_sheets(session: Session, actor: Actor | None, *, type_code: str = "", count: int = 1) -> bytes:
    """Separator sheets for the actor's administration (``type_code``: the type of the letters after it)."""
    from mrasla_app.i18n import translate
    from mrasla_app.services.correspondence import separators

    actor = permissions.require_actor(actor)
    adm_id = actor.administration_id or 0
    require_clerk(session, actor, adm_id)
    if type_code and not paper.TYPE_CODE_RE.match(type_code):
        raise DomainError("error.invalid_code")
    if not 1 <= count <= separators.MAX_SHEETS:
        raise DomainError("error.invalid_request")
    adm = session.get(Administration, adm_id)
    type_ar = translate(f"mailtype.{type_code}", "ar") if type_code else ""
    type_fr = translate(f"mailtype.{type_code}", "fr") if type_code else ""
    return separators.render(
        adm.code,
        adm.name_ar,
        adm.name_fr,
        type_code=type_code,
        type_ar=type_ar,
        type_fr=type_fr,
        count=count,
    )


def _join(accepted: list[files.InspectedFile]) -> bytes:
    if len(accepted) == 1:
        return accepted[0].pdf
    writer = PdfWriter()
    for f in accepted:
        for page in PdfReader(io.BytesIO(f.pdf)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def create(session: Session, actor: Actor | None, items: list[tuple[str, bytes]]) -> ScanBatch:
    """A new batch from one scanned stack (or several files, joined in the given order)."""
    actor = permissions.require_actor(actor)
    adm_id = actor.administration_id or 0
    require_clerk(session, actor, adm_id)
    if not items:
        raise DomainError("error.scan_required")
    accepted = [files.inspect(name, data) for name, data in items]
    stack = _join(accepted)
    pages = sum(f.pages for f in accepted)
    sha = storage.put(stack)  # durable before the row that references it
    batch = ScanBatch(
        administration_id=adm_id,
        status=BatchStatus.uploaded,
        filename=accepted[0].filename,
        stack_sha256=sha,
        pages=pages,
        created_by=actor.user_id or None,
    )
    session.add(batch)
    session.flush()
    audit.record(
        session,
        actor,
        "batch.created",
        object_type="scan_batch",
        object_id=batch.id or "",
        administration_id=adm_id,
        data={"files": len(accepted), "pages": pages, "sha256": sha},
    )
    return batch


# ------------------------------------------------------------------------------------ 2. worker


def claim(batch_id: int) -> bool:
    """Take the batch for this worker: *uploaded*, or *processing* under a stale claim."""
    now = utcnow()
    with db.write_session() as session:
        done = session.execute(
            update(ScanBatch)
            .where(
                ScanBatch.id == batch_id,
                or_(
                    ScanBatch.status == BatchStatus.uploaded,
                    (ScanBatch.status == BatchStatus.processing) & (ScanBatch.claimed_at < now - STALE_AFTER),
                ),
            )
            .values(status=BatchStatus.processing, claimed_at=now)
        )
        return done.rowcount == 1


def _progress(batch_id: int, **values: object) -> None:
    with db.write_session() as session:
        session.execute(update(ScanBatch).where(ScanBatch.id == batch_id).values(claimed_at=utcnow(), **values))


def _split(batch_id: int, stack: Path) -> None:
    """Find the separators and write the letters (*pending*) — once per batch (a rerun skips it)."""
    count, found = splitting.find_separators(stack, on_page=lambda n: _progress(batch_id, pages_done=n))
    rows = []
    for position, seg in enumerate(splitting.segments(count, found), start=1):
        pdf_sha = storage.put(splitting.extract(stack, seg))
        preview_sha = storage.put(splitting.preview(stack, seg.first_page))
        rows.append(
            BatchLetter(
                batch_id=batch_id,
                position=position,
                status=LetterStatus.pending,
                first_page=seg.first_page,
                pages=seg.pages,
                pdf_sha256=pdf_sha,
                preview_sha256=preview_sha,
                type_code=seg.separator.type_code if seg.separator else "",
            )
        )
    with db.write_session() as session:
        batch = session.get(ScanBatch, batch_id)
        adm = session.get(Administration, batch.administration_id)
        for row in rows:  # a type printed on another administration's sheet means nothing here
            sep = found.get(row.first_page - 1)
            if sep is not None and sep.administration_code != adm.code:
                row.type_code = ""
            session.add(row)
        batch.separators, batch.pages, batch.pages_done = len(found), count, count
        audit.record(
            session,
            None,
            "batch.split",
            object_type="scan_batch",
            object_id=batch_id,
            administration_id=batch.administration_id,
            data={"pages": count, "separators": len(found), "letters": len(rows)},
        )


def _read(letter_id: int, langs: str) -> None:
    with db.read_session() as session:
        letter = session.get(BatchLetter, letter_id)
        sha = letter.pdf_sha256
    with tempfile.TemporaryDirectory(prefix="mrasla-read-") as tmp:
        path = Path(tmp) / "letter.pdf"
        path.write_bytes(storage.get(sha))
        text = "\n".join(reading.read_pdf_pages(path, langs))
    proposal = indexing.propose(text).as_dict()
    with db.write_session() as session:
        letter = session.get(BatchLetter, letter_id)
        if letter is not None and letter.status is LetterStatus.pending:
            _move_letter(letter, LetterStatus.ready)
            letter.text, letter.proposal = text[:200_000], json.dumps(proposal, ensure_ascii=False)


def process(batch_id: int, langs: str = "ara+fra") -> bool:
    """Split and read one batch if this worker can claim it; True when it did."""
    if not claim(batch_id):
        return False
    try:
        with db.read_session() as session:
            batch = session.get(ScanBatch, batch_id)
            sha = batch.stack_sha256
            split = session.execute(select(BatchLetter.id).where(BatchLetter.batch_id == batch_id).limit(1)).first()
        if split is None:
            with tempfile.TemporaryDirectory(prefix="mrasla-stack-") as tmp:
                stack = Path(tmp) / "stack.pdf"
                stack.write_bytes(storage.get(sha))
                _split(batch_id, stack)
        with db.read_session() as session:
            todo = list(
                session.execute(
                    select(BatchLetter.id)
                    .where(BatchLetter.batch_id == batch_id, BatchLetter.status == LetterStatus.pending)
                    .order_by(BatchLetter.position)
                ).scalars()
            )
        for letter_id in todo:
            _read(letter_id, langs)
            _progress(batch_id)
        new, error = BatchStatus.ready, ""
    except Exception:  # noqa: BLE001 - an unreadable stack fails its batch, not the worker
        log.exception("batch %s failed", batch_id)
        new, error = BatchStatus.failed, "error.batch_unreadable"
    with db.write_session() as session:
        batch = session.get(ScanBatch, batch_id)
        _move_batch(batch, new)
        batch.error = error
        audit.record(
            session,
            None,
            f"batch.{new.value}",
            object_type="scan_batch",
            object_id=batch_id,
            administration_id=batch.administration_id,
            data={"error": error},
        )
        session.flush()
        _maybe_close(session, None, batch)  # all decided while the last was being read
    return True


def process_pending() -> str:
    """The ``jobs`` entry: every batch waiting or left behind by a dead worker."""
    with db.read_session() as session:
        ids = list(
            session.execute(
                select(ScanBatch.id)
                .where(
                    or_(
                        ScanBatch.status == BatchStatus.uploaded,
                        (ScanBatch.status == BatchStatus.processing) & (ScanBatch.claimed_at < utcnow() - STALE_AFTER),
                    )
                )
                .order_by(ScanBatch.id)
            ).scalars()
        )
    return f"{sum(process(i) for i in ids)} batches"


# ------------------------------------------------------------------------------------ 3. confirmation


@dataclass(frozen=True)
class LetterFields:
    """What the clerk confirms (the proposals as corrected)."""

    sender_name: str
    subject: str
    reference: str = ""
    dated: str = ""
    sender_id_kind: str = ""
    sender_id_value: str = ""
    type_code: str = ""


def _maybe_close(session: Session, actor: Actor | None, batch: ScanBatch) -> None:
    open_left = session.execute(
        select(BatchLetter.id).where(BatchLetter.batch_id == batch.id, BatchLetter.status.not_in(DECIDED)).limit(1)
    ).first()
    if open_left is None and batch.status is BatchStatus.ready:
        _close(session, actor, batch)


def _close(session: Session, actor: Actor | None, batch: ScanBatch, **data: object) -> None:
    """Close the batch and release its stack (audited)."""
    _move_batch(batch, BatchStatus.closed)
    released, batch.stack_sha256, batch.closed_at = batch.stack_sha256, "", utcnow()
    session.add(batch)
    audit.record(
        session,
        actor,
        "batch.closed",
        object_type="scan_batch",
        object_id=batch.id or "",
        administration_id=batch.administration_id,
        data={"released": released, **data},
    )


def confirm(session: Session, actor: Actor | None, letter_id: int, fields: LetterFields) -> paper.Registration:
    """Register the letter with the clerk's fields: its number is taken now, in this transaction."""
    batch, letter = get_letter(session, actor, letter_id)
    actor = permissions.require_actor(actor)
    if letter.status is not LetterStatus.ready:
        raise DomainError("error.invalid_transition", current=letter.status.value, target="confirmed")
    reference, dated = clean(fields.reference, multiline=False), clean(fields.dated, multiline=False)
    errors: dict[str, str] = {}
    if len(reference) > 60:
        errors["reference"] = "error.too_long"
    try:
        if dated:
            date.fromisoformat(dated)
    except ValueError:
        errors["dated"] = "error.invalid_date"
    if errors:
        raise FieldErrors(errors)
    notes = [f"Réf. · المرجع : {reference}" if reference else "", f"Date · التاريخ : {dated}" if dated else ""]
    reg = paper.register_incoming(
        session,
        actor,
        administration_id=batch.administration_id,
        channel=Channel.paper,
        subject=fields.subject,
        message="\n".join(filter(None, notes))[:2000],
        sender_name=fields.sender_name,
        sender_id_kind=fields.sender_id_kind,
        sender_id_value=fields.sender_id_value,
        files=[(f"lettre-{batch.id}-{letter.position}.pdf", storage.get(letter.pdf_sha256))],
        type_code=fields.type_code,
    )
    _move_letter(letter, LetterStatus.confirmed)
    letter.correspondence_id, letter.decided_by, letter.decided_at = reg.correspondence.id, actor.user_id, utcnow()
    session.add(letter)
    audit.record(
        session,
        actor,
        "batch.letter_confirmed",
        object_type="batch_letter",
        object_id=letter.id or "",
        administration_id=batch.administration_id,
        data={
            "batch": batch.id,
            "position": letter.position,
            "number": reg.registry_number,
            "proposal": json.loads(letter.proposal or "{}"),
        },
    )
    session.flush()
    _maybe_close(session, actor, batch)
    return reg


def close_failed(session: Session, actor: Actor | None, batch_id: int) -> None:
    """Close a batch whose stack could not be read (the clerk scans it again): its stack is released."""
    batch = get_batch(session, actor, batch_id)
    if batch.status is not BatchStatus.failed:
        raise DomainError("error.invalid_transition", current=batch.status.value, target="closed")
    _close(session, actor, batch, failed=True)


def discard(session: Session, actor: Actor | None, letter_id: int) -> None:
    """Set a letter aside (a blank page, a duplicate): it takes no number."""
    batch, letter = get_letter(session, actor, letter_id)
    actor = permissions.require_actor(actor)
    _move_letter(letter, LetterStatus.discarded)
    letter.decided_by, letter.decided_at = actor.user_id, utcnow()
    session.add(letter)
    audit.record(
        session,
        actor,
        "batch.letter_discarded",
        object_type="batch_letter",
        object_id=letter.id or "",
        administration_id=batch.administration_id,
        data={"batch": batch.id, "position": letter.position},
    )
    session.flush()
    _maybe_close(session, actor, batch)


# ------------------------------------------------------------------------------------ reading


def batches_of(session: Session, actor: Actor | None) -> list[ScanBatch]:
    """The administration's batches, newest first (open ones and the recently closed)."""
    actor = permissions.require_actor(actor)
    adm_id = actor.administration_id or 0
    require_clerk(session, actor, adm_id)
    return list(
        session.execute(
            select(ScanBatch)
            .where(ScanBatch.administration_id == adm_id)
            .order_by(ScanBatch.id.desc())
            .limit(LIST_LIMIT)
        ).scalars()
    )


def letters_of(session: Session, actor: Actor | None, batch_id: int) -> tuple[ScanBatch, list[BatchLetter]]:
    batch = get_batch(session, actor, batch_id)
    return batch, list(
        session.execute(
            select(BatchLetter).where(BatchLetter.batch_id == batch_id).order_by(BatchLetter.position)
        ).scalars()
    )


def registry_numbers(session: Session, letters: list[BatchLetter]) -> dict[int, str]:
    """The registry numbers the confirmed ``letters`` (of a batch already checked) were given, by letter id."""
    letter_of = {r.correspondence_id: r.id for r in letters if r.correspondence_id}
    if not letter_of:
        return {}
    rows = session.execute(
        select(Correspondence.id, Correspondence.registry_number).where(Correspondence.id.in_(letter_of))
    ).all()
    return {letter_of[corr_id]: number for corr_id, number in rows}  # type: ignore[misc]  # SQLAlchemy rows unpack as tuples
