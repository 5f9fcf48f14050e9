"""``GET /api/v1/registers/{direction}.csv|.pdf``: the legal registers as downloads, cookie-authenticated."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from mrasla_app import db
from mrasla_app.services.correspondence import paper
from mrasla_app.settings import TIMEZONE
from tests.api.test_auth_and_directory import login
from tests.files import jpeg_bytes


def _today() -> str:
    return datetime.now(ZoneInfo(TIMEZONE)).date().isoformat()


def _register(seeded, email: str, adm: str, subject: str) -> str:
    with db.write_session() as s:
        reg = paper.register_incoming(
            s,
            seeded.actor(email),
            administration_id=seeded.adm_id(adm),
            channel="paper",
            subject=subject,
            sender_name="Ahmed Kettani",
            files=[("scan.jpg", jpeg_bytes())],
        )
        return reg.registry_number


def test_clerk_exports_only_their_administration(client, seeded):
    mef = _register(seeded, "clerk.mef@mrasla.ma", "MEF", "Lettre papier MEF")
    crb = _register(seeded, "clerk.crb@mrasla.ma", "CRB", "Lettre papier CRB")
    login(client, "clerk.mef@mrasla.ma")
    day = _today()
    r = client.get("/api/v1/registers/incoming.csv", params={"from": day, "to": day})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["cache-control"] == "private, no-store"
    assert (
        "attachment" in r.headers["content-disposition"] and "registre-arrivee-MEF" in r.headers["content-disposition"]
    )
    text = r.content.decode("utf-8-sig")
    assert mef in text and "Lettre papier MEF" in text
    assert crb not in text and "CRB" not in text.split("\r\n", 1)[1]
    # Another administration's register, asked for by id: refused.
    other = client.get("/api/v1/registers/incoming.csv", params={"administration": seeded.adm_id("CRB")})
    assert other.status_code == 403 and crb not in other.text

    pdf = client.get("/api/v1/registers/incoming.pdf", params={"from": day, "to": day})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["cache-control"] == "private, no-store"
    # Without dates: today's register.
    assert mef in client.get("/api/v1/registers/incoming.csv").content.decode("utf-8-sig")
    # The outgoing register of today is empty but well formed (header only).
    out = client.get("/api/v1/registers/outgoing.csv", params={"from": day, "to": day}).content.decode("utf-8-sig")
    assert out.count("\r\n") == 1 and "Destinataire" in out


def test_administrators_do_not_read_the_register(client, seeded):
    mef = _register(seeded, "clerk.mef@mrasla.ma", "MEF", "Pour l'administrateur")
    for admin in ("admin.mef@mrasla.ma", "admin@mrasla.ma"):
        login(client, admin)
        r = client.get("/api/v1/registers/incoming.csv", params={"administration": seeded.adm_id("MEF")})
        assert r.status_code == 403 and mef not in r.text and "Pour l'administrateur" not in r.text


def test_agent_refused_anonymous_unauthenticated(client, seeded):
    _register(seeded, "clerk.mef@mrasla.ma", "MEF", "Secret du registre")
    anon = client.get("/api/v1/registers/incoming.csv")
    assert anon.status_code == 401 and anon.json()["error"] == "error.login_required"
    assert client.get("/api/v1/registers/incoming.pdf").status_code == 401
    login(client, "agent.mef@mrasla.ma")
    for ext in ("csv", "pdf"):
        r = client.get(f"/api/v1/registers/incoming.{ext}")
        assert r.status_code == 403, r.text
        body = r.json()
        assert body["error"] == "error.forbidden" and body["message"]["ar"] and body["message"]["fr"]
        assert "Secret du registre" not in r.text


def test_bad_period_and_direction_are_bilingual_errors(client, seeded):
    login(client, "clerk.mef@mrasla.ma")
    cases = [
        ({"from": "2026-03-10", "to": "2026-03-01"}, "error.invalid_period"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "error.period_too_long"),
        ({"from": "hier", "to": "2026-01-01"}, "error.invalid_date"),
    ]
    for params, code in cases:
        for ext in ("csv", "pdf"):
            r = client.get(f"/api/v1/registers/incoming.{ext}", params=params)
            assert 400 <= r.status_code < 500, (params, r.status_code)
            body = r.json()
            assert body["error"] == code
            assert body["message"]["fr"] != code and body["message"]["ar"] != code
            assert any("\u0600" <= c <= "\u06ff" for c in body["message"]["ar"])
    r = client.get("/api/v1/registers/sideways.csv")
    assert r.status_code == 404 and set(r.json()["message"]) == {"ar", "fr", "en"}
