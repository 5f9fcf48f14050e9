"""The citizen portal in a real browser on a phone: deposit → sealed receipt → QR → verification,
tampering detection, tracking, and a refused deposit that registers nothing."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, new_page
from tests.files import jpeg_bytes, pdf_bytes

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
        assert len(_outbox(server) - mails_before) == 1

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
        url = subprocess.run(["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True,
                             check=True).stdout.strip()
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
        assert _outbox(server) == before  # nothing registered, nothing sent
    finally:
        page.context.close()
