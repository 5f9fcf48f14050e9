"""HTTP conventions of the API as a health check, a cache or an integration sees them: JSON errors for
every API path and method (in the production routing too), HEAD wherever GET exists, conditional
requests on public PKI files and documents, Cache-Control on every answer, explicit deposit tokens."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import HTMLResponse
from starlette.testclient import TestClient

from mrasla_app import db
from mrasla_app.api import api_transformer
from mrasla_app.models import Document, DocumentKind
from tests.api.conftest import deposit_form
from tests.api.test_auth_and_directory import login
from tests.files import jpeg_bytes, pdf_bytes


def _json_refusal(r, status: int, code: str) -> None:
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text[:200])
    assert r.headers["content-type"] == "application/json" and r.json()["error"] == code
    assert r.headers["cache-control"] == "no-store"


def _deposit(client) -> dict:
    files = [
        ("files", ("lettre.pdf", pdf_bytes(), "application/pdf")),
        ("files", ("photo.jpg", jpeg_bytes(), "image/jpeg")),
    ]
    r = client.post("/api/v1/deposits", data=deposit_form(), files=files)
    assert r.status_code == 201, r.text
    return r.json()


def test_api_paths_answer_json_errors_in_the_production_routing(client):
    """The Reflex app's routing (``api_transformer`` in front of the web frontend): API paths never
    fall through to the frontend's HTML pages."""

    async def frontend(scope, receive, send):
        await HTMLResponse("<html>page</html>")(scope, receive, send)

    site = TestClient(api_transformer(frontend))
    _json_refusal(site.get("/api/v1/nope"), 404, "error.not_found")
    _json_refusal(site.get("/pki/nope"), 404, "error.not_found")
    _json_refusal(site.get("/api/v1"), 404, "error.not_found")
    for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS"):
        r = site.request(method, "/api/v1/deposits")
        _json_refusal(r, 405, "error.method_not_allowed")
        assert r.headers["allow"] == "POST"
    for method, path, allow in (
        ("POST", "/healthz", "GET, HEAD"),
        ("PUT", "/pki/root.crt", "GET, HEAD"),
        ("DELETE", "/api/v1/administrations", "GET, HEAD"),
        ("GET", "/pki/tsa", "POST"),
    ):
        r = site.request(method, path)
        _json_refusal(r, 405, "error.method_not_allowed")
        assert r.headers["allow"] == allow
    assert site.get("/healthz").json() == {"status": "ok", "database": "ok"}
    for page in ("/deposit", "/healthzone", "/api", "/pkix"):
        assert site.get(page).text == "<html>page</html>", page


def test_head_wherever_get_exists(client):
    deposit = _deposit(client)
    receipt = f"/api/v1/deposits/{deposit['reference']}/receipt.pdf?k={deposit['access_token']}"
    for url in (
        "/healthz",
        "/pki/root.crt",
        "/pki/crl.der",
        receipt,
        "/api/v1/administrations",
        "/api/v1/openapi.json",
    ):
        got, head = client.get(url), client.head(url)
        assert head.status_code == got.status_code == 200, url
        assert head.content == b"" and got.content, url
        assert head.headers["content-length"] == got.headers["content-length"] == str(len(got.content)), url
        assert head.headers["content-type"] == got.headers["content-type"], url
    assert client.head("/api/v1/nope").status_code == 404
    assert client.head("/api/v1/auth/me").status_code == 401


def test_conditional_requests_on_pki_files_and_documents(client):
    deposit = _deposit(client)
    with db.read_session() as s:
        photo = s.execute(select(Document).where(Document.filename == "photo.jpg")).scalar_one()
        receipt = s.execute(select(Document).where(Document.kind == DocumentKind.receipt)).scalars().first()
    login(client, "clerk.mef@mrasla.ma")
    urls = (
        "/pki/root.crt",
        "/pki/crl.der",
        f"/api/v1/documents/{photo.id}",
        f"/api/v1/deposits/{deposit['reference']}/receipt.pdf?k={deposit['access_token']}",
    )
    for url in urls:
        first = client.get(url)
        assert first.status_code == 200 and first.headers["etag"].startswith('"'), url
        again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b"", url
        assert again.headers["etag"] == first.headers["etag"] and "content-type" not in again.headers, url
        changed = client.get(url, headers={"If-None-Match": '"another-version"'})
        assert changed.status_code == 200 and changed.content == first.content, url
        if "last-modified" in first.headers:
            since = client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
            assert since.status_code == 304, url
            older = client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
            assert older.status_code == 200, url
    assert client.get(urls[2]).headers["etag"] == f'"{photo.sha256}"'
    assert receipt is not None and "last-modified" in client.get(urls[3]).headers


def test_cache_control_on_every_answer(client):
    deposit = _deposit(client)
    assert client.get("/pki/root.crt").headers["cache-control"] == "public, max-age=86400"
    assert client.get("/pki/crl.der").headers["cache-control"] == "public, no-cache"
    assert client.get("/api/v1/administrations").headers["cache-control"] == "public, max-age=300"
    receipt = client.get(f"/api/v1/deposits/{deposit['reference']}/receipt.pdf?k={deposit['access_token']}")
    assert receipt.headers["cache-control"] == "private, no-store"
    for r in (
        client.get("/healthz"),
        client.get("/api/v1/auth/me"),
        client.get("/api/v1/nope"),
        client.post("/api/v1/deposits", data=deposit_form(administration="ZZZ")),
        client.get(f"/api/v1/deposits/{deposit['reference']}", headers={"X-Access-Token": deposit["access_token"]}),
    ):
        assert r.headers["cache-control"] == "no-store", (r.request.url, r.status_code)


def test_deposit_answer_carries_its_tokens_and_both_verification_links(client):
    deposit = _deposit(client)
    ref = deposit["reference"]
    assert deposit["verify_url"].endswith(f"/verify/{ref}?t={deposit['verification_token']}")
    api_url = deposit["verify_api_url"].split("://", 1)[1].split("/", 1)[1]
    assert client.get(f"/{api_url}").json()["registry_number"] == deposit["registry_number"]
    by_header = client.get(f"/api/v1/verify/{ref}", headers={"X-Verify-Token": deposit["verification_token"]})
    assert by_header.status_code == 200 and by_header.json()["authentic"] is True
    assert client.get(f"/api/v1/verify/{ref}", headers={"X-Verify-Token": deposit["access_token"]}).status_code == 404
    tracked = client.get(f"/api/v1/deposits/{ref}", headers={"X-Access-Token": deposit["access_token"]})
    assert tracked.status_code == 200 and tracked.json()["registry_number"] == deposit["registry_number"]
    assert (
        client.get(f"/api/v1/deposits/{ref}", headers={"X-Access-Token": deposit["verification_token"]}).status_code
        == 404
    )


def test_malformed_json_and_list_items_are_named_by_field(client):
    r = client.post(
        "/api/v1/auth/login", content=b'{"email": "a@b.ma", "password": ', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["fields"] == {
        "body": {"error": "error.api_malformed_json", "message": r.json()["fields"]["body"]["message"]}
    }
    assert r.json()["fields"]["body"]["message"]["ar"]
    login(client, "clerk.mef@mrasla.ma")
    r = client.post("/api/v1/correspondence/1/dispatch", json={"action_unit_id": 1, "info_unit_ids": [2, "x"]})
    assert r.status_code == 422 and list(r.json()["fields"]) == ["info_unit_ids"]
    r = client.post("/api/v1/deposits", data=deposit_form(id_kind="passport"))
    assert r.status_code == 422 and list(r.json()["fields"]) == ["id_kind"]
