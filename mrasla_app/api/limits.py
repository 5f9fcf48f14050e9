"""Per-IP rate limits for public endpoints (in-process sliding window).

Each worker process keeps its own counters: with N workers the effective limit is at most N times
the configured one, which still bounds abuse; a shared Redis limiter belongs to the scale issue.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from fastapi import Request

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
