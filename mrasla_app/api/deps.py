"""Shared FastAPI plumbing: sessions, the acting user from the HttpOnly cookie, bilingual errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.i18n import bilingual
from mrasla_app.services import accounts
from mrasla_app.services.accounts import Actor
from mrasla_app.services.errors import DomainError, PermissionDenied

SESSION_COOKIE = "mrasla_session"


def read_db() -> Iterator[Session]:
    with db.read_session() as session:
        yield session


def write_db() -> Iterator[Session]:
    with db.write_session() as session:
        yield session


# A route's write transaction, committed BEFORE the response is sent (FastAPI's default "request"
# scope would commit after it: a client could act on a session or change not yet, or never, saved).
WriteSession = Annotated[Session, Depends(write_db, scope="function")]


def current_actor(request: Request) -> Actor | None:
    """The staff member behind the session cookie (None for anonymous callers)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with db.read_session() as session:
        return accounts.actor_from_token(session, token)


def same_origin(request: Request) -> None:
    """CSRF guard for cookie-authenticated changes: the Origin (or Referer) must be this site.

    The session cookie is already SameSite=Strict; this also stops a same-site subdomain or an old
    browser from replaying it. Clients without a browser (no Origin, no Referer) are accepted.
    """
    origin = request.headers.get("origin") or request.headers.get("referer") or ""
    if not origin:
        return
    host = request.headers.get("host", "")
    if urlsplit(origin).netloc != host:
        raise PermissionDenied("error.csrf")


def acting_actor(request: Request) -> Actor | None:
    """``current_actor`` for state-changing routes (with the same-origin check)."""
    same_origin(request)
    return current_actor(request)


def error_body(code: str, **params: object) -> dict[str, object]:
    return {"error": code, "message": bilingual(code, **params)}


async def domain_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(error_body(exc.code, **exc.params), status_code=exc.status)
