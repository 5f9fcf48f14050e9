"""The background reading of stored documents into ``DocumentText`` (never in a request).

Registering a letter queues its documents (``queue``: one pending row each, in the registration's
transaction); the ``document_text`` job also queues any document still without a row (documents
stored before this existed, or by a path that did not queue). Pending rows are then *leased* by
one worker with a conditional UPDATE (``lease_until``), a batch at a time, read outside any transaction
(OCR takes about a second per page), and written back as done. A worker that dies mid-read leaves a lease that expires:
another worker takes the row again, at most ``MAX_ATTEMPTS`` times before it is marked failed. A done
row is never read again, so running the job twice, or on several workers at once, changes nothing.
Receipts are the platform's own PDFs: never queued.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, exists, insert, literal, or_, select, update
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.models import Document, DocumentKind, DocumentText, TextSource, TextStatus
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import reading
from mrasla_app.services.platform import storage
from mrasla_app.services.platform.text import clean, index_forms

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # longer than the slowest document (50 OCR pages)
MAX_ATTEMPTS = 3
MAX_CHARS = 200_000  # of text kept per document (about 60 dense pages)
BUDGET_SECONDS = 25.0  # per run: the period is a minute, and the other jobs of the loop wait meanwhile
SWEEP = 1000  # documents queued per run by the sweep
BATCH = 20  # rows leased, then written back, per write transaction
FLUSH_SECONDS = 2.0  # a batch's finished readings are written back at least this often
_ARABIC = re.compile(r"[\u0600-\u06FF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")


@dataclass(frozen=True)
class Reading:
    body: str
    source: TextSource
    pages: int


def _unqueued():
    """Documents (receipts excepted) without a ``DocumentText`` row, as INSERT…SELECT columns."""
    return select(
        Document.id,
        Document.correspondence_id,
        literal(TextStatus.pending.value),
        literal(TextSource.none.value),
        literal(""),
        literal(0),
        literal(0),
        literal(""),
        literal(""),
        literal(0),
        Document.created_at,
    ).where(Document.kind != DocumentKind.receipt, ~exists().where(DocumentText.document_id == Document.id))


_COLUMNS = (
    "document_id",
    "correspondence_id",
    "status",
    "source",
    "language",
    "char_count",
    "pages",
    "body",
    "search_text",
    "attempts",
    "created_at",
)


#: Built once: every registration runs it (constructing it took about as long as executing it).
_QUEUE_ONE = insert(DocumentText).from_select(
    _COLUMNS, _unqueued().where(Document.correspondence_id == bindparam("correspondence_id"))
)


def queue(session: Session, correspondence_id: int) -> None:
    """Queue the correspondence's documents for reading (call after they are flushed, in the same
    transaction: the letter and its queued reading commit together)."""
    session.flush()
    session.connection().execute(_QUEUE_ONE, {"correspondence_id": correspondence_id})


def sweep() -> int:
    """Queue up to SWEEP documents that have no row yet; a concurrent sweep losing the race on the
    unique ``document_id`` only means the other one queued them."""
    from sqlalchemy.exc import IntegrityError

    try:
        with db.write_session() as session:
            return len(
                session.execute(
                    insert(DocumentText)
                    .from_select(_COLUMNS, _unqueued().order_by(Document.id).limit(SWEEP))
                    .returning(DocumentText.id)
                ).all()
            )
    except IntegrityError:
        return 0


def language(text: str) -> str:
    """A guess from the letters: ``ar``, ``fr``, ``ar+fr`` (each at least a fifth), or "" without letters."""
    ar, latin = len(_ARABIC.findall(text)), len(_LATIN.findall(text))
    if not ar + latin:
        return ""
    if ar >= 0.2 * (ar + latin) and latin >= 0.2 * (ar + latin):
        return "ar+fr"
    return "ar" if ar > latin else "fr"


def read(doc: Document) -> Reading:
    """The text of a stored document: a photo is read from its original bytes, anything else from its PDF
    (the original, or the rendition made at upload). Read-only on the stored files."""
    if doc.content_type.startswith("image/"):
        return Reading(reading.read_image(storage.blob_path(doc.sha256)), TextSource.ocr, 1)
    pages = reading.read_pdf(storage.blob_path(doc.pdf_sha256 or doc.sha256))
    source = TextSource.ocr if any(ocr for _, ocr in pages) else TextSource.pdf
    return Reading("\f".join(text for text, _ in pages), source, len(pages))


def _lease(now: datetime, limit: int) -> list[tuple[int, Document | None]]:
    """Lease up to ``limit`` of the oldest readable pending rows, in one write transaction:
    [(row id, its document — None if it is gone)]. Rows that outlived ``MAX_ATTEMPTS`` workers are
    marked failed instead."""
    free = and_(
        DocumentText.status == TextStatus.pending,
        or_(DocumentText.lease_until.is_(None), DocumentText.lease_until < now),
    )
    with db.write_session() as session:
        rows = session.execute(
            select(DocumentText.id, DocumentText.attempts, Document)
            .outerjoin(Document, Document.id == DocumentText.document_id)
            .where(free)
            .order_by(DocumentText.id)
            .limit(limit)
        ).all()
        spent = [row_id for row_id, attempts, _doc in rows if attempts >= MAX_ATTEMPTS]
        if spent:  # it killed or outlived MAX_ATTEMPTS workers: give up on it
            session.execute(
                update(DocumentText)
                .where(DocumentText.id.in_(spent), free)
                .values(status=TextStatus.failed, lease_until=None)
                .execution_options(synchronize_session=False)
            )
        wanted = {row_id: doc for row_id, attempts, doc in rows if attempts < MAX_ATTEMPTS}
        if not wanted:
            return []
        won = session.execute(
            update(DocumentText)
            .where(DocumentText.id.in_(wanted), free)
            .values(lease_until=now + LEASE, attempts=DocumentText.attempts + 1)
            .returning(DocumentText.id)
            .execution_options(synchronize_session=False)
        ).scalars()
        return [(row_id, wanted[row_id]) for row_id in sorted(won)]


def _store(results: list[tuple[int, Reading | None]], unread: list[int]) -> None:
    """Write back a batch in one transaction: each reading (None: it failed, retried by a later run
    until ``MAX_ATTEMPTS``), and release the leases of rows left unread (their attempt not spent)."""
    with db.write_session() as session:
        rows = {
            row.id: row
            for row in session.execute(
                select(DocumentText).where(DocumentText.id.in_([row_id for row_id, _ in results] + unread))
            ).scalars()
        }
        for row_id, result in results:
            row = rows.get(row_id)
            if row is None or row.status is not TextStatus.pending:
                continue
            if result is None:
                row.status = TextStatus.failed if row.attempts >= MAX_ATTEMPTS else TextStatus.pending
            else:
                body = clean(result.body)[:MAX_CHARS]
                row.body, row.search_text = body, " ".join(index_forms(body))
                row.source, row.pages, row.char_count = result.source, result.pages, len(body)
                row.language, row.status, row.extracted_at = language(body), TextStatus.done, utcnow()
            row.lease_until = None
        for row_id in unread:
            row = rows.get(row_id)
            if row is not None and row.status is TextStatus.pending:
                row.lease_until, row.attempts = None, max(0, row.attempts - 1)


def extract_pending(budget: float = BUDGET_SECONDS, limit: int | None = None) -> int:
    """Read pending documents until ``budget`` seconds (or ``limit`` documents) are spent; returns how
    many were read. Rows are leased and written back ``BATCH`` at a time (two write transactions per
    batch, not per document: most deposits carry a short PDF read in milliseconds); a batch is written
    back early once it has taken ``FLUSH_SECONDS`` (OCR), so finished readings are not held back. A
    document that cannot be read is logged and retried by a later run."""
    started, done = time.monotonic(), 0
    while time.monotonic() - started < budget and (limit is None or done < limit):
        batch = _lease(utcnow(), BATCH if limit is None else min(BATCH, limit - done))
        if not batch:
            break
        results: list[tuple[int, Reading | None]] = []
        flushed = time.monotonic()
        for index, (row_id, doc) in enumerate(batch):
            if time.monotonic() - started >= budget:
                _store(results, [row_id for row_id, _doc in batch[index:]])
                return done
            try:
                result = read(doc) if doc is not None else Reading("", TextSource.none, 0)
            except Exception:  # noqa: BLE001 - a damaged file or a missing model: counted as an attempt
                log.exception("reading document %s failed", doc.id if doc is not None else "?")
                result = None
            results.append((row_id, result))
            done += result is not None
            if time.monotonic() - flushed >= FLUSH_SECONDS and index + 1 < len(batch):
                _store(results, [])
                results, flushed = [], time.monotonic()
        _store(results, [])
    return done


def run_job() -> str:
    """The ``document_text`` job: queue what is missing, then read within the period's budget."""
    queued = sweep()
    return f"{queued} queued, {extract_pending()} read"
