"""The whole SPEC journey, walked as its users would, by the text they read on screen.

A citizen on a phone deposits a letter to MEF, keeps the sealed receipt and opens its QR code; the
registry clerk (desktop) qualifies and dispatches it; the agent of the unit takes it, annotates it
and drafts the answer from a template; the head of division gives her visa and then signs *by
delegation* of the director (README: ``director.mef`` → ``head.mef``); the agent sends the signed
answer to the citizen, who finds it on the tracking page. Once in Arabic, once in French: every
control is found by its catalogue text in the language of the run.

Each SPEC step is one function taking the run's ``Journey`` so that a step whose screen changes
(drafting in place, sending, the answer's download on the tracking page) can be replaced alone.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from mrasla_app.i18n import catalog
from tests.e2e.conftest import DESKTOP, PHONE, new_page
from tests.e2e.test_parapheur import DIRECTOR, HEAD, PIN, open_from_queue
from tests.e2e.test_shell import login
from tests.files import pdf_bytes

AGENT, CLERK = "agent.mef@mrasla.ma", "clerk.mef@mrasla.ma"
# The people as each interface language writes them (staff names are shown in the reader's script).
DIRECTOR_NAME = {"ar": "محمد برادة", "fr": "Mohammed Berrada"}
LETTERS = {
    "ar": ("طلب رخصة استغلال الملك العمومي", "السلام عليكم،\nأرجو منحي رخصة لاستغلال الرصيف أمام محلي."),
    "fr": ("Demande d'autorisation d'occupation du domaine public",
           "Bonjour,\nJe sollicite l'autorisation d'installer une terrasse devant mon commerce."),
}


@dataclass
class Journey:
    """What the users of one run share: language, texts, and what each step hands to the next."""

    browser: Browser
    base_url: str
    lang: str
    tmp: Path
    number: str = ""
    tracking_url: str = ""
    receipt: Path | None = None
    letter: Path | None = None
    folder_url: str = ""
    reference: str = ""

    @property
    def T(self) -> dict[str, str]:  # noqa: N802 - the catalogue, read like the page reads it
        return catalog(self.lang)

    def citizen(self) -> Page:
        return new_page(self.browser, PHONE, lang=self.lang)

    def staff(self, email: str) -> Page:
        page = new_page(self.browser, DESKTOP, lang=self.lang)
        login(page, self.base_url, email)
        return page


def button(page: Page, text: str) -> Locator:
    return page.get_by_role("button", name=text, exact=True)


def notice(page: Page, text: str) -> Locator:
    """The success message (role=status) saying ``text``."""
    return page.get_by_role("status").filter(has_text=text)


def choose(select: Locator, text: str | re.Pattern[str]) -> None:
    """Pick the option of ``select`` whose visible text contains ``text`` (waits for the options to load)."""
    option = select.locator("option", has_text=text).first
    expect(option).to_be_attached()
    select.select_option(value=option.get_attribute("value"))


def _pdfsig_valid(path: Path) -> bool:
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    return "Signature is Valid" in out and "Total document signed" in out


# --- flow 1: the citizen deposits on a phone and keeps the receipt ------------------------------


def deposit(j: Journey) -> None:
    T, subject, message = j.T, *LETTERS[j.lang]
    page = j.citizen()
    try:
        page.goto(f"{j.base_url}/deposit")
        mef = page.get_by_role("button", name=re.compile(r"\bMEF\b"))
        expect(mef).to_be_visible()  # the directory is loaded: the page is ready for typing
        expect(page.locator("html")).to_have_attribute("lang", j.lang)
        mef.click()
        button(page, T["common.next"]).click()
        page.get_by_label(T["deposit.full_name"]).fill("فاطمة الزهراء العلوي" if j.lang == "ar" else "Fatima Zahra Alaoui")
        page.get_by_label(T["deposit.id_value"]).fill("AB123456")
        page.get_by_label(T["deposit.email"]).fill("citoyenne@example.ma")
        button(page, T["common.next"]).click()
        page.get_by_label(T["deposit.subject"]).fill(subject)
        page.get_by_label(T["deposit.message"]).fill(message)
        page.locator("input[type=file]").set_input_files(
            [{"name": "demande.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(1)}])
        expect(page.get_by_text("demande.pdf", exact=True)).to_be_visible()
        button(page, T["common.next"]).click()
        expect(page.get_by_text(subject, exact=True)).to_be_visible()  # the review shows what will be sent
        button(page, T["deposit.submit"]).click()
        page.wait_for_url(f"{j.base_url}/deposit/done", timeout=60_000)
        expect(page.get_by_role("heading", name=T["deposit.done_title"])).to_be_visible()
        j.number = page.get_by_text(re.compile(r"^MEF/\d{4}/A/\d{6}$")).inner_text().strip()
        j.tracking_url = page.get_by_role("link", name=T["deposit.track"]).get_attribute("href")
        with page.expect_download() as info:
            page.get_by_role("link", name=T["deposit.download"]).click()
        j.receipt = j.tmp / "receipt.pdf"
        info.value.save_as(j.receipt)
    finally:
        page.context.close()
    assert _pdfsig_valid(j.receipt)


def verify_receipt_qr(j: Journey) -> None:
    """The QR code printed on the receipt opens the public page that says it is authentic."""
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(j.receipt), str(j.tmp / "receipt")],
                   check=True)
    image = sorted(j.tmp.glob("receipt*.png"))[0]
    url = subprocess.run(["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert url.startswith(f"{j.base_url}/verify/"), url
    page = j.citizen()
    try:
        page.goto(url)
        expect(page.get_by_text(j.T["verify.authentic"], exact=True)).to_be_visible()
        expect(page.get_by_text(j.number, exact=True).first).to_be_visible()
    finally:
        page.context.close()


# --- flow 2: the registry qualifies and dispatches ------------------------------------------------


def qualify_and_dispatch(j: Journey) -> None:
    T = j.T
    page = j.staff(CLERK)
    try:
        page.goto(f"{j.base_url}/registry")
        page.get_by_role("button", name=j.number).click()
        page.get_by_label(T["mail.type"], exact=True).select_option(label=T["mailtype.request"])
        choose(page.get_by_label(T["mail.action_unit"], exact=True), "DB.DSS —")
        page.get_by_label(T["mail.instructions"]).fill(
            "يرجى الإجابة داخل الأجل" if j.lang == "ar" else "Merci de répondre dans le délai.")
        button(page, T["mail.qualify_submit"]).click()
        expect(notice(page, T["mail.dispatched"])).to_be_visible()
    finally:
        page.context.close()


# --- flow 3: the agent takes, annotates and drafts the answer --------------------------------------


def take_and_annotate(j: Journey) -> Page:
    """Returns the agent's page, on the letter, for the drafting step."""
    T = j.T
    page = j.staff(AGENT)
    page.goto(f"{j.base_url}/inbox")
    page.get_by_role("link", name=j.number).click()
    expect(page).to_have_url(re.compile(r"/mail/\d+/?$"))
    button(page, T["mail.take"]).click()
    expect(page.get_by_text(T["status.in_progress"], exact=True).first).to_be_visible()
    note = "تم التحقق من الملف" if j.lang == "ar" else "Dossier vérifié, avis favorable."
    page.get_by_label(T["mail.note_label"]).fill(note)
    button(page, T["mail.note_submit"]).click()
    expect(page.get_by_text(note, exact=True)).to_be_visible()
    return page


def draft_answer(j: Journey, page: Page) -> None:
    """Today's path: fill a template on the letter, download it as a PDF, start a signature folder with
    it (head visa → director signature), linked to the letter. (Drafting in place will replace this.)"""
    T = j.T
    button(page, T["mail.answer"]).click()
    page.get_by_label(T["mail.answer_template"]).select_option(label=T["answer.template.favourable"])
    page.get_by_label(T["mail.answer_lang"]).select_option(j.lang)
    button(page, T["mail.answer_fill"]).click()
    expect(page.get_by_label(T["mail.answer_text"])).to_have_value(re.compile(re.escape(j.number)))
    with page.expect_download() as info:
        button(page, T["mail.answer_download"]).click()
    j.letter = j.tmp / "answer.pdf"
    info.value.save_as(j.letter)

    page.goto(f"{j.base_url}/parapheur")
    button(page, T["pf.new"]).click()
    page.get_by_label(T["pf.folder_title"]).fill(LETTERS[j.lang][0])
    page.get_by_label(T["pf.link_number"]).fill(j.number)
    page.locator("input[type=file]").set_input_files(str(j.letter))
    expect(page.get_by_text("answer.pdf")).to_be_visible()
    people = page.get_by_label(T["pf.add_person"])
    for step, name in ((0, "Khadija Tazi" if j.lang == "fr" else "خديجة التازي"), (1, DIRECTOR_NAME[j.lang])):
        choose(people.nth(step), name)
    button(page, T["pf.start"]).click()
    page.wait_for_url(re.compile(r".*/parapheur/\d+$"))
    j.folder_url = page.url
    j.reference = page.get_by_text(re.compile(r"^PAR-MEF-\d{4}-\d{6}$")).first.inner_text().strip()
    page.context.close()


# --- flow 4: visa, then signature by delegation ----------------------------------------------------


def visa(j: Journey) -> None:
    T = j.T
    page = j.staff(HEAD)
    try:
        open_from_queue(page, j.base_url, "to_visa", j.reference)
        button(page, T["pf.act.approved"]).click()
        button(page, T["pf.do.approved"]).click()
        expect(notice(page, T["pf.done.approved"])).to_be_visible()
    finally:
        page.context.close()


def sign_by_delegation(j: Journey) -> None:
    """The director is away: his delegate (the head of division) signs in his name with her own certificate."""
    T = j.T
    page = j.staff(HEAD)
    try:
        page.goto(f"{j.base_url}/account")
        key_action = page.get_by_role("button", name=re.compile(
            f"^({re.escape(T['parapheur.enroll'])}|{re.escape(T['pf.key.renew'])})$"))
        expect(key_action).to_be_visible()
        if key_action.inner_text().strip() == T["parapheur.enroll"]:  # no certificate yet (first run)
            key_action.click()
            page.get_by_label(T["pf.key.pin_new"]).fill(PIN)
            page.get_by_label(T["pf.key.pin_again"]).fill(PIN)
            button(page, T["parapheur.enroll"]).click()
            expect(notice(page, T["pf.key.enrolled"])).to_be_visible(timeout=30_000)
        open_from_queue(page, j.base_url, "to_sign", j.reference)
        button(page, T["pf.act.signed"]).click()
        on_behalf = page.get_by_label(T["pf.act_as"], exact=True)
        # TODO(integrator, issue #11 "delegation wording"): the Arabic page names the director in Latin
        # letters today; once names follow the page language, match DIRECTOR_NAME[j.lang] only.
        director = re.compile(f"{DIRECTOR_NAME[j.lang]}|{DIRECTOR_NAME['fr']}")
        expect(on_behalf).to_contain_text(director)
        choose(on_behalf, director)
        page.get_by_label(T["parapheur.pin"]).fill(PIN)
        button(page, T["pf.do.signed"]).click()
        expect(notice(page, T["pf.done.signed"])).to_be_visible(timeout=60_000)
        expect(page.get_by_text(T["verify.authentic"], exact=True).first).to_be_visible(timeout=30_000)
        by_delegation = T["parapheur.by_delegation"].split("{name}")[0].strip()  # "par délégation de" …
        expect(page.get_by_text(by_delegation).first).to_be_visible()
    finally:
        page.context.close()


# --- flow 5: sending to the citizen ------------------------------------------------------------------


def send_to_citizen(j: Journey) -> None:
    T = j.T
    page = j.staff(AGENT)
    try:
        page.goto(j.folder_url)
        page.get_by_label(T["pf.send_to"]).select_option(label=T["pf.send_to_sender"])
        button(page, T["pf.send"]).click()
        expect(notice(page, T["pf.sent"])).to_be_visible(timeout=60_000)
    finally:
        page.context.close()


# --- flow 5 (citizen side): the answer on the tracking page -------------------------------------------


def citizen_finds_the_answer(j: Journey) -> None:
    T = j.T
    page = j.citizen()
    try:
        page.goto(j.tracking_url if j.tracking_url.startswith("http") else j.base_url + j.tracking_url)
        expect(page.get_by_text(j.number, exact=True).first).to_be_visible()
        expect(page.get_by_text(T["track.status.answered"], exact=True).first).to_be_visible()
        expect(page.get_by_role("heading", name=T["track.answers"])).to_be_visible()
        expect(page.get_by_text(f"{j.reference}.pdf")).to_be_visible()  # the signed answer is listed
        # TODO(integrator, issue #11 "answer delivery"): the tracking page lists the answer as plain text
        # today. Once it has a download button and a "verify" link, continue here: download the signed
        # answer by its button text, check it with pdfsig (_pdfsig_valid) and open its verification page.
    finally:
        page.context.close()


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_the_whole_journey(browser, base_url, tmp_path, lang):
    j = Journey(browser, base_url, lang, tmp_path)
    deposit(j)
    verify_receipt_qr(j)
    qualify_and_dispatch(j)
    draft_answer(j, take_and_annotate(j))
    visa(j)
    sign_by_delegation(j)
    send_to_citizen(j)
    citizen_finds_the_answer(j)
    # TODO(integrator, issue #11 "sending as one visible step"): then MEF → CRB — an outgoing letter signed
    # and sent, arriving in CRB's incoming register with MEF as sender, MEF's acknowledgement listing it.
