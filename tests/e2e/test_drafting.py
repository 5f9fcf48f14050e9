"""Drafting the answer in place, end to end: the agent writes it on the letter's page from a template,
sees the PDF preview, starts the circuit with it (no download, no upload); the head of division, who
holds the director's delegation but no certificate, is told so before any PIN; the director signs;
the signed letter has as many pages as the preview and the signature sits in its signatory block on
the last page. Then the agent edits the text into a new version on the folder page."""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import DESKTOP, ROOT, new_page
from tests.e2e.test_answer_flow import _api, _dispatched_deposit, _ensure_key
from tests.e2e.test_parapheur import DIRECTOR, HEAD, PIN, open_from_queue
from tests.e2e.test_shell import login


def _preview(page: Page) -> bytes:
    frame = page.get_by_test_id("letter-preview-frame")
    expect(frame).to_have_attribute("src", re.compile(r"^data:application/pdf;base64,"), timeout=30_000)
    return base64.b64decode(frame.get_attribute("src").split(",", 1)[1])


def _text(pdf: bytes) -> str:
    return _text_of(PdfReader(io.BytesIO(pdf)))


def _pick_option(page: Page, testid: str, name: str) -> None:
    select = page.get_by_test_id(testid)
    expect(select.locator("option", has_text=name)).to_have_count(1)
    select.select_option(label=next(o for o in select.locator("option").all_inner_texts() if o.startswith(name)))


def test_agent_drafts_previews_and_starts_the_circuit_and_the_signature_lands_in_the_letter(browser, base_url):
    number = _dispatched_deposit(base_url)
    with _api(base_url, "agent.mef@mrasla.ma") as api:
        cid = api.get("/api/v1/correspondence", params={"q": number}).json()["items"][0]["id"]

    agent = new_page(browser, DESKTOP)
    login(agent, base_url, "agent.mef@mrasla.ma")
    agent.goto(f"{base_url}/mail/{cid}")
    agent.get_by_test_id("action-answer").click()
    expect(agent.get_by_text("Rédiger la réponse dans l'application")).to_be_visible()
    agent.get_by_test_id("answer-template").select_option("favourable")
    agent.get_by_test_id("answer-fill").click()
    expect(agent.get_by_test_id("answer-body")).to_have_value(re.compile(re.escape(number)))
    expect(agent.get_by_test_id("letter-addressee")).to_have_value("Association Al Amal")
    agent.get_by_test_id("answer-body").fill(
        agent.get_by_test_id("answer-body").input_value() + "\nLe dossier complet est joint."
    )
    _pick_option(agent, "letter-visa", "Khadija Tazi")
    _pick_option(agent, "letter-signatory", "Mohammed Berrada")
    agent.get_by_role("button", name="Aperçu PDF").click()
    preview = _preview(agent)
    pages = len(PdfReader(io.BytesIO(preview)).pages)
    expect(agent.get_by_test_id("letter-preview-pages")).to_contain_text(str(pages))
    shown = _text(preview)
    for expected in (
        number,
        "Rabat, le ",
        "Association Al Amal",
        "Objet : ",
        "Mohammed Berrada",
        "Le dossier complet est joint.",
    ):
        assert expected in shown, expected
    agent.get_by_role("button", name="Lancer le circuit de signature").click()
    agent.wait_for_url(re.compile(r".*/parapheur/\d+$"), timeout=60_000)
    reference = agent.get_by_test_id("folder-reference").inner_text()
    expect(agent.get_by_test_id("folder-status")).to_have_attribute("data-status", "in_progress")

    head = new_page(browser, DESKTOP)
    login(head, base_url, HEAD)
    open_from_queue(head, base_url, "to_visa", reference)
    head.get_by_test_id("action-approve").click()
    head.get_by_test_id("action-submit").click()
    expect(head.get_by_test_id("step-2")).to_have_attribute("data-status", "active")
    # the delegate: the wording says for whom she acts, and the missing certificate comes before any PIN
    head.reload()
    expect(head.get_by_test_id("obo-notice")).to_have_text(re.compile("par délégation de Mohammed Berrada"))
    expect(head.get_by_test_id("key-missing")).to_contain_text("certificat de signature")
    expect(head.get_by_test_id("action-sign")).to_contain_text("par délégation de Mohammed Berrada")
    head.get_by_test_id("action-sign").click()
    expect(head.get_by_test_id("pin-input")).to_have_count(0)
    expect(head.get_by_test_id("action-submit")).to_be_disabled()
    head.context.close()

    director = new_page(browser, DESKTOP)
    login(director, base_url, DIRECTOR)
    _ensure_key(director, base_url)
    open_from_queue(director, base_url, "to_sign", reference)
    expect(director.get_by_test_id("obo-notice")).to_have_count(0)
    director.get_by_test_id("action-sign").click()
    director.get_by_test_id("pin-input").fill(PIN)
    director.get_by_test_id("action-submit").click()
    expect(director.get_by_test_id("folder-status")).to_have_attribute("data-status", "completed", timeout=60_000)
    expect(director.get_by_test_id("document-pages")).to_contain_text(f"{pages} page")  # as the viewer shows
    signed = director.request.get(base_url + director.get_by_test_id("signed-download").get_attribute("href")).body()
    director.context.close()

    reader = PdfReader(io.BytesIO(signed))
    assert len(reader.pages) == pages  # no signatures page appended
    last = reader.pages[-1]
    sigs = [
        a.get_object()
        for a in last.get("/Annots", [])
        if a.get_object().get("/FT") == "/Sig"
        and a.get_object().get("/V") is not None
        and a.get_object()["/V"].get_object().get("/Type") != "/DocTimeStamp"
    ]  # B-LTA's document timestamp
    assert len(sigs) == 1
    x1, y1, x2, y2 = (float(v) for v in sigs[0]["/Rect"])
    assert x1 > float(last.mediabox.width) / 2 and y1 > 100  # the French letter's signatory block, bottom right
    assert not any(
        a.get_object().get("/FT") == "/Sig"
        and a.get_object().get("/Rect") is not None
        and float(a.get_object()["/Rect"][2]) > float(a.get_object()["/Rect"][0])
        for p in reader.pages[:-1]
        for a in p.get("/Annots", [])
    )  # no visible field on earlier pages
    agent.context.close()


def test_rejected_letter_edited_in_place_becomes_a_new_version(browser, base_url):
    number = _dispatched_deposit(base_url)
    with _api(base_url, "agent.mef@mrasla.ma") as api:
        cid = api.get("/api/v1/correspondence", params={"q": number}).json()["items"][0]["id"]
    agent = new_page(browser, DESKTOP)
    login(agent, base_url, "agent.mef@mrasla.ma")
    agent.goto(f"{base_url}/mail/{cid}")
    agent.get_by_test_id("action-answer").click()
    agent.get_by_test_id("answer-fill").click()
    expect(agent.get_by_test_id("answer-body")).to_have_value(re.compile(re.escape(number)))
    _pick_option(agent, "letter-signatory", "Mohammed Berrada")
    agent.get_by_test_id("letter-submit").click()
    agent.wait_for_url(re.compile(r".*/parapheur/\d+$"), timeout=60_000)
    expect(agent.get_by_test_id("folder-status")).to_have_attribute("data-status", "in_progress")

    agent.get_by_test_id("letter-edit").click()
    body = agent.get_by_test_id("answer-body")
    expect(body).to_have_value(re.compile(re.escape(number)))
    body.fill(body.input_value() + "\nMontant accordé : 12 000 DH.")
    agent.get_by_test_id("letter-preview").click()
    assert "Montant accordé : 12 000 DH." in _text(_preview(agent))
    agent.get_by_role("button", name="Enregistrer comme nouvelle version").click()
    expect(agent.get_by_text("Nouvelle version de la lettre enregistrée.")).to_be_visible(timeout=60_000)
    expect(agent.locator("dd", has_text=re.compile(r"^2$"))).to_be_visible()  # version 2
    expect(agent.get_by_test_id("step-1")).to_have_attribute("data-status", "active")
    agent.context.close()


def test_staff_navigation_stays_on_one_row_at_1440_px(browser, base_url):
    for email in ("clerk.mef@mrasla.ma", "admin.mef@mrasla.ma"):
        for lang in ("fr", "ar"):
            page = new_page(browser, {"width": 1440, "height": 900}, lang=lang)
            login(page, base_url, email)
            links = page.locator(".nav-desktop .nav-link")
            expect(links.first).to_be_visible()
            tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(links.count())) if box}
            assert len(tops) == 1, (email, lang, tops)
            page.context.close()


def _paper_letter(server) -> int:
    """A paper letter registered by MEF's clerk (the registration page and its label are long gone)."""
    script = (
        "from sqlalchemy import select\n"
        "from mrasla_app import db\n"
        "from mrasla_app.models import Administration, User\n"
        "from mrasla_app.services.correspondence import paper\nfrom mrasla_app.services.directory import accounts\n"
        "from tests.files import pdf_bytes\n"
        "with db.write_session() as s:\n"
        "    user = s.execute(select(User).where(User.email == 'clerk.mef@mrasla.ma')).scalar_one()\n"
        "    mef = s.execute(select(Administration.id).where(Administration.code == 'MEF')).scalar_one()\n"
        "    reg = paper.register_incoming(s, accounts.load_actor(s, user), administration_id=mef, channel='paper',\n"
        "                                  subject='Courrier papier', sender_name='Ahmed Amrani',\n"
        "                                  files=[('lettre.pdf', pdf_bytes())])\n"
        "    print(reg.correspondence.id)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=server["env"], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip().splitlines()[-1])


def test_clerk_reprints_the_qr_label_from_the_letter_page(browser, base_url, server):
    cid = _paper_letter(server)
    page = new_page(browser, DESKTOP)
    login(page, base_url, "clerk.mef@mrasla.ma")
    page.goto(f"{base_url}/mail/{cid}")
    expect(page.get_by_test_id("action-dispatch")).to_have_text("Qualifier et imputer")  # not yet dispatched
    page.get_by_role("button", name="Réimprimer l'étiquette QR").click()
    expect(page.get_by_test_id("label-panel")).to_contain_text("le code de l'étiquette précédente ne fonctionnera plus")
    with page.expect_download() as info:
        page.get_by_test_id("label-reprint-small").click()
    assert info.value.suggested_filename.startswith("etiquette-MEF-")
    pdf = PdfReader(io.BytesIO(open(info.value.path(), "rb").read()))
    assert re.search(r"MEF/\d{4}/A/\d{6}", _text_of(pdf))
    page.context.close()


def _text_of(reader: PdfReader) -> str:
    return "\n".join(p.extract_text() for p in reader.pages)
