"""Flows 2 and 3 in the browser: a portal deposit is qualified and dispatched by the registry
(desktop, French), found by an agent of the unit with another Arabic spelling (tablet, Arabic),
taken and annotated — and stays invisible to another administration."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from mrasla_app.i18n import catalog
from tests.e2e.conftest import DESKTOP, TABLET, new_page
from tests.e2e.test_shell import login

AR, FR = catalog("ar"), catalog("fr")
SUBJECT = "طلب إعادة النظر في الضريبة"
SEARCH_VARIANT = "اعاده النظر في الضريبه"  # no hamza, ta marbuta written as ha


def _deposit(base_url: str, subject: str) -> str:
    form = {
        "administration": "MEF",
        "full_name": "Salma Bennis",
        "id_kind": "CIN",
        "id_value": "AB123456",
        "email": "salma@example.ma",
        "phone": "",
        "subject": subject,
        "message": f"Réf. interne {uuid.uuid4().hex[:8]}",
        "lang": "ar",
    }
    r = httpx.post(f"{base_url}/api/v1/deposits", data=form, timeout=60)
    assert r.status_code == 201, r.text
    return r.json()["registry_number"]


def _choose_unit(page: Page, code: str) -> None:
    option = page.locator("#dispatch-action_unit option", has_text=re.compile(re.escape(code) + " —")).first
    page.select_option("#dispatch-action_unit", value=option.get_attribute("value"))


def test_deposit_is_qualified_dispatched_found_taken_and_annotated(browser, base_url):
    number = _deposit(base_url, SUBJECT)
    slug = number.replace("/", "-")

    # --- the registry qualifies and dispatches it (desktop, French) ---------------------------------
    clerk = new_page(browser, DESKTOP, lang="fr")
    login(clerk, base_url, "clerk.mef@mrasla.ma")
    clerk.goto(f"{base_url}/registry")
    expect(clerk.get_by_test_id(f"registry-row-{slug}")).to_be_visible()
    clerk.get_by_test_id(f"registry-select-{slug}").click()
    panel = clerk.get_by_test_id("dispatch-panel")
    expect(panel).to_be_visible()
    expect(clerk.get_by_test_id("dispatch-number")).to_have_text(number)
    clerk.select_option("#dispatch-type_code", value="complaint")
    clerk.select_option("#dispatch-priority", value="urgent")
    _choose_unit(clerk, "DB.DSS")
    clerk.get_by_test_id("dispatch-instructions").fill("Merci de traiter en priorité.")
    clerk.get_by_test_id("dispatch-submit").click()
    expect(clerk.get_by_test_id("form-notice")).to_have_text(FR["mail.dispatched"])
    expect(clerk.get_by_test_id(f"registry-row-{slug}")).to_have_count(0)  # left the "to qualify" queue
    clerk.context.close()

    # --- an agent of the unit finds it, with another spelling (tablet, Arabic) ------------------------
    agent = new_page(browser, TABLET, lang="ar")
    login(agent, base_url, "agent.mef@mrasla.ma")
    agent.goto(f"{base_url}/inbox")
    expect(agent.locator("h1#page-title")).to_have_text(AR["inbox.title"])
    agent.get_by_test_id("queue-my_unit").click()
    expect(agent.get_by_test_id(f"inbox-row-{slug}")).to_be_visible()
    assert int(agent.get_by_test_id("queue-count-my_unit").inner_text()) >= 1
    expect(agent.get_by_test_id("queue-to_qualify")).to_have_count(0)  # registry queue: clerks only
    agent.get_by_test_id("queue-all").click()
    agent.get_by_test_id("inbox-search").fill(SEARCH_VARIANT)
    agent.get_by_test_id("inbox-search-submit").click()
    row = agent.get_by_test_id(f"inbox-row-{slug}")
    expect(row).to_be_visible()
    expect(row).to_contain_text(SUBJECT)
    expect(row).to_contain_text(AR["status.dispatched"])
    agent.get_by_test_id("inbox-search").fill("zzqx-nothing-matches")
    agent.get_by_test_id("inbox-search-submit").click()
    expect(agent.get_by_test_id(f"inbox-row-{slug}")).to_have_count(0)
    expect(agent.get_by_test_id("empty-state")).to_be_visible()
    agent.get_by_test_id("inbox-search").fill(SEARCH_VARIANT)
    agent.get_by_test_id("inbox-search-submit").click()
    agent.get_by_test_id(f"inbox-row-{slug}").click()

    expect(agent).to_have_url(re.compile(r"/mail/\d+/?$"))
    mail_url = agent.url
    expect(agent.get_by_test_id("detail-number")).to_have_text(number)
    expect(agent.get_by_test_id("detail-status")).to_have_text(AR["status.dispatched"])
    expect(agent.get_by_test_id("detail-unit")).to_contain_text("DB.DSS")
    history = agent.get_by_test_id("history-list")
    expect(history).to_contain_text(AR["history.deposited"])
    expect(history).to_contain_text(AR["history.qualified"])
    expect(history).to_contain_text("Merci de traiter en priorité.")
    assert agent.evaluate("document.documentElement.dir") == "rtl"
    assert agent.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    docs = agent.get_by_test_id("doc-list")  # the receipt: its size in the page's language, not "Ko"
    expect(docs).to_contain_text(AR["common.unit_kb"])
    expect(docs).not_to_contain_text("Ko")

    agent.get_by_test_id("action-take").click()
    expect(agent.get_by_test_id("detail-status")).to_have_text(AR["status.in_progress"])
    expect(agent.get_by_test_id("action-take")).to_have_count(0)
    expect(agent.get_by_test_id("detail-assignee")).to_have_text("يوسف العلوي")
    expect(agent.get_by_test_id("action-return")).to_be_visible()
    expect(agent.get_by_test_id("action-close")).to_be_visible()

    agent.get_by_test_id("note-input").fill("ملاحظة: يرجى مراجعة ملف الضريبة")
    agent.get_by_test_id("note-submit").click()
    expect(agent.get_by_test_id("note-list")).to_contain_text("ملاحظة: يرجى مراجعة ملف الضريبة")
    expect(history).to_contain_text(AR["history.in_progress"])
    expect(history).to_contain_text(AR["history.note_added"])

    # "assigned to me" now holds it
    agent.goto(f"{base_url}/inbox")
    agent.get_by_test_id("queue-assigned_to_me").click()
    expect(agent.get_by_test_id(f"inbox-row-{slug}")).to_be_visible()
    agent.context.close()

    # --- another administration's agent sees nothing ---------------------------------------------------
    other = new_page(browser, DESKTOP, lang="fr")
    login(other, base_url, "agent.crb@mrasla.ma")
    other.goto(f"{base_url}/inbox")
    expect(other.get_by_test_id("empty-state")).to_be_visible()
    for queue in ("all", "my_unit", "assigned_to_me", "for_information", "overdue"):
        expect(other.get_by_test_id(f"queue-count-{queue}")).to_have_text("0")
    other.get_by_test_id("inbox-search").fill(SEARCH_VARIANT)
    other.get_by_test_id("inbox-search-submit").click()
    expect(other.get_by_test_id("empty-state")).to_be_visible()
    expect(other.get_by_test_id(f"inbox-row-{slug}")).to_have_count(0)
    other.goto(mail_url)  # the detail page answers "not found", with none of the data
    expect(other.get_by_test_id("mail-not-found")).to_be_visible()
    expect(other.get_by_test_id("detail-number")).to_have_count(0)
    assert SUBJECT not in other.content() and number not in other.content()
    other.context.close()
