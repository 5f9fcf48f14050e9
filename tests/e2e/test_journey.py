"""The whole SPEC journey, walked as its users would, by the text they read on screen.

A citizen on a phone deposits a letter to MEF, keeps the sealed receipt and opens its QR code; the
registry clerk (desktop) qualifies and dispatches it; the agent of the unit takes it, annotates it
and drafts the answer in the application from a template; the head of division gives her visa and
then signs *by delegation* of the director (README: ``director.mef`` → ``head.mef``); the agent sends
the signed answer to the citizen, who downloads it from the tracking link and verifies it. Then MEF
writes to the Commune de Rabat: an outgoing letter signed and sent arrives in CRB's incoming register
with MEF as its sender, and MEF's acknowledgement lists the document received. Before all that, text
typed on ``/deposit`` and ``/track`` at once on a slow phone is kept. Once in Arabic, once in French:
every control is found by its catalogue text in the language of the run.

Each SPEC step is one function taking the run's ``Journey`` so that a step whose screen changes can be
replaced alone. Set ``MRASLA_SHOTS=<dir>`` to keep a screenshot of each page of the journey.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from mrasla_app.i18n import catalog
from tests.e2e.conftest import DESKTOP, PHONE, new_page
from tests.e2e.test_parapheur import HEAD, PIN, open_from_queue
from tests.e2e.test_portal import _typed_while_hydrating
from tests.e2e.test_shell import login
from tests.files import pdf_bytes

AGENT, CLERK, CRB_CLERK = "agent.mef@mrasla.ma", "clerk.mef@mrasla.ma", "clerk.crb@mrasla.ma"
# The people and administrations as each interface language writes them.
DIRECTOR_NAME = {"ar": "محمد برادة", "fr": "Mohammed Berrada"}
HEAD_NAME = {"ar": "خديجة التازي", "fr": "Khadija Tazi"}
MEF_NAME = {"ar": "وزارة الاقتصاد والمالية", "fr": "Ministère de l'Économie et des Finances"}
LETTERS = {
    "ar": ("طلب رخصة استغلال الملك العمومي", "السلام عليكم،\nأرجو منحي رخصة لاستغلال الرصيف أمام محلي."),
    "fr": (
        "Demande d'autorisation d'occupation du domaine public",
        "Bonjour,\nJe sollicite l'autorisation d'installer une terrasse devant mon commerce.",
    ),
}
ANSWER_LINE = {
    "ar": "يسلم الترخيص لمدة سنة قابلة للتجديد.",
    "fr": "L'autorisation est accordée pour un an, renouvelable.",
}
OUTGOING = {"ar": "إرسال تقرير الدعم إلى جماعة الرباط", "fr": "Transmission du rapport sur les subventions"}


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
    folder_url: str = ""
    reference: str = ""
    outgoing_folder_url: str = ""
    outgoing_reference: str = ""
    arrival: str = ""

    @property
    def T(self) -> dict[str, str]:  # the catalogue, read like the page reads it
        return catalog(self.lang)

    def citizen(self) -> Page:
        return new_page(self.browser, PHONE, lang=self.lang)

    def staff(self, email: str) -> Page:
        page = new_page(self.browser, DESKTOP, lang=self.lang)
        login(page, self.base_url, email)
        return page


def shot(j: Journey, page: Page, name: str) -> None:
    """A full-page screenshot named after the step, the device and the language (when MRASLA_SHOTS is set)."""
    folder = os.environ.get("MRASLA_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"journey-{name}-{j.lang}.png"), full_page=True)


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


def _pdftext(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _pdfsig_valid(path: Path) -> bool:
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout
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
        page.get_by_label(T["deposit.full_name"]).fill(
            "فاطمة الزهراء العلوي" if j.lang == "ar" else "Fatima Zahra Alaoui"
        )
        page.get_by_label(T["deposit.id_value"]).fill("AB123456")
        page.get_by_label(T["deposit.email"]).fill("citoyenne@example.ma")
        button(page, T["common.next"]).click()
        page.get_by_label(T["deposit.subject"]).fill(subject)
        page.get_by_label(T["deposit.message"]).fill(message)
        page.locator("input[type=file]").set_input_files(
            [{"name": "demande.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(1)}]
        )
        expect(page.get_by_text("demande.pdf", exact=True)).to_be_visible()
        button(page, T["common.next"]).click()
        expect(page.get_by_text(subject, exact=True)).to_be_visible()  # the review shows what will be sent
        shot(j, page, "deposit-review-phone")
        button(page, T["deposit.submit"]).click()
        page.wait_for_url(f"{j.base_url}/deposit/done", timeout=60_000)
        expect(page.get_by_role("heading", name=T["deposit.done_title"])).to_be_visible()
        j.number = page.get_by_text(re.compile(r"^MEF/\d{4}/A/\d{6}$")).inner_text().strip()
        j.tracking_url = page.get_by_role("link", name=T["deposit.track"]).get_attribute("href")
        shot(j, page, "deposit-done-phone")
        with page.expect_download() as info:
            page.get_by_role("link", name=T["deposit.download"]).click()
        j.receipt = j.tmp / "receipt.pdf"
        info.value.save_as(j.receipt)
    finally:
        page.context.close()
    assert _pdfsig_valid(j.receipt)


def verify_receipt_qr(j: Journey) -> None:
    """The QR code printed on the receipt opens the public page that says it is authentic."""
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(j.receipt), str(j.tmp / "receipt")], check=True
    )
    image = min(j.tmp.glob("receipt*.png"))
    url = subprocess.run(
        ["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert url.startswith(f"{j.base_url}/verify/"), url
    page = j.citizen()
    try:
        page.goto(url)
        expect(page.get_by_text(j.T["verify.authentic"], exact=True)).to_be_visible()
        expect(page.get_by_text(j.number, exact=True).first).to_be_visible()
        shot(j, page, "verify-receipt-phone")
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
            "يرجى الإجابة داخل الأجل" if j.lang == "ar" else "Merci de répondre dans le délai."
        )
        shot(j, page, "registry-qualify-desktop")
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
    shot(j, page, "letter-taken-desktop")
    return page


def draft_answer(j: Journey, page: Page) -> None:
    """Drafting in place: the template is filled on the letter's page, previewed as a PDF, and the
    signature circuit (head visa → director signature) starts with the letter itself."""
    T = j.T
    try:
        button(page, T["mail.answer"]).click()
        expect(page.get_by_role("heading", name=T["draft.title"])).to_be_visible()
        page.get_by_label(T["mail.answer_template"]).select_option(label=T["answer.template.favourable"])
        page.get_by_label(T["mail.answer_lang"]).select_option(j.lang)
        button(page, T["mail.answer_fill"]).click()
        body = page.get_by_label(T["mail.answer_text"])
        expect(body).to_have_value(re.compile(re.escape(j.number)))
        body.fill(body.input_value() + "\n" + ANSWER_LINE[j.lang])
        choose(page.get_by_label(T["draft.visa"]), HEAD_NAME[j.lang])
        choose(page.get_by_label(T["draft.signatory"]), DIRECTOR_NAME[j.lang])
        button(page, T["draft.preview"]).click()
        frame = page.get_by_test_id("letter-preview-frame")
        expect(frame).to_have_attribute("src", re.compile(r"^data:application/pdf;base64,"), timeout=30_000)
        shown = frame.element_handle().content_frame()
        shown.wait_for_load_state()
        assert shown.url.startswith("data:application/pdf"), shown.url  # not refused by the page's security policy
        preview = j.tmp / "preview.pdf"
        preview.write_bytes(base64.b64decode(frame.get_attribute("src").split(",", 1)[1]))
        assert j.number in _pdftext(preview)  # the merge fields are filled: the reference is in the letter
        shot(j, page, "letter-draft-desktop")
        button(page, T["draft.start"]).click()
        page.wait_for_url(re.compile(r".*/parapheur/\d+$"), timeout=60_000)
        j.folder_url = page.url
        j.reference = folder_reference(page)
    finally:
        page.context.close()


def folder_reference(page: Page) -> str:
    """The reference the folder page shows once it has loaded (the URL changes first, while the page
    left behind, e.g. a list of other folders, may still be on screen)."""
    ref = page.get_by_test_id("folder-reference")
    expect(ref).to_have_text(re.compile(r"^PAR-MEF-\d{4}-\d{6}$"), timeout=30_000)
    return ref.inner_text().strip()


# --- flow 4: visa, then signature by delegation ----------------------------------------------------


def visa(j: Journey, reference: str) -> None:
    T = j.T
    page = j.staff(HEAD)
    try:
        open_from_queue(page, j.base_url, "to_visa", reference)
        button(page, T["pf.act.approved"]).click()
        button(page, T["pf.do.approved"]).click()
        expect(notice(page, T["pf.done.approved"])).to_be_visible()
    finally:
        page.context.close()


def _enrol_if_needed(j: Journey, page: Page) -> bool:
    """The delegate learns she has no certificate before any PIN, and creates it from the link she is given."""
    T = j.T
    expect(page.get_by_test_id("action-sign")).to_be_visible()
    if not page.get_by_test_id("key-missing").count():
        return False
    expect(page.get_by_test_id("key-missing")).to_be_visible()
    page.get_by_role("link", name=T["draft.key_create"]).click()
    page.wait_for_url(re.compile(r".*/account/?$"))
    button(page, T["parapheur.enroll"]).click()
    page.get_by_label(T["pf.key.pin_new"]).fill(PIN)
    page.get_by_label(T["pf.key.pin_again"]).fill(PIN)
    button(page, T["parapheur.enroll"]).click()
    expect(notice(page, T["pf.key.enrolled"])).to_be_visible(timeout=30_000)
    return True


def sign_by_delegation(j: Journey, reference: str) -> None:
    """The director is away: his delegate (the head of division) signs in his name with her own certificate."""
    T = j.T
    by_delegation = T["parapheur.by_delegation"].format(name=DIRECTOR_NAME[j.lang])
    page = j.staff(HEAD)
    try:
        open_from_queue(page, j.base_url, "to_sign", reference)
        expect(page.get_by_test_id("obo-notice")).to_contain_text(by_delegation)
        if _enrol_if_needed(j, page):
            open_from_queue(page, j.base_url, "to_sign", reference)
        sign = page.get_by_role("button", name=re.compile(f"^{re.escape(T['pf.act.signed'])}"))
        expect(sign).to_contain_text(by_delegation)
        sign.click()
        page.get_by_label(T["parapheur.pin"]).fill(PIN)
        submit = page.get_by_role("button", name=re.compile(f"^{re.escape(T['pf.do.signed'])}"))
        expect(submit).to_contain_text(by_delegation)
        shot(j, page, f"sign-by-delegation-desktop-{'answer' if reference == j.reference else 'outgoing'}")
        submit.click()
        expect(notice(page, T["pf.done.signed"])).to_be_visible(timeout=60_000)
        expect(page.get_by_text(T["verify.authentic"], exact=True).first).to_be_visible(timeout=30_000)
        expect(page.get_by_text(by_delegation).first).to_be_visible()
    finally:
        page.context.close()


# --- flow 5: sending to the citizen ------------------------------------------------------------------


def send_to_citizen(j: Journey) -> None:
    """Signed, the folder says it is still to be sent; the letter's author is the recipient offered first."""
    T = j.T
    page = j.staff(AGENT)
    try:
        page.goto(j.folder_url)
        expect(page.get_by_test_id("folder-status")).to_have_text(T["parapheur.status.completed"])
        panel = page.get_by_test_id("send-panel")  # signed: the send step is open at once
        target = panel.get_by_label(T["sending.to"])
        expect(target).to_have_value("correspondent")
        expect(target.locator("option:checked")).to_contain_text(T["sending.to_correspondent"])
        shot(j, page, "folder-send-to-citizen-desktop")
        button(panel, T["sending.submit"]).click()
        sent = page.get_by_test_id("folder-sent")
        expect(sent).to_contain_text(T["sending.sent_as"], timeout=60_000)
        expect(page.get_by_test_id("folder-status")).to_have_attribute("data-status", "sent")
        expect(page.get_by_test_id("send-panel")).to_have_count(0)
    finally:
        page.context.close()


# --- flow 5 (citizen side): the answer on the tracking page -------------------------------------------


def citizen_finds_the_answer(j: Journey) -> None:
    """From the tracking link on a phone: download the signed answer (a valid signature), then verify it."""
    T = j.T
    page = j.citizen()
    try:
        page.goto(j.tracking_url if j.tracking_url.startswith("http") else j.base_url + j.tracking_url)
        expect(page.get_by_text(j.number, exact=True).first).to_be_visible()
        expect(page.get_by_text(T["track.status.answered"], exact=True).first).to_be_visible()
        expect(page.get_by_role("heading", name=T["track.answers"])).to_be_visible()
        shot(j, page, "tracking-answer-phone")
        with page.expect_download() as info:
            page.get_by_role("link", name=T["citizen.answer_download"]).click()
        answer = j.tmp / "answer.pdf"
        info.value.save_as(answer)
        assert info.value.suggested_filename == f"{j.reference}.pdf"
        assert _pdfsig_valid(answer)
        assert j.number in _pdftext(answer)

        page.get_by_role("link", name=T["citizen.answer_verify"]).click()
        expect(page.get_by_role("heading", name=T["citizen.verify_signed_title"])).to_be_visible()
        expect(page.get_by_test_id("verify-verdict")).to_have_attribute("data-verdict", "authentic")
        expect(page.get_by_text(j.number, exact=True).first).to_be_visible()
        expect(page.get_by_test_id("verify-signatory").first).to_be_visible()
        page.locator('[data-testid="verify-attachment"] input[type="file"]').set_input_files(str(answer))
        expect(page.get_by_text(T["citizen.verify_copy_match"], exact=True)).to_be_visible()
        shot(j, page, "verify-answer-phone")
    finally:
        page.context.close()


# --- flow 6: MEF writes to the Commune de Rabat ---------------------------------------------------------


def outgoing_letter(j: Journey) -> str:
    """The agent starts a folder linked to no incoming letter (a prepared PDF); returns its reference."""
    T = j.T
    page = j.staff(AGENT)
    try:
        page.goto(f"{j.base_url}/parapheur")
        button(page, T["pf.new"]).click()
        page.get_by_label(T["pf.folder_title"]).fill(OUTGOING[j.lang])
        page.locator("input[type=file]").set_input_files(
            [{"name": "rapport.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(2)}]
        )
        expect(page.get_by_text("rapport.pdf")).to_be_visible()
        people = page.get_by_label(T["pf.add_person"])
        for step, name in ((0, HEAD_NAME[j.lang]), (1, DIRECTOR_NAME[j.lang])):
            choose(people.nth(step), name)
        button(page, T["pf.start"]).click()
        page.wait_for_url(re.compile(r".*/parapheur/\d+$"))
        j.outgoing_folder_url = page.url
        return folder_reference(page)
    finally:
        page.context.close()


def send_to_crb(j: Journey) -> None:
    """Signed, the outgoing letter is sent to CRB from the send panel; MEF's outgoing letter records the
    delivery and CRB's acknowledgement, which lists the document received."""
    T = j.T
    page = j.staff(AGENT)
    try:
        page.goto(j.outgoing_folder_url)
        panel = page.get_by_test_id("send-panel")
        target = panel.get_by_label(T["sending.to"])
        expect(target.locator("option", has_text=T["sending.to_correspondent"])).to_have_count(0)
        choose(target, "CRB — ")
        button(panel, T["sending.submit"]).click()
        sent = page.get_by_test_id("folder-sent")
        expect(sent).to_contain_text(re.compile(r"MEF/\d{4}/D/\d{6}"), timeout=60_000)
        expect(sent).to_contain_text(T["sending.received_as"])
        expect(sent).to_contain_text(re.compile(r"CRB/\d{4}/A/\d{6}"))
        j.arrival = re.search(r"CRB/\d{4}/A/\d{6}", sent.inner_text()).group(0)
        shot(j, page, "folder-sent-to-crb-desktop")

        sent.get_by_role("link").click()  # MEF's outgoing letter
        expect(page).to_have_url(re.compile(r"/mail/\d+/?$"))
        outgoing = page.get_by_test_id("detail-number").inner_text().strip()
        docs = page.get_by_test_id("doc-list")
        ack = docs.locator("li", has_text=T["dockind.receipt"])
        expect(ack).to_have_count(1, timeout=30_000)
        pdf = page.request.get(j.base_url + ack.get_by_role("link", name=T["mail.download"]).get_attribute("href"))
        path = j.tmp / "acknowledgement.pdf"
        path.write_bytes(pdf.body())
        shot(j, page, "outgoing-letter-desktop")
    finally:
        page.context.close()
    assert _pdfsig_valid(path)
    text = _pdftext(path)
    assert outgoing in text and j.arrival in text
    assert f"{j.outgoing_reference}.pdf" in text  # the signed letter received, listed by name with its hash


def crb_receives_it(j: Journey) -> None:
    """CRB's clerk finds it in the incoming register, MEF as its sender, the signed letter with it."""
    T = j.T
    page = j.staff(CRB_CLERK)
    try:
        page.goto(f"{j.base_url}/registry")
        row = page.get_by_test_id(f"registry-row-{j.arrival.replace('/', '-')}")
        expect(row).to_contain_text(OUTGOING[j.lang])
        expect(row).to_contain_text(MEF_NAME[j.lang])
        shot(j, page, "crb-registry-desktop")
        row.get_by_role("link", name=T["mail.open"]).click()
        expect(page.get_by_test_id("detail-number")).to_have_text(j.arrival)
        expect(page.get_by_test_id("detail-sender")).to_have_text(MEF_NAME[j.lang])
        expect(page.get_by_test_id("doc-list")).to_contain_text(f"{j.outgoing_reference}.pdf")
        shot(j, page, "crb-letter-desktop")
    finally:
        page.context.close()


# --- nothing typed is lost on a slow phone -------------------------------------------------------------


def typing_at_once_on_a_slow_phone(j: Journey) -> None:
    for path, selector, text in (
        ("/deposit", "#deposit-search", "MEF"),
        ("/track", "#track-number", "MEF/2026/A/000001"),
    ):
        assert _typed_while_hydrating(j.browser, f"{j.base_url}{path}", selector, text, lang=j.lang) == text, path


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_the_whole_journey(browser, base_url, tmp_path, lang):
    j = Journey(browser, base_url, lang, tmp_path)
    typing_at_once_on_a_slow_phone(j)
    deposit(j)
    verify_receipt_qr(j)
    qualify_and_dispatch(j)
    draft_answer(j, take_and_annotate(j))
    visa(j, j.reference)
    sign_by_delegation(j, j.reference)
    send_to_citizen(j)
    citizen_finds_the_answer(j)
    j.outgoing_reference = outgoing_letter(j)
    visa(j, j.outgoing_reference)
    sign_by_delegation(j, j.outgoing_reference)
    send_to_crb(j)
    crb_receives_it(j)
