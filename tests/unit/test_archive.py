"""Receipts issued B-T, extended to B-LTA by the background job, re-timestamped by archive-refresh."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import AuditEvent, Document, DocumentKind
from mrasla_app.models.base import utcnow
from mrasla_app.pki import ltv
from mrasla_app.pki.validation import validate_pdf
from mrasla_app.services.platform import archive, storage
from mrasla_app.services.portal import deposits, verification


def _deposit(seeded, subject: str) -> int:
    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Driss Alami",
        id_kind="CIN",
        id_value="C123456",
        email="",
        phone="0611223344",
        subject=subject,
    )
    with db.write_session() as s:
        return deposits.submit(s, form).correspondence_id


def _receipt(cid: int) -> Document:
    with db.read_session() as s:
        return s.execute(
            select(Document).where(Document.correspondence_id == cid, Document.kind == DocumentKind.receipt)
        ).scalar_one()


def test_receipts_are_extended_after_the_grace_period_then_refreshed_once(seeded):
    cids = [_deposit(seeded, f"Demande {i}") for i in range(3)]
    issued = {cid: _receipt(cid) for cid in cids}
    assert all(ltv.signature_level(storage.get(d.sha256)) == "B-T" for d in issued.values())
    assert archive.extend_receipts() == 0  # still inside the grace period: left as issued

    later = utcnow() + archive.GRACE + timedelta(seconds=1)
    assert archive.extend_receipts(now=later) == 3
    assert archive.extend_receipts(now=later) == 0  # idempotent
    for cid, before in issued.items():
        after = _receipt(cid)
        data = storage.get(after.sha256)
        assert after.signature_level == "B-LTA" and after.size == len(data)
        assert data.startswith(storage.get(before.sha256))  # the issued file, plus one update
        report = validate_pdf(data)
        assert report.authentic and report.level == "B-LTA", report.reasons
        assert after.archive_expires_at is not None
        assert after.archive_expires_at - utcnow() > ltv.REFRESH_MARGIN
    with db.read_session() as s:
        events = s.execute(select(AuditEvent).where(AuditEvent.action == "document.signature_extended")).scalars().all()
        assert len(events) == 3

    # Nothing nears expiry: archive-refresh does nothing; with a 20-year margin every file gets
    # one more document timestamp, once.
    assert archive.refresh_archives() == 0
    assert archive.refresh_archives(margin=timedelta(days=365 * 20)) == 3
    refreshed = _receipt(cids[0])
    info = ltv.level_info(storage.get(refreshed.sha256))
    assert info.level == "B-LTA" and validate_pdf(storage.get(refreshed.sha256)).authentic
    assert len(validate_pdf(storage.get(refreshed.sha256)).document_timestamps) == 2
    assert archive.refresh_archives() == 0
    from mrasla_app.cli import main

    assert main(["archive-refresh", "--margin-days", str(365 * 20)]) == 0  # the operator's command
    assert len(validate_pdf(storage.get(_receipt(cids[0]).sha256)).document_timestamps) == 3
    current = _receipt(cids[0]).sha256
    assert main(["archive-refresh"]) == 0 and _receipt(cids[0]).sha256 == current  # nothing due: unchanged


def test_verification_lookup_says_which_level_the_receipt_has(seeded):
    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Driss Alami",
        id_kind="CIN",
        id_value="C123456",
        email="",
        phone="0611223344",
        subject="Niveau",
    )
    with db.write_session() as s:
        result = deposits.submit(s, form)
    with db.read_session() as s:
        found = verification.lookup(s, result.reference, result.verify_token)
    assert found is not None and found.receipt_signature_level == "B-T"
    archive.extend_receipts(now=utcnow() + archive.GRACE + timedelta(seconds=1))
    with db.read_session() as s:
        found = verification.lookup(s, result.reference, result.verify_token)
    assert found.receipt_signature_level == "B-LTA"
    assert validate_pdf(storage.get(found.receipt_sha256)).level_label == "PAdES B-LTA"
