"""Sending as one visible step (issue #11): an outgoing letter of MEF — drafted in a folder linked to
no incoming letter — is signed, then sent to the Commune de Rabat from the folder page's send
panel. It arrives in CRB's incoming register with MEF as its sender, the history on both sides
says what happened in words, and MEF's acknowledgement lists the document received with its hash.

Set ``MRASLA_SHOTS=<dir>`` to keep screenshots of the pages (desktop and phone, French and Arabic).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, new_page
from tests.e2e.test_answer_flow import _api, _ensure_key
from tests.e2e.test_parapheur import DIRECTOR, HEAD, PIN, create_folder, open_from_queue
from tests.e2e.test_shell import login

TITLE = "Transmission du rapport sur les subventions"
MEF_FR = "Ministère de l'Économie et des Finances"


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("MRASLA_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _sign(browser, base_url: str, reference: str) -> None:
    head = new_page(browser, DESKTOP)
    login(head, base_url, HEAD)
    open_from_queue(head, base_url, "to_visa", reference)
    head.get_by_test_id("action-approve").click()
    head.get_by_test_id("action-submit").click()
    expect(head.get_by_test_id("step-2")).to_have_attribute("data-status", "active")
    head.context.close()
    director = new_page(browser, DESKTOP)
    login(director, base_url, DIRECTOR)
    _ensure_key(director, base_url)
    open_from_queue(director, base_url, "to_sign", reference)
    director.get_by_test_id("action-sign").click()
    director.get_by_test_id("pin-input").fill(PIN)
    director.get_by_test_id("action-submit").click()
    expect(director.get_by_test_id("folder-status")).to_have_attribute("data-status", "completed", timeout=60_000)
    director.context.close()


def test_an_outgoing_letter_signed_and_sent_to_another_administration(browser, base_url, tmp_path):
    agent = new_page(browser, DESKTOP)
    login(agent, base_url, "agent.mef@mrasla.ma")
    folder_url = create_folder(agent, base_url, TITLE)
    reference = agent.get_by_test_id("folder-reference").inner_text()
    _sign(browser, base_url, reference)

    # signed: the folder says it still has to be sent, and the send panel is there at once
    agent.goto(folder_url)
    expect(agent.get_by_test_id("folder-status")).to_have_text("Signé, à envoyer")
    panel = agent.get_by_test_id("send-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading", name="Envoyer")).to_be_visible()
    target = agent.get_by_test_id("send-to")
    expect(target.locator("option", has_text="CRB — Commune de Rabat")).to_have_count(1)
    expect(target.locator("option", has_text="L'auteur du courrier")).to_have_count(0)  # linked to no letter
    _shot(agent, "folder-to-send-desktop-fr")
    target.select_option(label="CRB — Commune de Rabat")
    panel.get_by_role("button", name="Envoyer").click()
    sent = agent.get_by_test_id("folder-sent")
    expect(sent).to_contain_text(re.compile(r"Envoyé sous le n° MEF/\d{4}/D/\d{6}"), timeout=60_000)
    expect(sent).to_contain_text(re.compile(r"reçu par le destinataire sous le n° CRB/\d{4}/A/\d{6}"))
    expect(agent.get_by_test_id("folder-status")).to_have_text("Envoyé")
    expect(agent.get_by_test_id("send-panel")).to_have_count(0)
    outgoing = re.search(r"MEF/\d{4}/D/\d{6}", sent.inner_text()).group(0)
    arrival = re.search(r"CRB/\d{4}/A/\d{6}", sent.inner_text()).group(0)
    _shot(agent, "folder-sent-desktop-fr")

    # MEF's outgoing letter: sent, delivered, acknowledged — in words
    sent.get_by_role("link").click()
    expect(agent.get_by_test_id("detail-number")).to_have_text(outgoing)
    expect(agent.get_by_test_id("detail-status")).to_have_text("Envoyé")
    expect(agent.get_by_test_id("detail-recipient")).to_have_text("Commune de Rabat")
    history = agent.get_by_test_id("history-list")
    expect(history.locator("[data-action='delivered']")).to_contain_text("Remis à l'administration destinataire")
    expect(history.locator("[data-action='delivered']")).to_contain_text(arrival)
    expect(history.locator("[data-action='acknowledged']")).to_contain_text("Accusé de réception reçu")
    expect(history.locator("[data-action='acknowledged']")).to_contain_text("Commune de Rabat")
    expect(history).not_to_contain_text("Événement")
    expect(history).not_to_contain_text("administration:")
    _shot(agent, "outgoing-desktop-fr")
    agent.context.close()

    # CRB: the letter is in the incoming register, MEF as its sender, the document with it
    for viewport, lang, tag in ((DESKTOP, "fr", "desktop-fr"), (PHONE, "ar", "phone-ar")):
        clerk = new_page(browser, viewport, lang=lang)
        login(clerk, base_url, "clerk.crb@mrasla.ma")
        clerk.goto(f"{base_url}/registry")
        row = clerk.locator(f"[data-testid='registry-row-{arrival.replace('/', '-')}']")
        expect(row).to_be_visible()
        expect(row).to_contain_text(TITLE)
        _shot(clerk, f"crb-registry-{tag}")
        with _api(base_url, "clerk.crb@mrasla.ma") as api:
            item = api.get("/api/v1/correspondence", params={"q": arrival}).json()["items"][0]
        clerk.goto(f"{base_url}/mail/{item['id']}")
        expect(clerk.get_by_test_id("detail-number")).to_have_text(arrival)
        if lang == "fr":
            expect(clerk.get_by_test_id("detail-sender")).to_have_text(MEF_FR)
            received = clerk.get_by_test_id("history-list").locator("[data-action='received']")
            expect(received).to_contain_text("Reçu d'une autre administration")
            expect(received).to_contain_text(MEF_FR)
            expect(received).to_contain_text(outgoing)
        else:
            expect(clerk.get_by_test_id("detail-sender")).to_have_text("وزارة الاقتصاد والمالية")
            expect(clerk.get_by_test_id("history-list").locator("[data-action='received']")).to_contain_text(
                "ورد من إدارة أخرى"
            )
        expect(clerk.get_by_test_id("doc-list").locator("li")).to_have_count(1)
        expect(clerk.get_by_test_id("doc-list")).to_contain_text(f"{reference}.pdf")
        _shot(clerk, f"crb-letter-{tag}")
        clerk.context.close()

    # MEF's acknowledgement lists every document received, with its SHA-256
    with _api(base_url, "agent.mef@mrasla.ma") as api:
        item = api.get("/api/v1/correspondence", params={"q": outgoing}).json()["items"][0]
        docs = api.get(f"/api/v1/correspondence/{item['id']}").json()["documents"]
        signed = next(d for d in docs if d["kind"] == "signed")
        ack = next(d for d in docs if d["kind"] == "receipt")
        pdf = api.get(f"/api/v1/documents/{ack['id']}").content
    path = tmp_path / "ack.pdf"
    path.write_bytes(pdf)
    assert "Signature is Valid" in subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "Pièces déposées (1)" in text and f"{reference}.pdf" in text
    assert signed["sha256"][:32] in re.sub(r"\s", "", text)
    assert outgoing in text and arrival in text


def test_the_send_panel_on_a_phone_in_arabic(browser, base_url):
    """The same step on a phone, in Arabic: the panel fits and speaks Arabic."""
    agent = new_page(browser, DESKTOP)
    login(agent, base_url, "agent.mef@mrasla.ma")
    folder_url = create_folder(agent, base_url, "Note au Secrétariat général")
    reference = agent.get_by_test_id("folder-reference").inner_text()
    agent.context.close()
    _sign(browser, base_url, reference)
    phone = new_page(browser, PHONE, lang="ar")
    login(phone, base_url, "agent.mef@mrasla.ma")
    phone.goto(folder_url)
    panel = phone.get_by_test_id("send-panel")
    expect(panel).to_be_visible()
    expect(phone.get_by_test_id("folder-status")).to_have_text("موقع، للإرسال")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(phone, "folder-to-send-phone-ar")
    target = phone.get_by_test_id("send-to")
    label = next(o for o in target.locator("option").all_inner_texts() if o.startswith("SG — "))
    target.select_option(label=label)
    panel.get_by_role("button", name="إرسال").click()
    expect(phone.get_by_test_id("folder-sent")).to_contain_text(re.compile(r"MEF/\d{4}/I/\d{6}"), timeout=60_000)
    expect(phone.get_by_test_id("folder-status")).to_have_text("مرسل")
    _shot(phone, "folder-sent-phone-ar")


def _option_label(page: Page, select_id: str, contains: str) -> str:
    return next(o for o in page.locator(f"#{select_id} option").all_inner_texts() if contains in o)


def test_a_registered_outgoing_letter_for_a_platform_administration_is_sent_from_its_page(browser, base_url):
    """A "Départ" registered for CRB says it is not delivered yet, and is sent from the letter page."""
    from tests.e2e.test_parapheur import two_page_pdf

    clerk = new_page(browser, DESKTOP, lang="fr")
    login(clerk, base_url, "clerk.mef@mrasla.ma")
    clerk.goto(f"{base_url}/registry/new")
    clerk.get_by_test_id("reg-kind-outgoing").click()
    expect(clerk.get_by_test_id("reg-kind-outgoing")).to_have_attribute("aria-pressed", "true")
    clerk.locator("#reg-unit").select_option(label=_option_label(clerk, "reg-unit", "Direction du Budget"))
    clerk.locator("#reg-recipient_administration").select_option(
        label=_option_label(clerk, "reg-recipient_administration", "Commune de Rabat")
    )
    clerk.locator("#reg-subject").fill("Convention de partenariat signée")
    clerk.locator('[data-testid="reg-files"] input[type="file"]').set_input_files(
        [{"name": "convention.pdf", "mimeType": "application/pdf", "buffer": two_page_pdf("Convention")}]
    )
    expect(clerk.get_by_test_id("reg-file-name")).to_have_text("convention.pdf")
    clerk.get_by_test_id("reg-submit").click()
    number = clerk.get_by_test_id("reg-number")
    expect(number).to_have_text(re.compile(r"MEF/\d{4}/D/\d{6}"))
    outgoing = number.inner_text()
    expect(clerk.get_by_test_id("reg-to-send")).to_contain_text("pas encore remis")
    _shot(clerk, "registered-to-send-desktop-fr")
    clerk.get_by_test_id("reg-open-send").click()

    expect(clerk.get_by_test_id("detail-number")).to_have_text(outgoing)
    expect(clerk.get_by_test_id("detail-status")).to_have_text("À envoyer")
    clerk.get_by_role("button", name="Envoyer…").click()
    panel = clerk.get_by_test_id("send-panel")
    expect(panel.get_by_test_id("send-fixed")).to_contain_text("CRB — Commune de Rabat")
    _shot(clerk, "outgoing-send-panel-desktop-fr")
    panel.get_by_role("button", name="Envoyer").click()
    expect(clerk.get_by_test_id("detail-status")).to_have_text("Envoyé", timeout=60_000)
    expect(clerk.get_by_test_id("send-result")).to_contain_text(
        re.compile(r"reçu par le destinataire sous le n° CRB/\d{4}/A/\d{6}")
    )
    delivered = clerk.get_by_test_id("history-list").locator("[data-action='delivered']")
    expect(delivered).to_contain_text("Remis à l'administration destinataire")
    expect(clerk.get_by_test_id("action-send")).to_have_count(0)
    _shot(clerk, "outgoing-sent-desktop-fr")
    clerk.context.close()


def test_copies_for_information_are_shown_to_their_recipients_and_in_the_history(browser, base_url):
    """Dispatched for action to the Secretariat general with a copy to the social sectors division: the
    division sees it is a copy, and the history names the copied unit."""
    import httpx

    r = httpx.post(
        f"{base_url}/api/v1/deposits",
        timeout=60,
        data={
            "administration": "MEF",
            "full_name": "Karim Idrissi",
            "id_kind": "CIN",
            "id_value": "AB123456",
            "email": "karim@example.ma",
            "subject": "Demande d'information sur un programme",
            "lang": "fr",
        },
    )
    assert r.status_code == 201, r.text
    number = r.json()["registry_number"]
    with _api(base_url, "clerk.mef@mrasla.ma") as clerk:
        item = clerk.get("/api/v1/correspondence", params={"q": number}).json()["items"][0]
        adm = next(a["id"] for a in clerk.get("/api/v1/administrations").json() if a["code"] == "MEF")
        units = {u["code"]: u["id"] for u in clerk.get(f"/api/v1/administrations/{adm}/units").json()}
        assert (
            clerk.post(f"/api/v1/correspondence/{item['id']}/qualify", json={"type_code": "request"}).status_code == 204
        )
        assert (
            clerk.post(
                f"/api/v1/correspondence/{item['id']}/dispatch",
                json={"action_unit_id": units["SG"], "info_unit_ids": [units["DB.DSS"]]},
            ).status_code
            == 204
        )
    for viewport, lang, tag in ((DESKTOP, "fr", "desktop-fr"), (PHONE, "ar", "phone-ar")):
        agent = new_page(browser, viewport, lang=lang)
        login(agent, base_url, "agent.mef@mrasla.ma")
        agent.goto(f"{base_url}/mail/{item['id']}")
        expect(agent.get_by_test_id("detail-number")).to_have_text(number)
        copies = agent.get_by_test_id("detail-copies")
        expect(agent.get_by_test_id("detail-info-copy")).to_be_visible()
        if lang == "fr":
            expect(copies).to_contain_text("Division des Secteurs Sociaux")
            expect(agent.get_by_test_id("detail-info-copy")).to_contain_text("pour information")
            dispatched = agent.get_by_test_id("history-list").locator("[data-action='dispatched']")
            expect(dispatched).to_contain_text("Division des Secteurs Sociaux")
        else:
            expect(copies).to_contain_text("قسم القطاعات الاجتماعية")
        _shot(agent, f"copy-for-information-{tag}")
        agent.context.close()


def test_a_signed_answer_is_sent_to_the_citizen_from_the_letter_page(browser, base_url):
    """The folder answers a portal deposit: the letter page offers "Envoyer…", the letter's author is the
    recipient chosen by default, and the citizen's letter becomes answered."""
    from tests.e2e.test_answer_flow import _dispatched_deposit
    from tests.e2e.test_parapheur import _pick, two_page_pdf

    number = _dispatched_deposit(base_url)
    agent = new_page(browser, DESKTOP)
    login(agent, base_url, "agent.mef@mrasla.ma")
    agent.goto(f"{base_url}/parapheur")
    agent.get_by_test_id("new-folder-open").click()
    agent.get_by_test_id("folder-title").fill("Réponse à l'association")
    agent.get_by_test_id("folder-number").fill(number)
    agent.locator("#folder-files input[type=file]").set_input_files(
        [{"name": "reponse.pdf", "mimeType": "application/pdf", "buffer": two_page_pdf("Reponse")}]
    )
    expect(agent.get_by_test_id("folder-file-list").locator("li")).to_have_count(1)
    _pick(agent, 0, "Khadija Tazi")
    _pick(agent, 1, "Mohammed Berrada")
    agent.get_by_test_id("folder-start").click()
    agent.wait_for_url(re.compile(r".*/parapheur/\d+$"))
    reference = agent.get_by_test_id("folder-reference").inner_text()
    _sign(browser, base_url, reference)

    with _api(base_url, "agent.mef@mrasla.ma") as api:
        cid = api.get("/api/v1/correspondence", params={"q": number}).json()["items"][0]["id"]
    agent.goto(f"{base_url}/mail/{cid}")
    agent.get_by_role("button", name="Envoyer…").click()
    panel = agent.get_by_test_id("send-panel")
    expect(panel).to_contain_text(reference)
    expect(agent.get_by_test_id("send-to")).to_have_value("correspondent")
    expect(agent.get_by_test_id("send-to").locator("option[value='correspondent']")).to_have_text(
        "L'auteur du courrier : Association Al Amal"
    )
    _shot(agent, "letter-send-panel-desktop-fr")
    panel.get_by_role("button", name="Envoyer").click()
    expect(agent.get_by_test_id("detail-status")).to_have_text("Répondu", timeout=60_000)
    expect(agent.get_by_test_id("send-result")).to_contain_text(re.compile(r"Envoyé sous le n° MEF/\d{4}/D/\d{6}"))
    expect(agent.get_by_test_id("action-send")).to_have_count(0)
    agent.context.close()
