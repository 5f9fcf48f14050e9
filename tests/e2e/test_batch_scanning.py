"""Batch scanning on the production build: a registry clerk prints separator sheets, uploads a stack of
three letters (separator + letter pages), leaves and comes back, confirms the proposed indexing, and
gets three consecutive incoming numbers."""

from __future__ import annotations

import re
import subprocess

from playwright.sync_api import expect

from mrasla_app.i18n import catalog
from tests.e2e.conftest import DESKTOP, new_page
from tests.e2e.test_registry_office import _last_incoming
from tests.e2e.test_shell import login
from tests.scanned_letters import letters, stack_pdf, text_pdf

FR = catalog("fr")


def test_clerk_prints_separators_uploads_a_stack_and_confirms_three_letters(browser, base_url, tmp_path):
    page = new_page(browser, DESKTOP, lang="fr")
    try:
        login(page, base_url, "clerk.mef@mrasla.ma")
        year, last = _last_incoming(page, base_url)
        page.get_by_test_id("registry-tab-batches").click()
        expect(page.locator("h1#page-title")).to_have_text(FR["batch.title"])

        page.get_by_test_id("sep-count").fill("3")
        with page.expect_download() as info:
            page.get_by_test_id("sep-print").click()
        sheets = tmp_path / "separateurs.pdf"
        info.value.save_as(sheets)
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(sheets), str(tmp_path / "s")], check=True
        )
        png = sorted(tmp_path.glob("s*.png"))[0]
        code = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True).stdout.strip()
        assert code == "MRASLA-SEP/1/MEF/"
        assert re.search(r"Pages:\s+3", subprocess.run(["pdfinfo", str(sheets)], capture_output=True, text=True).stdout)

        sample = letters(3, seed=5)
        stack = tmp_path / "pile-du-matin.pdf"
        stack.write_bytes(stack_pdf([text_pdf(x) for x in sample], sheets.read_bytes()))
        page.locator('[data-testid="batch-stack"] input[type="file"]').set_input_files(str(stack))
        expect(page.get_by_test_id("batch-progress")).to_contain_text("3/3", timeout=40_000)
        expect(page.get_by_test_id("batch-letter")).to_have_count(3)

        # The browser closes: nothing is lost, the batch is found again from another session.
        page.context.close()
        page = new_page(browser, DESKTOP, lang="fr")
        login(page, base_url, "clerk.mef@mrasla.ma")
        page.goto(f"{base_url}/registry/batches")
        page.get_by_test_id("batch-row").first.click()
        expect(page.get_by_test_id("batch-letter")).to_have_count(3)

        numbers = []
        for k, letter in enumerate(sample):
            expect(page.get_by_test_id("bl-subject")).to_have_value(letter.subject)
            expect(page.get_by_test_id("bl-sender_name")).to_have_value(letter.sender)
            if k == 1:  # the clerk corrects a proposal before confirming
                page.get_by_test_id("bl-subject").fill("Objet corrigé par le bureau d'ordre")
            page.get_by_test_id("batch-confirm").click()
            expect(page.get_by_test_id("batch-letter-number")).to_have_count(k + 1)
        numbers = page.get_by_test_id("batch-letter-number").all_inner_texts()
        assert numbers == [f"MEF/{year}/A/{last + i:06d}" for i in (1, 2, 3)]
        expect(page.get_by_test_id("batch-row").first.get_by_test_id("batch-status")).to_have_text(
            FR["batch.status.closed"]
        )
    finally:
        page.context.close()
