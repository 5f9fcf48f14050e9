"""Administrator TOTP is not trust-on-first-use (issue 12, finding 6), in the browser: a new administrator
signs in with the password alone and gets no administrator rights; another administrator issues a
one-time enrolment code on the users page; with it the new administrator enrols and the rights apply."""

from __future__ import annotations

import pyotp
from playwright.sync_api import expect

from mrasla_app.i18n import catalog
from tests.e2e.conftest import DESKTOP, new_page
from tests.e2e.test_shell import login

FR = catalog("fr")
EMAIL, PASSWORD = "nouvelle.admin@mrasla.ma", "Nouvelle-Admin-2026"


def test_a_new_administrator_enrols_with_a_code_issued_by_another(browser, base_url):
    admin = new_page(browser, DESKTOP)
    login(admin, base_url, "admin.mef@mrasla.ma")
    admin.goto(f"{base_url}/admin/users")
    admin.get_by_test_id("user-new").click()
    admin.locator("#newuser-email").fill(EMAIL)
    admin.locator("#newuser-password").fill(PASSWORD)
    admin.locator("#newuser-full_name").fill("Salma Idrissi")
    _pick_unit(admin, "DAAG")
    admin.locator("#newuser-role").select_option("admin")
    admin.get_by_test_id("user-create").click()
    admin.get_by_test_id(f"user-manage-{EMAIL}").click()
    expect(admin.get_by_test_id("user-totp")).to_have_text(FR["admin.user.totp_none"])

    # password alone: signed in, but no administration, and no enrolment without a code
    newcomer = new_page(browser, DESKTOP)
    login(newcomer, base_url, EMAIL, PASSWORD)
    newcomer.goto(f"{base_url}/admin/users")
    expect(newcomer).to_have_url(f"{base_url}/account")
    expect(newcomer.get_by_test_id("totp-required")).to_be_visible()
    newcomer.locator("#totpbegin-enrolment_code").fill("AAAA-BBBB-CCCC-DDDD")
    newcomer.get_by_test_id("totp-begin").click()
    expect(newcomer.get_by_test_id("form-error")).to_have_text(FR["error.totp_enrolment_code_invalid"])

    admin.get_by_test_id("enrolment-code-issue").click()
    code = admin.get_by_test_id("enrolment-code").inner_text()
    assert len(code) == 19

    newcomer.locator("#totpbegin-enrolment_code").fill(code)
    newcomer.get_by_test_id("totp-begin").click()
    expect(newcomer.get_by_test_id("totp-qr")).to_be_visible()
    secret = newcomer.locator("code.secret").inner_text()
    newcomer.locator("#totp-code").fill(pyotp.TOTP(secret).now())
    newcomer.get_by_test_id("totp-confirm").click()
    expect(newcomer.get_by_test_id("totp-required")).to_have_count(0)
    newcomer.goto(f"{base_url}/admin/users")
    expect(newcomer.get_by_test_id("user-table")).to_contain_text(EMAIL)
    admin.context.close()
    newcomer.context.close()


def _pick_unit(page, code: str) -> None:
    """The unit select's option whose label starts (after the tree indent) with ``code``."""
    options = page.locator("#newuser-unit_id option").all_inner_texts()
    label = next(o for o in options if o.strip().startswith(f"{code} —"))
    page.locator("#newuser-unit_id").select_option(label=label)
