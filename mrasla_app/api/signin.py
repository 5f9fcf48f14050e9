"""OpenID Connect sign-in routes: ``/api/v1/auth/oidc/{provider}/start`` sends the browser to the
provider, ``/api/v1/auth/oidc/callback`` brings it back signed in.

Browser navigations, not API operations (left out of the OpenAPI document). The flow's state, nonce
and PKCE verifier travel in a sealed HttpOnly cookie scoped to these routes (SameSite=Lax: the way
back from the provider is a cross-site navigation, which Strict cookies would miss). The provider
only ever sends the browser back to ``MRASLA_PUBLIC_URL``'s callback, never to a URL from the request,
and the page reached afterwards is a local path (``routes.safe_next``).
"""

from __future__ import annotations

import html
import json
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from mrasla_app.api.auth import SECOND_FACTOR_COOKIE, login_limit, set_session_cookie
from mrasla_app.api.deps import Id, WriteSession, read_db
from mrasla_app.models import IdentityProvider, ProviderKind
from mrasla_app.services.directory import accounts
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import audit
from mrasla_app.services.signin import login, oidc
from mrasla_app.settings import get_settings
from mrasla_app.ui import routes

router = APIRouter(prefix="/auth/oidc", include_in_schema=False)
FLOW_COOKIE = "mrasla_oidc"
FAILED = f"{routes.LOGIN}?signin=failed"
SECOND_FACTOR = f"{routes.LOGIN}?signin=second_factor"


def redirect_uri() -> str:
    return get_settings().public_url + routes.OIDC_CALLBACK


def _provider(session: Session, provider_id: int) -> IdentityProvider | None:
    provider = session.get(IdentityProvider, provider_id)
    return provider if provider is not None and provider.kind == ProviderKind.oidc and provider.enabled else None


def _foreign(request: Request) -> bool:
    """A page of another origin started this (a navigation from this site names none, or ours)."""
    origin = (request.headers.get("origin") or "").lower()
    return bool(origin) and origin not in get_settings().allowed_origins


@router.get("/{provider_id}/start", dependencies=[Depends(login_limit)])
def start(provider_id: Id, request: Request, next: str = "", session: Session = Depends(read_db)) -> Response:  # noqa: A002
    provider = _provider(session, provider_id)
    if provider is None or _foreign(request):
        return RedirectResponse(FAILED, status_code=303)
    try:
        url, flow = oidc.begin(provider, redirect_uri(), routes.safe_next(next))
    except DomainError:
        return RedirectResponse(FAILED, status_code=303)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        oidc.seal_flow(flow),
        max_age=oidc.FLOW_TTL,
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
        path=routes.OIDC_PREFIX,
    )
    return response


def _leave(target: str) -> HTMLResponse:
    """A same-site page that moves on to ``target``: the session cookie (SameSite=Strict) set on the
    provider's cross-site redirect is sent from the next, same-site, navigation on; Reflex's per-tab
    state of the previous visitor is forgotten on the way."""
    script = f"try{{sessionStorage.removeItem('token')}}catch(e){{}}window.location.replace({json.dumps(target)})"
    body = (
        f'<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url='
        f'{html.escape(target)}"><title>Mrasla</title></head><body><script>{script}</script></body></html>'
    )
    return HTMLResponse(body, headers={"cache-control": "no-store"})


@router.get("/callback", dependencies=[Depends(login_limit)])
def callback(request: Request, session: WriteSession, code: str = "", state: str = "") -> Response:
    ip = request.client.host if request.client else ""
    provider = None
    try:
        flow = oidc.open_flow(request.cookies.get(FLOW_COOKIE))
        provider = _provider(session, flow.provider_id)
        if provider is None:
            raise oidc.FlowError()
        identity = oidc.finish(provider, flow, redirect_uri(), code[:2048], state[:512])
        ticket, user = login.complete_oidc(
            session, provider, identity, ip=ip, user_agent=request.headers.get("user-agent", "")
        )
    except DomainError as exc:
        session.rollback()
        if provider is not None:
            audit.record(
                session,
                None,
                "auth.login_failed",
                object_type="identity_provider",
                object_id=provider.id,
                administration_id=provider.administration_id,
                actor_label=f"oidc:{provider.id}",
                data={"ip": ip, "reason": exc.code},
            )
        response: Response = RedirectResponse(FAILED, status_code=303)
    else:
        if ticket is None:
            response = _leave(SECOND_FACTOR + (f"&next={quote(flow.next_path, safe='/')}" if flow.next_path else ""))
            response.set_cookie(
                SECOND_FACTOR_COOKIE,
                login.seal_pending(user.id),
                max_age=login.PENDING_TTL,
                httponly=True,
                samesite="strict",
                secure=get_settings().cookie_secure,
                path="/",
            )
        else:
            token = accounts.exchange_ticket(session, ticket)
            response = _leave(routes.login_url(flow.next_path))  # the login page sends the signed-in onwards
            set_session_cookie(response, token or "")
    response.delete_cookie(FLOW_COOKIE, path=routes.OIDC_PREFIX)
    return response
