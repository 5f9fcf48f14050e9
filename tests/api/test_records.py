"""``GET /api/v1/disposals/{id}/package.zip|certificate.pdf``: archivists of the administration only;
a disposed letter's documents answer 404 with their own message, not a server error."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import Document
from mrasla_app.models.base import utcnow
from mrasla_app.services.correspondence import dispatch
from mrasla_app.services.portal import deposits
from mrasla_app.services.records import file_plan, retention
from tests.api.test_auth_and_directory import login

ARCHIVIST, CLERK = "archives.mef@mrasla.ma", "clerk.mef@mrasla.ma"


def _due(seeded, code: str) -> int:
    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Driss Alami",
        id_kind="CIN",
        id_value="C123456",
        email="",
        phone="0611223344",
        subject=f"Lettre {code}",
    )
    with db.write_session() as s:
        cid = deposits.submit(s, form).correspondence_id
    with db.write_session() as s:
        dtype = next(d for d in file_plan.plan(s, seeded.actor(CLERK), seeded.adm_id("MEF")).types if d.code == code)
        dispatch.qualify(
            s,
            seeded.actor(CLERK),
            cid,
            type_code="request",
            classification=file_plan.Classification(document_type_id=dtype.id),
        )
        dispatch.close(s, seeded.actor(CLERK), cid)
    with db.write_session() as s:
        retention.mark_due(s, utcnow().date() + timedelta(days=365 * 6))
    return cid


def test_package_and_certificate_downloads_and_disposed_documents(client, seeded):
    transfer_id, destroy_id = _due(seeded, "DEC"), _due(seeded, "DEM")
    with db.write_session() as s:
        package = retention.transfer(s, seeded.actor(ARCHIVIST), [transfer_id]).id
    with db.write_session() as s:
        cert = retention.destroy(s, seeded.actor(ARCHIVIST), [destroy_id]).id
    with db.write_session() as s:
        retention.purge_disposed(s)
        doc_id = s.execute(select(Document.id).where(Document.correspondence_id == destroy_id)).scalars().first()

    assert client.get(f"/api/v1/disposals/{package}/package.zip").status_code == 401
    login(client, CLERK)
    assert client.get(f"/api/v1/disposals/{package}/package.zip").status_code == 403
    r = client.get(f"/api/v1/documents/{doc_id}")
    assert r.status_code == 404 and r.json()["error"] == "error.document_disposed"
    client.post("/api/v1/auth/logout")

    login(client, ARCHIVIST)
    r = client.get(f"/api/v1/disposals/{package}/package.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert "MEF-VER-" in r.headers["content-disposition"]
    assert "bag/data/manifest.xml" in zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    r = client.get(f"/api/v1/disposals/{cert}/certificate.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert client.get(f"/api/v1/disposals/{cert}/package.zip").status_code == 403  # a destruction has no package
