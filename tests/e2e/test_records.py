"""Records management in the browser: the registry files a deposit in the file plan while
qualifying it (desktop, French), and the inbox finds it by file-plan heading and tag."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from mrasla_app.i18n import catalog
from tests.e2e.conftest import DESKTOP, new_page
from tests.e2e.test_mail import _choose_unit, _deposit
from tests.e2e.test_shell import login

FR = catalog("fr")


def _option_value(page, select: str, text: str) -> str:
    return page.locator(f"{select} option", has_text=text).first.get_attribute("value")


def test_registry_classifies_a_letter_at_qualification_and_the_inbox_filters_by_it(browser, base_url):
    number = _deposit(base_url, f"Attestation de salaire {uuid.uuid4().hex[:6]}")
    slug = number.replace("/", "-")
    page = new_page(browser, DESKTOP, lang="fr")
    try:
        login(page, base_url, "clerk.mef@mrasla.ma")
        page.goto(f"{base_url}/registry")
        page.get_by_test_id(f"registry-select-{slug}").click()
        classification = page.get_by_test_id("dispatch-classification")
        expect(classification).to_contain_text(FR["records.classification"])
        node = _option_value(page, "#dispatch-file_plan_node", "01.01")
        page.select_option("#dispatch-file_plan_node", value=node)
        page.select_option(
            "#dispatch-document_type", value=_option_value(page, "#dispatch-document_type", "Demande d'attestation")
        )
        tag = classification.locator("label.check-item", has_text="Attestations").locator("input")
        tag.check()
        amount = classification.get_by_label("Montant (MAD)")
        amount.fill("douze")  # not a number: refused, nothing registered
        _choose_unit(page, "DB.DSS")
        page.get_by_test_id("dispatch-submit").click()
        expect(page.get_by_test_id("form-error")).to_contain_text("Montant (MAD)")
        amount.fill("1200")
        page.get_by_test_id("dispatch-submit").click()
        expect(page.get_by_test_id("form-notice")).to_have_text(FR["mail.dispatched"])

        page.goto(f"{base_url}/inbox")
        page.get_by_test_id("inbox-filters-toggle").click()
        page.select_option("#filter-plan", value=node)
        page.select_option("#filter-tag", value=_option_value(page, "#filter-tag", "Attestations"))
        page.get_by_test_id("filter-apply").click()
        expect(page.get_by_test_id(f"inbox-row-{slug}")).to_be_visible()
        page.get_by_test_id("inbox-filters-toggle").click() if not page.locator("#filter-plan").is_visible() else None
        page.select_option("#filter-plan", value=_option_value(page, "#filter-plan", "02 "))
        page.get_by_test_id("filter-apply").click()
        expect(page.get_by_test_id(f"inbox-row-{slug}")).to_have_count(0)
    finally:
        page.context.close()
