"""The staff API over the inbox: scoping through lists, counts, search, detail, documents and actions."""

from __future__ import annotations

from tests.api.conftest import deposit_form
from tests.api.test_auth_and_directory import login
from tests.files import jpeg_bytes, pdf_bytes


def _deposit(client, subject="طلب إعادة النظر في الضريبة") -> dict:
    files = [
        ("files", ("lettre.pdf", pdf_bytes(), "application/pdf")),
        ("files", ("photo.jpg", jpeg_bytes(), "image/jpeg")),
    ]
    return client.post("/api/v1/deposits", data=deposit_form(subject=subject), files=files).json()


def _find(client, number: str) -> dict:
    items = client.get("/api/v1/correspondence", params={"q": number}).json()["items"]
    assert [i["registry_number"] for i in items] == [number]
    return items[0]


def test_clerk_dispatches_agent_works_outsiders_get_nothing(client, seeded):
    dep = _deposit(client)
    login(client, "clerk.mef@mrasla.ma")
    item = _find(client, dep["registry_number"])
    cid = item["id"]
    assert client.get("/api/v1/correspondence/counts").json()["to_qualify"] == 1
    assert (
        client.post(
            f"/api/v1/correspondence/{cid}/qualify",
            json={"type_code": "complaint", "priority": "urgent", "deadline": "2030-01-15"},
        ).status_code
        == 204
    )
    assert (
        client.post(
            f"/api/v1/correspondence/{cid}/dispatch", json={"action_unit_id": seeded.unit_id("MEF", "DB.DSS")}
        ).status_code
        == 204
    )
    detail = client.get(f"/api/v1/correspondence/{cid}").json()
    doc_ids = {d["filename"]: d["id"] for d in detail["documents"]}
    client.post("/api/v1/auth/logout")

    login(client, "agent.mef@mrasla.ma")
    mine = client.get("/api/v1/correspondence", params={"queue": "my_unit", "q": "اعاده النظر في الضريبه"}).json()[
        "items"
    ]
    assert [i["id"] for i in mine] == [cid]
    assert client.post(f"/api/v1/correspondence/{cid}/take").status_code == 204
    assert client.post(f"/api/v1/correspondence/{cid}/notes", json={"body": "Vu"}).status_code == 201
    photo = client.get(f"/api/v1/documents/{doc_ids['photo.jpg']}", params={"pdf": 1, "inline": 1})
    assert (
        photo.status_code == 200
        and photo.content.startswith(b"%PDF")
        and "inline" in photo.headers["content-disposition"]
    )
    assert client.get(f"/api/v1/documents/{doc_ids['lettre.pdf']}").content.startswith(b"%PDF")
    client.post("/api/v1/auth/logout")

    for outsider in ("agent.crb@mrasla.ma", "clerk.crb@mrasla.ma", "admin.mef@mrasla.ma"):
        login(client, outsider)
        assert client.get("/api/v1/correspondence").json()["items"] == []
        assert client.get("/api/v1/correspondence", params={"q": "الضريبة"}).json()["items"] == []
        assert sum(client.get("/api/v1/correspondence/counts").json().values()) == 0
        for path in (f"/api/v1/correspondence/{cid}", f"/api/v1/documents/{doc_ids['lettre.pdf']}"):
            r = client.get(path)
            assert r.status_code == 404 and dep["registry_number"] not in r.text
        assert client.post(f"/api/v1/correspondence/{cid}/close", json={"reason": "x"}).status_code == 404
        assert client.post(f"/api/v1/correspondence/{cid}/notes", json={"body": "x"}).status_code == 404
        client.post("/api/v1/auth/logout")

    login(client, "agent.mef@mrasla.ma")
    detail = client.get(f"/api/v1/correspondence/{cid}").json()
    assert detail["status"] == "in_progress" and [n["body"] for n in detail["notes"]] == ["Vu"]


def test_anonymous_gets_401_and_cross_site_posts_are_refused(client, seeded):
    dep = _deposit(client)
    assert client.get("/api/v1/correspondence").status_code == 401
    login(client, "clerk.mef@mrasla.ma")
    cid = _find(client, dep["registry_number"])["id"]
    r = client.post(
        f"/api/v1/correspondence/{cid}/qualify",
        json={"type_code": "request"},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403 and r.json()["error"] == "error.csrf"
    assert client.get(f"/api/v1/correspondence/{cid}").json()["status"] == "to_qualify"
    ok = client.post(
        f"/api/v1/correspondence/{cid}/qualify",
        json={"type_code": "request", "deadline": "2030-01-01"},
        headers={"Origin": "http://testserver"},
    )
    assert ok.status_code == 204


def test_citizen_downloads_the_signed_answer_with_the_tracking_token(client, seeded):
    from mrasla_app import db
    from mrasla_app.pki.signing import seal_pdf
    from mrasla_app.services.correspondence import dispatch, sending

    dep = _deposit(client)
    key = dep["tracking_url"].split("k=")[1]
    login(client, "clerk.mef@mrasla.ma")
    cid = _find(client, dep["registry_number"])["id"]
    client.post(f"/api/v1/correspondence/{cid}/qualify", json={"type_code": "request", "deadline": "2030-01-01"})
    client.post(f"/api/v1/correspondence/{cid}/dispatch", json={"action_unit_id": seeded.unit_id("MEF", "DB.DSS")})
    signed = seal_pdf(pdf_bytes(1, text="Reponse"), field_name="Signature1")
    with db.write_session() as s:
        dispatch.take(s, seeded.actor("agent.mef@mrasla.ma"), cid)
        sending.send_answer(s, seeded.actor("agent.mef@mrasla.ma"), cid, subject="Réponse", document=signed)
    client.post("/api/v1/auth/logout")
    track = client.get(f"/api/v1/deposits/{dep['reference']}", params={"k": key}).json()
    assert track["status"] == "answered" and len(track["answers"]) == 1
    answer_id = track["answers"][0]["id"]
    got = client.get(f"/api/v1/deposits/{dep['reference']}/answers/{answer_id}", params={"k": key})
    assert got.status_code == 200 and got.content == signed
    assert client.get(f"/api/v1/deposits/{dep['reference']}/answers/{answer_id}", params={"k": "x"}).status_code == 404
