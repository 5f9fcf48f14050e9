"""``/login``: staff sign-in (e-mail, password, TOTP when the account has it), locally or through an
administration's directory: an LDAP / AD login in the same form, or an OpenID Connect button."""

from __future__ import annotations

import dataclasses
import json
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlsplit

import reflex as rx

from mrasla_app import db
from mrasla_app.api.auth import SECOND_FACTOR_COOKIE, login_limit
from mrasla_app.services.directory import accounts
from mrasla_app.services.errors import DomainError
from mrasla_app.services.signin import login as signin
from mrasla_app.services.signin import providers
from mrasla_app.ui import routes
from mrasla_app.ui.components.forms import card, field, messages, page_title
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import t
from mrasla_app.ui.state import FRESH_STATE_JS, SessionState, landing_route

ROUTE = routes.LOGIN
FORM = "login"


@dataclasses.dataclass
class Directory:
    """An administration's directory to sign in with (``href``: an OpenID Connect provider's start link)."""

    id: int = 0
    kind: str = ""  # ldap or oidc
    name: str = ""
    code: str = ""  # the administration's code
    domain: str = ""  # "@" + the login domain, or ""
    href: str = ""


class LoginState(SessionState):
    totp_needed: bool = False
    busy: bool = False
    # The administrations' directories (public: name, kind, the OpenID Connect start link).
    directories: list[Directory] = []
    directory_id: str = ""  # the LDAP directory chosen: the form's login goes there
    directory_name: str = ""
    second_factor: bool = False  # back from an OpenID Connect provider: only the TOTP code is asked

    def _query(self, name: str) -> str:
        query = urlsplit(str(self.router.url)).query
        return (parse_qs(query).get(name) or [""])[0]

    def _next(self) -> str:
        return routes.safe_next(self._query("next"))

    def _pending(self) -> str | None:
        """The sealed HttpOnly cookie of an OpenID Connect sign-in waiting for its second factor."""
        jar = SimpleCookie()
        try:
            jar.load(self.router.headers.cookie or "")
        except CookieError:
            return None
        morsel = jar.get(SECOND_FACTOR_COOKIE)
        return morsel.value if morsel else None

    @rx.event
    def on_load(self):
        actor = self._actor()
        self._show_actor(actor)
        self._clear_messages()
        self.busy = False
        self.totp_needed = False
        if actor is not None:  # already signed in
            return rx.redirect(self._next() or landing_route(actor), replace=True)
        with db.read_session() as session:
            choices = providers.login_choices(session)
        self.directories = [
            Directory(
                c.id,
                c.kind,
                c.name,
                c.administration_code,
                f"@{c.login_domain}" if c.login_domain else "",
                routes.oidc_start_url(c.id, self._next()) if c.kind == "oidc" else "",
            )
            for c in choices
        ]
        if self.directory_id not in {str(d.id) for d in self.directories if d.kind == "ldap"}:
            self.directory_id, self.directory_name = "", ""
        outcome = self._query("signin")
        self.second_factor = outcome == "second_factor" and signin.pending_user_id(self._pending()) is not None
        self.totp_needed = self.second_factor
        if outcome == "failed" or (outcome == "second_factor" and not self.second_factor):
            self._fail(DomainError("error.directory_signin_failed"))
        return None

    @rx.event
    def choose_directory(self, directory_id: str):
        """Sign in with one of the listed LDAP directories (any other id: back to a local account)."""
        chosen = next((d for d in self.directories if str(d.id) == str(directory_id) and d.kind == "ldap"), None)
        self.directory_id, self.directory_name = (str(chosen.id), chosen.name) if chosen else ("", "")
        self._clear_messages()

    @rx.event
    def submit(self, form: dict):
        email = str(form.get("email", ""))[:255]
        password = str(form.get("password", ""))[:1024]
        totp = str(form.get("totp", ""))[:16]
        headers = self.router.headers
        ip, agent = self.router.session.client_ip or "", headers.user_agent or ""
        try:
            login_limit.hit(ip or "?")
            with db.write_session() as session:
                if self.second_factor:
                    ticket, user = signin.finish_second_factor(session, self._pending(), totp, ip=ip, user_agent=agent)
                else:
                    ticket, user = signin.authenticate(
                        session,
                        email,
                        password,
                        totp,
                        provider_id=int(self.directory_id or 0) or None,
                        ip=ip,
                        user_agent=agent,
                    )
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


def _directory(d: rx.Var) -> rx.Component:
    did = d.id.to_string()
    label = rx.el.span(rx.el.strong(d.name), " ", rx.el.span(d.code + " " + d.domain, class_name="muted", dir="ltr"))
    return rx.el.li(
        rx.cond(
            d.kind == "oidc",
            # reload_document: a real navigation to the API route (which sends the browser on to the
            # provider), not the client-side router's
            rx.el.a(
                rx.icon("log-in", size=16, aria_hidden="true"),
                label,
                href=d.href,
                reload_document=True,
                class_name="btn btn-ghost btn-block",
                data_testid="login-oidc-" + did,
            ),
            rx.el.button(
                rx.icon("building-2", size=16, aria_hidden="true"),
                label,
                type="button",
                on_click=LoginState.choose_directory(did),
                class_name="btn btn-ghost btn-block",
                aria_pressed=rx.cond(LoginState.directory_id == did, "true", "false"),
                data_testid="login-ldap-" + did,
            ),
        )
    )


def _directories() -> rx.Component:
    """The administrations' directories: OpenID Connect buttons, LDAP directories to sign in with."""
    return rx.el.section(
        rx.el.h2(t("login.directories"), class_name="section-title", id="login-directories-title"),
        rx.el.ul(rx.foreach(LoginState.directories, _directory), class_name="directory-list"),
        aria_labelledby="login-directories-title",
        class_name="login-directories",
        data_testid="login-directories",
    )


def page() -> rx.Component:
    return layout(
        card(
            page_title("login.title"),
            rx.el.p(t("login.intro"), class_name="muted"),
            messages(LoginState),
            rx.el.form(
                rx.cond(
                    LoginState.second_factor,
                    rx.el.p(t("login.second_factor_intro"), class_name="hint", data_testid="login-second-factor"),
                    rx.fragment(
                        rx.cond(
                            LoginState.directory_id != "",
                            rx.el.div(
                                field(
                                    FORM,
                                    "email",
                                    "login.directory_login",
                                    required=True,
                                    autocomplete="username",
                                    dir="ltr",
                                    key="directory-login",
                                ),
                                rx.el.p(
                                    t("login.directory_chosen"),
                                    " ",
                                    rx.el.strong(LoginState.directory_name),
                                    " · ",
                                    rx.el.button(
                                        t("login.use_local"),
                                        type="button",
                                        class_name="btn-link",
                                        on_click=LoginState.choose_directory(""),
                                        data_testid="login-use-local",
                                    ),
                                    class_name="hint",
                                ),
                            ),
                            field(
                                FORM,
                                "email",
                                "login.email",
                                type="email",
                                required=True,
                                autocomplete="username",
                                input_mode="email",
                                dir="ltr",
                                key="local-login",
                            ),
                        ),
                        field(
                            FORM,
                            "password",
                            "login.password",
                            type="password",
                            required=True,
                            autocomplete="current-password",
                            dir="ltr",
                        ),
                    ),
                ),
                rx.cond(
                    LoginState.totp_needed,
                    field(
                        FORM,
                        "totp",
                        "login.totp",
                        required=True,
                        autocomplete="one-time-code",
                        input_mode="numeric",
                        pattern="[0-9]{6}",
                        max_length=6,
                        dir="ltr",
                        auto_focus=True,
                    ),
                ),
                rx.el.button(
                    rx.cond(LoginState.busy, t("login.submitting"), t("login.submit")),
                    type="submit",
                    # enabled once the page is live: a press before that would do nothing (nor would Enter)
                    disabled=LoginState.busy | ~rx.State.is_hydrated,
                    class_name="btn btn-primary btn-block",
                    data_testid="login-submit",
                    id="login-submit",
                ),
                on_submit=LoginState.submit,
                id="login-form",
                data_testid="login-form",
                class_name="form",
            ),
            rx.cond((LoginState.directories.length() > 0) & ~LoginState.second_factor, _directories()),
            class_name="narrow",
        ),
        active="login",
    )


ON_LOAD = LoginState.on_load
TITLE = "Connexion · تسجيل الدخول — Mrasla"
