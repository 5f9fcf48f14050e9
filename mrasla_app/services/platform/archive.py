"""Long-term signatures of the files the platform seals: receipts and acknowledgements.

A receipt is issued at once as PAdES B-T (the citizen gets it immediately). After a short grace
period the background job ``extend_receipts`` makes it B-LTA: validation data produced after the
signature timestamp, then a document timestamp (``pki.ltv``). One fresh OCSP response per
certificate serves the whole batch. ``refresh_archives`` (``mrasla archive-refresh``) adds a new
document timestamp to files whose newest one relies on a TSA certificate close to expiry; both are
idempotent: a file is picked only while its recorded state says it needs the step.

The new file is stored next to the old one (content-addressed; the B-T file is a prefix of the
B-LTA one) and the document row points at it; an audit event records both hashes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.models import Correspondence, Document, DocumentKind
from mrasla_app.models.base import utcnow
from mrasla_app.pki import ltv
from mrasla_app.services.platform import audit, storage

log = logging.getLogger(__name__)

# Receipts younger than this are left as issued: revocation data must be produced after the
# signature timestamp, and a revocation decided in this window is still caught.
GRACE = timedelta(minutes=2)
BATCH_SIZE = 100


@dataclass(frozen=True)
class _Candidate:
    doc_id: int
    sha256: str
    administration_id: int


@dataclass(frozen=True)
class _Extended:
    candidate: _Candidate
    data: bytes
    info: ltv.LevelInfo


def _candidates(session: Session, condition, limit: int) -> list[_Candidate]:
    rows = session.execute(
        select(Document.id, Document.sha256, Correspondence.administration_id)
        .join(Correspondence, Correspondence.id == Document.correspondence_id)
        .where(Document.kind == DocumentKind.receipt, condition)
        .order_by(Document.id)
        .limit(limit)
    ).all()
    return [_Candidate(*row) for row in rows]


def _extend_all(candidates: list[_Candidate], force: bool) -> list[_Extended]:
    """Extend each file (outside any transaction); files already B-LTA are only re-read unless
    ``force`` (a refresh adds a timestamp). A file that fails is logged and skipped."""
    batch: ltv.RevinfoBatch | None = None
    done = []
    for cand in candidates:
        try:
            data = storage.get(cand.sha256)
            if force or ltv.signature_level(data) != ltv.LEVEL_B_LTA:
                batch = batch or ltv.RevinfoBatch()  # built after the selection: newer than every TST
                data = ltv.extend(data, batch)
            done.append(_Extended(cand, data, ltv.level_info(data)))
        except Exception:  # noqa: BLE001 - one bad file must not stop the batch
            log.exception("document %s: long-term extension failed", cand.doc_id)
    return done


def _record(done: list[_Extended], action: str) -> int:
    """Point the rows at the new files (only rows still at the hash that was extended)."""
    count = 0
    with db.write_session() as session:
        for item in done:
            new_sha = storage.put(item.data)
            changed = session.execute(
                update(Document)
                .where(Document.id == item.candidate.doc_id, Document.sha256 == item.candidate.sha256)
                .values(
                    sha256=new_sha,
                    pdf_sha256=new_sha,
                    size=len(item.data),
                    signature_level=item.info.level,
                    archive_expires_at=item.info.last_tsa_expires,
                )
            ).rowcount
            if not changed:
                continue
            count += 1
            if new_sha != item.candidate.sha256:
                audit.record(
                    session,
                    None,
                    action,
                    object_type="document",
                    object_id=item.candidate.doc_id,
                    administration_id=item.candidate.administration_id,
                    actor_label="worker",
                    data={"from_sha256": item.candidate.sha256, "sha256": new_sha, "level": item.info.level},
                )
    return count


def extend_receipts(now: datetime | None = None, limit: int = BATCH_SIZE) -> int:
    """Extend up to ``limit`` receipts issued more than ``GRACE`` ago to B-LTA; returns how many."""
    now = now or utcnow()
    with db.read_session() as session:
        candidates = _candidates(
            session, (Document.signature_level.is_(None)) & (Document.created_at <= now - GRACE), limit
        )
    if not candidates:
        return 0
    return _record(_extend_all(candidates, force=False), "document.signature_extended")


def refresh_archives(
    now: datetime | None = None, margin: timedelta = ltv.REFRESH_MARGIN, limit: int = BATCH_SIZE
) -> int:
    """Add a document timestamp to B-LTA receipts whose newest timestamp's TSA certificate
    expires within ``margin`` (up to ``limit``); returns how many were re-timestamped."""
    now = now or utcnow()
    with db.read_session() as session:
        candidates = _candidates(
            session,
            (Document.signature_level == ltv.LEVEL_B_LTA)
            & or_(Document.archive_expires_at.is_(None), Document.archive_expires_at < now + margin),
            limit,
        )
    if not candidates:
        return 0
    return _record(_extend_all(candidates, force=True), "document.archive_timestamped")


def extend_job() -> str:
    """Background job: one batch per run (every minute)."""
    return f"{extend_receipts()} extended"
