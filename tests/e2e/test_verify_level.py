"""The verification pages say the PAdES level in plain words; /verify offers the printable report."""

from __future__ import annotations

import io
import os

import httpx
from playwright.sync_api import Browser, expect
from pypdf import PdfReader

from mrasla_app.i18n import catalog
from tests.api.conftest import deposit_form
from tests.e2e.conftest import DESKTOP, PHONE, new_page

SHOTS = os.environ.get("MRASLA_SHOTS", "")  # a directory: screenshots of both pages, for review


def test_level_and_pdf_report_in_arabic_and_french(browser: Browser, base_url: str, tmp_path) -> None:
    body = httpx.post(f"{base_url}/api/v1/deposits", data=deposit_form(), timeout=60).json()
    receipt = httpx.get(body["receipt_url"].replace("http://localhost:3000", base_url), timeout=60).content
    path = tmp_path / "recu.pdf"
    path.write_bytes(receipt)
    verify_path = body["verify_url"].split("/verify/", 1)[1]
    for lang in ("ar", "fr"):
        texts = catalog(lang)
        for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page = new_page(browser, viewport, lang=lang)
            try:
                page.goto(f"{base_url}/verify/{verify_path}")
                level = page.get_by_test_id("verify-level")
                expect(level).to_have_attribute("data-level", "B-T")  # as issued
                expect(level).to_contain_text(texts["verify.level.B-T"])
                if SHOTS:
                    page.screenshot(path=f"{SHOTS}/receipt-{lang}-{name}.png", full_page=True)
                page.goto(f"{base_url}/verify")
                page.locator('[data-testid="verify-pdf"] input[type="file"]').set_input_files(str(path))
                # upload, then the signature and timestamp validated on the server: seconds on a loaded 2-vCPU machine
                expect(page.get_by_test_id("verify-verdict")).to_have_attribute(
                    "data-verdict", "authentic", timeout=20_000
                )
                expect(page.get_by_test_id("verify-level")).to_contain_text(texts["verify.level.B-T"])
                if SHOTS:
                    page.screenshot(path=f"{SHOTS}/pdf-{lang}-{name}.png", full_page=True)
                if name == "desktop":
                    with page.expect_download() as info:
                        page.get_by_test_id("verify-report-pdf").click()
                    report = tmp_path / f"report-{lang}.pdf"
                    info.value.save_as(report)
                    text = PdfReader(io.BytesIO(report.read_bytes())).pages[0].extract_text()
                    # As issued (B-T) the ETSI long-term validation lacks proof of existence: INDETERMINATE.
                    assert "Mrasla" in text and "PAdES B-T" in text and "INDETERMINATE" in text
            finally:
                page.context.close()
