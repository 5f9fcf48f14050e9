"""Per-IP rate limits for public endpoints (in-process sliding window), and request body limits.

Each worker process keeps its own counters: with N workers the effective limit is at most N times
the configured one, which still bounds abuse; a shared Redis limiter belongs to the scale issue.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from mrasla_app.api.errors import error_body
from mrasla_app.services.errors import DomainError


class RateLimited(DomainError):
    status = 429

    def __init__(self) -> None:
        super().__init__("error.rate_limited")


class Limiter:
    """At most ``limit`` calls per ``window`` seconds per client IP."""

    def __init__(self, name: str, limit: int, window: float) -> None:
        self.name, self.limit, self.window = name, limit, window
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> None:
        """FastAPI dependency: one call from the request's client IP."""
        self.hit(request.client.host if request.client else "?")

    def hit(self, key: str) -> None:
        """Count one call for ``key`` (a client IP); raises ``RateLimited`` beyond the limit."""
        ip = key
        now = time.monotonic()
        with self._lock:
            hits = self._hits[ip]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                raise RateLimited()
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients
                for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                    del self._hits[key]

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413)


class BodyLimit:
    """ASGI middleware: a request body stays under the limit ``limit_for(path)`` gives (None: no limit).

    Refused at once when ``Content-Length`` announces more, otherwise as soon as the bytes read pass
    the limit (uploads sent without a length), so nothing is parsed or spooled to disk beyond it.
    The answer is a 413 in the bilingual error model (FastAPI's own ``max_body_size`` answers a
    too-large ``Content-Length`` in plain text).
    """

    def __init__(self, app: Any, limit_for: Callable[[str], int | None]) -> None:
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        limit = self.limit_for(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await JSONResponse(error_body("error.request_too_large"), status_code=413)(scope, receive, send)
            return
        received = 0

        async def counted() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge()  # an HTTPException: answered by the API's error handler
            return message

        await self.app(scope, counted, send)


UPLOAD_PATH = "/_upload"
UPLOAD_OVERHEAD = 1024 * 1024  # multipart boundaries, headers and the handler's bound arguments


def upload_guard(app: Any) -> Any:
    """ASGI wrapper for Reflex's upload endpoint, which has neither: a per-address rate limit
    (``MRASLA_UPLOADS_PER_MINUTE``, 429) and a body cap (a wizard's whole quota of files plus the
    multipart overhead, 413), so one client cannot make the server parse and spool without end."""
    from mrasla_app.settings import get_settings

    s = get_settings()
    limiter = Limiter("upload", limit=s.uploads_per_minute, window=60)
    cap = s.max_files * s.max_upload_mb * 1024 * 1024 + UPLOAD_OVERHEAD
    capped = BodyLimit(app, limit_for=lambda path: cap if path.startswith(UPLOAD_PATH) else None)

    async def wrapped(scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not scope["path"].startswith(UPLOAD_PATH):
            await app(scope, receive, send)
            return
        client = scope.get("client")
        try:
            limiter.hit(client[0] if client else "?")
        except RateLimited:
            await JSONResponse(error_body("error.rate_limited"), status_code=429)(scope, receive, send)
            return
        await capped(scope, receive, send)

    wrapped.limiter = limiter  # tests reset it
    return wrapped
