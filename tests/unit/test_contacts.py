"""The contacts directory: normalisation, matching on intake, de-duplication suggestions, merge."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import AuditEvent, Contact, Party, PartyKind
from mrasla_app.services.correspondence import contacts, paper
from mrasla_app.services.errors import DomainError, FieldErrors, NotFound, PermissionDenied

CLERK, AGENT, OTHER_CLERK = "clerk.mef@mrasla.ma", "agent.mef@mrasla.ma", "clerk.crb@mrasla.ma"


def test_normalisation() -> None:
    assert contacts.norm_name("EL-FASSI  Ahmed") == contacts.norm_name("Ahmed el Fassi") == "ahmed el fassi"
    assert contacts.norm_name("Société Atlas") == contacts.norm_name("SOCIETE atlas")
    assert contacts.norm_name("أحمد الفاسي") == contacts.norm_name("احمد  الفاسي")  # hamza forms folded
    assert contacts.norm_name("فاطمة") == contacts.norm_name("فاطمه")  # ta marbuta
    assert contacts.norm_phone("+212 6 61-23 45 67") == contacts.norm_phone("0661234567") == "0661234567"
    assert contacts.norm_phone("00212661234567") == "0661234567"
    assert contacts.norm_phone("+33 1 23 45 67 89") == "33123456789"  # foreign numbers stay international
    assert contacts.norm_email(" A.ElFassi@Example.MA ") == "a.elfassi@example.ma"


def test_remember_matches_on_email_phone_or_identifier(seeded) -> None:
    adm, other = seeded.adm_id("MEF"), seeded.adm_id("CRB")
    with db.write_session() as s:
        first = contacts.remember(s, adm, name="Ahmed El Fassi", email="A.ElFassi@example.ma")
        again = contacts.remember(s, adm, name="أحمد الفاسي", email="a.elfassi@example.ma", phone="+212661234567")
        assert again.id == first.id
        assert (again.name_latin, again.name_ar, again.phone) == ("Ahmed El Fassi", "أحمد الفاسي", "0661234567")
        by_phone = contacts.remember(s, adm, name="A. El Fassi", phone="0661234567")
        assert by_phone.id == first.id and by_phone.name_latin == "Ahmed El Fassi"  # kept, not overwritten
        by_ice = contacts.remember(
            s, adm, kind=PartyKind.company, name="Atlas SARL", id_kind="ICE", id_value="001234567000089"
        )
        assert contacts.remember(s, adm, name="ATLAS", id_value="001234567000089").id == by_ice.id
        # same name only: a new entry (names are ambiguous), suggested as a duplicate instead
        assert contacts.remember(s, adm, name="ahmed EL-FASSI").id != first.id
        # another administration never sees MEF's entries
        assert contacts.remember(s, other, email="a.elfassi@example.ma").id != first.id


def test_suggestions_and_merge(seeded) -> None:
    adm = seeded.adm_id("MEF")
    clerk = seeded.actor(CLERK)
    with db.write_session() as s:
        a = paper.register_incoming(
            s,
            clerk,
            administration_id=adm,
            channel="email",
            subject="Demande",
            sender_name="Ahmed El Fassi",
            sender_email="a.elfassi@example.ma",
        )
        b = paper.register_incoming(
            s,
            clerk,
            administration_id=adm,
            channel="email",
            subject="Relance",
            sender_name="EL FASSI Ahmed",
            sender_phone="0661234567",
        )
        c = contacts.create(s, clerk, adm, contacts.ContactInput(name_latin="Karima Alaoui", phone="+212661234567"))
        contacts.create(s, clerk, adm, contacts.ContactInput(name_latin="Sans rapport", email="x@example.ma"))
        party_a = s.get(Party, a.correspondence.sender_party_id)
        party_b = s.get(Party, b.correspondence.sender_party_id)
        ca, cb = party_a.contact_id, party_b.contact_id  # type: ignore[union-attr]
        assert ca and cb and ca != cb  # intake linked each letter's sender to an entry
    with db.read_session() as s:
        found = {(x.first.id, x.second.id): x.reasons for x in contacts.suggestions(s, clerk, adm)}
    assert found == {(ca, cb): ("name",), (cb, c.id): ("phone",)}
    with db.read_session() as s, pytest.raises(PermissionDenied):
        contacts.suggestions(s, seeded.actor(AGENT), adm)  # registry staff only
    with db.write_session() as s, pytest.raises(NotFound):
        contacts.merge(s, seeded.actor(OTHER_CLERK), seeded.adm_id("CRB"), ca, cb)  # not CRB's entries
    with db.write_session() as s, pytest.raises(PermissionDenied):
        contacts.merge(s, seeded.actor(OTHER_CLERK), adm, ca, cb)

    with db.write_session() as s:
        kept = contacts.merge(s, clerk, adm, ca, cb)
        assert (kept.email, kept.phone) == ("a.elfassi@example.ma", "0661234567")  # completed from the other
    with db.read_session() as s:
        assert s.get(Contact, cb).merged_into_id == ca  # type: ignore[union-attr]
        assert contacts.for_party(s, b.correspondence.sender_party_id).id == ca  # type: ignore[union-attr]
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "contact.merged")).scalar_one()
        assert event.object_id == str(ca)
        # the merged entry now shares the phone with Karima's: still suggested, the merged one is gone
        assert [(x.first.id, x.second.id) for x in contacts.suggestions(s, clerk, adm)] == [(ca, c.id)]
        assert [x.id for x in contacts.search(s, seeded.actor(AGENT), adm, "fassi")] == [ca]
    with db.write_session() as s, pytest.raises(DomainError):
        contacts.merge(s, clerk, adm, ca, cb)  # already merged


def test_create_refuses_bad_input(seeded) -> None:
    adm = seeded.adm_id("MEF")
    with db.write_session() as s, pytest.raises(FieldErrors) as refused:
        contacts.create(
            s,
            seeded.actor(CLERK),
            adm,
            contacts.ContactInput(kind="robot", email="not-an-email", phone="12", id_kind="CIN", id_value="123"),
        )
    assert set(refused.value.fields) == {"kind", "name_latin", "email", "phone", "id_value"}
    with db.read_session() as s:
        assert s.execute(select(Contact)).first() is None


def test_outgoing_letter_to_a_picked_contact(seeded) -> None:
    adm, crb = seeded.adm_id("MEF"), seeded.adm_id("CRB")
    agent, dss = seeded.actor(AGENT), seeded.unit_id("MEF", "DB.DSS")
    with db.write_session() as s:
        picked = contacts.create(s, seeded.actor(CLERK), adm, contacts.ContactInput(name_ar="شركة الأطلس"))
        foreign = contacts.create(s, seeded.actor(OTHER_CLERK), crb, contacts.ContactInput(name_latin="Autre"))
        picked_id, foreign_id = picked.id, foreign.id
    with db.write_session() as s:
        entry = contacts.addressee(s, agent, adm, picked_id)  # type: ignore[arg-type]
        reg = paper.register_outgoing(
            s,
            agent,
            administration_id=adm,
            unit_id=dss,
            subject="Réponse",
            recipient_name=contacts.display_name(entry),
            recipient_contact_id=picked_id,
        )
        party = s.get(Party, reg.correspondence.recipient_party_id)
        assert party.contact_id == picked_id and party.full_name == "شركة الأطلس"  # type: ignore[union-attr]
    with db.write_session() as s, pytest.raises(NotFound):
        contacts.addressee(s, agent, adm, foreign_id)  # type: ignore[arg-type]
    with db.write_session() as s, pytest.raises(NotFound):  # another administration's entry: nothing registered
        paper.register_outgoing(
            s,
            agent,
            administration_id=adm,
            unit_id=dss,
            subject="Réponse",
            recipient_name="X",
            recipient_contact_id=foreign_id,
        )
