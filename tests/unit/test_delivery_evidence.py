"""Evidence of registered electronic delivery (law 43-20): sent, delivered, retrieved — sealed, verifiable."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import Document, DocumentKind
from mrasla_app.pki.signing import seal_pdf
from mrasla_app.pki.validation import validate_pdf
from mrasla_app.services.correspondence import delivery_evidence, sending
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.platform import audit
from tests.files import pdf_bytes
from tests.unit.test_sending import _incoming


@pytest.fixture
def signed_answer() -> bytes:
    """An answer signed elsewhere (sealed here for the test)."""
    return seal_pdf(pdf_bytes(1, text="Reponse"), field_name="Signature1")


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "evidence.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _answer_doc(session, correspondence_id: int) -> Document:
    return session.execute(
        select(Document).where(Document.correspondence_id == correspondence_id, Document.kind == DocumentKind.answer)
    ).scalar_one()


def test_an_answer_to_a_citizen_has_sealed_evidence_of_sending_and_first_retrieval(seeded, signed_answer, tmp_path):
    dep = _incoming(seeded)
    agent = seeded.actor("agent.mef@mrasla.ma")
    with db.write_session() as s:
        res = sending.send_answer(s, agent, dep.correspondence_id, subject="Votre attestation", document=signed_answer)
    with db.write_session() as s:  # the citizen opens the answer twice: the first opening is the proof
        doc = _answer_doc(s, dep.correspondence_id)
        assert delivery_evidence.record_retrieval(s, doc) == 1
        assert delivery_evidence.record_retrieval(s, doc) == 0
        sha = doc.sha256
    with db.write_session() as s:
        found = delivery_evidence.evidence(s, agent, res.outgoing_id)
        name, pdf = delivery_evidence.evidence_pdf(s, agent, res.outgoing_id)
    assert [e.kind for e in found.events] == ["sent", "retrieved"]
    assert found.documents[0].sha256 == sha and found.events[1].sha256 == sha
    report = validate_pdf(pdf)
    assert report.authentic and report.certified  # sealed by the platform, verifiable like a receipt
    text = _text(pdf, tmp_path)
    assert res.outgoing_number in text and sha in text.replace("\n", "") and "Consultation par le destinataire" in text
    assert name.endswith(".pdf")
    with db.read_session() as s:
        assert audit.verify(s) == []


def test_another_administration_opening_the_letter_is_its_retrieval(seeded, signed_answer):
    dep = _incoming(seeded)
    agent = seeded.actor("agent.mef@mrasla.ma")
    with db.write_session() as s:
        res = sending.send_answer(
            s,
            agent,
            dep.correspondence_id,
            subject="Transmission",
            document=signed_answer,
            to_administration_id=seeded.adm_id("CRB"),
        )
    with db.write_session() as s:
        arrived = s.execute(
            select(Document).where(
                Document.correspondence_id == res.recipient_id, Document.kind == DocumentKind.attachment
            )
        ).scalar_one()
        delivery_evidence.record_retrieval(
            s, arrived, actor=seeded.actor("clerk.crb@mrasla.ma"), actor_label="clerk.crb@mrasla.ma"
        )
    with db.read_session() as s:
        found = delivery_evidence.evidence(s, agent, res.outgoing_id)
    assert [e.kind for e in found.events] == ["sent", "delivered", "acknowledged", "retrieved"]
    assert res.recipient_number in found.events[1].detail


def test_evidence_is_only_for_the_sender_and_only_for_sent_letters(seeded, signed_answer):
    dep = _incoming(seeded)
    agent = seeded.actor("agent.mef@mrasla.ma")
    with db.write_session() as s:
        res = sending.send_answer(s, agent, dep.correspondence_id, subject="Réponse", document=signed_answer)
    with db.write_session() as s, pytest.raises(NotFound):
        delivery_evidence.evidence_pdf(s, seeded.actor("clerk.crb@mrasla.ma"), res.outgoing_id)
    with db.write_session() as s, pytest.raises(DomainError) as err:
        delivery_evidence.evidence_pdf(s, agent, dep.correspondence_id)  # the citizen's letter was not sent by us
    assert err.value.code == "error.no_delivery"
