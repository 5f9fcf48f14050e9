"""The receipt's verdict put into the first HTML of ``/verify/<reference>`` (issue 19, slow phones)."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime

import pytest

from mrasla_app.services.portal.verification import VerifiedDocument, VerifiedReceipt
from mrasla_app.ui.pages.portal import verify_receipt as vr

SHELL = b'<!DOCTYPE html><html lang="fr"><head></head><body><section></section><div id="mr-conn"></div></body></html>'
PRERENDERED = (
    b'<body><div class="app-shell"><header class="site-header"><a class="brand" data-testid="brand" href="/">M</a>'
    b'<div id="lang-switch" data-testid="lang-switch"></div></header><main></main></div></body>'
)


def _found(**kw) -> VerifiedReceipt:
    return VerifiedReceipt(
        registry_number="MEF/2026/A/000001",
        reference="MEF-2026-A-000001",
        administration_ar="وزارة <المالية>",
        administration_fr="Ministère <des Finances>",
        unit_ar="",
        unit_fr="",
        registered_at=datetime(2026, 12, 5, 10, 0, tzinfo=UTC),
        subject="Objet secret <b>",
        depositor_id="CIN AB****56",
        documents=(VerifiedDocument("r.pdf", "receipt", 1, 10, "ab" * 32),),
        **kw,
    )


def _frontend(status: int = 200, body: bytes = SHELL):
    seen: list[str] = []

    async def app(scope, receive, send):
        seen.append(scope["path"])
        page = PRERENDERED if scope["path"] == "/verify/" else body
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": page})

    return app, seen


def _get(app, path: str, query: bytes, encoding: bytes = b"gzip") -> tuple[int, dict[bytes, bytes], bytes]:
    out: dict = {}
    chunks: list[bytes] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"], out["headers"] = message["status"], dict(message["headers"])
        else:
            chunks.append(message.get("body", b""))

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [(b"accept-encoding", encoding)],
        "client": ("203.0.113.9", 1234),
    }
    asyncio.run(app(scope, receive, send))
    body = b"".join(chunks)
    if out["headers"].get(b"content-encoding") == b"gzip":
        body = gzip.decompress(body)
    return out["status"], out["headers"], body


def test_verdict_html_authentic_shows_only_the_receipts_facts_escaped():
    block = vr.verdict_html(_found()).decode()
    assert block.startswith(f"<{vr.SHELL_TAG} ") and block.endswith(f"</{vr.SHELL_TAG}>")
    assert "verdict verdict-ok" in block and "Authentique" in block and "أصلي" in block
    assert "MEF/2026/A/000001" in block and "Ministère &lt;des Finances&gt;" in block
    assert "<des Finances>" not in block
    # no test id or id: the app's own elements stay the only ones tests and scripts find
    assert 'data-testid="' not in block and " id=" not in block
    assert "Objet secret" not in block and "AB****56" not in block  # the rest comes with the app


def test_verdict_html_not_found():
    block = vr.verdict_html(None).decode()
    assert "verdict verdict-bad" in block and "Non authentique" in block


def test_site_header_drops_ids_and_test_ids():
    header = vr._site_header(PRERENDERED)
    assert header.startswith(b'<header class="site-header"') and header.endswith(b"</header>")
    assert b"data-testid" not in header and b"id=" not in header


def test_transformer_puts_the_verdict_into_the_shell(monkeypatch: pytest.MonkeyPatch):
    calls = []
    monkeypatch.setattr(vr, "_lookup_public", lambda *a: calls.append(a) or _found())
    monkeypatch.setattr(vr, "_header_cache", {})
    frontend, seen = _frontend()
    status, headers, body = _get(vr.verdict_in_html(frontend), "/verify/MEF-2026-A-000001", b"t=tok")
    assert status == 200 and headers[b"cache-control"] == b"private, no-cache"
    assert calls == [("MEF-2026-A-000001", "tok", "")]
    assert body.index(b"<mr-verdict") == body.index(b"<body>") + len(b"<body>")
    assert b'<header class="site-header">' in body and b"verdict-ok" in body
    assert int(headers[b"content-length"]) > 0


@pytest.mark.parametrize(
    ("path", "query"),
    [("/verify", b"t=tok"), ("/verify/X/extra", b"t=tok"), ("/verify/X", b""), ("/track/X", b"k=tok")],
)
def test_transformer_leaves_other_requests_alone(monkeypatch: pytest.MonkeyPatch, path: str, query: bytes):
    monkeypatch.setattr(vr, "_lookup_public", lambda *a: pytest.fail("no lookup"))
    frontend, _ = _frontend()
    _, headers, body = _get(vr.verdict_in_html(frontend), path, query)
    assert body == SHELL and b"cache-control" not in headers


def test_transformer_passes_a_non_html_or_failed_answer_through(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(vr, "_lookup_public", lambda *a: pytest.fail("no lookup"))
    frontend, _ = _frontend(status=404)
    status, _, body = _get(vr.verdict_in_html(frontend), "/verify/X", b"t=tok")
    assert status == 404 and body == SHELL
