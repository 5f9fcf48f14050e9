from playwright.sync_api import expect
from tests.e2e.conftest import DESKTOP, PHONE, new_page
from tests.e2e.test_shell import login
from tests.scanned_letters import letters, stack_pdf, text_pdf
from mrasla_app.services.correspondence import separators


def test_shots(browser, base_url, tmp_path):
    sheet = separators.render("MEF", "وزارة", "Ministère")
    stack = tmp_path / "pile.pdf"
    stack.write_bytes(stack_pdf([text_pdf(x) for x in letters(4, seed=9)], sheet))
    for lang in ("fr", "ar"):
        for name, vp in (("desk", DESKTOP), ("phone", PHONE)):
            page = new_page(browser, vp, lang=lang)
            login(page, base_url, "clerk.mef@mrasla.ma")
            page.goto(f"{base_url}/registry/batches")
            if lang == "fr" and name == "desk":
                page.locator('[data-testid="batch-stack"] input[type="file"]').set_input_files(str(stack))
                page.wait_for_timeout(800)
                page.screenshot(path=f"/tmp/batchscan-shot-progress.png", full_page=True)
                expect(page.get_by_test_id("batch-progress")).to_contain_text("4/4", timeout=40_000)
            else:
                page.get_by_test_id("batch-row").first.click()
            expect(page.get_by_test_id("batch-current")).to_be_visible()
            page.wait_for_timeout(500)
            page.screenshot(path=f"/tmp/batchscan-shot-{lang}-{name}.png", full_page=True)
            page.context.close()
