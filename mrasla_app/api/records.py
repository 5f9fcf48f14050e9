"""Archive transfers and destructions as downloads: ``GET /api/v1/disposals/{id}/package.zip`` (the
SEDA 2.2 + BagIt package handed to the archives) and ``/certificate.pdf`` (the sealed certificate of
destruction). Session cookie authentication; ``services.records.retention`` allows the archivists of
the administration only.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from mrasla_app import db
from mrasla_app.api.deps import Id, current_actor, download, file_responses
from mrasla_app.api.errors import errors
from mrasla_app.models import Disposal
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.records import retention

router = APIRouter(prefix="/disposals", tags=["records"], responses=errors(401, 403, 404))


def _reference(session, disposal_id: int) -> str:  # noqa: ANN001
    row = session.get(Disposal, disposal_id)
    return row.reference if row else str(disposal_id)


@router.get(
    "/{disposal_id}/package.zip",
    response_class=Response,
    responses=file_responses("application/zip", description="The SEDA 2.2 package as a zipped BagIt bag"),
)
def disposal_package(disposal_id: Id, actor: Actor | None = Depends(current_actor)) -> Response:
    """The transfer's package for the archives: a zipped BagIt bag whose payload is the SEDA 2.2
    ArchiveTransfer message (``manifest.xml``) and the files it describes (archivists only)."""
    with db.read_session() as session:
        data = retention.package(session, actor, disposal_id)
        return download(data, "application/zip", f"{_reference(session, disposal_id)}.zip")


@router.get(
    "/{disposal_id}/certificate.pdf",
    response_class=Response,
    responses=file_responses("application/pdf", description="The sealed certificate of destruction"),
)
def disposal_certificate(disposal_id: Id, actor: Actor | None = Depends(current_actor)) -> Response:
    """The sealed certificate of destruction: each destroyed letter and the SHA-256 of its files
    (archivists only)."""
    with db.read_session() as session:
        data = retention.certificate(session, actor, disposal_id)
        return download(data, "application/pdf", f"{_reference(session, disposal_id)}.pdf")
