"""Shared FastAPI plumbing: sessions, the three credentials (declared as OpenAPI security schemes so
a generated client knows where each goes), the acting user from the HttpOnly cookie, file downloads."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterator
from datetime import datetime
from email.utils import format_datetime
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Security
from fastapi.responses import Response
from fastapi.security import APIKeyCookie, APIKeyHeader, APIKeyQuery
from pydantic import Field
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.models.base import MAX_ID
from mrasla_app.services.directory import accounts
from mrasla_app.services.directory.accounts import Actor
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


# The security schemes. ``auto_error=False``: each route decides what a missing credential means
# (401 for staff routes; 404 for a deposit, so a guessed reference reveals nothing).
session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="session",
    auto_error=False,
    description="Staff session: the HttpOnly cookie set by `POST /api/v1/auth/session` "
    "after `POST /api/v1/auth/login`.",
)
access_token_header = APIKeyHeader(
    name="X-Access-Token",
    scheme_name="accessToken",
    auto_error=False,
    description="A deposit's access token (`access_token` of the deposit answer): receipt, tracking, answers.",
)
access_token_query = APIKeyQuery(
    name="k",
    scheme_name="accessTokenQuery",
    auto_error=False,
    description="The same access token in the query, as in the links mailed to the depositor.",
)
verify_token_header = APIKeyHeader(
    name="X-Verify-Token",
    scheme_name="verifyToken",
    auto_error=False,
    description="A receipt's verification token (`verification_token` of the deposit answer, "
    "in the receipt's QR code).",
)
verify_token_query = APIKeyQuery(
    name="t",
    scheme_name="verifyTokenQuery",
    auto_error=False,
    description="The same verification token in the query, as in the receipt's QR code.",
)


def access_token(
    query: Annotated[str | None, Security(access_token_query)] = None,
    header: Annotated[str | None, Security(access_token_header)] = None,
) -> str:
    """A deposit's access token, from the query (mailed links) or the header (integrations)."""
    return query or header or ""


def verify_token(
    query: Annotated[str | None, Security(verify_token_query)] = None,
    header: Annotated[str | None, Security(verify_token_header)] = None,
) -> str:
    """A receipt's verification token, from the query (QR code) or the header (integrations)."""
    return query or header or ""


def current_actor(token: Annotated[str | None, Security(session_cookie)] = None) -> Actor | None:
    """The staff member behind the session cookie (None for anonymous callers)."""
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


def acting_actor(request: Request, token: Annotated[str | None, Security(session_cookie)] = None) -> Actor | None:
    """``current_actor`` for state-changing routes (with the same-origin check)."""
    same_origin(request)
    return current_actor(token)


# Arabic letters spelled in Latin for the plain ``filename=`` of a download (old clients, ``curl -J``,
# mail gateways): "طلب شهادة.pdf" → "tlb shhada.pdf" instead of a row of underscores.
_LATIN = str.maketrans(
    {
        "ا": "a",
        "أ": "a",
        "إ": "i",
        "آ": "a",
        "ٱ": "a",
        "ب": "b",
        "ت": "t",
        "ث": "th",
        "ج": "j",
        "ح": "h",
        "خ": "kh",
        "د": "d",
        "ذ": "dh",
        "ر": "r",
        "ز": "z",
        "س": "s",
        "ش": "sh",
        "ص": "s",
        "ض": "d",
        "ط": "t",
        "ظ": "z",
        "ع": "",
        "غ": "gh",
        "ف": "f",
        "ق": "q",
        "ك": "k",
        "ل": "l",
        "م": "m",
        "ن": "n",
        "ه": "h",
        "و": "w",
        "ي": "y",
        "ى": "a",
        "ة": "a",
        "ء": "",
        "ؤ": "",
        "ئ": "",
        "پ": "p",
        "ڤ": "v",
        "گ": "g",
        "ـ": "",
        "،": ",",
        "؛": ";",
        "؟": "?",
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
    }
)


def ascii_filename(name: str) -> str:
    """A readable ASCII spelling of ``name``: Arabic transliterated, accents dropped (é → e), anything
    else (and quotes, backslashes) as ``_``; never empty."""
    spelled = unicodedata.normalize("NFKD", name.translate(_LATIN))
    kept = "".join(c for c in spelled if not unicodedata.combining(c))
    out = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in kept)
    stem, dot, ext = out.rpartition(".") if "." in out else (out, "", "")
    return out if stem.strip(" _") else f"document{dot}{ext}"


def download(
    data: bytes,
    media_type: str,
    filename: str,
    inline: bool = False,
    *,
    etag: str | None = None,
    modified: datetime | None = None,
) -> Response:
    """A private file response whose name survives in any script (RFC 6266: a readable ASCII
    ``filename`` for old clients, the exact UTF-8 name in ``filename*``); never stored by a cache or
    sniffed. ``ETag`` (the content's SHA-256 unless given) and ``Last-Modified`` let a client that
    keeps its own copy ask again with ``If-None-Match`` / ``If-Modified-Since`` and get a 304."""
    name = "".join(c for c in filename if unicodedata.category(c)[0] != "C")
    disposition = (
        f'{"inline" if inline else "attachment"}; filename="{ascii_filename(name)}"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )
    headers = {
        "Content-Disposition": disposition,
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "ETag": f'"{etag or hashlib.sha256(data).hexdigest()}"',
    }
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified, usegmt=True)
    return Response(data, media_type=media_type, headers=headers)


def file_responses(*media_types: str, description: str = "The file") -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries of a download: its media types as binary strings, its headers, and the
    304 of a conditional request."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {
            "description": description,
            "content": {media_type: binary for media_type in media_types},
            "headers": {
                "ETag": {"description": "the file's version", "schema": {"type": "string"}},
                "Content-Disposition": {
                    "description": "attachment or inline, with the file name",
                    "schema": {"type": "string"},
                },
            },
        },
        304: {"description": "Not modified: the `If-None-Match` / `If-Modified-Since` copy is current"},
    }
