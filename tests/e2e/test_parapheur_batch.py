"""Batch signing and undo on a phone (390 px): the director signs 5 folders with one PIN from the batch
page, each gets its own signature and a line in the report; the head gives a visa in a batch, then
undoes it from the folder page (the withdrawn visa stays in the history)."""

from __future__ import annotations

import json
import subprocess
import sys

from playwright.sync_api import expect

from mrasla_app.i18n import catalog
from tests.answered import PIN
from tests.e2e.conftest import PHONE, ROOT, new_page
from tests.e2e.test_shell import login

FR = catalog("fr")
HEAD, DIRECTOR = "head.mef@mrasla.ma", "director.mef@mrasla.ma"

# Run in the server's data directory: 5 folders waiting for the director's signature, 1 for the head's visa.
SCRIPT = """
import json
from sqlalchemy import select
from mrasla_app import db
from mrasla_app.models import User
from mrasla_app.services.directory import accounts
from mrasla_app.services.parapheur import signing_keys, submission
from tests.answered import PIN, two_page_pdf

def actor(s, email):
    return accounts.load_actor(s, s.execute(select(User).where(User.email == email)).scalar_one())

with db.write_session() as s:
    director = actor(s, 'director.mef@mrasla.ma')
    if signing_keys.key_problem(signing_keys.active_key(s, director.user_id)):
        signing_keys.enroll(s, director, PIN)
out = {'sign': [], 'visa': []}
for kind, n in (('sign', 5), ('visa', 1)):
    for i in range(n):
        with db.write_session() as s:
            agent, head = actor(s, 'agent.mef@mrasla.ma'), actor(s, 'head.mef@mrasla.ma')
            director = actor(s, 'director.mef@mrasla.ma')
            f = submission.create_folder(s, agent, f'Lot {kind} {i + 1}', [('lettre.pdf', two_page_pdf(f'Lot {i}'))])
            steps = [{'kind': 'signature', 'user_ids': [director.user_id]}] if kind == 'sign' else [
                {'kind': 'visa', 'user_ids': [head.user_id]}, {'kind': 'signature', 'user_ids': [director.user_id]}]
            submission.start(s, agent, f.id, steps=steps)
            out[kind].append([f.id, f.reference])
print(json.dumps(out))
"""


def _folders(server) -> dict[str, list[list]]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=server["env"], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _login(page, base_url: str, email: str) -> None:
    """``test_shell.login``, with room for a cold server on a loaded machine (the page's first socket
    connection can take longer than the helper's 5 s)."""
    try:
        login(page, base_url, email)
    except AssertionError:
        expect(page.get_by_test_id("user-menu")).to_be_visible(timeout=30_000)


def _tick(page, folder_id: int) -> None:
    """Tick a folder: the box is controlled by the server's state, so wait for its answer."""
    box = page.get_by_test_id(f"pb-check-{folder_id}")
    box.click()
    expect(box).to_be_checked(timeout=15_000)


def test_batch_sign_five_then_undo_a_visa_on_a_phone(browser, base_url, server):
    made = _folders(server)
    director = new_page(browser, PHONE)
    _login(director, base_url, DIRECTOR)
    director.goto(f"{base_url}/parapheur")
    director.get_by_test_id("pf-queue-to_sign").click()
    director.get_by_test_id("pf-batch-link").click()
    expect(director.get_by_test_id("page-title")).to_have_text(FR["pb.title"])
    for fid, _ref in made["sign"]:
        row = director.get_by_test_id(f"pb-row-{fid}")
        expect(row).to_contain_text("Lot sign")
        _tick(director, fid)
    expect(director.get_by_test_id("pb-submit")).to_contain_text("(5)")
    director.get_by_test_id("pb-pin").fill(PIN)
    director.get_by_test_id("pb-submit").click()
    expect(director.get_by_test_id("pb-progress-text")).to_contain_text("5 / 5", timeout=45_000)
    for fid, _ref in made["sign"]:
        expect(director.get_by_test_id(f"pb-result-{fid}")).to_have_attribute("data-ok", "1")
        expect(director.get_by_test_id(f"pb-row-{fid}")).to_have_count(0)  # no longer waiting
    expect(director.get_by_test_id("form-notice")).to_have_text(FR["pb.done_all"].format(ok=5, total=5))
    director.context.close()

    head = new_page(browser, PHONE)
    _login(head, base_url, HEAD)
    head.goto(f"{base_url}/parapheur/batch?d=visa")
    fid, reference = made["visa"][0]
    expect(head.get_by_test_id("pb-pin")).to_have_count(0)  # a visa needs no PIN
    _tick(head, fid)
    head.get_by_test_id("pb-submit").click()
    expect(head.get_by_test_id(f"pb-result-{fid}")).to_have_attribute("data-ok", "1")
    head.goto(f"{base_url}/parapheur/{fid}")
    expect(head.get_by_test_id("folder-reference")).to_have_text(reference)
    expect(head.get_by_test_id("step-2")).to_have_attribute("data-status", "active")
    head.get_by_test_id("undo-decision").click()
    expect(head.get_by_test_id("form-notice")).to_have_text(FR["pf.undo.done"])
    expect(head.get_by_test_id("step-1")).to_have_attribute("data-status", "active")
    expect(head.get_by_test_id("history-withdrawn")).to_have_count(1)
    expect(head.get_by_test_id("action-panel")).to_be_visible()  # the head may decide again
    expect(head.get_by_test_id("undo-panel")).to_have_count(0)
    head.context.close()
