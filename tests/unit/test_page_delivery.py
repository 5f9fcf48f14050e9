"""How pages reach a phone: each page at its own URL (no redirect), the styles inline, and the Arabic
web font as a small subset that still has every Arabic character the interface shows."""

from __future__ import annotations

import asyncio
import io

from fontTools.ttLib import TTFont

from mrasla_app.i18n import catalog
from mrasla_app.pwa import page_urls
from mrasla_app.ui import stylesheet, webfonts

BRAND = "/fonts/web/brand/NotoNaskhArabic-Bold.woff"
ROUTES = ["/", "/deposit", "/deposit/done", "/track/[reference]", "/admin/users"]


def _served_path(method: str, path: str) -> str:
    """The path the static server sees behind ``page_urls`` for a request."""
    seen: list[str] = []

    async def static_server(scope, receive, send):
        seen.append(scope["path"])
        assert scope["raw_path"] == scope["path"].encode()

    app = page_urls(ROUTES)(static_server)
    asyncio.run(app({"type": "http", "method": method, "path": path, "raw_path": path.encode()}, None, None))
    return seen[0]


def test_pages_are_served_at_their_own_url():
    # The prerendered /deposit is deposit/index.html: asked for directly, no redirect to /deposit/.
    assert _served_path("GET", "/deposit") == "/deposit/"
    assert _served_path("HEAD", "/deposit/done") == "/deposit/done/"
    assert _served_path("GET", "/admin/users") == "/admin/users/"
    # Everything else goes through untouched.
    assert _served_path("GET", "/deposit/") == "/deposit/"
    assert _served_path("GET", "/") == "/"
    assert _served_path("GET", "/track/ABC-123") == "/track/ABC-123"  # dynamic: not prerendered
    assert _served_path("GET", "/api/v1/administrations") == "/api/v1/administrations"
    assert _served_path("POST", "/deposit") == "/deposit"


def test_inline_styles_hold_the_reset_and_the_app_rules():
    css = stylesheet.css()
    assert "@layer __reflex_base" in css  # Reflex's reset, layered below the app's rules
    assert ".adm-card {" in css and "@font-face" in css
    assert "/*" not in css and "\n " not in css
    # The staff pages' rules come with the staff layout, not in every page's <head>.
    staff = stylesheet.staff_css()
    assert ".reg-grid {" in staff and ".reg-grid" not in css
    assert "/*" not in staff and "\n " not in staff


def test_the_document_loses_only_the_global_stylesheet():
    document = (
        'import {Links} from "react-router"\n'
        'import reflexGlobalStyles from "$/styles/__reflex_global_styles.css?url"\n'
        'jsx("head",{},jsx("meta",{charSet:"utf-8"},),'
        'jsx("link",{as:"style",href:reflexGlobalStyles,rel:"preload"},),'
        'jsx("link",{href:reflexGlobalStyles,rel:"stylesheet",type:"text/css"},),'
        'jsx("link",{href:"/favicon.svg",rel:"icon"},),jsx(Links,{},))'
    )
    stripped = stylesheet.drop_global_stylesheet(document)
    assert "reflexGlobalStyles" not in stripped
    assert 'jsx("link",{href:"/favicon.svg",rel:"icon"},)' in stripped and "jsx(Links" in stripped
    # A document of another shape (after a Reflex upgrade) is left alone rather than half edited.
    other = document.replace('jsx("link",{as:"style",href:reflexGlobalStyles,rel:"preload"},),', "")
    assert stylesheet.drop_global_stylesheet(other) == other


def _cmap(woff: bytes) -> set[int]:
    return set(TTFont(io.BytesIO(woff)).getBestCmap())


def test_web_font_subsets_cover_the_arabic_interface():
    faces = webfonts.web_fonts(webfonts.STYLESHEET.read_text(encoding="utf-8"))
    assert {url for url, _, _ in faces} == {
        f"/fonts/web/{part}/NotoNaskhArabic-{weight}.woff"
        for part in ("arabic", "arabic-ext")
        for weight in ("Regular", "Bold")
    } | {BRAND}
    url, ttf, ranges = next(f for f in faces if f[0] == "/fonts/web/arabic/NotoNaskhArabic-Bold.woff")
    woff = webfonts.subset_woff(ttf, ranges)
    assert woff[:4] == b"wOFF" and len(woff) < 60_000  # the full TTF is ≈ 180 KB
    covered = _cmap(woff)
    # Every Arabic letter, digit and sign of the interface texts is in this first (small) file.
    used = {ord(c) for text in catalog("ar").values() for c in text if "\u0600" <= c <= "\u06ff"}
    used |= {ord(c) for c in "مراسلة"}
    assert used and used <= covered


def test_french_pages_get_the_brand_from_a_tiny_file():
    """The brand (مراسلة) is the only Arabic text in the web font on French pages."""
    _, ttf, ranges = next(
        f for f in webfonts.web_fonts(webfonts.STYLESHEET.read_text(encoding="utf-8")) if f[0] == BRAND
    )
    woff = webfonts.subset_woff(ttf, ranges)
    assert len(woff) < 8_000
    assert {ord(c) for c in "مراسلة"} <= _cmap(woff)


def test_web_fonts_are_regenerated_only_when_a_source_changes(tmp_path):
    written = webfonts.write_web_fonts(tmp_path)
    assert {"/" + p.relative_to(tmp_path).as_posix() for p in written} == {
        url for url, _, _ in webfonts.web_fonts(webfonts.STYLESHEET.read_text(encoding="utf-8"))
    }
    stamps = {p: p.stat().st_mtime_ns for p in written}
    webfonts.write_web_fonts(tmp_path)
    assert {p: p.stat().st_mtime_ns for p in written} == stamps
    ext = next(p for p in written if "arabic-ext" in p.parts and p.stem.endswith("Regular"))
    assert 0x0750 in _cmap(ext.read_bytes()) and 0x0628 not in _cmap(ext.read_bytes())
