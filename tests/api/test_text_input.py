"""Text at the boundary: control characters and bidi overrides never reach the database, whatever the
channel (portal API, registry, notes, administration), and a search never answers 5xx."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import Correspondence, Note, Party, User
from mrasla_app.services.correspondence import paper
from mrasla_app.services.directory import users
from tests.api.conftest import deposit_form
from tests.api.test_auth_and_directory import login
from tests.files import pdf_bytes

HOSTILE_SUBJECT = "Facture \u202egnp.exe\u202c\x00 \u2066urgente\u2069"


HOSTILE_QUERIES = [
    "a\x00b",
    "\x00",
    '"',
    '"*',
    'a"b*',
    "NEAR(a b)",
    "\u202e",
    "*",
    "-x",
    "^a",
    "col:val",
    "AND OR NOT",
    "\\",
    "'",
    "%",
    "_",
    "a" * 2000,
    "\x1b[2J",
    "\ufeff",
]


def test_search_never_answers_5xx(client):
    """``?q=a%00b`` was a plain-text 500 ("unterminated string" in SQLite's FTS5)."""
    _deposit(client)
    login(client, "clerk.mef@mrasla.ma")
    raw = ["q=a%00b", "q=%ED%A0%80", "sender=a%00b", "q=%C0%80"]  # the pen test's request; invalid UTF-8
    for query in [*raw, *[{"q": q} for q in HOSTILE_QUERIES], *[{"sender": q} for q in HOSTILE_QUERIES]]:
        r = (
            client.get(f"/api/v1/correspondence?{query}")
            if isinstance(query, str)
            else client.get("/api/v1/correspondence", params=query)
        )
        assert r.status_code in (200, 422), (query, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/json")


def test_search_ignores_control_characters(client):
    number = _deposit(client)["registry_number"]
    login(client, "clerk.mef@mrasla.ma")
    items = client.get("/api/v1/correspondence", params={"q": "gnp\x00"}).json()["items"]
    assert [i["registry_number"] for i in items] == [number]


def _deposit(client) -> dict:
    r = client.post(
        "/api/v1/deposits",
        files=[("files", ("lettre.pdf", pdf_bytes(), "application/pdf"))],
        data=deposit_form(
            subject=HOSTILE_SUBJECT,
            full_name="Salma\x00 \u202eBennis",
            message="Bonjour\x07,\r\nligne\u202e deux\x1b[2J",
            email="salma\x00@example.ma",
        ),
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_portal_deposit_fields_are_cleaned_and_the_receipt_is_readable(client):
    body = _deposit(client)
    with db.read_session() as s:
        corr = s.execute(select(Correspondence)).scalar_one()
        party = s.get(Party, corr.sender_party_id)
    assert corr.subject == "Facture gnp.exe urgente"
    assert corr.message == "Bonjour,\nligne deux[2J"
    assert (party.full_name, party.email) == ("Salma Bennis", "salma@example.ma")
    receipt = client.get(body["receipt_url"].removeprefix("http://localhost:3000"))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.content)).pages)
    assert "gnp.exe" in text and not any(c in text for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2069\x00")


def test_notes_over_the_api_are_cleaned(client):
    _deposit(client)
    login(client, "clerk.mef@mrasla.ma")
    cid = client.get("/api/v1/correspondence").json()["items"][0]["id"]
    r = client.post(f"/api/v1/correspondence/{cid}/notes", json={"body": "Vu\x00 \u202eok\u202c\x08"})
    assert r.status_code == 201, r.text
    with db.read_session() as s:
        assert s.execute(select(Note.body)).scalar_one() == "Vu ok"
    r = client.post(f"/api/v1/correspondence/{cid}/notes", json={"body": "\x00\u202e\x07"})
    assert r.status_code == 400 and r.json()["error"] == "error.required"  # nothing left: refused


def test_registry_and_administration_text_is_cleaned(client, seeded):
    with db.write_session() as s:
        reg = paper.register_incoming(
            s,
            seeded.actor("clerk.mef@mrasla.ma"),
            administration_id=seeded.adm_id("MEF"),
            channel="paper",
            subject="Courrier \u202egnp.exe\x00",
            sender_name="Ahmed\x00 \u202bAmrani\u202c",
            files=[("lettre.pdf", pdf_bytes())],
        )
        corr_id = reg.correspondence.id
    with db.write_session() as s:
        user = users.create_user(
            s,
            seeded.actor("admin.mef@mrasla.ma"),
            administration_id=seeded.adm_id("MEF"),
            email="nouveau@mrasla.ma",
            full_name="Nadia\x00 \u202eAlaoui",
            full_name_ar="نادية\u2067 العلوي\u2069",
            password="Tres-Long-Mot2Passe",
        )
        user_id = user.id
    with db.read_session() as s:
        corr = s.get(Correspondence, corr_id)
        party = s.get(Party, corr.sender_party_id)
        user = s.get(User, user_id)
    assert (corr.subject, party.full_name) == ("Courrier gnp.exe", "Ahmed Amrani")
    assert (user.full_name, user.full_name_ar) == ("Nadia Alaoui", "نادية العلوي")
