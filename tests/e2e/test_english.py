"""The English interface: chosen from the header's language switch on a phone, remembered across
pages and reloads, left-to-right, and undone by choosing another language."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from mrasla_app.i18n import catalog
from tests.e2e.conftest import DESKTOP, PHONE, new_page

AR, FR, EN = catalog("ar"), catalog("fr"), catalog("en")


def test_english_is_offered_on_every_page_and_remembered(browser, base_url):
    page = new_page(browser, PHONE)
    try:
        page.goto(f"{base_url}/")
        switch = page.get_by_role("group", name=FR["lang.choose"])
        for name in ("العربية", "English"):  # each language under its own name; a phone shows the other two
            expect(switch.get_by_role("button", name=name)).to_be_visible()
            expect(switch.get_by_role("button", name=name)).to_have_attribute("aria-pressed", "false")
        expect(page.locator("#lang-switch [lang=fr]")).to_have_attribute("aria-pressed", "true")

        switch.get_by_role("button", name="English").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(EN["home.title"])
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        expect(page.locator("#lang-switch [lang=en]")).to_have_attribute("aria-pressed", "true")
        expect(page.get_by_role("button", name="Français")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # the header still fits

        page.goto(f"{base_url}/deposit")  # another page, a fresh load: still English
        expect(page.get_by_role("heading", level=1)).to_have_text(EN["deposit.title"])
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text(EN["deposit.title"])
        expect(page.get_by_role("group", name=EN["lang.choose"])).to_be_visible()

        page.get_by_role("button", name="العربية").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(AR["deposit.title"])
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    finally:
        page.context.close()
    desktop = new_page(browser, DESKTOP, lang="en")
    try:
        desktop.goto(f"{base_url}/track")
        expect(desktop.get_by_role("heading", level=1)).to_have_text(EN["track.title"])
        for name in ("العربية", "Français", "English"):  # a desktop shows all three, the current one pressed
            expect(desktop.get_by_role("button", name=name)).to_be_visible()
        expect(desktop.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    finally:
        desktop.context.close()


def test_api_errors_carry_english_beside_arabic_and_french(base_url):
    r = httpx.post(
        f"{base_url}/api/v1/auth/login", json={"email": "nobody@example.ma", "password": "wrong password"}, timeout=30
    )
    code = r.json()["error"]  # a refusal, whichever the server finds first (credentials, same-site check)
    assert r.status_code >= 400 and code.startswith("error.")
    assert r.json()["message"] == {"ar": AR[code], "fr": FR[code], "en": EN[code]}
