"""What the server sends to browsers over the websocket, read off the wire on the production build.

Every frame the server sends while citizens and staff use the app is recorded. None may carry a
backend-only var (a ``_``-prefixed name), a password hash, key material, a session token, the access or
QR tokens of somebody else's deposit, or a correspondence outside the viewer's scope — even when the
viewer aims the pages at it (another administration's item by id, another deposit's tokens in a link).
"""

from __future__ import annotations

import json
import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DESKTOP, PHONE, new_page
from tests.e2e.test_shell import PASSWORD, login

SECRETS = ("$argon2", "-----BEGIN", "PRIVATE KEY", "password_hash", "totp_secret", "token_hash", "key_blob")


def _deposit(base_url: str, administration: str, marker: str, cin: str) -> dict:
    form = {
        "administration": administration,
        "full_name": f"Déposant {marker}",
        "id_kind": "CIN",
        "id_value": cin,
        "email": f"{marker.lower()}@example.ma",
        "phone": "",
        "subject": f"Objet {marker}",
        "message": f"Message {marker}",
        "lang": "fr",
    }
    r = httpx.post(f"{base_url}/api/v1/deposits", data=form, timeout=60)
    assert r.status_code == 201, r.text
    out = r.json()
    out["access"] = re.search(r"[?&]k=([^&]+)", out["receipt_url"]).group(1)
    out["verify"] = re.search(r"[?&]t=([^&]+)", out["verify_url"]).group(1)
    return out


def _id_of(base_url: str, email: str, subject: str) -> int:
    """The correspondence id, as its own administration's clerk sees it through the staff API."""
    with httpx.Client(base_url=base_url, timeout=30) as c:
        ticket = c.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
        assert c.post("/api/v1/auth/session", json=ticket).status_code == 204
        items = c.get("/api/v1/correspondence", params={"q": subject}).json()["items"]
    return next(i["id"] for i in items if i["subject"] == subject)


def _record(page: Page) -> list[str]:
    """Every websocket frame the server sends to this page (Socket.IO text frames)."""
    frames: list[str] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived",
            lambda payload: frames.append(payload if isinstance(payload, str) else payload.decode("utf-8", "replace")),
        ),
    )
    return frames


def _deltas(frames: list[str]) -> list[dict]:
    """The state deltas carried by Reflex ``event`` messages (``42/_event,["event", {"delta": …}]``)."""
    out = []
    for f in frames:
        match = re.match(r"42(/[^,\[]*,)?", f)
        if not match:
            continue
        try:
            name, body, *_ = json.loads(f[match.end() :])
        except (ValueError, TypeError):
            continue
        if name == "event" and isinstance(body, dict) and isinstance(body.get("delta"), dict):
            out.append(body["delta"])
    return out


def _check(frames: list[str], forbidden: list[str]) -> None:
    deltas = _deltas(frames)
    assert deltas, "no state delta recorded"
    backend = sorted(
        {
            f"{state}.{var}"
            for d in deltas
            for state, vars_ in d.items()
            if isinstance(vars_, dict)
            for var in vars_
            if var.startswith("_")
        }
    )
    assert not backend, f"backend-only vars sent to the browser: {backend[:5]}"
    wire = "\n".join(frames)
    found = [s for s in (*SECRETS, *forbidden) if s and s in wire]
    assert not found, f"sent over the websocket: {found}"


def _visit(page: Page, url: str, ready: str) -> None:
    page.goto(url)
    expect(page.locator(ready).first).to_be_visible()


def test_state_deltas_carry_nothing_outside_the_viewer_scope(browser, base_url):
    tag = uuid.uuid4().hex[:6].upper()
    crb = _deposit(base_url, "CRB", f"CRB{tag}", "ZW903456")
    mef = _deposit(base_url, "MEF", f"MEF{tag}", "ZX901234")
    crb_id = _id_of(base_url, "clerk.crb@mrasla.ma", f"Objet CRB{tag}")
    mef_id = _id_of(base_url, "clerk.mef@mrasla.ma", f"Objet MEF{tag}")
    crb_secrets = [f"Objet CRB{tag}", f"Déposant CRB{tag}", "ZW903456", crb["access"], crb["verify"]]
    tokens = [crb["access"], crb["verify"], mef["access"], mef["verify"]]

    # The Commune's depositor opens the Ministry's letter with their own tokens: nothing of it arrives
    # (their own tokens are in the URLs they typed, so the router echoes them; the Ministry's never appear).
    citizen = new_page(browser, PHONE)
    frames = _record(citizen)
    _visit(citizen, f"{base_url}/track/{mef['reference']}?k={crb['access']}", "[data-testid=form-error]")
    _visit(citizen, f"{base_url}/verify/{mef['reference']}?t={crb['verify']}", "h1")
    _visit(citizen, f"{base_url}/deposit", "h1")
    citizen.wait_for_timeout(500)
    _check(frames, [f"Objet MEF{tag}", f"Déposant MEF{tag}", "ZX901234", mef["access"], mef["verify"]])
    citizen.context.close()

    # The Ministry's clerk works the registry, searches for the Commune's letter and aims a page at it.
    clerk = new_page(browser, DESKTOP)
    frames = _record(clerk)
    login(clerk, base_url, "clerk.mef@mrasla.ma")
    _visit(clerk, f"{base_url}/registry", "h1")
    _visit(clerk, f"{base_url}/inbox", "h1")
    clerk.locator("#inbox-search").fill(f"CRB{tag}")
    clerk.locator("#inbox-search").press("Enter")
    clerk.wait_for_timeout(800)
    _visit(clerk, f"{base_url}/mail/{crb_id}", "[data-testid=mail-not-found]")
    _visit(clerk, f"{base_url}/mail/{mef_id}", "[data-testid=detail-number]")
    _visit(clerk, f"{base_url}/account", "h1")
    clerk.wait_for_timeout(500)
    session = next(c["value"] for c in clerk.context.cookies() if c["name"] == "mrasla_session")
    assert f"Objet MEF{tag}" in "\n".join(frames)  # the recording works: what the clerk may see did arrive
    _check(frames, [*crb_secrets, session, *tokens])
    clerk.context.close()

    # The Ministry's administrator goes through every admin page: people, but no letters, hashes or keys.
    admin = new_page(browser, DESKTOP)
    frames = _record(admin)
    login(admin, base_url, "admin.mef@mrasla.ma")
    for path in (
        "/admin/users",
        "/admin/units",
        "/admin/delegations",
        "/admin/circuits",
        "/admin/holidays",
        "/dashboard",
        "/account",
    ):
        _visit(admin, f"{base_url}{path}", "h1")
    admin.wait_for_timeout(500)
    session = next(c["value"] for c in admin.context.cookies() if c["name"] == "mrasla_session")
    _check(
        frames,
        [
            *crb_secrets,
            f"Objet MEF{tag}",
            f"Déposant MEF{tag}",
            "ZX901234",
            session,
            *tokens,
            "agent.crb@mrasla.ma",
            "clerk.crb@mrasla.ma",
        ],
    )
    admin.context.close()
