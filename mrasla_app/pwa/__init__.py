"""Installable, offline-friendly PWA: manifest, offline screen, service worker, cache headers.

How the pieces are produced (``PwaPlugin``, listed in ``rxconfig.py``):

- at every compile (dev and prod), ``get_static_assets`` writes into ``.web/public``:
  ``manifest.webmanifest`` (names in Arabic and French), ``offline.html`` (the bilingual offline
  screen, readable without JavaScript) and ``pwa/strings.json`` (the catalogue texts the plain-JS
  offline code shows) — all generated from ``mrasla_app/i18n/*.json``, never hard-coded;
- after the production build, ``post_build(static_dir=...)`` writes ``sw.js`` from
  ``sw_template.js`` with the precache list read from the build output itself: the files the
  prerendered citizen pages reference (``/assets/*.js|css`` from their ``<script>``/``<link>`` tags
  and module imports), plus the offline screen and its static files. Each entry is checked to exist
  in the output; the service worker's version is a hash of the entries' bytes, so any rebuilt file
  makes ``sw.js`` differ byte-wise and the browser installs the new version.

``cache_headers`` (an ``api_transformer``) sets ``Cache-Control: no-cache`` on ``sw.js``, the manifest,
the offline files and pages, and ``immutable`` on Vite's content-hashed ``/assets/*``; ``page_urls``
serves each page at its own URL instead of redirecting ``/deposit`` to ``/deposit/``.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any

from reflex.plugins import Plugin

from mrasla_app.i18n import LANGS, catalog

HERE = Path(__file__).resolve().parent
THEME_COLOR = "#0f5c55"
BACKGROUND_COLOR = "#f5f7f8"
OFFLINE_URL = "/offline.html"
SCRIPT_URL = "/pwa/offline.js"
PARAPHEUR_SCRIPT_URL = "/pwa/parapheur.js"
STRINGS_URL = "/pwa/strings.json"
MANIFEST_URL = "/manifest.webmanifest"
# Citizen pages whose app shell is precached (prerendered as <route>.html by the build).
SHELL_PAGES = ("index.html", "deposit.html", "deposit/done.html", "track.html", "verify.html", "login.html")
# Static files the offline screen and the installed app need, besides the shell.
STATIC_PRECACHE = (
    OFFLINE_URL,
    SCRIPT_URL,
    STRINGS_URL,
    MANIFEST_URL,
    "/mrasla.css",
    "/logo.svg",
    "/favicon.svg",
    "/icons/icon-192.png",
    "/icons/maskable-192.png",
)
# Catalogue keys the plain-JS code shows (all ``pwa.*`` keys are added).
JS_KEYS = (
    "deposit.title",
    "deposit.administration",
    "deposit.unit_label",
    "deposit.full_name",
    "deposit.id_kind",
    "deposit.id_kind.CIN",
    "deposit.id_kind.ICE",
    "deposit.id_value",
    "deposit.id_hint",
    "deposit.contact_hint",
    "deposit.email",
    "deposit.phone",
    "deposit.subject",
    "deposit.message",
    "deposit.files",
    "deposit.files_hint",
    "deposit.files_none",
    "deposit.number",
    "deposit.done_title",
    "deposit.download",
    "deposit.track",
    "deposit.keep_link",
    "deposit.new",
    "common.remove",
    "common.select",
    "common.unit_kb",
    "common.unit_mb",
    "lang.other",
    "lang.switch_label",
    "app.skip",
)


# --- generated files -----------------------------------------------------------------------------


def js_strings() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        cat = catalog(lang)
        out[lang] = {k: v for k, v in cat.items() if k.startswith("pwa.") or k in JS_KEYS}
    return out


def manifest() -> dict[str, Any]:
    ar, fr = catalog("ar"), catalog("fr")
    return {
        "id": "/",
        "name": fr["pwa.app_name"],
        "short_name": "Mrasla · مراسلة",
        "description": fr["pwa.app_description"],
        "lang": "fr",
        "dir": "auto",
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["government", "productivity"],
        "icons": [
            {"src": "/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": "/icons/maskable-192.png", "sizes": "192x192", "type": "image/png", "purpose": "maskable"},
            {"src": "/icons/maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
        "shortcuts": [
            {
                "name": f"{fr['deposit.title']} · {ar['deposit.title']}",
                "short_name": fr["deposit.title"],
                "url": "/deposit",
                "icons": [{"src": "/icons/icon-192.png", "sizes": "192x192"}],
            },
        ],
        # The Arabic name, for stores and launchers that read translations.
        "translations": {
            "ar": {"name": ar["pwa.app_name"], "short_name": "مراسلة", "description": ar["pwa.app_description"]}
        },
    }


def offline_html() -> str:
    """The bilingual offline screen (works without JavaScript; the script adds the deposit draft)."""
    ar, fr = catalog("ar"), catalog("fr")
    e = html.escape

    def section(lang: str, c: dict[str, str]) -> str:
        direction = "rtl" if lang == "ar" else "ltr"
        return (
            f'<section class="offline-section" lang="{lang}" dir="{direction}" data-lang="{lang}">'
            f'<h1 class="page-title" data-testid="offline-title">{e(c["pwa.offline_title"])}</h1>'
            f'<p class="lead">{e(c["pwa.offline_text"])}</p>'
            f'<div class="actions"><a class="btn btn-primary" href="" data-mr-retry>{e(c["pwa.retry"])}</a>'
            f'<a class="btn btn-ghost" href="/">{e(c["pwa.home"])}</a></div></section>'
        )

    return (
        '<!DOCTYPE html>\n<html lang="fr" dir="ltr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="theme-color" content="{THEME_COLOR}">'
        f"<title>{e(fr['pwa.offline_title'])} · {e(ar['pwa.offline_title'])} — Mrasla</title>"
        f'<link rel="manifest" href="{MANIFEST_URL}"><link rel="icon" href="/favicon.svg" type="image/svg+xml">'
        '<link rel="stylesheet" href="/mrasla.css">'
        "<script>(function(){try{var l=localStorage.getItem('mrasla_lang');l=(l==='ar')?'ar':'fr';"
        "var d=document.documentElement;d.lang=l;d.dir=(l==='ar')?'rtl':'ltr';}catch(e){}})();</script>"
        f'<script src="{SCRIPT_URL}" defer></script></head>'
        '<body class="offline-page" data-mr-offline-page="1"><div class="app-shell">'
        '<header class="site-header"><div class="header-inner container">'
        '<a class="brand" href="/"><img class="brand-logo" src="/logo.svg" alt="" width="36" height="36">'
        '<span class="brand-name"><span class="brand-ar" lang="ar">مراسلة</span>'
        '<span aria-hidden="true"> · </span><span lang="fr">Mrasla</span></span></a>'
        '<div class="header-tools" id="mr-offline-tools"></div></div></header>'
        '<main class="container main" id="main" tabindex="-1">'
        '<div class="offline-screen" data-testid="offline-screen" role="alert">'
        '<svg class="offline-icon" width="48" height="48" viewBox="0 0 24 24" aria-hidden="true" fill="none" '
        'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">'
        '<path d="M12 20h.01M8.5 16.43a5 5 0 0 1 7 0M5 12.86a10 10 0 0 1 5.17-2.69M19 12.86a10 10 0 0 0-2.01-1.52'
        'M2 8.82a15 15 0 0 1 4.18-2.65M22 8.82a15 15 0 0 0-11.29-3.76M2 2l20 20"/></svg>'
        f"{section('ar', ar)}{section('fr', fr)}</div>"
        '<div id="mr-offline-deposit"></div></main></div></body></html>\n'
    )


def sw_source(static_dir: Path) -> tuple[str, list[str]]:
    """``sw.js`` for the build in ``static_dir``: (source, precache URLs)."""
    urls: list[str] = []
    asset_ref = re.compile(r"""["'(](/assets/[A-Za-z0-9_.\-/]+\.(?:js|css))["')]""")
    for page in SHELL_PAGES:
        path = static_dir / page
        if path.is_file():
            urls += asset_ref.findall(path.read_text(encoding="utf-8", errors="replace"))
    urls = [u for u in dict.fromkeys([*STATIC_PRECACHE, *sorted(set(urls))]) if (static_dir / u.lstrip("/")).is_file()]
    digest = hashlib.sha256()
    template = (HERE / "sw_template.js").read_text(encoding="utf-8")
    digest.update(template.encode())
    for url in urls:
        digest.update(url.encode() + b"\0" + (static_dir / url.lstrip("/")).read_bytes())
    source = (
        template.replace("__VERSION__", digest.hexdigest()[:16])
        .replace("__PRECACHE__", json.dumps(urls, indent=1))
        .replace("__OFFLINE_URL__", OFFLINE_URL)
    )
    return source, urls


class PwaPlugin(Plugin):
    """Generates the manifest, the offline screen, the JS strings and (after a build) ``sw.js``."""

    def get_static_assets(self, **context: Any) -> list[tuple[Path, str]]:
        return [
            (Path("public/manifest.webmanifest"), json.dumps(manifest(), ensure_ascii=False, indent=1) + "\n"),
            (Path("public/offline.html"), offline_html()),
            (Path("public/pwa/strings.json"), json.dumps(js_strings(), ensure_ascii=False, sort_keys=True)),
        ]

    def post_build(self, **context: Any) -> None:
        static_dir = Path(context["static_dir"])
        source, _ = sw_source(static_dir)
        (static_dir / "sw.js").write_text(source, encoding="utf-8")


# --- Cache-Control --------------------------------------------------------------------------------

NO_CACHE = (b"cache-control", b"no-cache")
IMMUTABLE = (b"cache-control", b"public, max-age=31536000, immutable")
DAY = (b"cache-control", b"public, max-age=86400")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


def cache_policy(path: str) -> tuple[bytes, bytes] | None:
    """The Cache-Control header for a static ``path`` (None: leave the response alone)."""
    if path.startswith(("/api/", "/_event", "/_upload", "/healthz", "/ping")):
        return None  # the API decides for itself
    if path.startswith("/assets/"):
        return IMMUTABLE  # Vite's content-hashed bundle files
    if path.startswith(("/fonts/", "/icons/")):
        return DAY
    return NO_CACHE  # sw.js, the manifest, offline files, pages, mrasla.css: always revalidate


def cache_headers(app: ASGIApp) -> ASGIApp:
    """Add ``cache_policy(path)`` to GET/HEAD responses that carry no Cache-Control of their own."""

    async def wrapped(scope: Scope, receive, send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await app(scope, receive, send)
            return
        header = cache_policy(scope.get("path", ""))
        if header is None:
            await app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append(header)
                if scope.get("path") == "/sw.js":
                    headers.append((b"service-worker-allowed", b"/"))
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_header)

    return wrapped


# --- page URLs -----------------------------------------------------------------------------------


def page_urls(routes: Iterable[str]) -> Callable[[ASGIApp], ASGIApp]:
    """An ``api_transformer`` that serves the prerendered page of each static route at its own URL.

    The build writes ``/deposit`` as ``deposit/index.html``, so Starlette's static server answers
    ``/deposit`` with a redirect to ``/deposit/``: one more round trip before anything shows (≈ 0.6 s
    on a slow 4G phone, for every page opened from a link, a QR code or the home screen). The
    wrapper hands those requests to the static server as ``/deposit/``; the browser's URL is unchanged.
    """
    pages = frozenset(r for r in routes if r != "/" and "[" not in r and not r.endswith("/"))

    def transform(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive, send) -> None:
            if scope["type"] == "http" and scope.get("method") in ("GET", "HEAD") and scope.get("path") in pages:
                path = scope["path"] + "/"
                scope = {**scope, "path": path, "raw_path": path.encode()}
            await app(scope, receive, send)

        return wrapped

    return transform
