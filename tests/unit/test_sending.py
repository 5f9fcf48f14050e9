"""Flow 5: a signed answer goes back to the citizen, or to another administration's register."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.i18n import translate
from mrasla_app.models import (
    AuditEvent,
    Correspondence,
    CorrespondenceLink,
    Direction,
    Dispatch,
    Document,
    DocumentKind,
    Folder,
    FolderStatus,
    LinkKind,
    Party,
    Status,
)
from mrasla_app.pki.signing import seal_pdf
from mrasla_app.pki.validation import validate_pdf
from mrasla_app.services.correspondence import dispatch, inbox, sending
from mrasla_app.services.correspondence.inbox import InboxFilter, Queue
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.platform import audit, storage
from mrasla_app.services.portal import deposits, tracking
from tests.files import pdf_bytes


def _incoming(seeded, email="salma@example.ma"):
    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Salma Bennis",
        id_kind="CIN",
        id_value="AB123456",
        email=email,
        phone="",
        subject="Demande d'attestation",
    )
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
        res = sending.send_answer(
            s,
            agent,
            dep.correspondence_id,
            subject="Transmission du dossier",
            document=signed_answer,
            to_administration_id=seeded.adm_id("CRB"),
        )
    assert res.recipient_number.startswith("CRB/") and res.recipient_number.endswith("/A/000001")
    clerk_crb = seeded.actor("clerk.crb@mrasla.ma")
    with db.read_session() as s:
        rows, _ = inbox.page(s, clerk_crb, InboxFilter(queue=Queue.to_qualify))
        arrival = s.get(Correspondence, res.recipient_id)
        ack = s.execute(
            select(Document).where(Document.correspondence_id == res.outgoing_id, Document.kind == DocumentKind.receipt)
        ).scalar_one()
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
        sending.send_answer(
            s, seeded.actor("agent.crb@mrasla.ma"), dep.correspondence_id, subject="x", document=signed_answer
        )


def test_a_folder_signed_in_the_parapheur_is_sent_as_the_answer(seeded, tmp_path):
    from mrasla_app.services.parapheur import submission
    from tests.unit.test_workflow import (
        AGENT,
        DIRECTOR,
        HEAD,
        PIN,
        act,
        enroll,
        pdfsig,
        two_page_pdf,
        visa_then_signature,
    )

    dep = _incoming(seeded)
    enroll(seeded, HEAD, DIRECTOR)
    with db.write_session() as s:
        folder = submission.create_folder(
            s,
            seeded.actor(AGENT),
            "Réponse: attestation",
            [("reponse.pdf", two_page_pdf())],
            correspondence_id=dep.correspondence_id,
        )
        submission.start(s, seeded.actor(AGENT), folder.id, steps=visa_then_signature(seeded))
        folder_id = folder.id
    with pytest.raises(DomainError) as early, db.write_session() as s:
        sending.send_folder(s, seeded.actor(AGENT), folder_id)
    assert early.value.code == "error.folder_not_completed"
    act(seeded, HEAD, folder_id, "approved", step_id=None)
    act(seeded, DIRECTOR, folder_id, "signed", pin=PIN)
    with db.write_session() as s:
        res = sending.send_folder(s, seeded.actor(AGENT), folder_id)
    assert "/D/" in res.outgoing_number
    with db.read_session() as s:
        view = tracking.view(s, tracking.by_access_token(s, dep.reference, dep.access_token))
        answer = storage.get(s.get(Document, view.answers[0][0]).sha256)
    assert view.status == "answered"
    assert "Signature is Valid" in pdfsig(answer, tmp_path)
    with pytest.raises(DomainError), db.write_session() as s:  # a second send is refused
        sending.send_folder(s, seeded.actor(AGENT), folder_id)


def test_disabling_a_signatory_revokes_their_certificate(seeded):
    from mrasla_app.services.directory import users
    from tests.unit.test_workflow import DIRECTOR, enroll

    enroll(seeded, DIRECTOR)
    with db.write_session() as s:
        users.set_active(s, seeded.actor("admin.mef@mrasla.ma"), seeded.user_id(DIRECTOR), False)
    with db.read_session() as s:
        from mrasla_app.models import SigningKey

        key = s.execute(select(SigningKey).where(SigningKey.user_id == seeded.user_id(DIRECTOR))).scalar_one()
    assert key.revoked
    from mrasla_app.pki import ca

    assert ca.is_revoked(int(key.serial, 16))


def test_the_qr_of_a_signed_document_verifies_once_the_circuit_is_complete(seeded):
    import re as _re

    from pypdf import PdfReader

    from mrasla_app.services.parapheur import submission, views
    from mrasla_app.services.portal import verification
    from tests.unit.test_workflow import AGENT, DIRECTOR, HEAD, PIN, act, enroll, two_page_pdf, visa_then_signature

    enroll(seeded, HEAD, DIRECTOR)
    with db.write_session() as s:
        folder = submission.create_folder(s, seeded.actor(AGENT), "Note de service", [("note.pdf", two_page_pdf())])
        submission.start(s, seeded.actor(AGENT), folder.id, steps=visa_then_signature(seeded))
        folder_id, reference = folder.id, folder.reference
        prepared = storage.get(folder.current_sha256)
    import io

    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(prepared)).pages)
    token = _re.search(r"t=([A-Za-z0-9_-]+)", text.replace("\n", "")).group(1)
    with db.read_session() as s:
        assert verification.lookup(s, reference, token) is None  # not signed yet: not attested
    act(seeded, HEAD, folder_id, "approved")
    act(seeded, DIRECTOR, folder_id, "signed", pin=PIN)
    with db.read_session() as s:
        found = verification.lookup(s, reference, token)
        assert verification.lookup(s, reference, token + "x") is None
        signed = views.signed_document(s.get(Folder, folder_id))
    assert found is not None and found.subject == "Note de service"
    assert found.documents[0].sha256 == __import__("hashlib").sha256(signed).hexdigest()


# ---------------------------------------------------------------- sending as one visible step (issue #11)


def _signed_folder(seeded, title="Transmission du rapport annuel", correspondence_id=None) -> int:
    """An outgoing letter drafted by the MEF agent, visa by the head, signed by the director."""
    from mrasla_app.services.parapheur import submission
    from tests.unit.test_workflow import AGENT, DIRECTOR, HEAD, PIN, act, enroll, two_page_pdf, visa_then_signature

    enroll(seeded, HEAD, DIRECTOR)
    with db.write_session() as s:
        folder = submission.create_folder(
            s,
            seeded.actor(AGENT),
            title,
            [("rapport.pdf", two_page_pdf("Rapport"))],
            correspondence_id=correspondence_id,
        )
        submission.start(s, seeded.actor(AGENT), folder.id, steps=visa_then_signature(seeded))
        folder_id = folder.id
    act(seeded, HEAD, folder_id, "approved")
    act(seeded, DIRECTOR, folder_id, "signed", pin=PIN)
    return folder_id


def _events(corr_id: int) -> list[tuple[str, str, dict]]:
    import json

    with db.read_session() as s:
        rows = s.execute(
            select(AuditEvent)
            .where(AuditEvent.object_type == "correspondence", AuditEvent.object_id == str(corr_id))
            .order_by(AuditEvent.id)
        ).scalars()
        return [(e.action, e.actor_label or "", json.loads(e.data or "{}")) for e in rows]


def _pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(data)).pages)


def test_a_signed_letter_waits_to_be_sent_and_is_not_yet_processed(seeded):
    from mrasla_app.services.parapheur import views

    folder_id = _signed_folder(seeded)
    agent = seeded.actor("agent.mef@mrasla.ma")
    with db.read_session() as s:
        assert s.get(Folder, folder_id).status is FolderStatus.completed
        assert translate("parapheur.status.completed", "fr") == "Signé, à envoyer"
        mine = [i.folder.id for i in views.queue(s, agent, "my_folders")]
        done = [i.folder.id for i in views.queue(s, agent, "done")]
        assert sending.can_send_folder(s, agent, s.get(Folder, folder_id))
        assert not sending.can_send_folder(s, seeded.actor("clerk.crb@mrasla.ma"), s.get(Folder, folder_id))
    assert folder_id in mine and folder_id not in done  # still on the agent's desk, not "Traités"


def test_a_signed_letter_linked_to_nothing_is_sent_to_another_administration(seeded):
    folder_id = _signed_folder(seeded)
    agent = seeded.actor("agent.mef@mrasla.ma")
    with db.read_session() as s:
        opts = sending.options(s, agent, folder_id)
    assert opts.correspondent_fr == ""  # no letter to answer: no "correspondent" choice
    assert "CRB" in [a.code for a in opts.administrations] and "MEF" not in [a.code for a in opts.administrations]
    with db.write_session() as s:
        res = sending.send_folder(s, agent, folder_id, to="administration", to_administration_id=seeded.adm_id("CRB"))
    assert "/D/" in res.outgoing_number and res.recipient_number.startswith("CRB/")
    with db.read_session() as s:
        out = s.get(Correspondence, res.outgoing_id)
        arrival = s.get(Correspondence, res.recipient_id)
        folder = s.get(Folder, folder_id)
        sender = s.get(Party, arrival.sender_party_id)
        arrived = s.execute(select(Document).where(Document.correspondence_id == arrival.id)).scalars().all()
        ack = s.execute(
            select(Document).where(Document.correspondence_id == out.id, Document.kind == DocumentKind.receipt)
        ).scalar_one()
        ack_pdf = storage.get(ack.sha256)
        signed = s.execute(
            select(Document).where(Document.correspondence_id == out.id, Document.kind == DocumentKind.signed)
        ).scalar_one()
    # the outgoing register records the sending; the folder moves on to "sent"
    assert (out.direction, out.status, out.recipient_administration_id) == (
        Direction.outgoing,
        Status.sent,
        seeded.adm_id("CRB"),
    )
    assert folder.status is FolderStatus.sent
    # CRB's letter names MEF as its sender and holds the signed PDF, its pages counted as they are
    import io

    from pypdf import PdfReader

    assert arrival.sender_administration_id == seeded.adm_id("MEF") and sender.full_name.startswith("Minist")
    pages = len(PdfReader(io.BytesIO(storage.get(signed.sha256))).pages)
    assert pages >= 2 and [(d.filename, d.pages, d.sha256) for d in arrived] == [
        (signed.filename, pages, signed.sha256)
    ]
    # MEF's acknowledgement lists every document received, with its hash
    text = _pdf_text(ack_pdf).replace("\n", " ")
    assert "(1)" in text and signed.filename in text and signed.sha256[:16] in text.replace(" ", "")
    assert res.recipient_number in text and res.outgoing_number in text
    # the history says what happened, in order, on both sides
    assert [a for a, _, _ in _events(out.id)] == [
        "correspondence.sent",
        "correspondence.delivered",
        "correspondence.acknowledged",
    ]
    assert _events(out.id)[1][2]["number"] == res.recipient_number
    assert [(a, who) for a, who, _ in _events(arrival.id)] == [("correspondence.received", "administration:MEF")]
    with db.read_session() as s:
        assert audit.verify(s) == []
    with pytest.raises(DomainError) as again, db.write_session() as s:
        sending.send_folder(s, agent, folder_id, to_administration_id=seeded.adm_id("CRB"))
    assert again.value.code == "error.sending_already_sent"


def test_a_signed_note_is_sent_to_a_unit_as_internal_mail(seeded):
    folder_id = _signed_folder(seeded, title="Note de service")
    target = seeded.unit_id("MEF", "SG")
    with db.write_session() as s:
        res = sending.send_folder(s, seeded.actor("agent.mef@mrasla.ma"), folder_id, to="unit", to_unit_id=target)
    assert "/I/" in res.outgoing_number and res.recipient_id is None
    with db.read_session() as s:
        note = s.get(Correspondence, res.outgoing_id)
        routed = s.execute(select(Dispatch).where(Dispatch.correspondence_id == note.id)).scalar_one()
    assert (note.direction, note.status, note.action_unit_id) == (Direction.internal, Status.dispatched, target)
    assert (routed.unit_id, routed.purpose.value) == (target, "action")


def test_sending_to_another_administration_from_a_folder_linked_to_a_citizen_letter_is_not_an_answer(seeded):
    dep = _incoming(seeded)
    folder_id = _signed_folder(seeded, correspondence_id=dep.correspondence_id)
    with db.write_session() as s:
        res = sending.send_folder(
            s, seeded.actor("agent.mef@mrasla.ma"), folder_id, to_administration_id=seeded.adm_id("CRB")
        )
    with db.read_session() as s:
        incoming = s.get(Correspondence, dep.correspondence_id)
        link = s.execute(select(CorrespondenceLink).where(CorrespondenceLink.from_id == res.outgoing_id)).scalar_one()
    assert incoming.status is Status.in_progress  # the citizen is still waiting for an answer
    assert link.kind is LinkKind.same_file


def test_a_registered_outgoing_letter_for_a_platform_administration_is_sent_from_the_letter(seeded):
    from mrasla_app.services.correspondence import paper

    clerk = seeded.actor("clerk.mef@mrasla.ma")
    with db.write_session() as s:
        reg = paper.register_outgoing(
            s,
            clerk,
            administration_id=seeded.adm_id("MEF"),
            subject="Convention signée",
            unit_id=seeded.unit_id("MEF", "DB"),
            recipient_administration_id=seeded.adm_id("CRB"),
            files=[("convention.pdf", pdf_bytes(2, text="Convention"))],
        )
        out_id = reg.correspondence.id
    with db.read_session() as s:
        out = s.get(Correspondence, out_id)
        assert out.status is Status.to_send and sending.can_send_outgoing(s, clerk, out)
        assert not sending.can_send_outgoing(s, seeded.actor("agent.crb@mrasla.ma"), out)
    with db.write_session() as s:
        res = sending.send_outgoing(s, clerk, out_id)
    with db.read_session() as s:
        out = s.get(Correspondence, out_id)
        arrival = s.get(Correspondence, res.recipient_id)
        docs = s.execute(select(Document).where(Document.correspondence_id == arrival.id)).scalars().all()
    assert out.status is Status.sent and res.outgoing_number == out.registry_number
    assert arrival.sender_administration_id == seeded.adm_id("MEF") and [d.pages for d in docs] == [2]
    with pytest.raises(DomainError), db.write_session() as s:
        sending.send_outgoing(s, clerk, out_id)


def test_only_the_sending_side_may_send_and_only_to_real_recipients(seeded):
    folder_id = _signed_folder(seeded)
    with pytest.raises(NotFound), db.write_session() as s:
        sending.send_folder(
            s, seeded.actor("agent.crb@mrasla.ma"), folder_id, to_administration_id=seeded.adm_id("CRB")
        )
    agent = seeded.actor("agent.mef@mrasla.ma")
    for kwargs, code in (
        ({"to_administration_id": seeded.adm_id("MEF")}, "error.unknown_administration"),
        ({"to": "unit", "to_unit_id": seeded.unit_id("CRB", "BO")}, "error.unknown_unit"),
        ({"to": "correspondent"}, "error.no_recipient"),
        ({"to": "nobody"}, "error.invalid_request"),
    ):
        with pytest.raises(DomainError) as err, db.write_session() as s:
            sending.send_folder(s, agent, folder_id, **kwargs)
        assert err.value.code == code
    with db.read_session() as s:
        assert s.get(Folder, folder_id).status is FolderStatus.completed
        assert s.execute(select(Correspondence).where(Correspondence.direction == Direction.outgoing)).first() is None
