"""Drafting the answer in the application: a template with merge fields, a PDF preview that says
where, when, to whom and who signs, the circuit started with it, the signature in the signatory
block of the letter's last page (no extra page), and new versions from the edited text."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import AuditEvent, Correspondence, FolderStatus
from mrasla_app.services.correspondence import answers, dispatch, drafting
from mrasla_app.services.errors import DomainError, NotFound, PermissionDenied
from mrasla_app.services.parapheur import decisions, signing_keys, submission, views
from mrasla_app.services.platform import storage
from mrasla_app.services.portal import deposits

AGENT, HEAD, DIRECTOR = "agent.mef@mrasla.ma", "head.mef@mrasla.ma", "director.mef@mrasla.ma"
PIN = "135790"


def _incoming(seeded) -> int:
    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Nadia Chraibi",
        id_kind="CIN",
        id_value="D778899",
        email="",
        phone="0612121212",
        subject="Demande de subvention",
    )
    with db.write_session() as s:
        cid = deposits.submit(s, form).correspondence_id
    clerk = seeded.actor("clerk.mef@mrasla.ma")
    with db.write_session() as s:
        dispatch.qualify(s, clerk, cid, type_code="request", deadline=date(2030, 1, 1))
        dispatch.dispatch(s, clerk, cid, action_unit_id=seeded.unit_id("MEF", "DB.DSS"))
    return cid


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def _steps(seeded, *, visa: bool = True) -> list[dict]:
    sign = {"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]}
    return ([{"kind": "visa", "user_ids": [seeded.user_id(HEAD)]}] if visa else []) + [sign]


def _prefilled(seeded, cid: int, lang: str = "fr") -> drafting.LetterText:
    with db.read_session() as s:
        return drafting.prefill(s, seeded.actor(AGENT), cid, "favourable", lang).text


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_merge_fills_every_field(seeded, lang):
    cid = _incoming(seeded)
    with db.read_session() as s:
        text = answers.merge(s, seeded.actor(AGENT), cid, "favourable", lang)
    assert "Nadia Chraibi" in text and "MEF/" in text and "Demande de subvention" in text and "{" not in text


def test_preview_has_place_date_reference_addressee_subject_and_signatory_block(seeded):
    cid = _incoming(seeded)
    text = _prefilled(seeded, cid)
    assert text.addressee == "Nadia Chraibi" and text.subject == "Demande de subvention" and text.place
    with db.read_session() as s:
        pdf = drafting.preview(s, seeded.actor(AGENT), cid, text, steps=_steps(seeded))
        number = s.get(Correspondence, cid).registry_number
    shown = _text(pdf)
    assert f"{text.place}, le " in shown and number in shown and "Nadia Chraibi" in shown
    assert "Objet : Demande de subvention" in shown
    assert "Mohammed Berrada" in shown and "Signataire" in shown  # the circuit's last signatory, not the visa


def test_arabic_letter_names_the_signatory_in_arabic(seeded):
    cid = _incoming(seeded)
    with db.read_session() as s:
        pdf = drafting.preview(s, seeded.actor(AGENT), cid, _prefilled(seeded, cid, "ar"), steps=_steps(seeded))
    shown = _text(pdf)
    assert "برادة" in shown and "Mohammed Berrada" not in shown


def test_signature_lands_in_the_signatory_block_of_the_last_page(seeded):
    cid = _incoming(seeded)
    text = _prefilled(seeded, cid)
    with db.read_session() as s:
        preview = drafting.preview(s, seeded.actor(AGENT), cid, text, steps=_steps(seeded))
    with db.write_session() as s:
        folder = drafting.start(s, seeded.actor(AGENT), cid, text, steps=_steps(seeded))
        fid = folder.id
        assert folder.status == FolderStatus.in_progress and folder.correspondence_id == cid
    with db.write_session() as s:
        signing_keys.enroll(s, seeded.actor(DIRECTOR), PIN)
    with db.write_session() as s:
        decisions.act(s, seeded.actor(HEAD), fid, "approved")
    with db.write_session() as s:
        folder = decisions.act(s, seeded.actor(DIRECTOR), fid, "signed", pin=PIN)
        assert folder.status == FolderStatus.completed
        signed = storage.get(folder.current_sha256)
    reader = PdfReader(io.BytesIO(signed))
    assert len(reader.pages) == len(PdfReader(io.BytesIO(preview)).pages)  # no signatures page appended
    last = reader.pages[-1]
    widgets = [a.get_object() for a in last.get("/Annots", [])]
    # the signatory's field (B-LTA adds an invisible document timestamp field, whose value is a /DocTimeStamp)
    sig = [
        w
        for w in widgets
        if w.get("/FT") == "/Sig" and w.get("/V") is not None and w["/V"].get_object().get("/Type") != "/DocTimeStamp"
    ]
    assert len(sig) == 1  # the field is signed
    x1, y1, x2, y2 = (float(v) for v in sig[0]["/Rect"])
    width = float(last.mediabox.width)
    assert x1 > width / 2 and y1 > 100  # the right-hand signatory block, above the verification footer
    assert "Signé électroniquement" not in _text(preview) and "Mohammed Berrada" in _text(signed)
    assert "/verify/" in _text(signed)  # the QR code's address replaced the preview's placeholder


def test_two_signatories_keep_the_signatures_page_for_the_first(seeded):
    cid = _incoming(seeded)
    steps = [{"kind": "signature", "user_ids": [seeded.user_id("sg.mef@mrasla.ma")]}, *_steps(seeded, visa=False)]
    with db.write_session() as s:
        folder = drafting.start(s, seeded.actor(AGENT), cid, _prefilled(seeded, cid), steps=steps)
        prepared = storage.get(folder.current_sha256)
    reader = PdfReader(io.BytesIO(prepared))
    assert len(reader.pages) == 2  # the one-page letter and the signatures page
    names = {p: [_field_name(a.get_object()) for a in page.get("/Annots", [])] for p, page in enumerate(reader.pages)}
    assert names == {0: ["Mrasla.v1.s2.p1"], 1: ["Mrasla.v1.s1.p1"]}  # the last signatory signs the letter itself


def _field_name(widget) -> str:
    parts = []
    while widget is not None:
        if "/T" in widget:
            parts.append(str(widget["/T"]))
        widget = widget.get("/Parent")
        widget = widget.get_object() if widget is not None else None
    return ".".join(reversed(parts))


def test_edited_text_becomes_a_new_version_and_the_circuit_restarts(seeded):
    cid = _incoming(seeded)
    agent = seeded.actor(AGENT)
    with db.write_session() as s:
        fid = drafting.start(s, agent, cid, _prefilled(seeded, cid), steps=_steps(seeded)).id
    with db.write_session() as s:
        decisions.act(s, seeded.actor(HEAD), fid, "rejected", comment="Préciser le montant")
    with db.read_session() as s:
        draft = drafting.draft_of(s, agent, fid)
    edited = drafting.LetterText(
        draft.lang, draft.addressee, draft.subject, draft.body + "\nMontant : 12 000 DH.", draft.place
    )
    with db.write_session() as s:
        folder = drafting.revise(s, agent, fid, edited)
        assert folder.version == 2 and folder.status == FolderStatus.in_progress and folder.current_step == 1
        assert "Montant : 12 000 DH." in _text(storage.get(folder.current_sha256))
        assert drafting.draft_of(s, agent, fid).version == 2
        events = s.execute(select(AuditEvent.action).where(AuditEvent.object_id == str(fid))).scalars().all()
    assert events.count("folder.letter_drafted") == 2 and "folder.new_version" in events
    with pytest.raises(PermissionDenied), db.write_session() as s:
        drafting.revise(s, seeded.actor(HEAD), fid, edited)  # only the initiator writes new versions
    with db.write_session() as s:
        submission.cancel(s, agent, fid, "Sans objet")
    with pytest.raises(DomainError) as err, db.write_session() as s:
        drafting.revise(s, agent, fid, edited)  # the folder's lifecycle has no new version once withdrawn
    assert (err.value.code, err.value.params) == (
        "error.invalid_transition",
        {"current": "cancelled", "target": "new_version"},
    )


def test_bad_input_is_refused_and_changes_nothing(seeded):
    cid = _incoming(seeded)
    text = _prefilled(seeded, cid)
    empty = drafting.LetterText(text.lang, text.addressee, text.subject, "   ", text.place)
    with pytest.raises(DomainError) as err, db.write_session() as s:
        drafting.start(s, seeded.actor(AGENT), cid, empty, steps=_steps(seeded))
    assert err.value.code == "error.required"
    with pytest.raises(DomainError) as err, db.write_session() as s:
        drafting.start(s, seeded.actor(AGENT), cid, text, steps=[])
    assert err.value.code == "error.invalid_circuit"
    with db.read_session() as s:
        assert views.queue(s, seeded.actor(AGENT), "my_folders") == []


def test_only_people_acting_on_the_item_can_draft(seeded):
    cid = _incoming(seeded)
    with pytest.raises(NotFound), db.read_session() as s:
        drafting.prefill(s, seeded.actor("agent.crb@mrasla.ma"), cid, "favourable")
    with pytest.raises(NotFound), db.read_session() as s:
        drafting.preview(s, seeded.actor("agent.crb@mrasla.ma"), cid, _prefilled(seeded, cid), steps=_steps(seeded))
    with pytest.raises(DomainError) as err, db.read_session() as s:
        answers.merge(s, seeded.actor(AGENT), cid, "no-such-template")
    assert err.value.code == "error.invalid_request"


def test_clerk_reprints_a_paper_label_with_a_new_code_and_the_old_one_stops_working(seeded):
    from mrasla_app.services.correspondence import labels, paper
    from mrasla_app.services.portal import verification
    from tests.files import pdf_bytes

    clerk = seeded.actor("clerk.mef@mrasla.ma")
    with db.write_session() as s:
        reg = paper.register_incoming(
            s,
            clerk,
            administration_id=seeded.adm_id("MEF"),
            channel="paper",
            subject="Demande de mutation",
            sender_name="Ahmed Amrani",
            files=[("lettre.pdf", pdf_bytes())],
        )
        cid, ref, old = reg.correspondence.id, reg.reference, reg.verify_token
    with db.write_session() as s:
        pdf, name = labels.reprint(s, clerk, cid, "a4")
    assert name.startswith("etiquette-") and name.endswith("-a4.pdf") and pdf.startswith(b"%PDF")
    with db.read_session() as s:
        assert verification.lookup(s, ref, old) is None  # the previous label's code is revoked
        assert s.execute(
            select(AuditEvent.id).where(
                AuditEvent.action == "correspondence.label_reprinted", AuditEvent.object_id == str(cid)
            )
        ).first()
    with pytest.raises((PermissionDenied, NotFound)), db.write_session() as s:
        labels.reprint(s, seeded.actor(AGENT), cid)  # not a registry clerk
    deposit = _incoming(seeded)
    with pytest.raises(PermissionDenied), db.write_session() as s:
        labels.reprint(s, clerk, deposit)  # a portal deposit: its receipt carries the code
