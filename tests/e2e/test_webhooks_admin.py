"""The webhooks page as an administration's administrator uses it (real production build): a
private address is refused in French, an endpoint is registered and its secret shown once, a test
event is queued and appears among the deliveries, the endpoint is disabled."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from mrasla_app.i18n import catalog
from tests.e2e.conftest import DESKTOP, new_page
from tests.e2e.test_shell import login

FR = catalog("fr")


def test_an_administrator_registers_an_endpoint_sees_its_secret_once_and_sends_a_test(browser, base_url):
    page = new_page(browser, DESKTOP, lang="fr")
    login(page, base_url, "admin.mef@mrasla.ma")
    page.goto(f"{base_url}/admin/webhooks")
    expect(page.locator("h1#page-title")).to_have_text(FR["admin.webhooks"])
    expect(page.get_by_test_id("adm-current")).to_contain_text("Économie")

    page.get_by_test_id("webhook-new").click()
    page.locator("#webhook-url").fill("http://127.0.0.1:8080/hook")
    page.locator("#webhook-deposit_received").check()
    page.get_by_test_id("webhook-create").click()
    expect(page.get_by_test_id("form-error")).to_contain_text(FR["error.webhook_private"])
    expect(page.get_by_test_id("webhook-table")).to_have_count(0)

    page.locator("#webhook-url").fill("https://8.8.8.8/mrasla/events")
    page.locator("#webhook-description").fill("SI courrier")
    page.get_by_test_id("webhook-create").click()
    expect(page.get_by_test_id("form-notice")).to_contain_text(FR["webhook.created"])
    expect(page.get_by_test_id("webhook-secret")).to_have_text(re.compile(r"^whsec_[A-Za-z0-9_-]{40,}$"))
    row = page.get_by_test_id("webhook-table").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("https://8.8.8.8/mrasla/events")
    expect(row).to_contain_text("deposit.received")

    row.get_by_role("button", name=FR["webhook.send_test"]).click()
    expect(page.get_by_test_id("form-notice")).to_contain_text(FR["webhook.test_queued"])
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)  # gone after the next action
    expect(page.get_by_test_id("webhook-deliveries")).to_contain_text("webhook.test")

    row.get_by_role("button", name=FR["webhook.disable"]).click()
    expect(row).to_contain_text(FR["common.inactive"])
    expect(row.get_by_role("button", name=FR["webhook.enable"])).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("webhook-table").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("webhook-secret")).to_have_count(0)
    page.context.close()
