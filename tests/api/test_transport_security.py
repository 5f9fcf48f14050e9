"""Issue #12 (findings 1, 2 and 11): what a page of another origin can make a signed-in browser do,
the headers that pin the app to its public URL, the upload endpoint's limits, the local API docs.

The app here is the API wrapped the way ``mrasla_app.py`` wraps the whole backend (origin guard,
upload guard, security headers); ``tests/e2e/test_transport.py`` repeats the attacks on a real server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from mrasla_app.api import api_app
from mrasla_app.api.limits import upload_guard
from mrasla_app.api.security import origin_guard, security_headers
from mrasla_app.settings import get_settings
from tests.api.test_auth_and_directory import login

HOME = "http://localhost:3000"
FOREIGN = "http://localhost:8999"  # same site (SameSite cookies go), other origin


def _public(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("MRASLA_PUBLIC_URL", url)
    get_settings.cache_clear()


@pytest.fixture
def app_client(client, monkeypatch) -> Iterator[TestClient]:
    """The API as the server wraps it, reached at the public URL http://localhost:3000."""
    _public(monkeypatch, HOME)
    with TestClient(origin_guard(security_headers(api_app)), base_url=HOME) as c:
        yield c


def test_a_foreign_origin_reads_nothing_with_the_session_cookie(app_client, seeded):
    login(app_client, "clerk.mef@mrasla.ma")
    stolen = app_client.get("/api/v1/correspondence", headers={"Origin": FOREIGN})
    assert stolen.status_code == 403 and stolen.json()["error"] == "error.csrf"
    assert "items" not in stolen.text and "access-control-allow-origin" not in stolen.headers
    for origin in ("null", "http://localhost:3000.evil.example", "https://localhost:3000"):
        assert app_client.get("/api/v1/correspondence", headers={"Origin": origin}).status_code == 403, origin
    # The app's own pages (their origin, or its loopback twin) and non-browser clients still read it.
    for headers in ({"Origin": HOME}, {"Origin": "http://127.0.0.1:3000"}, {}):
        assert "items" in app_client.get("/api/v1/correspondence", headers=headers).json(), headers


def test_without_a_session_a_foreign_origin_still_reads_public_routes(app_client, seeded):
    r = app_client.get("/api/v1/administrations", headers={"Origin": FOREIGN})
    assert r.status_code == 200


def _socket_app() -> FastAPI:
    app = FastAPI()

    @app.websocket("/_event/")
    async def event(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text("0{}")
        await ws.close()

    return app


def test_a_websocket_from_a_foreign_origin_is_refused_before_it_opens(monkeypatch):
    _public(monkeypatch, HOME)
    client = TestClient(origin_guard(_socket_app()), base_url=HOME)
    for origin in (FOREIGN, "null", "http://evil.example"):
        with pytest.raises(WebSocketDisconnect) as refused:
            with client.websocket_connect("/_event/", headers={"Origin": origin}):
                pass
        assert refused.value.code == 1008
    with client.websocket_connect("/_event/", headers={"Origin": HOME}) as ws:
        assert ws.receive_text() == "0{}"


def test_allowed_origins_are_the_public_url_and_its_loopback_twins_only(monkeypatch):
    _public(monkeypatch, "https://Mrasla.gov.ma:443/portail/")
    assert get_settings().allowed_origins == {"https://mrasla.gov.ma"}
    monkeypatch.setenv("MRASLA_ALLOWED_ORIGINS", "https://www.mrasla.gov.ma")
    _public(monkeypatch, "https://mrasla.gov.ma")
    assert get_settings().allowed_origins == {"https://mrasla.gov.ma", "https://www.mrasla.gov.ma"}
    monkeypatch.delenv("MRASLA_ALLOWED_ORIGINS")
    _public(monkeypatch, "http://127.0.0.1:3000")
    assert get_settings().allowed_origins == {"http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"}


def test_rxconfig_gives_socketio_and_cors_the_same_origins(monkeypatch):
    import importlib

    import rxconfig

    _public(monkeypatch, "https://mrasla.gov.ma")
    assert list(importlib.reload(rxconfig).config.cors_allowed_origins) == ["https://mrasla.gov.ma"]


def _connect_src(headers) -> str:
    return next(d for d in headers["content-security-policy"].split("; ") if d.startswith("connect-src"))


def test_csp_sockets_only_to_the_app_and_hsts_behind_https(client, monkeypatch):
    _public(monkeypatch, "https://mrasla.gov.ma")
    r = TestClient(security_headers(api_app), base_url="https://mrasla.gov.ma").get("/healthz")
    assert _connect_src(r.headers) == "connect-src 'self' wss://mrasla.gov.ma"
    assert r.headers["strict-transport-security"].startswith("max-age=")
    _public(monkeypatch, HOME)
    r = TestClient(security_headers(api_app), base_url=HOME).get("/healthz")
    assert _connect_src(r.headers) == "connect-src 'self' ws://127.0.0.1:3000 ws://localhost:3000"
    assert "strict-transport-security" not in r.headers


def test_secure_session_cookie_behind_https(client, seeded, monkeypatch):
    from mrasla_app.services.platform.seed import DEMO_PASSWORD

    for url, secure in (("https://mrasla.gov.ma", True), (HOME, False)):
        _public(monkeypatch, url)
        with TestClient(api_app, base_url=url) as c:
            r = c.post("/api/v1/auth/login", json={"email": "clerk.mef@mrasla.ma", "password": DEMO_PASSWORD})
            cookie = c.post("/api/v1/auth/session", json=r.json()).headers["set-cookie"].lower()
        assert ("; secure" in cookie) is secure, url


def test_vary_lists_origin_once():
    from starlette.middleware.cors import CORSMiddleware

    def cors(app):
        return CORSMiddleware(app, allow_origins=[HOME], allow_credentials=True)

    inner = FastAPI()
    inner.get("/x")(lambda: {"ok": 1})
    stacked = cors(security_headers(cors(cors(inner))))  # as Reflex stacks them around the transformers
    for headers in ({"Origin": HOME}, {"Origin": FOREIGN}, {}):
        assert TestClient(stacked).get("/x", headers=headers).headers.get_list("vary") == ["Origin"], headers


def test_api_docs_use_only_local_files(app_client):
    page = app_client.get("/api/v1/docs")
    assert page.status_code == 200 and "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"):
        assert f"/api/v1/docs/assets/{asset}" in page.text
        assert app_client.get(f"/api/v1/docs/assets/{asset}").status_code == 200


def _upload_app() -> FastAPI:
    app = FastAPI()

    @app.post("/_upload")
    async def upload() -> dict:
        return {"ok": True}

    return app


def test_upload_endpoint_is_rate_limited_and_capped(monkeypatch):
    monkeypatch.setenv("MRASLA_UPLOADS_PER_MINUTE", "3")
    monkeypatch.setenv("MRASLA_MAX_UPLOAD_MB", "1")
    monkeypatch.setenv("MRASLA_MAX_FILES", "2")
    get_settings.cache_clear()
    client = TestClient(upload_guard(_upload_app()))
    too_big = client.post("/_upload", content=b"x" * (4 * 1024 * 1024))
    assert too_big.status_code == 413
    statuses = [client.post("/_upload", content=b"x").status_code for _ in range(4)]
    assert statuses[:2] == [200, 200] and statuses[-1] == 429  # the refused one above counted too
    assert client.post("/_upload", content=b"x").json()["error"] == "error.rate_limited"
