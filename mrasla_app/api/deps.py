"""Shared FastAPI plumbing: sessions, the acting user from the HttpOnly cookie, file downloads."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import Field
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.models.base import MAX_ID
from mrasla_app.services import accounts
from mrasla_app.services.accounts import Actor
from mrasla_app.services.errors import PermissionDenied

SESSION_COOKIE = "mrasla_session"
#: An id from the outside: a number the database can hold (anything else is a 422, never a 500).
Id = Annotated[int, Field(ge=0, le=MAX_ID)]


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


def download(data: bytes, media_type: str, filename: str, inline: bool = False) -> Response:
    """A private file response whose name survives in any script (RFC 6266: an ASCII ``filename``
    for old clients, the exact UTF-8 name in ``filename*``); never cached, never sniffed."""
    name = "".join(c for c in filename if unicodedata.category(c)[0] != "C")
    fallback = "".join(c if c.isascii() and c not in '"\\' else "_" for c in name)
    disposition = f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": disposition, "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})
