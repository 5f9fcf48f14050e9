"""Consistency check of a Mrasla installation: database ↔ files ↔ hashes ↔ audit chain ↔ numbering,
and data at rest kept private (the data directory 0700, the SQLite database and its WAL 0600).

Run by ``mrasla fsck``. Read-only, except ``collect_garbage`` which deletes blobs that no row
references (left behind by refused, rolled-back or killed requests: blobs are written before the
transaction that references them, and a killed write leaves a ``.tmp`` file) once they are older
than a grace period. Those are not problems: nothing refers to them.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import make_url, select
from sqlmodel import Session

from mrasla_app.fsutil import SQLITE_COMPANIONS, open_to_others
from mrasla_app.models import (
    BatchLetter,
    Channel,
    Correspondence,
    Direction,
    Disposal,
    Document,
    DocumentKind,
    Folder,
    FolderDocument,
    RegistryCounter,
    ScanBatch,
    StepAction,
)
from mrasla_app.services.platform import audit, storage
from mrasla_app.settings import get_settings

GC_GRACE_SECONDS = 3600


@dataclass
class Report:
    checked_blobs: int = 0
    problems: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def referenced_blobs(session: Session) -> dict[str, str]:
    """Every SHA-256 a row points to → a label of the first row found (for messages)."""
    from mrasla_app.services.records.retention import disposed_document_ids

    refs: dict[str, str] = {}  # documents of transferred or destroyed letters left live storage on purpose
    for d in session.execute(select(Document).where(Document.id.not_in(disposed_document_ids(session)))).scalars():
        for sha in (d.sha256, d.pdf_sha256):
            if sha:
                refs.setdefault(sha, f"document #{d.id} ({d.filename})")
    for fd in session.execute(select(FolderDocument)).scalars():
        for sha in (fd.sha256, fd.pdf_sha256, fd.prepared_sha256, fd.signed_sha256):
            if sha:
                refs.setdefault(sha, f"folder document #{fd.id}")
    for f in session.execute(select(Folder)).scalars():
        if f.current_sha256:
            refs.setdefault(f.current_sha256, f"folder {f.reference}")
    for a in session.execute(select(StepAction)).scalars():
        if a.document_sha256:
            refs.setdefault(a.document_sha256, f"step action #{a.id}")
    for b in session.execute(select(ScanBatch).where(ScanBatch.stack_sha256 != "")).scalars():
        refs.setdefault(b.stack_sha256, f"scan batch #{b.id}")
    for bl in session.execute(select(BatchLetter)).scalars():
        for sha in (bl.pdf_sha256, bl.preview_sha256):
            if sha:
                refs.setdefault(sha, f"batch letter #{bl.id}")
    for d in session.execute(select(Disposal)).scalars():  # archive packages, certificates of destruction
        for sha in (d.package_sha256, d.certificate_sha256):
            if sha:
                refs.setdefault(sha, f"disposal {d.reference}")
    return refs


def _check_blobs(refs: dict[str, str], report: Report) -> None:
    for sha, label in sorted(refs.items()):
        path = storage.blob_path(sha)
        if not path.exists():
            report.problems.append(f"missing file for {label}: {sha}")
            continue
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        report.checked_blobs += 1
        if h.hexdigest() != sha:
            report.problems.append(f"content changed for {label}: {sha}")


def _check_numbering(session: Session, report: Report) -> None:
    seqs: dict[tuple[int, int, str], list[int]] = defaultdict(list)
    for adm, year, direction, seq in session.execute(
        select(Correspondence.administration_id, Correspondence.year, Correspondence.direction, Correspondence.seq)
    ):
        seqs[(adm, year, Direction(direction).value)].append(seq)
    counters = {
        (c.administration_id, c.year, c.direction): c.value for c in session.execute(select(RegistryCounter)).scalars()
    }
    for key in sorted(set(seqs) | set(counters)):
        found, top = sorted(seqs.get(key, [])), counters.get(key, 0)
        if found != list(range(1, top + 1)):
            missing = sorted(set(range(1, top + 1)) - set(found))[:5]
            report.problems.append(f"register {key}: numbers not 1..{top} without gaps (missing {missing})")


def _check_receipts(session: Session, report: Report) -> None:
    with_receipt = set(
        session.execute(select(Document.correspondence_id).where(Document.kind == DocumentKind.receipt)).scalars()
    )
    for cid, number in session.execute(
        select(Correspondence.id, Correspondence.registry_number).where(
            Correspondence.channel == Channel.portal, Correspondence.direction == Direction.incoming
        )
    ):
        if cid not in with_receipt:
            report.problems.append(f"deposit {number} has no sealed receipt")


def private_paths() -> list[Path]:
    """What must be for Mrasla's own user only: the data directory (then nothing inside is reachable
    by another local user) and the SQLite database with its companions (it may live elsewhere)."""
    settings = get_settings()
    paths = [settings.data_dir]
    if settings.is_sqlite:
        database = make_url(settings.database_url).database
        if database and database != ":memory:":
            db_path = Path(database)
            paths += [db_path.parent, *(db_path.with_name(db_path.name + s) for s in SQLITE_COMPANIONS)]
    return list(dict.fromkeys(paths))


def _check_private(report: Report) -> None:
    for path in private_paths():
        mode = open_to_others(path)
        if mode is not None:
            fix = "700" if path.is_dir() else "600"
            report.problems.append(f"readable by other users: {path} (mode {mode:04o}; chmod {fix})")


def check(session: Session) -> Report:
    """Everything at once; ``report.ok`` when the installation is consistent."""
    report = Report()
    _check_private(report)
    refs = referenced_blobs(session)
    _check_blobs(refs, report)
    _check_numbering(session, report)
    _check_receipts(session, report)
    report.problems += [f"audit: {p}" for p in audit.verify(session)]
    blobs_dir = get_settings().blobs_dir
    if blobs_dir.exists():
        report.orphans = sorted(p.name for p in blobs_dir.glob("*/*/*") if p.is_file() and p.name not in refs)
    return report


def collect_garbage(session: Session, grace_seconds: int = GC_GRACE_SECONDS) -> int:
    """Delete unreferenced blobs older than the grace period (never one an upload may be about to use)."""
    refs = referenced_blobs(session)
    removed, cutoff = 0, time.time() - grace_seconds
    for path in get_settings().blobs_dir.glob("*/*/*"):
        if path.is_file() and path.name not in refs and path.stat().st_mtime < cutoff:
            path.unlink()
            removed += 1
    return removed
