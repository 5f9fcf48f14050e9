"""The legal registers as downloads: ``GET /api/v1/registers/{direction}.csv`` and ``.pdf``.

Authentication is the session cookie (``current_actor``); the export service checks the rights
(registry clerks and administrators of the administration). Plain GETs so the browser downloads
them with its own cookie (no bytes through the websocket, no token in the URL); nothing is cached
(``Cache-Control: private, no-store``). Errors are the API's bilingual JSON.

The period is given as Morocco dates ``from`` and ``to`` (``YYYY-MM-DD``, both included; default:
today); ``administration`` (an id) lets a platform administrator choose, others export their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from mrasla_app import db
from mrasla_app.api.deps import Id, current_actor, download, file_responses
from mrasla_app.api.errors import errors
from mrasla_app.models import Administration, Direction
from mrasla_app.services.correspondence import exports
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotAuthenticated, NotFound
from mrasla_app.settings import TIMEZONE

router = APIRouter(prefix="/registers", tags=["registers"], responses=errors(400, 401, 403, 404, 422))

FILE_WORDS = {Direction.incoming: "arrivee", Direction.outgoing: "depart", Direction.internal: "interne"}


def _day(value: str | None) -> date:
    if not value:
        return datetime.now(ZoneInfo(TIMEZONE)).date()
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise DomainError("error.invalid_date") from None


def _direction(value: str) -> Direction:
    try:
        return Direction(value)
    except ValueError:
        raise NotFound() from None


def _target(actor: Actor | None, administration: int | None) -> tuple[Actor, int]:
    if actor is None:
        raise NotAuthenticated()
    adm_id = administration or actor.administration_id
    if not adm_id:
        raise DomainError("error.choose_administration")
    return actor, adm_id


def _filename(session, adm_id: int, direction: Direction, start: date, end: date, ext: str) -> str:
    adm = session.get(Administration, adm_id)
    code = "".join(c for c in (adm.code if adm else str(adm_id)) if c.isalnum() or c in "-_")
    return f"registre-{FILE_WORDS[direction]}-{code}-{start:%Y%m%d}-{end:%Y%m%d}.{ext}"


#: The register's file formats: how it is rendered and its media type.
_FORMATS = {
    "csv": (exports.register_csv, "text/csv; charset=utf-8"),
    "pdf": (exports.register_pdf, "application/pdf"),
}


@dataclass
class _RegisterQuery:
    """What a register download asks for: the direction, the period, the administration."""

    direction: str
    start: str | None = Query(None, alias="from")
    end: str | None = Query(None, alias="to")
    administration: Id | None = None
    actor: Actor | None = Depends(current_actor)

    def download(self, ext: str) -> Response:
        render, media_type = _FORMATS[ext]
        actor, adm_id = _target(self.actor, self.administration)
        d, lo, hi = _direction(self.direction), _day(self.start), _day(self.end)
        with db.read_session() as session:
            data = render(session, actor, adm_id, d, lo, hi)
            name = _filename(session, adm_id, d, lo, hi, ext)
        return download(data, media_type, name)


@router.get(
    "/{direction}.csv", response_class=Response, responses=file_responses("text/csv", description="The register (CSV)")
)
def register_csv(query: _RegisterQuery = Depends()) -> Response:
    """The register of ``direction`` (incoming, outgoing, internal) as CSV (UTF-8 BOM, ``;``, bilingual header)."""
    return query.download("csv")


@router.get(
    "/{direction}.pdf",
    response_class=Response,
    responses=file_responses("application/pdf", description="The register (PDF)"),
)
def register_pdf(query: _RegisterQuery = Depends()) -> Response:
    """The register of ``direction`` as a bilingual A4 landscape PDF."""
    return query.download("pdf")
