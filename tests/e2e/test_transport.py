"""Issue #12 on the real production server: cross-site websocket hijacking and credentialed reads from
another port of the same host (finding 1), upload memory exhaustion (finding 2), the API docs offline
under the CSP (finding 11)."""

from __future__ import annotations

import base64
import http.server
import io
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import psutil
import pytest
from playwright.sync_api import Browser

from tests.e2e.conftest import DESKTOP, _free_port, new_page
from tests.e2e.test_shell import login

ATTACK_PAGE = """<!doctype html><meta charset="utf-8"><title>attack</title><script>
window.results = {};
fetch("%(base)s/api/v1/correspondence", {credentials: "include"})
  .then(r => r.text()).then(t => { window.results.fetch = "read:" + t; })
  .catch(e => { window.results.fetch = "blocked"; });
const ws = new WebSocket("%(ws)s/_event/?EIO=4&transport=websocket");
ws.onmessage = e => { window.results.ws = "open:" + e.data; };
ws.onerror = () => { window.results.ws = window.results.ws || "refused"; };
</script>"""


@pytest.fixture
def foreign_site(base_url: str) -> Iterator[str]:
    """A page served from another port of the same host: the same site for SameSite cookies, another
    origin for the browser."""
    page = (ATTACK_PAGE % {"base": base_url, "ws": base_url.replace("http://", "ws://")}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *_args) -> None:
            pass

    port = _free_port()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://localhost:{port}"
    httpd.shutdown()


def test_a_page_on_another_port_gets_nothing_from_a_signed_in_clerk(browser: Browser, base_url, foreign_site):
    page = new_page(browser, DESKTOP)
    login(page, base_url, "clerk.mef@mrasla.ma")
    own = page.evaluate("fetch('/api/v1/correspondence', {credentials: 'include'}).then(r => r.status)")
    assert own == 200  # the app's own page reads the inbox
    page.goto(foreign_site)
    page.wait_for_function("window.results.fetch && window.results.ws", timeout=15_000)
    results = page.evaluate("window.results")
    assert results == {"fetch": "blocked", "ws": "refused"}, results
    page.context.close()


def _cookie(base_url: str, email: str) -> str:
    from mrasla_app.services.platform.seed import DEMO_PASSWORD, demo_totp

    with httpx.Client(base_url=base_url, timeout=30) as c:
        ticket = c.post(
            "/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD, "totp": demo_totp(email, base_url)}
        )
        return c.post("/api/v1/auth/session", json=ticket.json()).cookies["mrasla_session"]


def _handshake(base_url: str, origin: str, cookie: str) -> tuple[int, bytes]:
    """A raw websocket handshake on ``/_event`` as a browser makes it: (HTTP status, what came back;
    for an accepted one, up to engine.io's open packet)."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(
            (
                f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                f"Origin: {origin}\r\nCookie: {cookie}\r\n\r\n"
            ).encode()
        )
        data = b""
        while b"\r\n\r\n" not in data or (data.startswith(b"HTTP/1.1 101") and b"0{" not in data):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1]), data


def test_the_event_socket_opens_only_for_the_apps_own_origin(base_url):
    """The raw handshake a hostile page makes, with the victim's cookie (same site: it is sent)."""
    cookie = f"mrasla_session={_cookie(base_url, 'admin.mef@mrasla.ma')}"
    port = base_url.rsplit(":", 1)[1]
    for origin in ("http://localhost:8999", "null", "http://evil.example", f"https://localhost:{port}"):
        status, answer = _handshake(base_url, origin, cookie)
        assert status == 403 and b"0{" not in answer, origin
    for origin in (base_url, f"http://127.0.0.1:{port}"):
        status, answer = _handshake(base_url, origin, cookie)
        assert status == 101 and b"0{" in answer, origin  # engine.io's open packet


def test_credentialed_reads_from_another_origin_are_refused(base_url):
    cookie = {"mrasla_session": _cookie(base_url, "clerk.mef@mrasla.ma")}
    with httpx.Client(base_url=base_url, cookies=cookie, timeout=30) as c:
        stolen = c.get("/api/v1/correspondence", headers={"Origin": "http://localhost:8999"})
        assert stolen.status_code == 403 and stolen.json()["error"] == "error.csrf"
        assert "access-control-allow-origin" not in stolen.headers
        preflight = c.options(
            "/api/v1/correspondence",
            headers={"Origin": "http://localhost:8999", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in preflight.headers
        own = c.get("/api/v1/correspondence", headers={"Origin": base_url})
        assert own.status_code == 200 and "items" in own.json()
        assert own.headers.get("access-control-allow-origin") == base_url
        assert own.headers.get_list("vary") == ["Origin"]  # not "Origin, Origin, Origin"


def _big_pdf(size_mb: int) -> bytes:
    """A valid one-page PDF of about ``size_mb`` MB (an incompressible image)."""
    from fpdf import FPDF
    from PIL import Image

    side = int((size_mb * 1024 * 1024 / 3) ** 0.5)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)), x=10, y=10, w=100)
    return bytes(pdf.output())


def _server_rss(pid: int) -> int:
    """Resident memory of the server's whole process group (reflex, granian and its workers)."""
    group = os.getpgid(pid)
    total = 0
    for proc in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(proc.pid) == group:
                total += proc.memory_info().rss
        except (psutil.Error, ProcessLookupError):
            pass
    return total


def test_many_large_uploads_do_not_stay_in_server_memory(server):
    """The attack of the report: five wizard uploads of 10 large valid PDFs under fresh client tokens,
    straight to ``/_upload`` without a page or socket. What is accepted lies on disk in the private
    spool, within one wizard's quota (a client that never connected has no session of its own: all
    such share one), the rest is refused while it is copied, and the server's memory comes back."""
    from mrasla_app.i18n import translate
    from mrasla_app.ui.pages.portal.deposit import DepositState

    base, pid, data_dir = str(server["base_url"]), int(server["pid"]), server["data_dir"]
    handler = f"{DepositState.get_full_name()}.add_files"
    letter = _big_pdf(12)

    def upload(count: int) -> str:
        files = [("files", (f"lettre-{i}.pdf", io.BytesIO(letter), "application/pdf")) for i in range(count)]
        r = httpx.post(
            f"{base}/_upload",
            files=files,
            timeout=300,
            headers={"Reflex-Client-Token": str(uuid.uuid4()), "Reflex-Event-Handler": handler, "Origin": base},
        )
        assert r.status_code == 200, r.text[:500]
        return r.text

    spool_dir = data_dir / "spool"
    earlier = {p for p in spool_dir.rglob("*") if p.is_file()}  # other tests' tabs share the server
    assert "lettre-0.pdf" in upload(1)  # accepted; warms up what an upload needs
    time.sleep(2)
    before = _server_rss(pid)
    answers = [upload(10) for _ in range(5)]
    time.sleep(3)
    grown = _server_rss(pid) - before
    assert grown < 150 * 2**20, (
        f"the server grew by {grown / 2**20:.0f} MB for {50 * len(letter) / 2**20:.0f} MB uploaded"
    )
    spooled = [p for p in spool_dir.rglob("*") if p.is_file() and p not in earlier]
    quota = 10 * 20 * 2**20  # MRASLA_MAX_FILES × MRASLA_MAX_UPLOAD_MB
    assert len(spooled) == quota // len(letter) and all(p.stat().st_mode & 0o077 == 0 for p in spooled)
    assert "lettre-9.pdf" in answers[0]  # the first ten were listed by the wizard
    assert translate("error.spool_quota", "fr") in answers[-1]


def test_api_docs_render_offline_under_the_csp(browser: Browser, base_url):
    page = new_page(browser, DESKTOP)
    outside: list[str] = []
    violations: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base_url) else None)
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{base_url}/api/v1/docs")
    page.locator(".swagger-ui .info .title").filter(has_text="Mrasla API").wait_for(timeout=30_000)
    assert page.locator(".opblock").count() > 10  # the operations are listed
    assert outside == [] and violations == []
    page.context.close()
