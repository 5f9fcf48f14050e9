"""The installable, offline-friendly PWA in a real browser: manifest and icons, an active service
worker with the precached shell, Chromium's installability check, the bilingual offline screen,
and a deposit draft typed on a phone that survives going offline and a reload, then is submitted
exactly once when the network returns (idempotency key), with its receipt shown."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import httpx
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, new_page
from tests.files import pdf_bytes

NUMBER = re.compile(r"^MEF/\d{4}/A/\d{6}$")
IDB_GET = """key => new Promise((resolve, reject) => {
  const open = indexedDB.open('mrasla-offline', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('kv');
  open.onsuccess = () => {
    const get = open.result.transaction('kv').objectStore('kv').get(key);
    get.onsuccess = () => resolve(get.result === undefined ? null : get.result);
    get.onerror = () => reject(get.error);
  };
  open.onerror = () => reject(open.error);
})"""


def _outbox(server: dict[str, object]) -> set[str]:
    box = Path(str(server["data_dir"])) / "outbox"
    return {p.name for p in box.glob("*.eml")} if box.exists() else set()


def _mine(server, names: set[str]) -> set[str]:
    """Those of ``names`` addressed to this test's depositor (other tests' mails share the outbox)."""
    box = Path(str(server["data_dir"])) / "outbox"
    return {n for n in names if "To: hors-ligne@example.ma" in (box / n).read_text(errors="replace")}


def _idb(page: Page, key: str) -> object:
    return page.evaluate(f"({IDB_GET})({json.dumps(key)})")


def _wait_idb(page: Page, key: str, check, timeout: float = 10) -> object:
    """Poll the IndexedDB entry ``key`` until ``check(value)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        value = _idb(page, key)
        if check(value):
            return value
        assert time.monotonic() < deadline, f"{key}: {value!r}"
        time.sleep(0.2)


def _wait_controlled(page: Page) -> None:
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=30_000)


def test_manifest_icons_and_cache_headers(base_url):
    manifest = httpx.get(f"{base_url}/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["cache-control"] == "no-cache"
    data = manifest.json()
    assert re.search(r"[\u0600-\u06FF]", data["name"]) and "Mrasla" in data["name"]  # Arabic and French
    assert data["translations"]["ar"]["name"] and data["short_name"]
    assert data["display"] == "standalone"
    assert data["start_url"].startswith("/") and data["scope"] == "/"
    assert data["theme_color"] == "#0f5c55" and data["background_color"]
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in data["icons"]:
        response = httpx.get(f"{base_url}{icon['src']}")
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        width, height = Image.open(io.BytesIO(response.content)).size
        assert f"{width}x{height}" == icon["sizes"]

    sw = httpx.get(f"{base_url}/sw.js")
    assert sw.status_code == 200 and sw.headers["cache-control"] == "no-cache"
    assert "javascript" in sw.headers["content-type"]
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", sw.text, re.S).group(1))
    assert "/offline.html" in precache and any(u.startswith("/assets/") and u.endswith(".js") for u in precache)
    for url in precache:  # generated from the build output: every entry exists
        assert httpx.get(f"{base_url}{url}").status_code == 200, url
    # The SW never handles the websocket, uploads, the API or health checks.
    for path in ("_event", "_upload", "api\\/", "healthz", "ping"):
        assert path in sw.text
    # Content-hashed bundle files are immutable; the API keeps its own policy.
    asset = next(u for u in precache if u.startswith("/assets/"))
    assert "immutable" in httpx.get(f"{base_url}{asset}").headers["cache-control"]
    assert httpx.get(f"{base_url}/offline.html").headers["cache-control"] == "no-cache"


def test_deposit_page_reaches_a_slow_phone_in_one_request(base_url):
    """What a phone gets first for /deposit: the page itself (no redirect to /deposit/), compressed,
    with its styles inline (no stylesheet to wait for), showing the wizard's first step with today's
    directory already in it (``deposit_html``: no loading notice, never kept by a shared cache); the
    Arabic face as a small WOFF. Without the staff pages' rules, the compressed page and its headers fit
    the first round trip of a new connection (TCP's initial window: 10 segments of 1,460 bytes)."""
    r = httpx.get(f"{base_url}/deposit", headers={"Accept-Encoding": "gzip"}, follow_redirects=False)
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    headers = sum(len(name) + len(value) + 4 for name, value in r.headers.raw) + len("HTTP/1.1 200 OK\r\n\r\n")
    assert r.num_bytes_downloaded + headers <= 10 * 1460
    assert r.headers["cache-control"] == "private, no-cache"
    head = httpx.head(f"{base_url}/deposit", headers={"Accept-Encoding": "br, gzip"})
    assert head.headers["content-encoding"] == "gzip" and head.headers["cache-control"] == "private, no-cache"
    html = r.text
    assert 'rel="stylesheet"' not in html and ".adm-card {" in html and ".reg-grid" not in html
    assert "/pwa/offline.js" in html and "/pwa/parapheur.js" not in html  # the signature book's helpers: staff only
    assert 'data-testid="deposit-search"' in html and 'data-testid="adm-loading"' in html
    assert '<code dir="ltr">MEF</code>' in html and "Finances</span>" in html
    assert "Chargement de la liste" not in html and "Aucune administration ne correspond" not in html
    font = httpx.get(f"{base_url}/fonts/web/arabic/NotoNaskhArabic-Bold.woff")
    assert font.status_code == 200 and font.content[:4] == b"wOFF" and len(font.content) < 60_000
    assert "/fonts/web/arabic/NotoNaskhArabic-Bold.woff" in html


def test_service_worker_active_and_installable(playwright, base_url, tmp_path):
    """A persistent (non-incognito) profile, as Chromium only offers installation there."""
    ctx = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, viewport=PHONE
    )
    try:
        page = ctx.new_page()
        page.goto(f"{base_url}/deposit")
        _wait_controlled(page)
        state = page.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)")
        assert state == "activated"
        cdp = ctx.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"].endswith("/manifest.webmanifest") and not manifest.get("errors")
        deadline = time.monotonic() + 20
        while True:
            errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
            if not errors or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert errors == []
        # The app shell is precached: the offline screen and the deposit page's bundle.
        cached = page.evaluate("""async () => {
            const urls = [];
            for (const name of await caches.keys())
                for (const req of await (await caches.open(name)).keys()) urls.push(new URL(req.url).pathname);
            return urls;
        }""")
        assert "/offline.html" in cached and any(re.match(r"/assets/_deposit_\._index-.*\.js", u) for u in cached)
        assert not any(u.startswith(("/api/", "/_event", "/_upload")) for u in cached)
    finally:
        ctx.close()


def test_offline_screen_on_other_pages_is_bilingual(browser, base_url):
    page = new_page(browser, PHONE, lang="ar")
    try:
        page.goto(f"{base_url}/track")
        _wait_controlled(page)
        page.context.set_offline(True)
        page.reload()
        screen = page.get_by_test_id("offline-screen")
        expect(screen).to_be_visible()
        expect(screen.locator('[lang="ar"] h1')).to_have_text("أنت غير متصل بالإنترنت")
        expect(screen.locator('[lang="fr"] h1')).to_have_text("Vous êtes hors ligne")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.context.set_offline(False)  # the page comes back by itself
        expect(page.get_by_test_id("offline-screen")).to_have_count(0, timeout=20_000)
    finally:
        page.context.close()


def test_offline_draft_survives_reload_and_is_submitted_once(browser, base_url, server, tmp_path):
    letter = tmp_path / "lettre.pdf"
    letter.write_bytes(pdf_bytes(1))
    page = new_page(browser, PHONE)
    try:
        page.goto(f"{base_url}/deposit")
        _wait_controlled(page)
        # Online, in the Reflex wizard: the draft is mirrored into IndexedDB as the citizen types.
        expect(page.get_by_test_id("adm-result").first).to_be_visible()
        page.locator('[data-testid="adm-result"][data-code="MEF"]').click()
        expect(page.get_by_test_id("adm-chosen")).to_be_visible()
        page.get_by_test_id("deposit-next-1").click()
        page.locator("#deposit-full_name").fill("Fatima Zahra Alaoui")
        page.locator("#deposit-id_value").fill("AB123456")
        page.locator("#deposit-email").fill("hors-ligne@example.ma")
        page.get_by_test_id("deposit-next-2").click()
        page.locator("#deposit-subject").fill("Demande hors ligne")
        page.locator('[data-testid="deposit-files"] input[type="file"]').set_input_files(str(letter))
        expect(page.get_by_test_id("deposit-file")).to_have_count(1)
        _wait_idb(page, "draft", lambda d: d and d["fields"].get("subject") == "Demande hors ligne")
        _wait_idb(page, "draft-files", lambda f: f and len(f) == 1)

        # The network goes; a reload shows the offline screen with the draft (fields AND file).
        page.context.set_offline(True)
        page.reload()
        expect(page.get_by_test_id("offline-screen")).to_be_visible()
        expect(page.get_by_test_id("offline-deposit")).to_be_visible()
        expect(page.locator("#offline-full_name")).to_have_value("Fatima Zahra Alaoui")
        expect(page.locator("#offline-id_value")).to_have_value("AB123456")
        expect(page.locator("#offline-subject")).to_have_value("Demande hors ligne")
        expect(page.locator("#offline-administration")).to_have_value("MEF")
        expect(page.get_by_test_id("offline-file")).to_have_count(1)
        expect(page.get_by_test_id("offline-file")).to_contain_text("lettre.pdf")
        page.locator("#offline-message").fill("Écrit sans réseau.")
        _wait_idb(page, "draft", lambda d: d["fields"].get("message") == "Écrit sans réseau.")
        # A second reload while still offline: still there.
        page.reload()
        expect(page.locator("#offline-message")).to_have_value("Écrit sans réseau.")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        mails_before = _outbox(server)
        page.get_by_test_id("offline-send").click()
        expect(page.get_by_test_id("offline-queued")).to_be_visible()
        key = _wait_idb(page, "draft", lambda d: d["queued"])["key"]
        time.sleep(1)
        assert not _mine(server, _outbox(server) - mails_before)  # nothing left the phone yet

        # Back online: submitted once, receipt shown.
        page.context.set_offline(False)
        number_el = page.get_by_test_id("offline-deposit-number")
        expect(number_el).to_be_visible(timeout=60_000)
        number = number_el.inner_text().strip()
        assert NUMBER.match(number), number
        # Sent: "you are offline" no longer sits above the confirmation; the number is on one line.
        expect(page.locator("[data-testid=offline-title]:visible")).to_have_count(0)
        lines = "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length; }"
        assert number_el.evaluate(lines) == 1
        link = page.get_by_test_id("offline-receipt-link").get_attribute("href")
        assert "/receipt.pdf?k=" in link
        assert httpx.get(link if link.startswith("http") else f"{base_url}{link}").content.startswith(b"%PDF")
        _wait_idb(page, "draft", lambda d: d is None)  # the draft is gone
        deadline = time.monotonic() + 20
        while len(_mine(server, _outbox(server) - mails_before)) < 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(_mine(server, _outbox(server) - mails_before)) == 1

        # A retry of the same submission (lost answer, second tab…) returns the same deposit.
        again = httpx.post(
            f"{base_url}/api/v1/deposits",
            headers={"Idempotency-Key": key},
            data={
                "administration": "MEF",
                "full_name": "Fatima Zahra Alaoui",
                "id_kind": "CIN",
                "id_value": "AB123456",
                "email": "hors-ligne@example.ma",
                "subject": "Demande hors ligne",
                "message": "Écrit sans réseau.",
            },
            files=[("files", ("lettre.pdf", letter.read_bytes(), "application/pdf"))],
            timeout=60,
        )
        assert again.status_code in (200, 201), again.text
        assert again.json()["registry_number"] == number
        time.sleep(1)
        assert len(_outbox(server) - mails_before) == 1

        # The receipt stays on screen after a reload (online), and the wizard is free again.
        page.reload()
        expect(page.get_by_test_id("offline-deposit-number")).to_have_text(number)
    finally:
        page.context.close()


def test_agent_sees_disconnected_then_reconnected(browser, base_url):
    from tests.e2e.test_shell import login

    page = new_page(browser, {"width": 820, "height": 1180}, lang="fr")
    try:
        login(page, base_url, "agent.mef@mrasla.ma")
        page.context.set_offline(True)
        status = page.get_by_test_id("connection-status")
        expect(status).to_have_attribute("data-state", "down")
        expect(status).to_contain_text("Connexion perdue")
        page.context.set_offline(False)
        expect(status).to_have_attribute("data-state", "up", timeout=20_000)
        expect(status).to_contain_text("Connexion rétablie")
    finally:
        page.context.close()
