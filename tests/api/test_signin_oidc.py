"""OpenID Connect sign-in through the app's own routes (httpx), against an Authlib provider the
test starts (code flow, PKCE S256 required, nonce, RS256 ID tokens): the account is created with
its roles from the groups claim; a forged state, a replayed code or a foreign provider's answer
signs nobody in; an account with a second factor must still type it."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.crypto import seal
from mrasla_app.models import AuditEvent, User
from mrasla_app.services.directory.accounts import totp_purpose
from mrasla_app.services.errors import DomainError
from mrasla_app.services.signin import login, providers
from tests.signin_servers import OidcAccount, OidcProvider, oidc_provider

ADMIN = "admin.mef@mrasla.ma"


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcProvider]:
    with oidc_provider() as p:
        p.accounts["amina"] = OidcAccount(
            "amina-pw",
            {"email": "amina@mef.gov.ma", "email_verified": True, "name": "Amina Idrissi", "groups": ["Courrier"]},
        )
        yield p


@pytest.fixture
def provider_id(seeded, idp: OidcProvider) -> int:
    actor = seeded.actor(ADMIN)
    with db.write_session() as s:
        p = providers.save_provider(
            s,
            actor,
            seeded.adm_id("MEF"),
            None,
            {
                "kind": "oidc",
                "name": "MEF Connect",
                "enabled": "1",
                "issuer": idp.issuer,
                "client_id": idp.client_id,
                "groups_claim": "groups",
            },
            secret=idp.client_secret,
        )
        providers.add_rule(s, actor, p.id, "courrier", seeded.unit_id("MEF", "BO"), "clerk")
        return p.id


def _to_provider(client, provider_id: int, next_path: str = "/inbox") -> str:
    start = client.get(f"/api/v1/auth/oidc/{provider_id}/start", params={"next": next_path}, follow_redirects=False)
    assert start.status_code == 303 and "mrasla_oidc" in start.headers["set-cookie"]
    assert "httponly" in start.headers["set-cookie"].lower()
    return start.headers["location"]


def _sign_in_at_provider(authorize_url: str, login: str = "amina", password: str = "amina-pw") -> str:
    """The browser at the provider: the form, then the redirect back to the app's callback."""
    with httpx.Client() as browser:
        assert browser.get(authorize_url).status_code == 200
        answer = browser.post(authorize_url, data={"login": login, "password": password})
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert back.path == "/api/v1/auth/oidc/callback"
    return f"{back.path}?{back.query}"


def test_code_flow_with_pkce_signs_in_and_maps_groups_to_roles(client, seeded, idp, provider_id):
    authorize_url = _to_provider(client, provider_id)
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"][0] and query["state"][0]
    assert query["redirect_uri"] == ["http://localhost:3000/api/v1/auth/oidc/callback"]  # MRASLA_PUBLIC_URL's
    back = client.get(_sign_in_at_provider(authorize_url), follow_redirects=False)
    assert back.status_code == 200 and "/login?next=/inbox" in back.text  # the login page sends on
    assert "mrasla_session=" in back.headers["set-cookie"]
    assert idp.token_requests[-1]["code_verifier"]  # the verifier went to the token endpoint
    me = client.get("/api/v1/auth/me").json()
    assert (me["email"], me["full_name"], me["roles"]) == ("amina@mef.gov.ma", "Amina Idrissi", ["clerk"])
    with db.read_session() as s:
        user = s.execute(select(User).where(User.email == "amina@mef.gov.ma")).scalar_one()
        assert (user.provider_id, user.external_id) == (provider_id, "sub-amina")
        events = [
            a
            for (a,) in s.execute(
                select(AuditEvent.action).where(AuditEvent.object_id == user.id, AuditEvent.object_type == "user")
            )
        ]
    assert "signin.user_provisioned" in events and "auth.login" in events


def test_forged_state_and_replayed_code_sign_nobody_in(client, seeded, idp, provider_id):
    callback = _sign_in_at_provider(_to_provider(client, provider_id))
    forged = callback.replace("state=", "state=x", 1)
    refused = client.get(forged, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == "/login?signin=failed"
    assert client.get("/api/v1/auth/me").status_code == 401
    # The flow cookie was spent by the refusal: the genuine answer, replayed, is refused too.
    assert client.get(callback, follow_redirects=False).headers["location"] == "/login?signin=failed"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_without_the_flow_cookie_nobody_signs_in(client, seeded, idp, provider_id):
    callback = _sign_in_at_provider(_to_provider(client, provider_id))
    client.cookies.clear()
    assert client.get(callback, follow_redirects=False).headers["location"] == "/login?signin=failed"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_wrong_password_at_the_provider_gives_no_code(client, seeded, idp, provider_id):
    url = _to_provider(client, provider_id)
    with httpx.Client() as browser:
        assert browser.post(url, data={"login": "amina", "password": "nope"}).status_code == 401


def test_second_factor_still_asked_after_the_provider(client, seeded, idp, provider_id):
    client.get(_sign_in_at_provider(_to_provider(client, provider_id)), follow_redirects=False)
    secret = pyotp.random_base32()
    with db.write_session() as s:
        user = s.execute(select(User).where(User.email == "amina@mef.gov.ma")).scalar_one()
        user.totp_secret, user.totp_enabled = seal(secret.encode(), totp_purpose(user.id)), True
    client.cookies.clear()
    back = client.get(_sign_in_at_provider(_to_provider(client, provider_id)), follow_redirects=False)
    assert "/login?signin=second_factor" in back.text and "mrasla_session=" not in back.headers["set-cookie"]
    assert client.get("/api/v1/auth/me").status_code == 401
    pending = client.cookies.get("mrasla_second_factor")
    with pytest.raises(DomainError) as refused, db.write_session() as s:  # the login form, wrong code
        login.finish_second_factor(s, pending, "000000")
    assert refused.value.code == "error.totp_invalid"
    with pytest.raises(DomainError), db.write_session() as s:  # a forged pending cookie
        login.finish_second_factor(s, pending[:-4] + "AAAA", pyotp.TOTP(secret).now())
    with db.write_session() as s:
        ticket, user = login.finish_second_factor(s, pending, pyotp.TOTP(secret).now())
    assert user.email == "amina@mef.gov.ma"
    assert client.post("/api/v1/auth/session", json={"ticket": ticket}).status_code == 204
    assert client.get("/api/v1/auth/me").json()["email"] == "amina@mef.gov.ma"


def test_disabled_account_is_refused(client, seeded, idp, provider_id):
    client.get(_sign_in_at_provider(_to_provider(client, provider_id)), follow_redirects=False)
    with db.write_session() as s:
        s.execute(select(User).where(User.email == "amina@mef.gov.ma")).scalar_one().active = False
    client.cookies.clear()
    refused = client.get(_sign_in_at_provider(_to_provider(client, provider_id)), follow_redirects=False)
    assert refused.headers["location"] == "/login?signin=failed"
