"""The signatory's day on a phone (issue 17): the folder page at 390 px, the document read page by
page, a comment pinned by tapping the page, seen by the next participant; the PIN pad.

Screenshots of the folder page (phone and desktop, Arabic and French) go to ``$MRASLA_SHOTS``.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page, expect

from mrasla_app.i18n import catalog
from tests.e2e.conftest import DESKTOP, PHONE, new_page
from tests.e2e.test_parapheur import AGENT, HEAD, create_folder, open_from_queue
from tests.e2e.test_shell import login

AR, FR = catalog("ar"), catalog("fr")


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("MRASLA_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_annotate_a_page_on_a_phone_then_the_initiator_sees_the_pin(browser, base_url):
    agent = new_page(browser, DESKTOP)
    login(agent, base_url, AGENT)
    url = create_folder(agent, base_url, "Note sur le budget annoté")
    reference = agent.get_by_test_id("folder-reference").inner_text()

    head = new_page(browser, PHONE, lang="ar")
    login(head, base_url, HEAD)
    open_from_queue(head, base_url, "to_visa", reference)
    assert head.evaluate("document.querySelector('meta[name=viewport]').content").find("user-scalable=no") < 0
    image = head.get_by_test_id("page-image")
    expect(image).to_have_attribute("data-page", "1")
    expect(image).to_have_js_property("complete", True)
    assert head.evaluate("document.querySelector('[data-testid=page-image]').naturalWidth") > 0
    box = image.bounding_box()
    assert box is not None and box["width"] >= 330  # the page at the phone's width
    head.get_by_test_id("page-next").click()
    expect(head.get_by_test_id("page-current")).to_have_text("2")
    expect(image).to_have_attribute("data-page", "2")
    _shot(head, "folder-phone-ar")
    _fits(head)
    # tap a point of page 2: the form gets page 2 and the point's fractions, the pending pin shows
    image.click(position={"x": box["width"] * 0.3, "y": 120})
    expect(head.locator("#pf-pin-new")).to_be_visible()
    expect(head.get_by_test_id("annotation-page")).to_have_value("2")
    x = float(head.get_by_test_id("annotation-x").input_value())
    assert 0.25 < x < 0.35
    head.get_by_test_id("annotation-input").fill("مراجعة المبلغ في هذه الفقرة")
    head.get_by_test_id("annotation-submit").click()
    expect(head.get_by_test_id("form-notice")).to_have_text(AR["pf.note_added"])
    expect(head.get_by_test_id("pin-mark")).to_have_count(1)
    expect(head.get_by_test_id("folder-notes")).to_contain_text("مراجعة المبلغ")
    # the PIN pad is there for signatures; a visa needs no PIN: the decision panel fits the phone
    head.get_by_test_id("action-approve").click()
    expect(head.get_by_test_id("action-submit")).to_be_visible()
    _fits(head)
    _shot(head, "folder-phone-ar-decision")
    head.context.close()

    # the initiator (next to read it) sees the pin on page 2 and the comment in the list
    agent.goto(url)
    expect(agent.get_by_test_id("folder-notes")).to_contain_text("مراجعة المبلغ")
    expect(agent.get_by_test_id("pin-mark")).to_have_count(0)  # page 1 shown: the pin is on page 2
    agent.get_by_test_id("note-goto").click()
    expect(agent.get_by_test_id("page-current")).to_have_text("2")
    expect(agent.get_by_test_id("pin-mark")).to_have_count(1)
    expect(agent.get_by_test_id("annotated-download")).to_be_visible()
    _shot(agent, "folder-desktop-fr")
    agent.context.close()

    for viewport, lang, name in ((PHONE, "fr", "folder-phone-fr"), (DESKTOP, "ar", "folder-desktop-ar")):
        page = new_page(browser, viewport, lang=lang)
        login(page, base_url, AGENT)
        page.goto(url)
        expect(page.get_by_test_id("folder-notes")).to_contain_text("مراجعة المبلغ")
        _fits(page)
        _shot(page, name)
        page.context.close()
