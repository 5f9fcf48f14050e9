"""Search in the inbox shows where the words were found: a clerk searches an Arabic word with another
clitic and spelling (phone, Arabic) and a name written without its space (desktop, French); the best
match comes first and the excerpt of the letter's text highlights the hit."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import expect

from mrasla_app.i18n import catalog
from tests.e2e.conftest import DESKTOP, PHONE, new_page
from tests.e2e.test_shell import login

AR, FR = catalog("ar"), catalog("fr")


def _deposit(base_url: str, subject: str, message: str, name: str) -> str:
    r = httpx.post(
        f"{base_url}/api/v1/deposits",
        timeout=60,
        data={
            "administration": "MEF",
            "full_name": name,
            "id_kind": "CIN",
            "id_value": "AB123456",
            "email": "",
            "phone": "0612345678",
            "subject": subject,
            "message": message,
            "lang": "ar",
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["registry_number"].replace("/", "-")


def test_search_results_show_a_highlighted_excerpt(browser, base_url, tmp_path):
    tag = uuid.uuid4().hex[:8]
    slug = _deposit(
        base_url,
        f"طلب {tag}",
        f"يشرفني أن أطلب منكم الإعفاء للضريبة المستحقة برسم سنة 2026 {tag}",
        f"Karim El Fassi {tag}",
    )

    phone = new_page(browser, PHONE, lang="ar")
    login(phone, base_url, "clerk.mef@mrasla.ma")
    phone.goto(f"{base_url}/inbox")
    phone.get_by_test_id("inbox-search").fill(f"ضريبه {tag}")
    phone.get_by_test_id("inbox-search-submit").click()
    row = phone.get_by_test_id(f"inbox-row-{slug}")
    expect(row).to_be_visible()
    expect(phone.get_by_test_id("inbox-sort")).to_have_value("relevance")
    snippet = row.get_by_test_id("inbox-snippet")
    expect(snippet).to_contain_text(AR["inbox.snippet_label"])
    expect(snippet.locator("mark")).to_have_text("للضريبة")
    phone.screenshot(path=str(tmp_path / "search-phone-ar.png"), full_page=True)
    phone.context.close()

    desk = new_page(browser, DESKTOP, lang="fr")
    login(desk, base_url, "clerk.mef@mrasla.ma")
    desk.goto(f"{base_url}/inbox")
    desk.get_by_test_id("inbox-search").fill(f"elfassi {tag}")
    desk.get_by_test_id("inbox-search-submit").click()
    row = desk.get_by_test_id(f"inbox-row-{slug}")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("inbox-snippet").locator("mark")).to_have_text(tag)
    expect(row.get_by_test_id("inbox-snippet")).to_contain_text(FR["inbox.snippet_label"])
    desk.screenshot(path=str(tmp_path / "search-desktop-fr.png"), full_page=True)
    desk.context.close()
