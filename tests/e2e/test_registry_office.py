"""The registry office on the real production build: a clerk registers a paper letter with its scan,
gets the next incoming number and its QR label, exports the day's register; a head of unit opens the
dashboard in Arabic and sees the charts."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from mrasla_app.i18n import catalog
from mrasla_app.settings import TIMEZONE
from tests.e2e.conftest import DESKTOP, new_page
from tests.e2e.test_shell import login
from tests.files import jpeg_bytes

AR, FR = catalog("ar"), catalog("fr")
NUMBER_RE = re.compile(r"MEF/(\d{4})/A/(\d{6})")

needs_tools = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
    reason="poppler-utils and zbar-tools are needed to decode the label's QR code",
)


def _today() -> str:
    return datetime.now(ZoneInfo(TIMEZONE)).date().isoformat()


def _last_incoming(page, base_url: str) -> tuple[str, int]:
    """(year, last sequence) of MEF's incoming register this year, read through the register export."""
    today = _today()
    r = page.request.get(
        f"{base_url}/api/v1/registers/incoming.csv", params={"from": today[:4] + "-01-01", "to": today}
    )
    assert r.ok, r.text()
    seqs = [int(m.group(2)) for m in NUMBER_RE.finditer(r.body().decode("utf-8-sig"))]
    return today[:4], max(seqs, default=0)


@needs_tools
def test_clerk_registers_paper_mail_prints_label_and_exports_the_register(browser, base_url, tmp_path):
    page = new_page(browser, DESKTOP, lang="fr")
    try:
        login(page, base_url, "clerk.mef@mrasla.ma")
        year, last = _last_incoming(page, base_url)
        expected = f"MEF/{year}/A/{last + 1:06d}"

        page.get_by_test_id("registry-tab-new").click()
        expect(page.locator("h1#page-title")).to_have_text(FR["reg.title"])
        expect(page.get_by_test_id("reg-kind-incoming")).to_have_attribute("aria-pressed", "true")
        # A paper letter without its scan nor subject is refused field by field.
        page.locator("#reg-sender_name").fill("Ahmed Kettani")
        page.get_by_test_id("reg-submit").click()
        expect(page.get_by_test_id("reg-subject-error")).to_have_text(FR["error.required"])
        expect(page.get_by_test_id("reg-files-error")).to_have_attribute("role", "alert")

        scan = tmp_path / "scan-lettre.jpg"
        scan.write_bytes(jpeg_bytes())
        page.locator('[data-testid="reg-files"] input[type="file"]').set_input_files(str(scan))
        expect(page.get_by_test_id("reg-file-name")).to_have_text("scan-lettre.jpg")
        page.locator("#reg-sender_name").fill("Ahmed Kettani")
        page.locator("#reg-subject").fill("Demande d'attestation de salaire")
        page.locator("#reg-priority").select_option("urgent")
        page.get_by_test_id("reg-submit").click()
        expect(page.get_by_test_id("reg-number")).to_have_text(expected)  # consecutive: no gap, no jump

        with page.expect_download() as info:
            page.get_by_test_id("reg-label").click()
        label = tmp_path / "label.pdf"
        info.value.save_as(label)
        assert label.read_bytes().startswith(b"%PDF")
        subprocess.run(["pdftoppm", "-r", "200", "-png", str(label), str(tmp_path / "label")], check=True)
        png = sorted(tmp_path.glob("label*.png"))[0]
        decoded = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True).stdout.strip()
        reference = expected.replace("/", "-")
        assert re.fullmatch(re.escape(base_url) + rf"/verify/{reference}\?t=[A-Za-z0-9_-]{{20,}}", decoded), decoded

        page.get_by_test_id("registry-tab-export").click()
        expect(page.locator("h1#page-title")).to_have_text(FR["export.title"])
        # The days are text in the page's format (not a browser date picker drawn in its own locale).
        expect(page.get_by_test_id("export-from")).to_have_attribute("placeholder", FR["draft.day_placeholder"])
        expect(page.get_by_test_id("export-from")).to_have_value(
            datetime.strptime(_today(), "%Y-%m-%d").strftime("%d/%m/%Y")
        )
        expect(page.get_by_test_id("export-csv")).to_have_attribute(
            "href", re.compile(r"/api/v1/registers/incoming\.csv\?")
        )
        with page.expect_download() as info:
            page.get_by_test_id("export-csv").click()
        csv_file = tmp_path / "register.csv"
        info.value.save_as(csv_file)
        text = csv_file.read_bytes().decode("utf-8-sig")
        line = next(row for row in text.splitlines() if row.startswith(expected + ";"))
        assert "Demande d'attestation de salaire" in line and "Papier" in line
        # A period ending before it starts is refused next to the dates, with no download link.
        page.get_by_test_id("export-to").fill("01/01/2020")
        expect(page.get_by_test_id("export-period-error")).to_have_text(FR["error.invalid_period"])
        expect(page.get_by_test_id("export-csv")).to_have_count(0)
    finally:
        page.context.close()


def test_head_of_unit_sees_the_dashboard_in_arabic(browser, base_url):
    page = new_page(browser, DESKTOP, lang="ar")
    try:
        login(page, base_url, "head.mef@mrasla.ma")
        page.get_by_test_id("nav-dashboard").click()
        expect(page.locator("h1#page-title")).to_have_text(AR["dash.title"])
        assert page.evaluate("document.documentElement.dir") == "rtl"
        expect(page.get_by_test_id("dash-scope")).to_have_text(AR["dash.scope.branch"])
        for chart in ("dash-queues-chart", "dash-days-chart"):
            expect(page.locator(f'[data-testid="{chart}"] svg.recharts-surface').first).to_be_visible()
        # Axis labels are translated (the queue chart names the statuses in Arabic).
        expect(page.locator('[data-testid="dash-queues-chart"]')).to_contain_text(AR["status.dispatched"])
        expect(page.get_by_test_id("dash-open")).to_be_visible()
    finally:
        page.context.close()
    # Not for agents: the page sends them back to their landing page, and the nav does not offer it.
    agent = new_page(browser, DESKTOP, lang="ar")
    try:
        login(agent, base_url, "agent.mef@mrasla.ma")
        expect(agent.get_by_test_id("nav-dashboard")).to_have_count(0)
        agent.goto(f"{base_url}/dashboard")
        expect(agent).to_have_url(re.compile(re.escape(base_url) + "/inbox/?$"))
    finally:
        agent.context.close()
