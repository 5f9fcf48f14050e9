"""The signature book end to end on the production build (flow 4).

An agent creates a folder (2-page PDF) with an ad-hoc circuit: head of division visa → director
signature. The head gives the visa on a phone in Arabic; the director enrols his signing key on
the account page and signs on a desktop in French with his PIN; the signed PDF downloaded from
the folder page validates with poppler's ``pdfsig`` and our own report. A second folder is
rejected by the head (a reason is mandatory) and comes back to the initiator.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfWriter
from pypdf.annotations import FreeText

from mrasla_app.i18n import catalog
from tests.answered import PIN, two_page_pdf  # one PIN for the demo director in the shared server
from tests.e2e.conftest import DESKTOP, PHONE, new_page
from tests.e2e.test_shell import login

AR, FR = catalog("ar"), catalog("fr")
AGENT, HEAD, DIRECTOR = "agent.mef@mrasla.ma", "head.mef@mrasla.ma", "director.mef@mrasla.ma"


def _pick(page: Page, step: int, name_prefix: str) -> None:
    select = page.get_by_test_id(f"circuit-person-{step}")
    labels = select.locator("option").all_inner_texts()
    label = next(lab for lab in labels if lab.startswith(name_prefix))
    select.select_option(label=label)
    expect(page.get_by_test_id(f"circuit-people-{step}").locator("li")).to_have_count(1)


def create_folder(page: Page, base_url: str, title: str) -> str:
    """As the logged-in agent: a folder with head visa → director signature; returns its URL."""
    page.goto(f"{base_url}/parapheur")
    page.get_by_test_id("new-folder-open").click()
    page.get_by_test_id("folder-title").fill(title)
    page.locator("#folder-files input[type=file]").set_input_files(
        [{"name": "reponse.pdf", "mimeType": "application/pdf", "buffer": two_page_pdf(title[:20])}]
    )
    expect(page.get_by_test_id("folder-file-list").locator("li")).to_have_count(1)
    expect(page.get_by_test_id("circuit-kind-0")).to_have_value("visa")
    expect(page.get_by_test_id("circuit-kind-1")).to_have_value("signature")
    _pick(page, 0, "Khadija Tazi")
    _pick(page, 1, "Mohammed Berrada")
    page.get_by_test_id("folder-start").click()
    page.wait_for_url(re.compile(r".*/parapheur/\d+$"))
    expect(page.get_by_test_id("folder-reference")).to_have_text(re.compile(r"^PAR-MEF-\d{4}-\d{6}$"))
    expect(page.get_by_test_id("folder-status")).to_have_attribute("data-status", "in_progress")
    expect(page.get_by_test_id("step-1")).to_have_attribute("data-status", "active")
    expect(page.get_by_test_id("step-2")).to_have_attribute("data-status", "pending")
    return page.url


def open_from_queue(page: Page, base_url: str, queue: str, reference: str) -> None:
    page.goto(f"{base_url}/parapheur")
    page.get_by_test_id(f"pf-queue-{queue}").click()
    row = page.locator(f"[data-reference='{reference}']")
    expect(row).to_be_visible()
    row.click()
    expect(page.get_by_test_id("folder-reference")).to_have_text(reference)


def test_visa_on_a_phone_in_arabic_then_signature_on_a_desktop(browser, base_url, tmp_path):
    agent = new_page(browser, DESKTOP)
    login(agent, base_url, AGENT)
    url = create_folder(agent, base_url, "Réponse à la demande de subvention")
    reference = agent.get_by_test_id("folder-reference").inner_text()
    expect(agent.get_by_test_id("action-panel")).to_have_count(0)  # the initiator has nothing to decide
    agent.context.close()

    # The head of division gives the visa on her phone, in Arabic.
    head = new_page(browser, PHONE, lang="ar")
    login(head, base_url, HEAD)
    open_from_queue(head, base_url, "to_visa", reference)
    assert head.evaluate("document.documentElement.dir") == "rtl"
    expect(head.get_by_test_id("action-sign")).to_have_count(0)
    head.get_by_test_id("action-approve").click()
    head.get_by_test_id("action-submit").click()
    expect(head.get_by_test_id("form-notice")).to_have_text(AR["pf.done.approved"])
    expect(head.get_by_test_id("step-1")).to_have_attribute("data-status", "completed")
    expect(head.get_by_test_id("step-2")).to_have_attribute("data-status", "active")
    assert head.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # as the director's delegate she now sees the signature "by delegation" in her queue
    head.goto(f"{base_url}/parapheur")
    head.get_by_test_id("pf-queue-to_sign").click()
    row = head.locator(f"[data-reference='{reference}']")
    expect(row.get_by_test_id("pf-obo")).to_contain_text("محمد برادة")
    head.context.close()

    # The director enrols his signing key on the account page, then signs in French on a desktop.
    director = new_page(browser, DESKTOP)
    login(director, base_url, DIRECTOR)
    director.goto(f"{base_url}/account")
    # none, or active when an earlier test of this session (answer flow) enrolled him: he renews it
    expect(director.get_by_test_id("key-status")).to_have_attribute("data-state", re.compile("^(none|active)$"))
    director.get_by_test_id("key-enroll-open").click()
    director.get_by_test_id("key-enroll-pin").fill(PIN)
    director.get_by_test_id("key-enroll-pin2").fill(PIN)
    director.get_by_test_id("key-enroll-submit").click()
    expect(director.get_by_test_id("key-status")).to_have_attribute("data-state", "active", timeout=30_000)
    expect(director.get_by_test_id("form-notice")).to_have_text(FR["pf.key.enrolled"])

    open_from_queue(director, base_url, "to_sign", reference)
    expect(director.get_by_test_id("action-approve")).to_have_count(0)
    director.get_by_test_id("action-sign").click()
    pin = director.get_by_test_id("pin-input")
    assert pin.get_attribute("type") == "password"
    assert pin.get_attribute("inputmode") == "numeric"
    assert pin.get_attribute("autocomplete") == "one-time-code"
    pin.fill("000000")  # a wrong PIN is refused and the field is emptied
    director.get_by_test_id("action-submit").click()
    expect(director.get_by_test_id("form-error")).to_be_visible(timeout=30_000)
    expect(director.get_by_test_id("folder-status")).to_have_attribute("data-status", "in_progress")
    director.get_by_test_id("action-sign").click()
    expect(director.get_by_test_id("form-error")).to_have_count(0)  # the click reached the server
    expect(director.get_by_test_id("pin-input")).to_have_value("")
    director.get_by_test_id("pin-input").fill(PIN)
    director.get_by_test_id("action-submit").click()
    expect(director.get_by_test_id("folder-status")).to_have_attribute("data-status", "completed", timeout=60_000)
    expect(director.get_by_test_id("form-notice")).to_have_text(FR["pf.done.signed"])
    expect(director.get_by_test_id("report-verdict")).to_have_attribute("data-verdict", "authentic", timeout=30_000)
    expect(director.get_by_test_id("report-signer").first).to_contain_text("Mohammed Berrada")
    expect(director.get_by_test_id("bordereau-download")).to_be_visible()
    assert director.url == url

    with director.expect_download() as info:
        director.get_by_test_id("signed-download").click()
    signed = tmp_path / "signed.pdf"
    info.value.save_as(signed)
    assert signed.read_bytes().startswith(b"%PDF")
    bordereau = director.request.get(base_url + director.get_by_test_id("bordereau-download").get_attribute("href"))
    assert bordereau.ok and bordereau.body().startswith(b"%PDF")
    assert bordereau.headers["cache-control"] == "private, no-store"
    director.context.close()

    if shutil.which("pdfsig") is None:
        pytest.skip("poppler-utils (pdfsig) not installed")
    out = subprocess.run(["pdfsig", str(signed)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in out, out
    assert "Total document signed" in out, out

    # anyone can check it on the public page; an edit appended after signing is reported
    _verify_upload(browser, base_url, signed, "authentic")
    writer = PdfWriter(io.BytesIO(signed.read_bytes()), incremental=True)
    writer.add_annotation(0, FreeText(text="Montant modifié", rect=(50, 50, 250, 90)))
    edited = tmp_path / "edited.pdf"
    with edited.open("wb") as fh:
        writer.write(fh)
    _verify_upload(browser, base_url, edited, "not-authentic")


def _verify_upload(browser, base_url: str, pdf, verdict: str) -> None:
    page = new_page(browser, PHONE)
    page.goto(f"{base_url}/verify")
    page.locator('[data-testid="verify-pdf"] input[type="file"]').set_input_files(str(pdf))
    expect(page.get_by_test_id("verify-verdict")).to_have_attribute("data-verdict", verdict, timeout=30_000)
    page.context.close()


def test_rejection_needs_a_reason_and_returns_the_folder_to_its_initiator(browser, base_url):
    agent = new_page(browser, DESKTOP)
    login(agent, base_url, AGENT)
    create_folder(agent, base_url, "Note à rejeter")
    reference = agent.get_by_test_id("folder-reference").inner_text()

    head = new_page(browser, PHONE, lang="ar")
    login(head, base_url, HEAD)
    open_from_queue(head, base_url, "to_visa", reference)
    head.get_by_test_id("action-reject").click()
    head.get_by_test_id("action-submit").click()  # no reason: the browser refuses to submit
    assert head.get_by_test_id("action-comment").evaluate("el => el.validity.valueMissing")
    expect(head.get_by_test_id("folder-status")).to_have_attribute("data-status", "in_progress")
    head.get_by_test_id("action-comment").fill("Le montant ne correspond pas à la décision.")
    head.get_by_test_id("action-submit").click()
    expect(head.get_by_test_id("folder-status")).to_have_attribute("data-status", "rejected")
    expect(head.get_by_test_id("action-panel")).to_have_count(0)
    head.context.close()

    agent.goto(f"{base_url}/parapheur")
    agent.get_by_test_id("pf-queue-my_folders").click()
    row = agent.locator(f"[data-reference='{reference}']")
    expect(row.locator("[data-status='rejected']")).to_be_visible()
    row.click()
    expect(agent.get_by_test_id("folder-reject-reason")).to_contain_text("Le montant ne correspond pas")
    expect(agent.get_by_test_id("folder-history").locator("[data-decision='rejected']")).to_have_count(1)
    expect(agent.get_by_test_id("initiator-tools")).to_be_visible()
    agent.context.close()
