"""Server-made content in the first HTML of a public page (issue 19: pages on a cheap phone).

The frontend's pages are files built once; what some public pages show first (a receipt's verdict, the
directory of administrations) only came with the state, over the websocket, after ≈ 200 KB of JavaScript.
``page_transformer`` makes an ``api_transformer`` that answers such a page with the frontend's own HTML
changed by a page's ``render`` (``verify_receipt.verdict_in_html``, ``deposit_html.directory_in_html``),
``private, no-cache``: never kept by a shared cache, and always today's data. Texts come in every interface
language; ``lang_css`` shows the one of the page.
"""

from __future__ import annotations

import asyncio
import gzip
import html
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mrasla_app.i18n import LANGS, translate

T = TypeVar("T")
Transformer = Callable[[ASGIApp], ASGIApp]


def lang_spans(ar: str, fr: str, en: str | None = None) -> str:
    """One escaped ``<span data-l>`` per interface language; ``en`` defaults to the French text (directory
    data exists in Arabic and French only) and is then marked French."""
    texts = {"ar": (ar, "ar"), "fr": (fr, "fr"), "en": (fr, "fr") if en is None else (en, "en")}
    return "".join(
        f'<span data-l="{lang}" lang="{tag}">{html.escape(text)}</span>' for lang, (text, tag) in texts.items()
    )


def lang_text(key: str, **params: object) -> str:
    """The message ``key`` in every interface language (``lang_spans``)."""
    ar, fr, en = (translate(key, lang, **params) for lang in LANGS)
    return lang_spans(ar, fr, en)


def lang_css(within: str, lang_of: str = "html") -> str:
    """CSS that shows, inside ``within``, only the spans of the language of its ancestor ``lang_of``: ``<html>``
    for a block of its own, the app's shell (``lang`` from the state) for a block inside the app's page."""
    return "".join(f"{lang_of}:not([lang={lang}]) {within} [data-l={lang}]{{display:none}}" for lang in LANGS)


async def fetch(app: ASGIApp, scope: Scope, path: str) -> tuple[Message, bytes]:
    """The frontend's plain (uncompressed) GET answer for ``path``: start message and body."""
    headers = [
        (k, v)
        for k, v in scope.get("headers", [])
        if k.lower() not in (b"accept-encoding", b"range", b"if-none-match", b"if-modified-since")
    ]
    # No "http.response.pathsend": the server (granian) would get the file's path, not its bytes.
    extensions = {k: v for k, v in (scope.get("extensions") or {}).items() if k != "http.response.pathsend"}
    sub = {**scope, "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"", "headers": headers}
    sub["extensions"] = extensions
    start: Message = {}
    chunks: list[bytes] = []

    asked = False

    async def receive() -> Message:  # the (empty) request once, then nothing: no disconnect to listen for
        nonlocal asked
        if asked:
            await asyncio.Event().wait()
        asked = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        elif message["type"] == "http.response.pathsend":
            chunks.append(await run_in_threadpool(Path(message["path"]).read_bytes))

    await app(sub, receive, send)
    return start, b"".join(chunks)


async def _send_page(scope: Scope, send: Send, page: bytes) -> None:
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"cache-control", b"private, no-cache"),  # kept by no shared cache; back/forward cache allowed
        (b"vary", b"Accept-Encoding"),
    ]
    if b"gzip" in dict(scope.get("headers", [])).get(b"accept-encoding", b""):
        page = gzip.compress(page, compresslevel=6)
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(page)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else page})


def page_transformer(
    match: Callable[[Scope], T | None], render: Callable[[ASGIApp, Scope, bytes, T], Awaitable[bytes | None]]
) -> Transformer:
    """An ``api_transformer``: a GET or HEAD that ``match`` recognises is answered with the frontend's HTML for
    its path as ``render`` changes it (given what ``match`` returned). Anything else, an answer that is not a
    page, or ``render`` returning None goes to the frontend unchanged."""

    def transform(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            found = match(scope) if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD") else None
            if found is None:
                await app(scope, receive, send)
                return
            start, body = await fetch(app, scope, scope["path"])
            content_type = dict(start.get("headers", [])).get(b"content-type", b"")
            page = None
            if start.get("status") == 200 and content_type.startswith(b"text/html"):
                page = await render(app, scope, body, found)
            if page is None:
                await app(scope, receive, send)
                return
            await _send_page(scope, send, page)

        return wrapped

    return transform
