"""The citizen portal in a real browser on a phone: deposit → sealed receipt → QR → verification,
tampering detection, tracking, and a refused deposit that registers nothing."""

from __future__ import annotations

import email
import email.policy
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from mrasla_app.i18n import catalog
from tests.e2e.conftest import PHONE, ROOT, new_page
from tests.files import jpeg_bytes, pdf_bytes

AR, FR = catalog("ar"), catalog("fr")

NUMBER = re.compile(r"^MEF/\d{4}/A/\d{6}$")
ARABIC = re.compile(r"[\u0600-\u06FF]")


def _outbox(server: dict[str, object]) -> set[str]:
    box = Path(str(server["data_dir"])) / "outbox"
    return {p.name for p in box.glob("*.eml")} if box.exists() else set()


def _choose_mef(page: Page, base_url: str, search: str) -> None:
    page.goto(f"{base_url}/deposit")
    expect(page.get_by_test_id("adm-result").first).to_be_visible()
    page.locator("#deposit-search").fill(search)
    expect(page.locator('[data-testid="adm-result"][data-code="CRB"]')).to_have_count(0)
    page.locator('[data-testid="adm-result"][data-code="MEF"]').click()
    expect(page.get_by_test_id("adm-chosen")).to_be_visible()


def _identity(page: Page, cin: str) -> None:
    page.locator("#deposit-full_name").fill("فاطمة الزهراء العلوي")
    page.locator("#deposit-id_value").fill(cin)
    page.locator("#deposit-email").fill("citoyenne@example.ma")
    page.get_by_test_id("deposit-next-2").click()


def test_deposit_receipt_qr_verification_and_tracking(browser, base_url, server, tmp_path):
    letter, photo = tmp_path / "lettre.pdf", tmp_path / "photo.jpg"
    letter.write_bytes(pdf_bytes(2))
    photo.write_bytes(jpeg_bytes())
    mails_before = _outbox(server)  # other tests share the server and its outbox
    page = new_page(browser, PHONE, lang="ar")
    try:
        _choose_mef(page, base_url, "المالية")  # Arabic search over the public directory
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        page.locator("#deposit-unit").select_option(index=1)
        page.get_by_test_id("deposit-next-1").click()

        _identity(page, "AB123456")
        page.locator("#deposit-subject").fill("طلب شهادة إدارية")
        page.locator("#deposit-message").fill("السلام عليكم،\nأرجو تسليمي الشهادة المطلوبة.")
        page.locator('[data-testid="deposit-files"] input[type="file"]').set_input_files([str(letter), str(photo)])
        expect(page.get_by_test_id("deposit-file")).to_have_count(2)
        expect(page.get_by_test_id("deposit-file-name")).to_have_text(["lettre.pdf", "photo.jpg"])
        page.get_by_test_id("deposit-next-3").click()

        submit = page.get_by_test_id("deposit-submit")
        expect(submit).to_be_visible()
        submit.dblclick()  # a double click must not deposit twice (checked with the outbox below)
        page.wait_for_url(f"{base_url}/deposit/done", timeout=60_000)
        number = page.get_by_test_id("deposit-number").inner_text().strip()
        assert NUMBER.match(number), number
        expect(page.get_by_test_id("deposit-emailed")).to_be_visible()
        box = Path(str(server["data_dir"])) / "outbox"
        receipt_subject = FR["mail.deposit.subject"].split("{")[0].strip()
        mails = [  # other tests' messages, to the same citizen too (an answer), may be delivered meanwhile
            email.message_from_bytes((box / n).read_bytes(), policy=email.policy.default)
            for n in _outbox(server) - mails_before
        ]
        mine = [m for m in mails if m["To"] == "citoyenne@example.ma" and receipt_subject in str(m["Subject"])]
        assert len(mine) == 1  # one deposit, one receipt e-mail
        mail = mine[0]
        first_part = mail.get_body().get_content().split("————————")[0]
        assert ARABIC.search(first_part), first_part  # the depositor's interface language comes first

        with page.expect_download() as info:
            page.get_by_test_id("receipt-download").click()
        receipt = tmp_path / "receipt.pdf"
        info.value.save_as(receipt)

        sig = subprocess.run(["pdfsig", str(receipt)], capture_output=True, text=True)
        assert "Signature is Valid" in sig.stdout, sig.stdout + sig.stderr
        assert "Total document signed" in sig.stdout, sig.stdout
        assert subprocess.run(["qpdf", "--check", str(receipt)], capture_output=True).returncode == 0
        subprocess.run(["pdftoppm", "-r", "150", "-png", str(receipt), str(tmp_path / "page")], check=True)
        image = sorted(tmp_path.glob("page*.png"))[0]
        url = subprocess.run(
            ["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True, check=True
        ).stdout.strip()
        assert url.startswith(f"{base_url}/verify/"), url

        # The tracking link of the receipt page shows the "deposited" milestone.
        page.get_by_test_id("tracking-link").click()
        expect(page.locator('[data-testid="track-milestone"][data-key="track.event.deposited"]')).to_be_visible()
        expect(page.get_by_test_id("track-number")).to_have_text(number)
        expect(page.get_by_test_id("track-status")).to_have_attribute("data-status", "to_qualify")

        # The QR code opens the public verification page: authentic, same number.
        page.goto(url)
        verdict = page.get_by_test_id("verify-verdict")
        expect(verdict).to_have_attribute("data-verdict", "authentic")
        expect(verdict).to_contain_text("أصلي")
        expect(page.get_by_test_id("verify-number")).to_have_text(number)
        expect(page.get_by_test_id("verify-sha256")).to_have_count(3)  # receipt + two attachments
        # The original photo matches a line of the receipt.
        page.locator('[data-testid="verify-attachment"] input[type="file"]').set_input_files(str(photo))
        expect(page.get_by_test_id("attachment-result")).to_contain_text("photo.jpg")

        # The genuine receipt passes the PDF check; one changed byte makes it "not authentic".
        page.goto(f"{base_url}/verify")
        upload = page.locator('[data-testid="verify-pdf"] input[type="file"]')
        upload.set_input_files(str(receipt))
        expect(page.get_by_test_id("verify-verdict")).to_have_attribute("data-verdict", "authentic")
        data = bytearray(receipt.read_bytes())
        middle = len(data) // 2
        data[middle] = (data[middle] + 1) % 256
        tampered = tmp_path / "tampered.pdf"
        tampered.write_bytes(bytes(data))
        page.goto(f"{base_url}/verify")
        upload = page.locator('[data-testid="verify-pdf"] input[type="file"]')
        upload.set_input_files(str(tampered))
        verdict = page.get_by_test_id("verify-verdict")
        expect(verdict).to_have_attribute("data-verdict", "not-authentic")
        expect(verdict).to_contain_text("غير أصلي")
    finally:
        page.context.close()


def test_bad_cin_is_refused_in_both_languages_and_registers_nothing(browser, base_url, server):
    before = _outbox(server)
    page = new_page(browser, PHONE, lang="fr")
    try:
        _choose_mef(page, base_url, "economie")  # French, without the accent
        page.get_by_test_id("deposit-next-1").click()
        _identity(page, "12-AB")
        error = page.locator("#deposit-id_value-error")
        expect(error).to_be_visible()
        expect(error).to_have_attribute("role", "alert")
        expect(error).to_contain_text("CIN invalide")
        expect(page.locator("#deposit-id_value")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_test_id("deposit-wizard")).to_have_attribute("data-step", "2")
        page.get_by_test_id("lang-ar").click()  # the same message, live, in Arabic
        expect(error).to_contain_text("رقم البطاقة الوطنية")
        assert ARABIC.search(error.inner_text())
        receipt_mail = FR["mail.deposit.subject"].split("{")[0].strip()  # other tests' mails may arrive meanwhile
        box = Path(str(server["data_dir"])) / "outbox"
        subjects = [
            str(email.message_from_bytes((box / n).read_bytes(), policy=email.policy.default)["Subject"])
            for n in _outbox(server) - before
        ]
        assert not [s for s in subjects if receipt_mail in s]  # nothing registered, no receipt sent
    finally:
        page.context.close()


# --- the answer reaches the citizen; tracking codes; typing while the page hydrates; draft banner ----


def _answered(server: dict[str, object]) -> dict[str, str]:
    """A deposit answered through the signature book and sent back, made in the server's data directory."""
    out = subprocess.run(
        [sys.executable, "-m", "tests.answered"],
        cwd=ROOT,
        env=server["env"],  # type: ignore[arg-type]
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _new_messages(server: dict[str, object], before: set[str], suffix: str, to: str = "") -> list[Path]:
    """The new messages (addressed to ``to`` when given: other tests' mails share the outbox)."""
    box = Path(str(server["data_dir"])) / "outbox"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # codes are delivered in the background
        new = sorted(
            p
            for p in box.glob(f"*{suffix}")
            if p.name not in before and (not to or f"To: {to}" in p.read_text(errors="replace"))
        )
        if new:
            return new
        time.sleep(0.2)
    return []


def _code_in(text: str) -> str:
    return re.search(r"[:：]\s*(\d{6})\b", text).group(1)  # "… est : 123456" (the number has 6 digits too)


def _read_mail(path: Path) -> tuple[str, str]:
    msg = email.message_from_bytes(path.read_bytes())
    return str(msg["To"]), msg.get_payload(decode=True).decode()


def test_the_signed_answer_is_downloaded_and_verified_from_the_tracking_link(browser, server, tmp_path):
    """The e-mail's tracking link (phone, Arabic): the answer has a download button (a valid signed PDF)
    and a "verify" link whose page says it is a signed document, names its signatories in Arabic, the
    letter it answers and its status, and recognises the downloaded copy."""
    done = _answered(server)
    page = new_page(browser, PHONE, lang="ar")
    try:
        page.goto(done["tracking_url"])
        expect(page.get_by_test_id("track-answer")).to_have_count(1)
        download = page.get_by_test_id("track-answer-download")
        expect(download).to_have_text(AR["citizen.answer_download"])
        with page.expect_download() as info:
            download.click()
        answer = tmp_path / "answer.pdf"
        info.value.save_as(answer)
        assert info.value.suggested_filename == f"{done['folder']}.pdf"
        sig = subprocess.run(["pdfsig", str(answer)], capture_output=True, text=True)
        assert sig.stdout.count("Signature is Valid.") == 2, sig.stdout + sig.stderr

        page.get_by_test_id("track-answer-verify").click()
        expect(page.get_by_test_id("page-title")).to_have_text(AR["citizen.verify_signed_title"])
        expect(page.get_by_test_id("page-title")).to_have_attribute("data-kind", "signed")
        expect(page.get_by_test_id("verify-verdict")).to_have_attribute("data-verdict", "authentic")
        expect(page.get_by_test_id("verify-number")).to_have_text(done["folder"])
        expect(page.get_by_test_id("verify-belongs-to")).to_have_text(done["number"])
        expect(page.get_by_test_id("verify-status")).to_have_attribute("data-status", "answered")
        expect(page.get_by_test_id("verify-signatory")).to_have_count(2)
        assert ARABIC.search(page.get_by_test_id("verify-signatory-name").first.inner_text())
        expect(page.get_by_test_id("verify-depositor")).to_have_count(0)
        expect(page.get_by_test_id("verify-check-hint")).to_have_text(AR["citizen.verify_copy_hint"])
        page.locator('[data-testid="verify-attachment"] input[type="file"]').set_input_files(str(answer))
        expect(page.get_by_test_id("attachment-result")).to_have_text(AR["citizen.verify_copy_match"])

        # The receipt's own QR page stays a receipt: its title, the depositor's id with an Arabic label.
        page.goto(done["verify_url"])
        expect(page.get_by_test_id("page-title")).to_have_attribute("data-kind", "receipt")
        expect(page.get_by_test_id("verify-depositor")).to_contain_text(AR["citizen.id_short.CIN"])
        expect(page.get_by_test_id("verify-depositor")).not_to_contain_text("CIN")
    finally:
        page.context.close()


def test_a_tracking_code_from_the_outbox_is_accepted_first_try(browser, server):
    """Ask for a code, switch to the mail app (the page is hidden, its socket reconnects), read the code
    from the outbox and type it: the tracking view opens at once, with the answer's download button.
    Asked with the phone number, the code goes by SMS (an .sms file), never as an e-mail to a phone; a tab
    whose server state was lost meanwhile comes back at the code step."""
    done = _answered(server)
    base_url = str(server["base_url"])
    page = new_page(browser, PHONE, lang="fr")
    try:
        page.goto(f"{base_url}/track")
        before = {p.name for p in (Path(str(server["data_dir"])) / "outbox").glob("*")}
        page.locator("#track-number").fill(done["number"])
        page.locator("#track-contact").fill("Salma@Example.ma")
        page.get_by_test_id("track-send").click()
        expect(page.get_by_test_id("track-code-sent")).to_be_visible()
        page.evaluate("""() => {  // the user opens their mail app, then comes back
            Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
            document.dispatchEvent(new Event('visibilitychange'));
            window.dispatchEvent(new Event('pagehide'));
            Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});
            document.dispatchEvent(new Event('visibilitychange'));
        }""")
        (mail,) = _new_messages(server, before, ".eml", to="salma@example.ma")
        to, body = _read_mail(mail)
        assert to == "salma@example.ma"
        expect(page.locator("#track-code")).to_be_visible()  # still the code step after the reconnect
        page.locator("#track-code").fill(_code_in(body))
        # the socket's reconnection re-renders the page once it is through (slow on a loaded machine)
        page.get_by_test_id("track-confirm").click(timeout=60_000)
        expect(page.get_by_test_id("track-number")).to_have_text(done["number"], timeout=30_000)
        expect(page.get_by_test_id("form-error")).to_have_count(0)
        link = page.get_by_test_id("track-answer-download")
        expect(link).to_have_text(FR["citizen.answer_download"])
        pdf = httpx.get(base_url + link.get_attribute("href"), timeout=30)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")

        page.get_by_test_id("track-restart").click()
        before = {p.name for p in (Path(str(server["data_dir"])) / "outbox").glob("*")}
        page.locator("#track-number").fill(done["number"])
        page.locator("#track-contact").fill("06 00 00 00 00")  # given at deposit as +212600000000
        page.get_by_test_id("track-send").click()
        (sms,) = _new_messages(server, before, ".sms")
        text = sms.read_text()
        assert text.startswith("To: +212600000000\n")
        assert not [p for p in _new_messages(server, before, ".eml") if "+212" in _read_mail(p)[0]]
        # The server has forgotten this tab (Reflex gives a phone that returns on a new connection, before the
        # old one timed out, a fresh state): the code step comes back from the tab's own storage.
        page.evaluate("() => window.sessionStorage.setItem('token', crypto.randomUUID())")
        page.reload()
        expect(page.get_by_test_id("track-code-sent")).to_be_visible()
        page.locator("#track-code").fill(_code_in(text))
        page.get_by_test_id("track-confirm").click()
        expect(page.get_by_test_id("track-number")).to_have_text(done["number"])
    finally:
        page.context.close()


def _typed_while_hydrating(browser: Browser, url: str, selector: str, text: str, lang: str = "fr") -> str:
    """Type into ``selector`` as soon as it exists, on a CPU slowed 4×, and read it once hydrated."""
    page = new_page(browser, PHONE, lang=lang)
    try:
        page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
        page.goto(url, wait_until="commit")
        page.locator(selector).press_sequentially(text, delay=0)
        page.wait_for_load_state("load")
        page.wait_for_timeout(3000)  # past hydration (1.5-1.9 s at 4×) and its on_load
        return page.locator(selector).input_value()
    finally:
        page.context.close()


def test_nothing_typed_during_hydration_is_lost(browser, base_url):
    for path, selector, text in (
        ("/deposit", "#deposit-search", "economie"),
        ("/track", "#track-number", "MEF/2026/A/000001"),
        ("/track", "#track-contact", "salma@example.ma"),
        ("/login", "#login-email", "agent@mrasla.ma"),
    ):
        assert _typed_while_hydrating(browser, f"{base_url}{path}", selector, text) == text, path


def test_the_directory_paints_with_the_page_and_the_apps_list_replaces_it(browser, base_url):
    """``deposit_html``: the server's cards show before hydration (no loading notice), in the page's language;
    the app's own list takes their place in one commit (never both on screen), with no hydration error."""
    page = new_page(browser, PHONE, lang="ar")
    logs: list[str] = []
    page.on("console", lambda m: logs.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: logs.append(str(e)))
    page.add_init_script(
        "new MutationObserver(() => { if (document.querySelector('[data-testid=adm-loading] .adm-card') &&"
        " document.querySelector('[data-testid=adm-result]')) window.__both = true; })"
        ".observe(document, {childList: true, subtree: true});"
    )
    held = []  # the app's code waits until the page as served has been looked at
    page.route("**/assets/entry.client*", lambda route: held.append(route))
    try:
        page.goto(f"{base_url}/deposit", wait_until="commit")
        expect(page.locator("[data-testid=adm-loading] .adm-card").first).to_be_visible()
        # before hydration the page is French (the app's shell), and so are the names: no mixed page
        assert "Finances" in page.locator("main").inner_text() and not ARABIC.search(page.locator("main").inner_text())
        assert page.get_by_test_id("adm-result").count() == 0
        while not held:  # asked for since the <head>: at the latest while the list was painted
            page.wait_for_timeout(50)
        held[0].continue_()
        expect(page.get_by_test_id("adm-result").first).to_be_visible()
        expect(page.get_by_test_id("adm-loading")).to_have_count(0)
        assert page.locator(".adm-card").count() == page.get_by_test_id("adm-result").count() >= 5
        assert ARABIC.search(page.get_by_test_id("adm-result").first.inner_text())  # the app's list, in Arabic
        assert not page.evaluate("window.__both === true")
        assert not [m for m in logs if "hydrat" in m.lower() or "#418" in m or "#423" in m], logs
    finally:
        page.context.close()


def test_the_unsent_draft_banner_only_for_a_draft_from_an_earlier_visit(browser, base_url):
    page = new_page(browser, PHONE, lang="fr")
    held = []  # the offline script's strings arrive late, as on a slow first visit (the banner came then)
    page.route("**/pwa/strings.json", lambda route: held.append(route))
    try:
        _choose_mef(page, base_url, "economie")
        page.get_by_test_id("deposit-next-1").click()
        page.locator("#deposit-full_name").press_sequentially("Salma Bennis")
        page.wait_for_timeout(500)  # the draft is stored (IndexedDB)
        for route in held:
            route.continue_()
        page.wait_for_timeout(3000)
        expect(page.get_by_test_id("resume-draft")).to_have_count(
            0
        )  # first visit: what is typed now is no "unsent deposit"
        later = page.context.new_page()  # a later visit on the same device, the draft never sent
        later.goto(f"{base_url}/deposit")
        expect(later.get_by_test_id("resume-draft")).to_be_visible()
        expect(later.get_by_test_id("connection-status")).to_contain_text(FR["pwa.resume_title"])
    finally:
        page.context.close()
