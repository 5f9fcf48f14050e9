"""Accessibility audit with axe-core (WCAG 2.x A/AA rules) on the citizen and agent pages, in
Arabic and French, on a phone: no serious or critical violation; ``lang``/``dir`` set on <html>.

axe-core comes from npm into the project-local ``.tools`` folder (``make test-deps``)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, ROOT, TABLET, new_page
from tests.e2e.test_shell import login

AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    "deposit": ("/deposit", "deposit-wizard", None),
    "verify": ("/verify", "page-title", None),
    "tracking": ("/track", "page-title", None),
    "login": ("/login", "page-title", None),
    "inbox": ("/inbox", "page-title", "agent.mef@mrasla.ma"),
}


def _audit(page: Page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""() => axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
        resultTypes: ['violations'],
    })""")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def _report(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"]) for n in v["nodes"][:5])
        for v in violations
    )


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed: make test-deps")
@pytest.mark.parametrize("lang", ["ar", "fr", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violation(browser, base_url, name, lang):
    path, ready, account = PAGES[name]
    page = new_page(browser, TABLET if account else PHONE, lang=lang)
    try:
        if account:
            login(page, base_url, account)
        page.goto(f"{base_url}{path}")
        expect(page.get_by_test_id(ready).first).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
        page.wait_for_timeout(500)  # let fonts and late renders settle before measuring contrast
        violations = _audit(page)
        assert not violations, _report(violations)
    finally:
        page.context.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed: make test-deps")
@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_offline_deposit_screen_is_accessible(browser, base_url, lang):
    page = new_page(browser, PHONE, lang=lang)
    try:
        page.goto(f"{base_url}/deposit")
        page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=30_000)
        page.context.set_offline(True)
        page.reload()
        expect(page.get_by_test_id("offline-deposit")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", lang)
        violations = _audit(page)
        assert not violations, _report(violations)
    finally:
        page.context.close()


def test_keyboard_reaches_the_wizard_with_visible_focus(browser, base_url):
    """Tab from the top: skip link first, then the controls, each with a visible focus ring."""
    page = new_page(browser, PHONE, lang="fr")
    try:
        page.goto(f"{base_url}/deposit")
        expect(page.get_by_test_id("adm-result").first).to_be_visible()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className").startswith("skip-link")
        page.keyboard.press("Enter")
        for _ in range(12):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "deposit-search":
                break
        assert page.evaluate("document.activeElement.id") == "deposit-search"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", "")
    finally:
        page.context.close()
