"""The signatory's day on a phone (issue 17): the folder page at 390 px, the document read page by
page, a comment pinned by tapping the page and seen by the initiator, the visa given; then the
account page's notification choices and the PIN typed on the pad, on a phone.

Screenshots of the folder page (phone and desktop, Arabic and French), of the decision panel, the
PIN pad and the account page go to ``$MRASLA_SHOTS``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from mrasla_app.i18n import catalog
from tests.e2e.conftest import DESKTOP, PHONE, new_page
from tests.e2e.test_parapheur import (
    AGENT,
    DIRECTOR,
    HEAD,
    PIN,
    create_folder,
    open_from_queue,
)
from tests.e2e.test_shell import login

AR, FR = catalog("ar"), catalog("fr")


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("MRASLA_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _page_shown(page: Page, n: int) -> None:
    """Page ``n``'s image is the one loaded and decoded (not the previous one still on screen)."""
    page.wait_for_function(
        "n => { const i = document.querySelector('[data-testid=page-image]');"
        " return !!i && i.complete && i.naturalWidth > 0 && i.currentSrc.includes('/pages/' + n + '.png'); }",
        arg=n,
    )


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
    _page_shown(head, 2)
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
    expect(head.locator("#pf-pin-new")).to_be_hidden()  # the saved pin replaces the pending one
    expect(head.get_by_test_id("folder-notes")).to_contain_text("مراجعة المبلغ")
    # the PIN pad is there for signatures; a visa needs no PIN: the decision panel fits the phone
    head.get_by_test_id("action-approve").click()
    expect(head.get_by_test_id("action-submit")).to_be_visible()
    _fits(head)
    _shot(head, "folder-phone-ar-decision")
    head.get_by_test_id("action-submit").click()
    expect(head.get_by_test_id("step-2")).to_have_attribute("data-status", "active")
    head.context.close()

    # the director, on his phone: notification choices and signing key on the account page, then
    # the PIN typed with the big keys of the pad (one thumb)
    director = new_page(browser, PHONE)
    login(director, base_url, DIRECTOR)
    director.goto(f"{base_url}/account")
    expect(director.get_by_test_id("notif-card")).to_be_visible()
    expect(director.get_by_test_id("notif-digest")).to_be_checked()
    expect(director.get_by_test_id("key-status")).to_have_attribute("data-state", re.compile("^(none|active)$"))
    if director.get_by_test_id("key-status").get_attribute("data-state") == "none":
        director.get_by_test_id("key-enroll-open").click()
        director.get_by_test_id("key-enroll-pin").fill(PIN)
        director.get_by_test_id("key-enroll-pin2").fill(PIN)
        director.get_by_test_id("key-enroll-submit").click()
        expect(director.get_by_test_id("key-status")).to_have_attribute("data-state", "active", timeout=30_000)
    _fits(director)
    _shot(director, "account-phone-fr")
    director.goto(url)
    director.get_by_test_id("action-sign").click()
    pin = director.get_by_test_id("pin-input")
    assert pin.get_attribute("inputmode") == "numeric"
    key = director.get_by_test_id("pin-key-5").bounding_box()
    assert key is not None and key["height"] >= 48 and key["width"] >= 80  # thumb-sized
    for digit in "1357909":
        director.get_by_test_id(f"pin-key-{digit}").click()
    director.get_by_test_id("pin-key-back").click()
    expect(pin).to_have_value("135790")
    _fits(director)
    _shot(director, "folder-phone-fr-pin")
    director.context.close()

    # the initiator (next to read it) sees the pin on page 2 and the comment in the list
    agent.goto(url)
    expect(agent.get_by_test_id("folder-notes")).to_contain_text("مراجعة المبلغ")
    expect(agent.get_by_test_id("pin-mark")).to_have_count(0)  # page 1 shown: the pin is on page 2
    agent.get_by_test_id("note-goto").click()
    expect(agent.get_by_test_id("page-current")).to_have_text("2")
    expect(agent.get_by_test_id("pin-mark")).to_have_count(1)
    _page_shown(agent, 2)
    expect(agent.get_by_test_id("annotated-download")).to_be_visible()
    _shot(agent, "folder-desktop-fr")
    agent.context.close()

    for viewport, lang, name in ((PHONE, "fr", "folder-phone-fr"), (DESKTOP, "ar", "folder-desktop-ar")):
        page = new_page(browser, viewport, lang=lang)
        login(page, base_url, AGENT)
        page.goto(url)
        expect(page.get_by_test_id("folder-notes")).to_contain_text("مراجعة المبلغ")
        _page_shown(page, 1)
        _fits(page)
        _shot(page, name)
        page.context.close()
