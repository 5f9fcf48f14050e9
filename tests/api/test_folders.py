"""The parapheur's file routes: the document as it stands, annexes and the bordereau, for the
folder's participants only (404 for anyone else, 401 without a session), never cached."""

from __future__ import annotations

import hashlib
import io

from pypdf import PdfReader
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import DocumentRole, FolderDocument
from mrasla_app.services.parapheur import submission
from tests.api.test_auth_and_directory import login
from tests.files import jpeg_bytes, pdf_bytes

AGENT, HEAD, DIRECTOR = "agent.mef@mrasla.ma", "head.mef@mrasla.ma", "director.mef@mrasla.ma"


def _folder(seeded) -> tuple[int, int]:
    """A started folder (head visa → director signature) with one annex; (folder id, annex id)."""
    agent = seeded.actor(AGENT)
    with db.write_session() as s:
        folder = submission.create_folder(
            s,
            agent,
            "Réponse à la demande",
            [
                ("reponse.pdf", pdf_bytes(pages=2)),
                ("annexe.pdf", pdf_bytes(text="Annexe")),
                ("photo.jpg", jpeg_bytes()),
            ],
        )
        submission.start(
            s,
            agent,
            folder.id,
            steps=[
                {"kind": "visa", "user_ids": [seeded.user_id(HEAD)]},
                {"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]},
            ],
        )
        annex = (
            s.execute(
                select(FolderDocument.id).where(
                    FolderDocument.folder_id == folder.id, FolderDocument.role == DocumentRole.annex
                )
            )
            .scalars()
            .first()
        )
        return folder.id, annex


def test_participants_get_the_files_outsiders_get_404_anonymous_401(client, seeded):
    fid, annex = _folder(seeded)
    paths = (
        f"/api/v1/folders/{fid}/document.pdf",
        f"/api/v1/folders/{fid}/documents/{annex}",
        f"/api/v1/folders/{fid}/bordereau.pdf",
    )
    for path in paths:
        assert client.get(path).status_code == 401
    for email in (AGENT, HEAD, DIRECTOR):
        login(client, email)
        for path in paths:
            r = client.get(path)
            assert r.status_code == 200, (email, path, r.text)
            assert r.content.startswith(b"%PDF") and r.headers["content-type"] == "application/pdf"
            assert r.headers["cache-control"] == "private, no-store"
            assert r.headers["content-disposition"].startswith("attachment")
        inline = client.get(paths[0], params={"inline": 1})
        assert (
            inline.headers["content-disposition"].startswith("inline")
            and "PAR-MEF-" in inline.headers["content-disposition"]
        )
        client.post("/api/v1/auth/logout")
    for outsider in ("agent.crb@mrasla.ma", "clerk.mef@mrasla.ma"):
        login(client, outsider)
        for path in (*paths, f"/api/v1/folders/{fid + 1000}/document.pdf"):
            r = client.get(path)
            assert r.status_code == 404 and "PAR-MEF" not in r.text
        client.post("/api/v1/auth/logout")


def test_document_of_another_folder_is_not_reachable_through_this_one(client, seeded):
    fid, annex = _folder(seeded)
    other, _ = _folder(seeded)
    login(client, AGENT)
    assert client.get(f"/api/v1/folders/{other}/documents/{annex}").status_code == 404
    assert client.get(f"/api/v1/folders/{fid}/documents/{annex}").status_code == 200
    # the current main document is the prepared one (signature page appended): one more page
    pages = len(PdfReader(io.BytesIO(client.get(f"/api/v1/folders/{fid}/document.pdf").content)).pages)
    assert pages == 3


# ------------------------------------------------------------------ decisions over HTTP

PIN = "246810"


def _act(client, fid: int, **body):
    return client.post(f"/api/v1/folders/{fid}/actions", json=body)


def _history(fid: int) -> list[tuple[str, str]]:
    from mrasla_app.models import StepAction, User

    with db.read_session() as s:
        return [
            (email, decision.value)
            for decision, email in s.execute(
                select(StepAction.decision, User.email)
                .join(User, User.id == StepAction.actor_id)
                .where(StepAction.folder_id == fid)
                .order_by(StepAction.id)
            )
        ]


def test_participants_visa_then_sign_with_their_pin_and_the_pdf_validates(client, seeded):
    from mrasla_app.pki.validation import validate_pdf
    from mrasla_app.services.parapheur import signing_keys

    with db.write_session() as s:
        signing_keys.enroll(s, seeded.actor(DIRECTOR), PIN)
    fid, _ = _folder(seeded)
    login(client, DIRECTOR)  # not their turn yet: the head's visa comes first
    early = _act(client, fid, action="sign", pin=PIN)
    assert early.status_code == 403 and set(early.json()["message"]) == {"ar", "fr", "en"}
    client.post("/api/v1/auth/logout")

    login(client, HEAD)
    r = _act(client, fid, action="approve", comment="Vu")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_progress" and r.json()["current_step"] == 2
    client.post("/api/v1/auth/logout")

    login(client, DIRECTOR)
    r = _act(client, fid, action="sign", pin=PIN)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "completed" and out["reference"].startswith("PAR-MEF-")
    signed = client.get(f"/api/v1/folders/{fid}/document.pdf").content
    assert hashlib.sha256(signed).hexdigest() == out["document_sha256"]
    report = validate_pdf(signed)
    assert report.authentic and [s.signer_common_name for s in report.signatures] == ["Mohammed Berrada"]
    assert _history(fid) == [(HEAD, "approved"), (DIRECTOR, "signed")]


def test_wrong_pin_is_refused_and_nothing_is_signed(client, seeded):
    from mrasla_app.services.parapheur import signing_keys

    with db.write_session() as s:
        signing_keys.enroll(s, seeded.actor(DIRECTOR), PIN)
    fid, _ = _folder(seeded)
    login(client, HEAD)
    assert _act(client, fid, action="approve").status_code == 200
    client.post("/api/v1/auth/logout")
    login(client, DIRECTOR)
    before = client.get(f"/api/v1/folders/{fid}/document.pdf").content
    r = _act(client, fid, action="sign", pin="999999")
    assert r.status_code == 400 and r.json()["error"] == "error.pin_invalid"
    assert r.json()["message"]["fr"].startswith("Code PIN incorrect") and r.json()["message"]["ar"]
    assert client.get(f"/api/v1/folders/{fid}/document.pdf").content == before
    assert _history(fid) == [(HEAD, "approved")]


def test_reject_needs_a_reason_and_stops_the_circuit(client, seeded):
    fid, _ = _folder(seeded)
    login(client, HEAD)
    r = _act(client, fid, action="reject")
    assert r.status_code == 400 and r.json()["error"] == "error.required"
    r = _act(client, fid, action="reject", reason="Pièce manquante")
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert r.json()["reject_reason"] == "Pièce manquante"
    assert _act(client, fid, action="approve").status_code == 400  # the circuit stopped


def test_outsiders_get_404_anonymous_401_foreign_origin_403(client, seeded):
    fid, _ = _folder(seeded)
    assert _act(client, fid, action="approve").status_code == 401
    for outsider in ("agent.crb@mrasla.ma", "clerk.mef@mrasla.ma"):
        login(client, outsider)
        for target in (fid, fid + 1000):
            r = _act(client, target, action="approve")
            assert r.status_code == 404 and "PAR-MEF" not in r.text
        client.post("/api/v1/auth/logout")
    login(client, HEAD)
    r = client.post(
        f"/api/v1/folders/{fid}/actions", json={"action": "approve"}, headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 403 and r.json()["error"] == "error.csrf"
    assert _history(fid) == []


def test_page_images_and_the_annotated_copy(client, seeded):
    from mrasla_app.services.parapheur import annotations

    fid, _annex = _folder(seeded)
    with db.write_session() as s:
        annotations.add(s, seeded.actor(HEAD), fid, "Voir ce chiffre", page=1, x=0.5, y=0.5)
    assert client.get(f"/api/v1/folders/{fid}/pages/1.png").status_code == 401
    login(client, HEAD)
    r = client.get(f"/api/v1/folders/{fid}/pages/1.png", params={"w": 390})
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG") and r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"] == "private, no-store"
    assert client.get(f"/api/v1/folders/{fid}/pages/99.png").status_code == 404
    assert client.get(f"/api/v1/folders/{fid}/pages/0.png").status_code == 422
    copy = client.get(f"/api/v1/folders/{fid}/annotated.pdf")
    assert copy.status_code == 200 and "annotations" in copy.headers["content-disposition"]
    assert "Voir ce chiffre" in "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(copy.content)).pages)
    client.post("/api/v1/auth/logout")
    login(client, "agent.crb@mrasla.ma")  # another administration: as if it did not exist
    assert client.get(f"/api/v1/folders/{fid}/annotated.pdf").status_code == 404
    assert client.get(f"/api/v1/folders/{fid}/pages/1.png").status_code == 404


def test_folder_view_with_the_callers_actions(seeded, client):
    """The folder as the page shows it, with exactly the actions the caller may take now."""
    from mrasla_app.services.parapheur import signing_keys

    with db.write_session() as s:
        signing_keys.enroll(s, seeded.actor(DIRECTOR), PIN)
    fid, _annex = _folder(seeded)
    login(client, HEAD)
    shown = client.get(f"/api/v1/folders/{fid}").json()
    assert shown["status"] == "in_progress" and [s["kind"] for s in shown["steps"]] == ["visa", "signature"]
    assert shown["allowed_actions"] == ["approved", "rejected"] and shown["active_step_id"] == shown["steps"][0]["id"]
    assert _act(client, fid, action="approve", step_id=shown["active_step_id"]).status_code == 200
    after = client.get(f"/api/v1/folders/{fid}").json()
    assert "undo" in after["allowed_actions"] and "approved" not in after["allowed_actions"]
    assert after["history"][0]["decision"] == "approved" and after["undo_action_id"]
    login(client, DIRECTOR)
    assert client.get(f"/api/v1/folders/{fid}").json()["needs_pin"] is True
    login(client, "agent.crb@mrasla.ma")
    assert client.get(f"/api/v1/folders/{fid}").status_code == 404
