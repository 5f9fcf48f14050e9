"""Every refusal of the API has one bilingual shape, the framework's own included (unknown route,
wrong method, unreadable or oversized body, invalid parameter), and downloads keep their names."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import Document
from tests.api.conftest import deposit_form
from tests.api.test_auth_and_directory import login
from tests.files import pdf_bytes


def _refused(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code
    assert body["message"]["ar"] and body["message"]["fr"] and body["message"]["ar"] != body["message"]["fr"]
    return body


def test_unknown_route_and_wrong_method(client):
    _refused(client.get("/api/v1/nowhere"), 404, "error.not_found")
    r = client.delete("/api/v1/deposits")
    _refused(r, 405, "error.method_not_allowed")
    assert r.headers["allow"] == "POST"


TOO_BIG = str(2**63)  # no database column holds it: once a 500 (SQLite OverflowError)


def test_invalid_parameters_name_the_field(client):
    for url in ("/api/v1/administrations/first/units", f"/api/v1/administrations/{TOO_BIG}/units"):
        body = _refused(client.get(url), 422, "error.invalid_fields")
        assert body["fields"]["administration_id"]["error"] == "error.invalid_value"
    for form, field in (({"unit": TOO_BIG}, "unit"), ({"administration": TOO_BIG}, "administration")):
        body = _refused(client.post("/api/v1/deposits", data=deposit_form(**form)), 422, "error.invalid_fields")
        assert field in body["fields"]
    login(client, "clerk.mef@mrasla.ma")
    for params, field in (
        ({"after": "page-2"}, "after"),
        ({"after": TOO_BIG}, "after"),
        ({"sort": "deadline", "after": "soon|1"}, "after"),
        ({"priority": "1"}, "priority"),
        ({"limit": "0"}, "limit"),
    ):
        body = _refused(client.get("/api/v1/correspondence", params=params), 422, "error.invalid_fields")
        assert list(body["fields"]) == [field]
    body = _refused(
        client.post("/api/v1/correspondence/1/dispatch", json={"action_unit_id": int(TOO_BIG)}),
        422,
        "error.invalid_fields",
    )
    assert list(body["fields"]) == ["action_unit_id"]


def test_oversized_bodies_are_refused_without_being_read_whole(client):
    json_body = b'{"email": "' + b"a" * (2 << 20) + b'", "password": "x"}'
    r = client.post("/api/v1/auth/login", content=json_body, headers={"Content-Type": "application/json"})
    _refused(r, 413, "error.request_too_large")
    chunked = (b"\x30" * 4096 for _ in range(8))  # no Content-Length: counted while streaming
    _refused(
        client.post("/pki/tsa", content=chunked, headers={"Content-Type": "application/timestamp-query"}),
        413,
        "error.request_too_large",
    )


def test_unreadable_multipart_is_a_bilingual_400(client):
    too_long = [("files", ("x" * 5000 + ".pdf", pdf_bytes(), "application/pdf"))]  # a 5 KB part header
    _refused(client.post("/api/v1/deposits", data=deposit_form(), files=too_long), 400, "error.invalid_request")


def test_download_keeps_an_arabic_filename(client):
    name = "طلب شهادة.pdf"
    r = client.post("/api/v1/deposits", data=deposit_form(), files=[("files", (name, pdf_bytes(), "application/pdf"))])
    assert r.status_code == 201, r.text
    with db.read_session() as s:
        doc_id = s.execute(select(Document.id).where(Document.filename == name)).scalar_one()
    login(client, "clerk.mef@mrasla.ma")
    disposition = client.get(f"/api/v1/documents/{doc_id}").headers["content-disposition"]
    assert disposition == f"attachment; filename=\"tlb shhada.pdf\"; filename*=UTF-8''{quote(name)}"
