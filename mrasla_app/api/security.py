"""HTTP security headers on every response (pages, API, files), and the origin guard, as ASGI middleware.

- CSP: only this site's scripts, styles, images and sockets (``connect-src`` names the websocket
  origin of the public URL, never any host); Reflex needs inline scripts and styles (its hydration
  data and the language script in <head>), so those stay allowed; PDFs are shown in same-origin
  frames; no plug-ins, no foreign framing.
- ``Strict-Transport-Security`` when the public URL is HTTPS (the session cookie is then ``Secure``,
  see ``settings.cookie_secure``).
- ``Referrer-Policy: no-referrer``: tracking and verification links carry tokens in their query.
- ``nosniff`` so an uploaded file is never run as something else; camera allowed for this site
  only (attachments photographed from the deposit wizard).
- ``Vary`` merged into one header: Reflex stacks a CORS middleware per app layer, each adding
  ``Origin`` again (``Vary: Origin, Origin, Origin``).

The origin guard (``origin_guard``) refuses what a page of another origin makes a browser send with
the user's session: another port of the same host is the same *site*, so the SameSite=Strict cookie
does not stop it, but it is another *origin*, which the browser names in ``Origin``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from functools import lru_cache
from typing import Any

from fastapi.responses import JSONResponse

from mrasla_app.api.deps import SESSION_COOKIE
from mrasla_app.api.errors import error_body
from mrasla_app.api.limits import UPLOAD_PATH
from mrasla_app.settings import get_settings


def csp(socket_origins: tuple[str, ...]) -> str:
    """The Content-Security-Policy; ``socket_origins`` are the ws:// / wss:// origins of the app itself."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline' 'unsafe-eval'",  # Reflex's bundle evaluates code: verified by test_shell
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            " ".join(("connect-src 'self'", *socket_origins)),
            "frame-src 'self' blob: data:",  # data: — the drafted letter's PDF preview (an opaque-origin frame)
            "object-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        )
    )


@lru_cache(maxsize=4)
def _headers(origins: frozenset[str], https: bool) -> tuple[tuple[bytes, bytes], ...]:
    # CSP source expressions cannot name an IPv6 literal (Chromium ignores the whole source): [::1] is left out.
    sockets = tuple(
        sorted(o.replace("https://", "wss://", 1).replace("http://", "ws://", 1) for o in origins if "[" not in o)
    )
    headers = [
        (b"content-security-policy", csp(sockets).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"SAMEORIGIN"),
        (b"permissions-policy", b"camera=(self), geolocation=(), microphone=(), payment=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if https:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return tuple(headers)


def security_header_list() -> tuple[tuple[bytes, bytes], ...]:
    """The headers every response carries, for the configured public URL."""
    s = get_settings()
    return _headers(s.allowed_origins, s.is_https)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


def _merge_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """One ``Vary`` header listing each field once, without ``Origin``: each CORS layer Reflex stacks
    inside this wrapper appends ``Origin`` to every response, and the outermost one (Reflex's top app,
    outside every transformer) appends it once more — that one stays."""
    fields: list[bytes] = []
    rest = []
    for name, value in headers:
        if name.lower() == b"vary":
            for f in value.split(b","):
                f = f.strip()
                if f and f.lower() != b"origin" and f.lower() not in (x.lower() for x in fields):
                    fields.append(f)
        else:
            rest.append((name, value))
    return [*rest, (b"vary", b", ".join(fields))] if fields else rest


def security_headers(app: ASGIApp) -> ASGIApp:
    """Wrap ``app`` so each HTTP response carries the security headers (unless it set its own)."""

    async def wrapped(scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", []))
                present = {name.lower() for name, _ in own}
                message["headers"] = _merge_vary(
                    [*own, *((n, v) for n, v in security_header_list() if n not in present)]
                )
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped


def _header(scope: Scope, name: bytes) -> bytes:
    return next((v for k, v in scope.get("headers", []) if k.lower() == name), b"")


def has_session_cookie(scope: Scope) -> bool:
    cookie = _header(scope, b"cookie")
    return any(part.strip().startswith(SESSION_COOKIE.encode() + b"=") for part in cookie.split(b";"))


def foreign_origin(scope: Scope) -> bool:
    """The request was sent by a page of an origin that is not this application's.

    Browsers name the page's origin in ``Origin`` on every websocket handshake, every cross-origin
    fetch (GET included) and every same-origin change; a request without it comes from a top-level
    navigation or a client without a browser, which no foreign page controls (``null``, sent by
    sandboxed frames and ``data:`` pages, is foreign).
    """
    origin = _header(scope, b"origin").decode("latin-1").strip().lower()
    return bool(origin) and origin not in get_settings().allowed_origins


def guarded(scope: Scope) -> bool:
    """What the origin guard checks: every websocket (``/_event`` carries the session and every
    state's handlers), every request carrying the session cookie, and uploads (they fill a wizard's
    spool)."""
    if scope["type"] == "websocket":
        return True
    return scope["type"] == "http" and (has_session_cookie(scope) or scope.get("path", "").startswith(UPLOAD_PATH))


def origin_guard(app: ASGIApp) -> ASGIApp:
    """Refuse a guarded request from a foreign origin: a websocket handshake is closed before it is
    accepted (HTTP 403), a request gets a 403 in the bilingual error model; nothing runs."""

    async def wrapped(scope: Scope, receive, send) -> None:
        if guarded(scope) and foreign_origin(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await JSONResponse(error_body("error.csrf"), status_code=403)(scope, receive, send)
            return
        await app(scope, receive, send)

    return wrapped
