"""Sessions over the API (ticket → HttpOnly cookie), the public directory, health and OpenAPI."""

from __future__ import annotations

from mrasla_app.services.platform.seed import demo_totp
from tests.conftest import Demo

PASSWORD = "Mrasla@2026"


def login(client, email: str, password: str = PASSWORD) -> None:
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password, "totp": demo_totp(email)})
    assert r.status_code == 200, r.text
    s = client.post("/api/v1/auth/session", json=r.json())
    assert s.status_code == 204
    cookie = s.headers["set-cookie"]
    assert (
        "mrasla_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    )


def test_healthz_checks_the_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}


def test_openapi_lists_the_spec_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for p in (
        "/api/v1/administrations",
        "/api/v1/deposits",
        "/api/v1/deposits/{reference}/receipt.pdf",
        "/api/v1/verify/{reference}",
        "/api/v1/verify/pdf",
    ):
        assert p in paths


def test_public_directory_search_in_both_languages(client):
    all_ = client.get("/api/v1/administrations").json()
    assert len(all_) >= 5 and all(a["name_ar"] and a["name_fr"] for a in all_)
    assert [a["code"] for a in client.get("/api/v1/administrations", params={"q": "economie"}).json()] == ["MEF"]
    assert "MEF" in [a["code"] for a in client.get("/api/v1/administrations", params={"q": "الاقتصاد"}).json()]


def test_login_me_logout(client):
    assert client.get("/api/v1/auth/me").status_code == 401
    login(client, "agent.mef@mrasla.ma")
    me = client.get("/api/v1/auth/me").json()
    assert me["email"] == "agent.mef@mrasla.ma" and me["roles"] == ["agent"]
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_ticket_works_once(client):
    ticket = client.post("/api/v1/auth/login", json={"email": "agent.mef@mrasla.ma", "password": PASSWORD}).json()
    assert client.post("/api/v1/auth/session", json=ticket).status_code == 204
    again = client.post("/api/v1/auth/session", json=ticket)
    assert again.status_code == 401 and again.json()["message"]["ar"]


def test_wrong_password_is_bilingual_401(client):
    r = client.post("/api/v1/auth/login", json={"email": "agent.mef@mrasla.ma", "password": "nope-nope-nope"})
    assert r.status_code == 400 or r.status_code == 401
    assert r.json()["error"] == "error.invalid_credentials"
    assert r.json()["message"]["fr"].startswith("Adresse e-mail")


def test_admin_of_one_administration_cannot_read_another(client, seeded: Demo):
    login(client, "admin.mef@mrasla.ma")
    mef, crb = seeded.adm_id("MEF"), seeded.adm_id("CRB")
    assert client.get(f"/api/v1/administrations/{mef}/users").status_code == 200
    assert client.get(f"/api/v1/administrations/{mef}/units").status_code == 200
    denied_users = client.get(f"/api/v1/administrations/{crb}/users")
    denied_units = client.get(f"/api/v1/administrations/{crb}/units")
    assert denied_users.status_code == denied_units.status_code == 403
    assert "@" not in denied_users.text and "name_fr" not in denied_units.text


def test_agent_cannot_list_users_and_anonymous_cannot_list_units(client, seeded: Demo):
    mef = seeded.adm_id("MEF")
    assert client.get(f"/api/v1/administrations/{mef}/units").status_code == 401
    login(client, "agent.mef@mrasla.ma")
    assert client.get(f"/api/v1/administrations/{mef}/users").status_code == 403
    assert client.get(f"/api/v1/administrations/{mef}/units").status_code == 200


def test_login_attempts_from_one_address_are_limited(client, monkeypatch):
    from mrasla_app.api.auth import login_limit

    login_limit.reset()
    monkeypatch.setattr(login_limit, "limit", 3)
    codes = [
        client.post("/api/v1/auth/login", json={"email": f"u{i}@example.ma", "password": "x" * 12}).status_code
        for i in range(4)
    ]
    assert codes[:3] == [400, 400, 400] and codes[3] == 429
    r = client.post("/api/v1/auth/login", json={"email": "agent.mef@mrasla.ma", "password": PASSWORD})
    assert r.status_code == 429 and r.json()["message"]["ar"] and r.json()["message"]["fr"]
    login_limit.reset()


def test_me_says_when_administrator_rights_wait_for_a_second_factor(client, seeded):
    from sqlalchemy import update

    from mrasla_app import db
    from mrasla_app.models import User

    with db.write_session() as s:
        s.execute(update(User).where(User.email == "admin.mef@mrasla.ma").values(totp_enabled=False))
    login(client, "admin.mef@mrasla.ma")
    me = client.get("/api/v1/auth/me").json()
    assert me["totp_pending"] is True and "admin" not in me["roles"]
    assert client.get(f"/api/v1/administrations/{me['administration_id']}/users").status_code in (403, 404)


def test_a_login_is_acknowledged_only_once_committed(client, monkeypatch):
    """The client must never hold a ticket or a cookie the database has not saved: a commit that
    fails answers 500, not 200 (FastAPI would otherwise commit after sending the response)."""
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    from mrasla_app.api import api_app

    def refuse(self):
        raise OSError("disk full")

    monkeypatch.setattr(Session, "commit", refuse)
    with TestClient(api_app, base_url="http://testserver", raise_server_exceptions=False) as failing:
        r = failing.post("/api/v1/auth/login", json={"email": "clerk.mef@mrasla.ma", "password": PASSWORD})
    assert r.status_code == 500 and "ticket" not in r.text
