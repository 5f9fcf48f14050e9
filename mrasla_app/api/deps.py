"""Shared FastAPI plumbing: sessions, the acting user from the HttpOnly cookie, bilingual errors."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.i18n import bilingual
from mrasla_app.services import accounts
from mrasla_app.services.accounts import Actor
from mrasla_app.services.errors import DomainError

SESSION_COOKIE = "mrasla_session"


def read_db() -> Iterator[Session]:
    with db.read_session() as session:
        yield session


def write_db() -> Iterator[Session]:
    with db.write_session() as session:
        yield session


def current_actor(request: Request) -> Actor | None:
    """The staff member behind the session cookie (None for anonymous callers)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with db.read_session() as session:
        return accounts.actor_from_token(session, token)


def error_body(code: str, **params: object) -> dict[str, object]:
    return {"error": code, "message": bilingual(code, **params)}


async def domain_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(error_body(exc.code, **exc.params), status_code=exc.status)
