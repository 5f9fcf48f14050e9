"""Composing an answer from a template with merge fields, then sending it into the signature book."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from mrasla_app import db
from mrasla_app.services import answers, deposits, dispatch
from mrasla_app.services.errors import DomainError, NotFound


def _incoming(seeded) -> int:
    form = deposits.DepositForm(administration_id=seeded.adm_id("MEF"), full_name="Nadia Chraibi", id_kind="CIN",
                                id_value="D778899", email="", phone="0612121212", subject="Demande de subvention")
    with db.write_session() as s:
        cid = deposits.submit(s, form).correspondence_id
    clerk = seeded.actor("clerk.mef@mrasla.ma")
    with db.write_session() as s:
        dispatch.qualify(s, clerk, cid, type_code="request", deadline=date(2030, 1, 1))
        dispatch.dispatch(s, clerk, cid, action_unit_id=seeded.unit_id("MEF", "DB.DSS"))
    return cid


@pytest.mark.parametrize("lang,greeting", [("fr", "Nadia Chraibi"), ("ar", "Nadia Chraibi")])
def test_merge_fills_every_field(seeded, lang, greeting):
    cid = _incoming(seeded)
    with db.read_session() as s:
        text = answers.merge(s, seeded.actor("agent.mef@mrasla.ma"), cid, "favourable", lang)
    assert greeting in text and "MEF/" in text and "Demande de subvention" in text and "{" not in text


def test_letter_becomes_a_draft_folder_linked_to_the_incoming_item(seeded):
    cid = _incoming(seeded)
    agent = seeded.actor("agent.mef@mrasla.ma")
    with db.write_session() as s:
        body = answers.merge(s, agent, cid, "acknowledge", "fr") + "\n{champ_inconnu}"
        folder = answers.start_answer(s, agent, cid, body, "fr")
        folder_id, linked = folder.id, folder.correspondence_id
        from mrasla_app.services import workflow
        _, pdf = workflow.document(s, agent, folder_id)
    assert linked == cid
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Nadia Chraibi" in text and "{champ_inconnu}" in text


def test_only_people_acting_on_the_item_can_draft(seeded):
    cid = _incoming(seeded)
    with pytest.raises(NotFound), db.read_session() as s:
        answers.merge(s, seeded.actor("agent.crb@mrasla.ma"), cid, "favourable")
    with pytest.raises(DomainError) as err, db.read_session() as s:
        answers.merge(s, seeded.actor("agent.mef@mrasla.ma"), cid, "no-such-template")
    assert err.value.code == "error.invalid_request"
