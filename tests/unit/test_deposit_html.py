"""The directory of administrations put into the first HTML of ``/deposit`` (issue 19, Lighthouse's LCP)."""

from __future__ import annotations

import asyncio
import gzip

import pytest
from sqlalchemy.exc import OperationalError

from mrasla_app import db
from mrasla_app.models import Administration
from mrasla_app.services.directory import administrations as directory
from mrasla_app.ui.pages.portal import deposit_html as dh

PAGE = (
    '<!DOCTYPE html><html lang="fr"><head></head><body><div class="app-shell"><input id="deposit-search"/>'
    f'<div class="rx-Html adm-loading" data-testid="adm-loading">{dh.PLACEHOLDER}</div></div></body></html>'
).encode()


def _frontend(status: int = 200, body: bytes = PAGE, content_type: bytes = b"text/html"):
    seen: list[tuple[str, str]] = []

    async def app(scope, receive, send):
        seen.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": body})

    return app, seen


def _get(app, path: str, method: str = "GET") -> tuple[int, dict[bytes, bytes], bytes]:
    out: dict = {}
    chunks: list[bytes] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"], out["headers"] = message["status"], dict(message["headers"])
        else:
            chunks.append(message.get("body", b""))

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b""}
    scope["headers"] = [(b"accept-encoding", b"gzip, br")]
    asyncio.run(app(scope, receive, send))
    body = b"".join(chunks)
    if out["headers"].get(b"content-encoding") == b"gzip":
        body = gzip.decompress(body)
    return out["status"], out["headers"], body


def _adm(code: str, name_fr: str, name_ar: str = "إدارة", city_fr: str | None = "Rabat") -> Administration:
    return Administration(code=code, name_ar=name_ar, name_fr=name_fr, city_ar="الرباط", city_fr=city_fr)


def test_directory_html_shows_the_cards_escaped_in_every_language():
    block = dh.directory_html([_adm("MEF", "Ministère <des Finances>", "وزارة <المالية>"), _adm("X&Y", "Autre")])
    assert block.count('class="adm-card"') == 2 and block.startswith('<ul class="adm-list">')
    assert "Ministère &lt;des Finances&gt;" in block and "وزارة &lt;المالية&gt;" in block and "X&amp;Y" in block
    assert "<des Finances>" not in block and "<المالية>" not in block
    assert 'data-l="ar" lang="ar"' in block and 'data-l="en" lang="fr"' in block  # English shows French names
    # not the app's buttons: nothing to click before hydration, no test id or id for tests and scripts to find
    assert "<button" not in block and "data-testid" not in block and " id=" not in block


def test_directory_html_without_administrations_says_so():
    block = dh.directory_html([])
    assert "Aucune administration ne correspond" in block and 'class="adm-card"' not in block


def test_placeholder_is_what_the_build_renders():
    slot = dh.slot().render()
    assert any(dh.PLACEHOLDER.replace('"', '\\"')[:40] in p for p in slot["props"])
    assert "Chargement de la liste" in dh.PLACEHOLDER and "adm-placeholder" in dh.PLACEHOLDER


def test_only_active_administrations_are_served(seeded):
    platform = seeded.actor("admin@mrasla.ma")
    with db.write_session() as s:
        adm = directory.get_administration(s, seeded.adm_id("MSPS"))
        directory.save_administration(
            s,
            platform,
            administration_id=adm.id,
            code=adm.code,
            name_ar=adm.name_ar,
            name_fr=adm.name_fr,
            kind=adm.kind.value,
            active=False,
        )
    frontend, _ = _frontend()
    _, _, body = _get(dh.directory_in_html(frontend), "/deposit/")
    assert b">MEF</code>" in body and b">CRB</code>" in body
    assert b">MSPS</code>" not in body  # read at each request: a change shows on the next page load


def test_transformer_puts_the_directory_into_the_page(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dh, "_directory", lambda: dh.directory_html([_adm("MEF", "Finances")]))
    frontend, seen = _frontend()
    status, headers, body = _get(dh.directory_in_html(frontend), "/deposit/")
    assert status == 200 and headers[b"cache-control"] == b"private, no-cache"
    assert headers[b"content-encoding"] == b"gzip" and int(headers[b"content-length"]) > 0
    assert seen == [("GET", "/deposit/")]
    text = body.decode()
    assert "Finances" in text and "Chargement de la liste" not in text and "<!--mr-directory" not in text
    # in the slot, the rest of the page as built
    assert text.index('data-testid="adm-loading">') < text.index("Finances") < text.index("</div></div></body>")
    assert text.startswith('<!DOCTYPE html><html lang="fr"><head></head><body><div class="app-shell"><input')


def test_transformer_answers_head_like_get(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dh, "_directory", lambda: dh.directory_html([]))
    frontend, seen = _frontend()
    status, headers, body = _get(dh.directory_in_html(frontend), "/deposit", method="HEAD")
    assert status == 200 and body == b"" and headers[b"cache-control"] == b"private, no-cache"
    assert seen == [("GET", "/deposit")]


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [(404, PAGE, b"text/html"), (200, b'{"a": 1}', b"application/json"), (200, b"<body>no slot</body>", b"text/html")],
)
def test_shell_fallback_when_the_page_is_not_a_wizard(monkeypatch, status, body, content_type):
    monkeypatch.setattr(dh, "_directory", lambda: pytest.fail("no database read"))
    frontend, _ = _frontend(status, body, content_type)
    got_status, headers, got = _get(dh.directory_in_html(frontend), "/deposit/")
    assert (got_status, got) == (status, body) and b"cache-control" not in headers


def test_placeholder_kept_when_the_database_fails(monkeypatch: pytest.MonkeyPatch):
    def broken():
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(dh, "_directory", broken)
    frontend, _ = _frontend()
    _, _, body = _get(dh.directory_in_html(frontend), "/deposit/")
    assert body == PAGE


@pytest.mark.parametrize("path", ["/deposit/done", "/track", "/", "/deposit/x"])
def test_other_pages_left_alone(monkeypatch: pytest.MonkeyPatch, path: str):
    monkeypatch.setattr(dh, "_directory", lambda: pytest.fail("no database read"))
    frontend, seen = _frontend()
    _, headers, body = _get(dh.directory_in_html(frontend), path)
    assert body == PAGE and b"cache-control" not in headers and seen == [("GET", path)]
