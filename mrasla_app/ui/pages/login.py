"""``/login``: staff sign-in (e-mail, password, TOTP when the account has it)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import reflex as rx
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.api.auth import login_limit
from mrasla_app.models import User
from mrasla_app.services.directory import accounts
from mrasla_app.services.errors import DomainError
from mrasla_app.ui import routes
from mrasla_app.ui.components.forms import card, field, messages, page_title
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import t
from mrasla_app.ui.state import FRESH_STATE_JS, SessionState, landing_route

ROUTE = routes.LOGIN
FORM = "login"


class LoginState(SessionState):
    totp_needed: bool = False
    busy: bool = False

    def _next(self) -> str:
        query = urlsplit(str(self.router.url)).query
        return routes.safe_next((parse_qs(query).get("next") or [""])[0])

    @rx.event
    def on_load(self):
        actor = self._actor()
        self._show_actor(actor)
        self._clear_messages()
        self.busy = False
        if actor is not None:  # already signed in
            return rx.redirect(self._next() or landing_route(actor), replace=True)

    @rx.event
    def submit(self, form: dict):
        email = str(form.get("email", ""))[:255]
        password = str(form.get("password", ""))[:1024]
        totp = str(form.get("totp", ""))[:16]
        headers = self.router.headers
        try:
            login_limit.hit(self.router.session.client_ip or "?")
            with db.write_session() as session:
                ticket = accounts.authenticate(
                    session, email, password, totp,
                    ip=self.router.session.client_ip or "", user_agent=headers.user_agent or "",
                )
                user = session.execute(select(User).where(User.email == accounts.login_email(email))).scalar_one()
                target = self._next() or landing_route(accounts.load_actor(session, user))
        except DomainError as exc:
            if exc.code == "error.totp_required":
                self.totp_needed = True
            self._fail(exc)
            return
        self._clear_messages()
        self.busy = True
        failed = json.dumps(self._tr("login.session_failed"))
        # The ticket is exchanged for the HttpOnly cookie; the full reload makes the websocket
        # reconnect so the server sees the new cookie, and starts from a fresh client state.
        return rx.call_script(
            f"fetch({json.dumps(routes.API_SESSION)},{{method:'POST',credentials:'same-origin',"
            f"headers:{{'Content-Type':'application/json'}},body:JSON.stringify({{ticket:{json.dumps(ticket)}}})}})"
            f".then(function(r){{if(r.ok){{{FRESH_STATE_JS}window.location.replace({json.dumps(target)})}}"
            f"else{{alert({failed});window.location.reload()}}}})"
            f".catch(function(){{alert({failed});window.location.reload()}})"
        )


def page() -> rx.Component:
    return layout(
        card(
            page_title("login.title"),
            rx.el.p(t("login.intro"), class_name="muted"),
            messages(LoginState),
            rx.el.form(
                field(FORM, "email", "login.email", type="email", required=True, autocomplete="username",
                      input_mode="email", dir="ltr"),
                field(FORM, "password", "login.password", type="password", required=True,
                      autocomplete="current-password", dir="ltr"),
                rx.cond(
                    LoginState.totp_needed,
                    field(FORM, "totp", "login.totp", required=True, autocomplete="one-time-code",
                          input_mode="numeric", pattern="[0-9]{6}", max_length=6, dir="ltr", auto_focus=True),
                ),
                rx.el.button(
                    rx.cond(LoginState.busy, t("login.submitting"), t("login.submit")),
                    type="submit",
                    disabled=LoginState.busy,
                    class_name="btn btn-primary btn-block",
                    data_testid="login-submit",
                    id="login-submit",
                ),
                on_submit=LoginState.submit,
                id="login-form",
                data_testid="login-form",
                class_name="form",
            ),
            class_name="narrow",
        ),
        active="login",
    )


ON_LOAD = LoginState.on_load
TITLE = "Connexion · تسجيل الدخول — Mrasla"
