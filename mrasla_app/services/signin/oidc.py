"""OpenID Connect: authorisation code flow with PKCE (S256), state and nonce, with Authlib.

The flow's secrets (state, nonce, PKCE verifier) never leave the server in clear: they travel in a
cookie sealed under the master key (``seal_flow``), bound to the provider and valid ten minutes.
The ID token is verified here (signature against the provider's published keys, issuer, audience,
nonce, expiry) before any claim is believed; the userinfo answer adds claims for the same ``sub``.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2 import OAuth2Error
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from mrasla_app.crypto import seal, unseal
from mrasla_app.models import IdentityProvider
from mrasla_app.services.errors import DomainError
from mrasla_app.services.signin.identity import Identity

TIMEOUT = 10.0
FLOW_TTL = 600  # seconds between leaving for the provider and coming back
FLOW_PURPOSE = "oidc-flow"
SCOPE = "openid email profile"
#: Only asymmetric signatures: an HS256 token would be signed with the client secret itself.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")


class FlowError(DomainError):
    """The provider's answer cannot be trusted (bad state, token, signature, issuer…): nobody signs in."""

    def __init__(self) -> None:
        super().__init__("error.directory_signin_failed")


def secret_purpose(provider_id: int) -> str:
    """The sealing purpose of an OIDC client secret (``crypto.seal``)."""
    return f"oidc-client:{provider_id}"


def discover(issuer: str) -> dict:
    """The provider's metadata (``/.well-known/openid-configuration``); its ``issuer`` must be the
    one configured, exactly (OpenID Connect Discovery §4.3)."""
    try:
        answer = httpx.get(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout=TIMEOUT)
        answer.raise_for_status()
        meta = answer.json()
    except (httpx.HTTPError, ValueError):
        raise DomainError("error.directory_unreachable") from None
    if (
        not isinstance(meta, dict)
        or meta.get("issuer") != issuer
        or not all(isinstance(meta.get(k), str) for k in ("authorization_endpoint", "token_endpoint", "jwks_uri"))
    ):
        raise DomainError("error.directory_unreachable")
    return meta


def _client(provider: IdentityProvider, redirect_uri: str) -> OAuth2Client:
    secret = unseal(provider.client_secret, secret_purpose(provider.id)).decode() if provider.client_secret else None
    return OAuth2Client(
        provider.client_id,
        secret,
        scope=SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
    )


@dataclass(frozen=True)
class Flow:
    """One sign-in in progress: what the callback must find again."""

    provider_id: int
    state: str
    nonce: str
    verifier: str
    next_path: str
    expires: float


def seal_flow(flow: Flow) -> str:
    payload = json.dumps([flow.provider_id, flow.state, flow.nonce, flow.verifier, flow.next_path, flow.expires])
    return base64.urlsafe_b64encode(seal(payload.encode(), FLOW_PURPOSE)).decode()


def open_flow(value: str | None) -> Flow:
    """The flow of the sealed cookie (``FlowError`` when absent, altered or expired)."""
    try:
        p, s, n, v, x, e = json.loads(unseal(base64.urlsafe_b64decode((value or "").encode()), FLOW_PURPOSE))
        flow = Flow(int(p), str(s), str(n), str(v), str(x), float(e))
    except Exception:  # noqa: BLE001 - whatever is wrong with it, the cookie is refused
        raise FlowError() from None
    if flow.expires < time.time():
        raise FlowError()
    return flow


def begin(provider: IdentityProvider, redirect_uri: str, next_path: str) -> tuple[str, Flow]:
    """The provider's authorisation URL to send the browser to, and the flow to keep (sealed)."""
    meta = discover(provider.issuer)
    flow = Flow(
        provider.id,
        generate_token(32),
        generate_token(32),
        generate_token(64),
        next_path,
        time.time() + FLOW_TTL,
    )
    with _client(provider, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            meta["authorization_endpoint"], state=flow.state, code_verifier=flow.verifier, nonce=flow.nonce
        )
    return url, flow


def finish(provider: IdentityProvider, flow: Flow, redirect_uri: str, code: str, state: str) -> Identity:
    """Exchange the code (with the PKCE verifier), verify the ID token, and read the identity."""
    if not code or state != flow.state or flow.provider_id != provider.id:
        raise FlowError()
    meta = discover(provider.issuer)
    try:
        with _client(provider, redirect_uri) as client:
            token = client.fetch_token(
                meta["token_endpoint"], code=code, code_verifier=flow.verifier, grant_type="authorization_code"
            )
            keys = KeySet.import_key_set(httpx.get(meta["jwks_uri"], timeout=TIMEOUT).raise_for_status().json())
            decoded = jwt.decode(str(token.get("id_token", "")), keys, algorithms=list(ALGORITHMS))
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": provider.issuer},
                aud={"essential": True, "value": provider.client_id},
                nonce={"essential": True, "value": flow.nonce},
                sub={"essential": True},
                exp={"essential": True},
            ).validate(decoded.claims)
            claims = dict(decoded.claims)
            if isinstance(meta.get("userinfo_endpoint"), str):
                info = client.get(meta["userinfo_endpoint"]).raise_for_status().json()
                if isinstance(info, dict) and info.get("sub") == claims["sub"]:
                    claims = {**info, **claims}
    except (OAuth2Error, JoseError, httpx.HTTPError, ValueError, TypeError, KeyError):
        raise FlowError() from None
    groups = claims.get(provider.groups_claim or "groups") or []
    if isinstance(groups, str):
        groups = [groups]
    return Identity(
        external_id=str(claims["sub"]),
        email=str(claims.get("email") or "").strip().lower() if claims.get("email_verified", True) else "",
        full_name=str(claims.get("name") or claims.get("preferred_username") or "").strip(),
        groups=frozenset(str(g).lower() for g in groups if isinstance(g, (str, int))),
    )


def check(provider: IdentityProvider) -> str:
    """The connection test of the admin page: the provider's discovered authorisation endpoint."""
    return discover(provider.issuer)["authorization_endpoint"]
