"""Flow 5 end to end: an answer signed in the parapheur reaches another administration's register.

A portal deposit to MEF is dispatched to the budget division (set up through the API); the agent
drafts the answer folder in the browser, linked to the deposit; the head of division gives the
visa and the director signs with his PIN; the agent sends the signed answer to the Commune de
Rabat. The commune's registry clerk sees it arrive in the incoming register with a CRB number,
while MEF's outgoing item carries a sealed acknowledgement that validates with pdfsig.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PASSWORD, new_page
from tests.e2e.test_parapheur import DIRECTOR, HEAD, PIN, _pick, open_from_queue, two_page_pdf
from tests.e2e.test_shell import login

SUBJECT = "Demande de transfert de crédits à la commune"


@contextmanager
def _api(base_url: str, email: str) -> Iterator[httpx.Client]:
    """An API client logged in as ``email`` (session cookie)."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        ticket = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
        assert client.post("/api/v1/auth/session", json=ticket).status_code == 204
        yield client


def _dispatched_deposit(base_url: str) -> str:
    r = httpx.post(
        f"{base_url}/api/v1/deposits",
        timeout=60,
        data={
            "administration": "MEF",
            "full_name": "Association Al Amal",
            "id_kind": "ICE",
            "id_value": "001122334455667",
            "email": "contact@alamal.ma",
            "subject": SUBJECT,
            "lang": "fr",
        },
    )
    assert r.status_code == 201, r.text
    number = r.json()["registry_number"]
    with _api(base_url, "clerk.mef@mrasla.ma") as clerk:
        item = clerk.get("/api/v1/correspondence", params={"q": number}).json()["items"][0]
        units = clerk.get(f"/api/v1/administrations/{_adm_id(clerk, 'MEF')}/units").json()
        dss = next(u["id"] for u in units if u["code"] == "DB.DSS")
        assert (
            clerk.post(f"/api/v1/correspondence/{item['id']}/qualify", json={"type_code": "request"}).status_code == 204
        )
        assert (
            clerk.post(f"/api/v1/correspondence/{item['id']}/dispatch", json={"action_unit_id": dss}).status_code == 204
        )
    return number


def _adm_id(client: httpx.Client, code: str) -> int:
    return next(a["id"] for a in client.get("/api/v1/administrations").json() if a["code"] == code)


def _ensure_key(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/account")
    status = page.get_by_test_id("key-status")
    expect(status).to_be_visible()
    if status.get_attribute("data-state") == "active":
        return
    page.get_by_test_id("key-enroll-open").click()
    page.get_by_test_id("key-enroll-pin").fill(PIN)
    page.get_by_test_id("key-enroll-pin2").fill(PIN)
    page.get_by_test_id("key-enroll-submit").click()
    expect(status).to_have_attribute("data-state", "active", timeout=30_000)


def test_signed_answer_reaches_another_administration_with_its_own_number(browser, base_url, tmp_path):
    number = _dispatched_deposit(base_url)

    agent = new_page(browser, DESKTOP)
    login(agent, base_url, "agent.mef@mrasla.ma")
    agent.goto(f"{base_url}/parapheur")
    agent.get_by_test_id("new-folder-open").click()
    agent.get_by_test_id("folder-title").fill("Transmission à la Commune de Rabat")
    agent.get_by_test_id("folder-number").fill(number)
    agent.locator("#folder-files input[type=file]").set_input_files(
        [{"name": "reponse.pdf", "mimeType": "application/pdf", "buffer": two_page_pdf("Transmission")}]
    )
    expect(agent.get_by_test_id("folder-file-list").locator("li")).to_have_count(1)
    _pick(agent, 0, "Khadija Tazi")
    _pick(agent, 1, "Mohammed Berrada")
    agent.get_by_test_id("folder-start").click()
    agent.wait_for_url(re.compile(r".*/parapheur/\d+$"))
    folder_url, reference = agent.url, agent.get_by_test_id("folder-reference").inner_text()

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

    agent.goto(folder_url)
    target = agent.get_by_test_id("send-to")
    expect(target.locator("option", has_text="CRB")).to_have_count(1)  # the directory loads with the page
    crb_label = next(o for o in target.locator("option").all_inner_texts() if o.startswith("CRB"))
    target.select_option(label=crb_label)
    agent.get_by_test_id("send-answer").click()
    expect(agent.get_by_test_id("folder-sent")).to_contain_text(re.compile(r"MEF/\d{4}/D/\d{6}"), timeout=60_000)
    outgoing = re.search(r"MEF/\d{4}/D/\d{6}", agent.get_by_test_id("folder-sent").inner_text()).group(0)
    agent.context.close()

    # the commune's registry sees it arrive with its own number
    clerk = new_page(browser, DESKTOP)
    login(clerk, base_url, "clerk.crb@mrasla.ma")
    clerk.goto(f"{base_url}/registry")
    row = clerk.locator("[data-testid^='registry-row-CRB-']", has_text="Transmission à la Commune de Rabat")
    expect(row).to_be_visible()
    assert re.search(r"CRB-\d{4}-A-\d{6}", row.get_attribute("data-testid"))
    clerk.context.close()

    # the sender holds a sealed acknowledgement on its outgoing item
    with _api(base_url, "agent.mef@mrasla.ma") as api:
        item = api.get("/api/v1/correspondence", params={"q": outgoing}).json()["items"][0]
        docs = api.get(f"/api/v1/correspondence/{item['id']}").json()["documents"]
        ack = next(d for d in docs if d["kind"] == "receipt")
        pdf = api.get(f"/api/v1/documents/{ack['id']}").content
    path = tmp_path / "ack.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in out and "Total document signed" in out
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert outgoing in text and re.search(r"CRB/\d{4}/A/\d{6}", text)
