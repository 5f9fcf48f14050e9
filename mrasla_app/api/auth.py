"""Session endpoints: ticket → HttpOnly cookie, logout, and who-am-I.

The login form's event handler (or ``POST /login`` for API clients) checks the credentials and
returns a one-time ticket; the browser posts it here and gets the session cookie, which
JavaScript cannot read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, Security
from pydantic import BaseModel

from mrasla_app.api.deps import SESSION_COOKIE, WriteSession, current_actor, session_cookie
from mrasla_app.api.errors import errors
from mrasla_app.api.limits import Limiter
from mrasla_app.services.directory import accounts
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import NotAuthenticated
from mrasla_app.services.signin import login as signin
from mrasla_app.settings import get_settings

router = APIRouter(prefix="/auth", tags=["auth"])
#: Set by the OpenID Connect callback (``api/signin.py``) for an account that still has to type its TOTP code.
SECOND_FACTOR_COOKIE = "mrasla_second_factor"
# Password guessing from one address is slowed down before the per-account lockout (5 failures) kicks
# in, so one client cannot lock every account either. Shared by the login page (``LoginState``).
login_limit = Limiter("login", limit=get_settings().logins_per_minute, window=60)


class Credentials(BaseModel):
    email: str
    password: str
    totp: str = ""


class Ticket(BaseModel):
    ticket: str


class Me(BaseModel):
    id: int
    email: str
    full_name: str
    administration_id: int | None
    is_platform_admin: bool
    roles: list[str]
    totp_pending: bool = False  # administrator rights wait for a second factor


def set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        path="/",
    )


@router.post("/login", response_model=Ticket, dependencies=[Depends(login_limit)], responses=errors(400, 422, 429))
def login(body: Credentials, request: Request, session: WriteSession) -> Ticket:
    """Check e-mail, password (and TOTP when enabled); returns a one-time ticket valid 60 s.
    An e-mail of an LDAP provider's login domain is checked by that directory."""
    ip = request.client.host if request.client else ""
    ticket, _ = signin.authenticate(
        session, body.email, body.password, body.totp, ip=ip, user_agent=request.headers.get("user-agent", "")
    )
    return Ticket(ticket=ticket)


@router.post("/session", status_code=204, responses=errors(400, 401, 422))
def open_session(body: Ticket, response: Response, session: WriteSession) -> Response:
    """Exchange a login ticket for the HttpOnly, SameSite=Strict session cookie."""
    token = accounts.exchange_ticket(session, body.ticket)
    if token is None:
        raise NotAuthenticated("error.invalid_credentials")
    response.status_code = 204
    set_session_cookie(response, token)
    response.delete_cookie(SECOND_FACTOR_COOKIE, path="/")  # an OpenID Connect sign-in's second factor, passed
    return response


@router.post("/logout", status_code=204, openapi_extra={"security": [{}]})  # also without a session: nothing to end
def logout(
    response: Response, session: WriteSession, token: Annotated[str | None, Security(session_cookie)] = None
) -> Response:
    """End the session (its cookie is cleared); without one, nothing to do."""
    accounts.logout(session, token)
    response.status_code = 204
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me, responses=errors(401))
def me(actor: Actor | None = Depends(current_actor)) -> Me:
    """The signed-in staff member, their administration and roles."""
    if actor is None:
        raise NotAuthenticated()
    return Me(
        id=actor.user_id,
        email=actor.email,
        full_name=actor.full_name,
        administration_id=actor.administration_id,
        is_platform_admin=actor.is_platform_admin,
        roles=sorted(r.value for r in actor.roles),
        totp_pending=actor.totp_pending,
    )
