"""HTTP security headers on every response (pages, API, files), as an ASGI middleware.

- CSP: only this site's scripts, styles, images and sockets; Reflex needs inline scripts and
  styles (its hydration data and the language script in <head>), so those stay allowed; PDFs are
  shown in same-origin frames; no plug-ins, no foreign framing.
- ``Referrer-Policy: no-referrer``: tracking and verification links carry tokens in their query.
- ``nosniff`` so an uploaded file is never run as something else; camera allowed for this site
  only (attachments photographed from the deposit wizard).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",  # Reflex's bundle evaluates code: verified by test_shell
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "frame-src 'self' blob:",
    "object-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
))
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"permissions-policy", b"camera=(self), geolocation=(), microphone=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


def security_headers(app: ASGIApp) -> ASGIApp:
    """Wrap ``app`` so each HTTP response carries ``HEADERS`` (unless the response set its own)."""

    async def wrapped(scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((n, v) for n, v in HEADERS if n not in present)]
            await send(message)

        await app(scope, receive, send_with_headers)

    return wrapped
