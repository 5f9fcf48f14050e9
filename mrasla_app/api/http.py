"""HTTP conventions every API answer follows, in one ASGI middleware instead of in each route:

- ``HEAD`` wherever ``GET`` exists (health checks and link checkers use it): the GET route answers,
  its headers are sent (``Content-Length`` included), its body is not;
- conditional requests: a 200 to a GET whose ``ETag`` matches ``If-None-Match`` (or, without it,
  whose ``Last-Modified`` is not after ``If-Modified-Since``) becomes a bodiless 304;
- ``Cache-Control`` on every answer: what the route set, else ``cache_policy`` — ``no-store`` for
  anything private, changing or refused, a short public lifetime for the few public documents.

And ``mount_api``: the API's paths go straight to the API app, so an unknown path or a wrong method
gets the API's JSON 404/405 rather than the web frontend's HTML page (Reflex mounts the frontend at
``""`` inside a Starlette ``api_transformer``, and Starlette prefers that full match over a route whose
path matches with another method).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from email.utils import parsedate_to_datetime
from typing import Any

from starlette.datastructures import Headers, MutableHeaders

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Public documents a shared cache may keep a little while (every other API answer: ``no-store``).
PUBLIC_CACHE = {
    "/api/v1/openapi.json": "public, max-age=300",
    "/api/v1/administrations": "public, max-age=300",
}
#: Headers a 304 carries over from the 200 it stands for (RFC 9110 §15.4.5); the rest describe a body.
KEPT_ON_304 = ("cache-control", "etag", "last-modified", "vary", "expires", "date", "content-location")


def cache_policy(method: str, path: str, status: int) -> str:
    """The ``Cache-Control`` of an answer whose route did not choose one (refusals: never kept)."""
    return PUBLIC_CACHE.get(path, "no-store") if method == "GET" and status == 200 else "no-store"


def not_modified(request: Headers, response: Headers) -> bool:
    """Whether the client's copy is current (RFC 9110 §13.1): ``If-None-Match`` (weak comparison)
    wins over ``If-Modified-Since``."""
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:
        etag = response.get("etag")
        if etag is None:
            return False
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since, modified = request.get("if-modified-since"), response.get("last-modified")
    if not since or not modified:
        return False
    try:
        return parsedate_to_datetime(modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):  # an unreadable date: answer in full
        return False


class Conventions:
    """ASGI middleware applying the module's conventions around the API app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        request = Headers(scope=scope)
        bodiless = head

        async def send_with_conventions(message: Message) -> None:
            nonlocal bodiless
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = cache_policy(scope["method"], scope["path"], message["status"])
                if message["status"] == 200 and scope["method"] == "GET" and not_modified(request, headers):
                    message["status"] = 304
                    for name in {n.lower() for n in headers} - set(KEPT_ON_304):
                        del headers[name]
                    bodiless = True
            elif message["type"] == "http.response.body" and bodiless:
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app(scope, receive, send_with_conventions)


def mount_api(api: ASGIApp, paths: tuple[str, ...]) -> Callable[[ASGIApp], ASGIApp]:
    """An ``api_transformer`` handing every request whose path is, or is under, one of ``paths`` to
    ``api`` (its own router answers unknown paths and wrong methods), the rest to the frontend."""
    prefixes = tuple(p.rstrip("/") + "/" for p in paths)
    exact = frozenset(p.rstrip("/") for p in paths)

    def transform(frontend: ASGIApp) -> ASGIApp:
        async def route(scope: Scope, receive: Receive, send: Send) -> None:
            path = scope.get("path", "") if scope["type"] == "http" else ""
            target = api if path and (path in exact or path.startswith(prefixes)) else frontend
            await target(scope, receive, send)

        return route

    return transform
