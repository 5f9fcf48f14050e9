"""Directory sign-in in the browser: the login page offers MEF's OpenID Connect provider; the
redirect flow (app → provider's login form → app) ends signed in on the clerk's landing page, with
the role the groups claim maps to. The provider is the Authlib one of ``tests/signin_servers.py``.

With ``MRASLA_SHOTS=<dir>`` the login page (providers listed) and the admin page are also saved
there, phone and desktop, Arabic and French, for a person to look at.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from mrasla_app import db
from mrasla_app.services.directory.accounts import system_actor
from mrasla_app.services.signin import providers
from mrasla_app.settings import get_settings
from tests.e2e.conftest import DESKTOP, PHONE, new_page
from tests.e2e.test_shell import login
from tests.signin_servers import OidcAccount, oidc_provider

pytestmark = pytest.mark.e2e


def _configure(server: dict, monkeypatch: pytest.MonkeyPatch, issuer: str, client_id: str, secret: str) -> None:
    """MEF's providers, written into the running server's database (sealed under its master key)."""
    for name, value in server["env"].items():  # type: ignore[union-attr]
        if name.startswith("MRASLA_"):
            monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    db.reset_engines()
    from sqlalchemy import select

    from mrasla_app.models import Administration, Unit

    with db.write_session() as s:
        adm = s.execute(select(Administration.id).where(Administration.code == "MEF")).scalar_one()
        bo = s.execute(select(Unit.id).where(Unit.administration_id == adm, Unit.code == "BO")).scalar_one()
        p = providers.save_provider(
            s,
            system_actor(),
            adm,
            None,
            {"kind": "oidc", "name": "MEF Connect", "enabled": "1", "issuer": issuer, "client_id": client_id},
            secret=secret,
        )
        providers.add_rule(s, system_actor(), p.id, "courrier", bo, "clerk")
        providers.save_provider(
            s,
            system_actor(),
            adm,
            None,
            {
                "kind": "ldap",
                "name": "Annuaire MEF",
                "enabled": "1",
                "server_url": "ldaps://ldap.mef.gov.ma",
                "search_base": "ou=people,dc=mef,dc=gov,dc=ma",
                "search_filter": "(uid={login})",
                "login_domain": "mef.gov.ma",
            },
        )


def _shots(browser, base_url: str, shots: Path) -> None:
    for lang in ("ar", "fr"):
        for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page = new_page(browser, viewport, lang=lang)
            page.goto(f"{base_url}/login")
            expect(page.get_by_test_id("login-directories")).to_be_visible()
            page.screenshot(path=str(shots / f"login-{lang}-{label}.png"), full_page=True)
            login(page, base_url, "admin.mef@mrasla.ma")
            page.goto(f"{base_url}/admin/signin")
            expect(page.get_by_test_id("idp-table")).to_be_visible()
            page.get_by_test_id("idp-rules-1").click()
            expect(page.get_by_test_id("idp-rules")).to_be_visible()
            page.screenshot(path=str(shots / f"admin-signin-{lang}-{label}.png"), full_page=True)
            page.get_by_test_id("idp-edit-2").click()
            expect(page.get_by_test_id("idp-form")).to_be_visible()
            page.screenshot(path=str(shots / f"admin-signin-form-{lang}-{label}.png"), full_page=True)
            page.context.close()


def test_openid_connect_redirect_flow_signs_in_with_the_mapped_role(browser, server, base_url, monkeypatch):
    with oidc_provider() as idp:
        idp.accounts["amina"] = OidcAccount(
            "amina-pw",
            {"email": "amina.oidc@mef.gov.ma", "email_verified": True, "name": "Amina Idrissi", "groups": ["courrier"]},
        )
        _configure(server, monkeypatch, idp.issuer, idp.client_id, idp.client_secret)
        page = new_page(browser, PHONE, lang="fr")
        page.goto(f"{base_url}/login")
        button = page.get_by_test_id("login-directories").get_by_role("link", name=re.compile("MEF Connect"))
        button.click()
        expect(page).to_have_url(re.compile(re.escape(idp.issuer) + "/authorize"))
        page.locator("#idp-login").fill("amina")
        page.locator("#idp-password").fill("amina-pw")
        page.locator("#idp-submit").click()
        expect(page).to_have_url(re.compile(re.escape(base_url) + "/registry/?$"))  # a clerk's landing page
        expect(page.get_by_test_id("user-menu")).to_contain_text("Amina Idrissi")
        expect(page.get_by_test_id("nav-registry").first).to_be_attached()  # in the phone's menu drawer
        page.context.close()
        if shots := os.environ.get("MRASLA_SHOTS"):
            Path(shots).mkdir(parents=True, exist_ok=True)
            _shots(browser, base_url, Path(shots))
