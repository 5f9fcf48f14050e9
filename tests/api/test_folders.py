"""The parapheur's file routes: the document as it stands, annexes and the bordereau, for the
folder's participants only (404 for anyone else, 401 without a session), never cached."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import DocumentRole, FolderDocument
from mrasla_app.services import workflow
from tests.api.test_auth_and_directory import login
from tests.files import jpeg_bytes, pdf_bytes

AGENT, HEAD, DIRECTOR = "agent.mef@mrasla.ma", "head.mef@mrasla.ma", "director.mef@mrasla.ma"


def _folder(seeded) -> tuple[int, int]:
    """A started folder (head visa → director signature) with one annex; (folder id, annex id)."""
    agent = seeded.actor(AGENT)
    with db.write_session() as s:
        folder = workflow.create_folder(s, agent, "Réponse à la demande", [
            ("reponse.pdf", pdf_bytes(pages=2)), ("annexe.pdf", pdf_bytes(text="Annexe")),
            ("photo.jpg", jpeg_bytes())])
        workflow.start(s, agent, folder.id, steps=[
            {"kind": "visa", "user_ids": [seeded.user_id(HEAD)]},
            {"kind": "signature", "user_ids": [seeded.user_id(DIRECTOR)]}])
        annex = s.execute(select(FolderDocument.id).where(FolderDocument.folder_id == folder.id,
                                                          FolderDocument.role == DocumentRole.annex)).scalars().first()
        return folder.id, annex


def test_participants_get_the_files_outsiders_get_404_anonymous_401(client, seeded):
    fid, annex = _folder(seeded)
    paths = (f"/api/v1/folders/{fid}/document.pdf", f"/api/v1/folders/{fid}/documents/{annex}",
             f"/api/v1/folders/{fid}/bordereau.pdf")
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
        assert inline.headers["content-disposition"].startswith("inline") and "PAR-MEF-" in inline.headers[
            "content-disposition"]
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
