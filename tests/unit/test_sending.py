"""Flow 5: a signed answer goes back to the citizen, or to another administration's register."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import Correspondence, Document, DocumentKind, Status
from mrasla_app.pki.signing import seal_pdf
from mrasla_app.pki.validation import validate_pdf
from mrasla_app.services import audit, deposits, dispatch, inbox, sending, storage, tracking
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.inbox import InboxFilter, Queue
from tests.files import pdf_bytes


def _incoming(seeded, email="salma@example.ma"):
    form = deposits.DepositForm(administration_id=seeded.adm_id("MEF"), full_name="Salma Bennis", id_kind="CIN",
                                id_value="AB123456", email=email, phone="", subject="Demande d'attestation")
    with db.write_session() as s:
        result = deposits.submit(s, form)
    clerk = seeded.actor("clerk.mef@mrasla.ma")
    with db.write_session() as s:
        dispatch.qualify(s, clerk, result.correspondence_id, type_code="request", deadline=date(2030, 1, 1))
        dispatch.dispatch(s, clerk, result.correspondence_id, action_unit_id=seeded.unit_id("MEF", "DB.DSS"))
        dispatch.take(s, seeded.actor("agent.mef@mrasla.ma"), result.correspondence_id)
    return result


@pytest.fixture
def signed_answer(seeded) -> bytes:
    return seal_pdf(pdf_bytes(1, text="Reponse"), field_name="Signature1")


def test_answer_to_a_citizen_appears_on_the_tracking_page(seeded, signed_answer):
    dep = _incoming(seeded)
    agent = seeded.actor("agent.mef@mrasla.ma")
    with db.write_session() as s:
        res = sending.send_answer(s, agent, dep.correspondence_id, subject="Votre attestation", document=signed_answer)
    assert res.outgoing_number.startswith("MEF/") and "/D/000001" in res.outgoing_number
    assert res.recipient_number is None
    with db.read_session() as s:
        corr = tracking.by_access_token(s, dep.reference, dep.access_token)
        view = tracking.view(s, corr)
    assert view.status == "answered"
    assert [m.key for m in view.milestones][-1] == "track.event.answered"
    assert len(view.answers) == 1
    with db.read_session() as s:
        assert storage.get(s.get(Document, view.answers[0][0]).sha256) == signed_answer
        assert audit.verify(s) == []
    assert res.notification_ids


def test_answer_to_another_administration_lands_in_its_register_with_acknowledgement(seeded, signed_answer):
    dep = _incoming(seeded)
    agent = seeded.actor("agent.mef@mrasla.ma")
    with db.write_session() as s:
        res = sending.send_answer(s, agent, dep.correspondence_id, subject="Transmission du dossier",
                                  document=signed_answer, to_administration_id=seeded.adm_id("CRB"))
    assert res.recipient_number.startswith("CRB/") and res.recipient_number.endswith("/A/000001")
    clerk_crb = seeded.actor("clerk.crb@mrasla.ma")
    with db.read_session() as s:
        rows, _ = inbox.page(s, clerk_crb, InboxFilter(queue=Queue.to_qualify))
        arrival = s.get(Correspondence, res.recipient_id)
        ack = s.execute(select(Document).where(Document.correspondence_id == res.outgoing_id,
                                               Document.kind == DocumentKind.receipt)).scalar_one()
        ack_pdf = storage.get(ack.sha256)
    assert [r.registry_number for r in rows] == [res.recipient_number]
    assert arrival.channel.value == "inter_administration" and arrival.status is Status.to_qualify
    report = validate_pdf(ack_pdf)
    assert report.authentic and report.certified
    # the sending administration does not see the recipient's register, and vice versa
    with db.read_session() as s:
        with pytest.raises(NotFound):
            dispatch.history(s, agent, res.recipient_id)
        with pytest.raises(NotFound):
            dispatch.history(s, clerk_crb, dep.correspondence_id)


def test_unsigned_answers_are_refused_and_nothing_changes(seeded):
    dep = _incoming(seeded)
    agent = seeded.actor("agent.mef@mrasla.ma")
    with pytest.raises(DomainError) as err, db.write_session() as s:
        sending.send_answer(s, agent, dep.correspondence_id, subject="x", document=pdf_bytes())
    assert err.value.code == "error.answer_not_signed"
    with db.read_session() as s:
        assert s.get(Correspondence, dep.correspondence_id).status is Status.in_progress
        assert s.execute(select(Correspondence).where(Correspondence.direction == "outgoing")).first() is None


def test_outsiders_cannot_answer(seeded, signed_answer):
    dep = _incoming(seeded)
    with pytest.raises(NotFound), db.write_session() as s:
        sending.send_answer(s, seeded.actor("agent.crb@mrasla.ma"), dep.correspondence_id, subject="x",
                            document=signed_answer)
