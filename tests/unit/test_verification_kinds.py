"""What the tracking page offers for an answer, and what each QR/verification page says it is."""

from __future__ import annotations

import hashlib

from mrasla_app import db
from mrasla_app.models import Administration, Channel, Correspondence, Direction
from mrasla_app.pki.signing import seal_pdf
from mrasla_app.services.correspondence import registry, sending
from mrasla_app.services.directory.accounts import hash_secret
from mrasla_app.services.platform import storage
from mrasla_app.services.portal import tracking, verification
from tests.answered import AGENT, answered_deposit
from tests.files import pdf_bytes
from tests.unit.test_sending import _incoming


def _view(answered):
    with db.read_session() as s:
        corr = tracking.by_access_token(s, answered.deposit.reference, answered.deposit.access_token)
        return tracking.view(s, corr)


def test_the_tracking_view_lists_the_signed_answer_with_its_folder(seeded):
    answered = answered_deposit(seeded)
    (answer,) = _view(answered).answers
    assert answer.filename == f"{answered.folder_reference}.pdf"
    assert answer.folder_reference == answered.folder_reference
    assert answer.pages >= 2 and answer.size > 1000


def test_a_ticket_opens_that_answer_only_and_not_after_it_expires(seeded, monkeypatch):
    answered = answered_deposit(seeded)
    (answer,) = _view(answered).answers
    good = tracking.ticket(tracking.answer_subject(answer.document_id))
    with db.read_session() as s:
        doc = tracking.answer_by_ticket(s, answered.deposit.reference, answer.document_id, good)
        assert doc is not None and storage.get(doc.sha256)[:5] == b"%PDF-"
        assert tracking.answer_by_ticket(s, "MEF-2026-A-999999", answer.document_id, good) is None  # other letter
        assert tracking.answer_by_ticket(s, answered.deposit.reference, answer.document_id + 1, good) is None
        expires, mac = good.split(".")
        assert (
            tracking.answer_by_ticket(s, answered.deposit.reference, answer.document_id, f"{int(expires) + 1}.{mac}")
            is None
        )  # a longer life is not signed
        assert tracking.answer_by_ticket(s, answered.deposit.reference, answer.document_id, "") is None
    monkeypatch.setattr(tracking, "TICKET_TTL", -tracking.TICKET_TTL)
    old = tracking.ticket(tracking.answer_subject(answer.document_id))
    with db.read_session() as s:
        assert tracking.answer_by_ticket(s, answered.deposit.reference, answer.document_id, old) is None


def test_signed_document_page_names_signatories_times_and_the_letter_it_answers(seeded):
    answered = answered_deposit(seeded)
    ref = answered.folder_reference
    with db.read_session() as s:
        assert verification.lookup(s, ref, "wrong-token") is None
        assert verification.lookup(s, ref, "", "123.abc") is None
        found = verification.lookup(s, ref, "", tracking.ticket(tracking.verify_subject(ref)))
    assert found is not None and found.kind == "signed"
    assert found.belongs_to == answered.deposit.registry_number and found.status == "answered"
    assert found.depositor_id == ""
    assert [(g.kind, g.name_fr) for g in found.signatories] == [
        ("signature", "Mohammed Berrada"),
        ("seal", found.signatories[1].name_fr),
    ]
    assert found.signatories[0].name_ar and found.signatories[0].name_ar != "Mohammed Berrada"  # the Arabic name
    assert found.signatories[0].signed_at <= found.signatories[1].signed_at
    (doc,) = found.documents
    assert doc.kind == "signed" and doc.pages >= 2
    (answer,) = _view(answered).answers
    assert doc.sha256 == hashlib.sha256(storage.get(doc.sha256)).hexdigest() and doc.pages == answer.pages


def test_a_receipt_says_it_is_a_receipt(seeded):
    answered = answered_deposit(seeded)
    token = answered.deposit.verify_url.split("t=")[1]
    with db.read_session() as s:
        receipt = verification.lookup(s, answered.deposit.reference, token)
    assert receipt.kind == "receipt" and receipt.depositor_id.startswith("CIN ")
    assert receipt.status == "answered" and receipt.sender_fr == ""
    assert receipt.belongs_to == answered.deposit.registry_number


def test_an_inter_administration_arrival_is_an_acknowledgement(seeded):
    """Its QR page names the sending administration and its outgoing number, not a depositor."""
    dep = _incoming(seeded)
    with db.write_session() as s:
        res = sending.send_answer(
            s,
            seeded.actor(AGENT),
            dep.correspondence_id,
            subject="Transmission",
            document=seal_pdf(pdf_bytes(1, text="Lettre"), field_name="Signature1"),
            to_administration_id=seeded.adm_id("CRB"),
        )
    with db.write_session() as s:  # the acknowledgement's QR token is only inside its PDF: set a known one
        arrival = s.get(Correspondence, res.recipient_id)
        arrival.verify_token_hash = hash_secret("known-token")
        reference = registry.reference_slug(arrival.registry_number)
        assert arrival.channel is Channel.inter_administration and arrival.direction is Direction.incoming
        mef = s.get(Administration, seeded.adm_id("MEF"))
        mef_names = (mef.name_ar, mef.name_fr)
    with db.read_session() as s:
        ack = verification.lookup(s, reference, "known-token")
    assert ack.kind == "acknowledgement" and ack.depositor_id == ""
    assert (ack.sender_ar, ack.sender_fr) == mef_names and ack.sender_reference == res.outgoing_number
    assert ack.status == "to_qualify" and [d.kind for d in ack.documents] == ["attachment"]
