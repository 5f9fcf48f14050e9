"""The contacts directory (registry clerks) and the e-mail intake mailboxes (administrators), in the
browser: a duplicate is suggested and merged; a mailbox is added (its password never comes back to
the browser), tested (a clear refusal when unreachable) and disabled. Screenshots of both pages in
Arabic and French, phone and desktop, go to ``$MRASLA_SHOTS`` when set."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, ROOT, new_page
from tests.e2e.test_shell import login
from tests.e2e.test_state_exposure import _record

FR = json.loads((ROOT / "mrasla_app" / "i18n" / "fr.json").read_text())
SHOTS = os.environ.get("MRASLA_SHOTS", "")


def _shots(browser, base_url: str, email: str, path: str, name: str) -> None:
    if not SHOTS:
        return
    for lang in ("ar", "fr"):
        for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page = new_page(browser, viewport, lang=lang)
            login(page, base_url, email)
            page.goto(f"{base_url}{path}")
            expect(page.get_by_test_id("page-title")).to_be_visible()
            page.wait_for_timeout(400)
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{lang}-{label}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            page.context.close()


def test_clerk_merges_a_suggested_duplicate(browser, base_url):
    tag = str(time.time_ns())[-6:]
    page = new_page(browser, DESKTOP)
    login(page, base_url, "clerk.mef@mrasla.ma")
    page.goto(f"{base_url}/registry/contacts")
    expect(page.get_by_test_id("registry-tab-contacts")).to_have_attribute("aria-current", "page")
    for latin, email, phone in (
        (f"Ahmed Elfassi{tag}", f"a{tag}@example.ma", ""),
        (f"ELFASSI{tag} ahmed", "", f"0661{tag}"),
    ):
        page.get_by_test_id("contact-new").click()
        page.locator("#contact-name_latin").fill(latin)
        page.locator("#contact-email").fill(email)
        page.locator("#contact-phone").fill(phone)
        page.get_by_test_id("contact-create").click()
        expect(page.get_by_test_id("form-notice")).to_contain_text(FR["contact.added"])
    pair = page.locator("[data-testid^=contact-pair-]").filter(has_text=f"Elfassi{tag}")
    expect(pair).to_have_count(1)
    expect(pair).to_contain_text(FR["contact.reason.name"])
    pair.get_by_role("button", name=FR["contact.merge"]).click()
    expect(page.get_by_test_id("form-notice")).to_contain_text(FR["contact.merged"])
    expect(page.locator("[data-testid^=contact-pair-]").filter(has_text=f"Elfassi{tag}")).to_have_count(0)
    page.locator("#contact-q").fill(f"elfassi{tag}")
    page.locator("#contact-q").press("Enter")
    rows = page.locator("[data-testid^=contact-row-]")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(f"a{tag}@example.ma")
    expect(rows).to_contain_text(f"0661{tag}")
    page.context.close()
    _shots(browser, base_url, "clerk.mef@mrasla.ma", "/registry/contacts", "contacts")


def test_admin_adds_tests_and_disables_a_mailbox(browser, base_url):
    secret = f"Pw-{time.time_ns()}"
    page = new_page(browser, DESKTOP)
    frames = _record(page)
    login(page, base_url, "admin.mef@mrasla.ma")
    page.goto(f"{base_url}/admin/mailboxes")
    page.get_by_test_id("mailbox-new").click()
    page.locator("#mailbox-label").fill("Courrier test")
    page.locator("#mailbox-host").fill("127.0.0.1")
    page.locator("#mailbox-port").fill("1")  # nothing listens there
    page.locator("#mailbox-username").fill("courrier@mef.gov.ma")
    page.locator("#mailbox-password").fill(secret)
    page.get_by_test_id("mailbox-create").click()
    expect(page.get_by_test_id("form-notice")).to_contain_text(FR["mailbox.added"])
    row = page.locator("[data-testid^=mailbox-row-]").filter(has_text="Courrier test").first
    expect(row).to_contain_text("127.0.0.1:1")
    row.get_by_role("button", name=FR["mailbox.test"]).click()
    expect(page.get_by_test_id("form-error")).to_contain_text("Connexion à la boîte impossible")
    row.get_by_role("button", name=FR["mailbox.disable"]).click()
    expect(row).to_contain_text(FR["mailbox.disabled"])
    page.wait_for_timeout(300)
    assert secret not in "\n".join(frames) and secret not in page.content()  # sealed, never sent back
    page.context.close()
    _shots(browser, base_url, "admin.mef@mrasla.ma", "/admin/mailboxes", "mailboxes")
