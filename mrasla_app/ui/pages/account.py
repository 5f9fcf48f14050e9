"""``/account``: who I am, my roles per unit, password change, TOTP enrolment, signing key, notifications."""

from __future__ import annotations

import base64
import dataclasses
import io
from urllib.parse import parse_qs, urlsplit

import qrcode
import reflex as rx

from mrasla_app import db
from mrasla_app.api.auth import login_limit
from mrasla_app.services.directory import accounts, views
from mrasla_app.services.errors import DomainError
from mrasla_app.services.vocabulary import ROLES
from mrasla_app.ui import routes
from mrasla_app.ui.components.forms import button, card, field, messages, page_title, section_title, submit
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.components.notification_prefs import notification_card
from mrasla_app.ui.components.signing_key import signing_key_card
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.state import SessionState

ROUTE = routes.ACCOUNT


def qr_data_uri(text: str) -> str:
    """A PNG QR code as a data URI, rendered server-side (the otpauth URI never leaves in clear JS)."""
    img = qrcode.make(text, box_size=6, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@dataclasses.dataclass
class Membership:
    """A role of mine in a unit."""

    unit_code: str = ""
    name_ar: str = ""
    name_fr: str = ""
    role: str = ""


class AccountState(SessionState):
    memberships: list[Membership] = []
    totp_enabled: bool = False
    totp_pending: bool = False  # administrator rights wait for a second factor (see accounts.load_actor)
    totp_qr: str = ""  # shown only during enrolment, cleared after
    totp_key: str = ""  # the same secret in text, for phones that cannot scan their own screen
    form_key: int = 0  # bumped to clear the password forms after success

    def _load(self, actor: accounts.Actor) -> None:
        with db.read_session() as session:
            view = views.account_view(session, actor)
        self.totp_enabled, self.totp_pending = view.totp_enabled, view.totp_pending
        self.memberships = [Membership(m.unit_code, m.unit_name_ar, m.unit_name_fr, m.role) for m in view.memberships]

    def _reload_actor(self) -> None:
        """After a change of the second factor: the rights (and the nav) as they now are."""
        actor = self._actor()
        self._show_actor(actor)
        if actor is not None:
            self._load(actor)

    @rx.event
    def on_load(self):
        actor, redirect = self._guard("account")
        if actor is None:
            self.reset_private()
            return redirect
        self.totp_qr = self.totp_key = ""
        self._load(actor)

    def reset_private(self) -> None:
        self.memberships, self.totp_qr, self.totp_key, self.totp_enabled = [], "", "", False
        self.totp_pending = False

    def _password_guess(self) -> str:
        """Before any check of the current password: the login form's per-address rate limit (the
        service also counts wrong passwords towards the account's lockout). Returns the client's IP."""
        ip = self.router.session.client_ip or ""
        login_limit.hit(ip or "?")
        return ip

    @rx.event
    def change_password(self, form: dict):
        try:
            actor = self._require("account")
            ip = self._password_guess()
            new = str(form.get("new", ""))[:1024]
            if new != str(form.get("confirm", ""))[:1024]:
                raise DomainError("account.password_mismatch")
            with db.write_session() as session:
                accounts.change_password(
                    session, actor, str(form.get("current", ""))[:1024], new, keep_token=self._token(), ip=ip
                )
        except DomainError as exc:
            self._fail(exc)
            return
        self.form_key += 1
        self._ok("account.password_changed")

    @rx.event
    def begin_totp(self, form: dict):
        try:
            actor = self._require("account")
            with db.write_session() as session:
                uri = accounts.begin_totp(session, actor, str(form.get("enrolment_code", ""))[:64])
        except DomainError as exc:
            self._fail(exc)
            return
        self.totp_enabled = False
        self.totp_qr = qr_data_uri(uri)
        self.totp_key = (parse_qs(urlsplit(uri).query).get("secret") or [""])[0]
        self._clear_messages()

    @rx.event
    def confirm_totp(self, form: dict):
        try:
            actor = self._require("account")
            with db.write_session() as session:
                accounts.confirm_totp(session, actor, str(form.get("code", ""))[:16])
        except DomainError as exc:
            self._fail(exc)
            return
        self.totp_qr = self.totp_key = ""
        self._reload_actor()  # administrator rights may apply now
        self._ok("account.totp_enabled")

    @rx.event
    def cancel_totp(self):
        self.totp_qr = self.totp_key = ""

    @rx.event
    def disable_totp(self, form: dict):
        try:
            actor = self._require("account")
            ip = self._password_guess()
            with db.write_session() as session:
                accounts.disable_totp(session, actor, str(form.get("password", ""))[:1024], ip=ip)
        except DomainError as exc:
            self._fail(exc)
            return
        self._reload_actor()  # administrator rights are on hold again
        self.form_key += 1
        self._ok("account.totp_disabled")


def _membership_row(m: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.span(t_choice(m.role, "role.", ROLES), class_name="badge"),
        rx.el.span(pick(m.name_ar, m.name_fr)),
        rx.el.code(m.unit_code, class_name="muted", dir="ltr"),
        class_name="role-row",
    )


def _totp_section() -> rx.Component:
    return card(
        section_title("account.totp_title", id="totp-title"),
        rx.el.p(
            rx.cond(
                AccountState.totp_enabled,
                rx.el.span(t("account.totp_on"), class_name="badge badge-ok"),
                rx.el.span(t("account.totp_off"), class_name="badge"),
            ),
            data_testid="totp-status",
        ),
        rx.cond(
            AccountState.totp_pending,
            rx.el.p(t("account.totp_required"), class_name="msg msg-error", role="alert", data_testid="totp-required"),
        ),
        rx.cond(
            AccountState.totp_qr != "",
            rx.el.div(
                rx.el.p(t("account.totp_scan")),
                rx.el.img(
                    src=AccountState.totp_qr,
                    alt=t("account.totp_qr_alt"),
                    class_name="qr",
                    custom_attrs={"width": "200", "height": "200"},
                    data_testid="totp-qr",
                ),
                rx.el.p(t("account.totp_secret"), class_name="label"),
                rx.el.code(AccountState.totp_key, dir="ltr", class_name="secret"),
                rx.el.form(
                    field(
                        "totp",
                        "code",
                        "account.totp_code",
                        required=True,
                        autocomplete="one-time-code",
                        input_mode="numeric",
                        pattern="[0-9]{6}",
                        max_length=6,
                        dir="ltr",
                    ),
                    rx.el.div(
                        submit("account.totp_confirm", "totp-confirm"),
                        button("common.cancel", kind="ghost", on_click=AccountState.cancel_totp),
                        class_name="actions",
                    ),
                    on_submit=AccountState.confirm_totp,
                    class_name="form",
                ),
            ),
            rx.cond(
                AccountState.totp_enabled,
                rx.el.form(
                    field(
                        "totpoff",
                        "password",
                        "account.totp_disable_password",
                        type="password",
                        required=True,
                        autocomplete="current-password",
                        dir="ltr",
                    ),
                    submit("account.totp_disable", "totp-disable"),
                    on_submit=AccountState.disable_totp,
                    class_name="form",
                    key=AccountState.form_key,
                ),
                rx.el.form(
                    rx.cond(
                        AccountState.totp_pending,
                        field(
                            "totpbegin",
                            "enrolment_code",
                            "account.totp_enrolment_code",
                            required=True,
                            autocomplete="off",
                            dir="ltr",
                            max_length=32,
                            hint_key="account.totp_enrolment_hint",
                        ),
                    ),
                    submit("account.totp_begin", "totp-begin"),
                    on_submit=AccountState.begin_totp,
                    class_name="form",
                    key=AccountState.form_key,
                ),
            ),
        ),
        aria_labelledby="totp-title",
    )


def page() -> rx.Component:
    return layout(
        page_title("account.title"),
        messages(AccountState),
        rx.el.div(
            card(
                section_title("account.identity", id="identity-title"),
                rx.el.dl(
                    rx.el.dt(t("account.name")),
                    rx.el.dd(AccountState.user_name, data_testid="account-name"),
                    rx.el.dt(t("account.email")),
                    rx.el.dd(AccountState.user_email, dir="ltr"),
                    class_name="dl",
                ),
                rx.cond(
                    AccountState.is_platform_admin,
                    rx.el.p(rx.el.span(t("account.platform_admin"), class_name="badge badge-ok")),
                ),
                section_title("account.roles"),
                rx.cond(
                    AccountState.memberships.length() > 0,
                    rx.el.ul(
                        rx.foreach(AccountState.memberships, _membership_row),
                        class_name="role-list",
                        data_testid="account-roles",
                    ),
                    rx.el.p(t("account.no_roles"), class_name="muted"),
                ),
                aria_labelledby="identity-title",
            ),
            card(
                section_title("account.password_title", id="pw-title"),
                rx.el.form(
                    field(
                        "pw",
                        "current",
                        "account.current_password",
                        type="password",
                        required=True,
                        autocomplete="current-password",
                        dir="ltr",
                    ),
                    field(
                        "pw",
                        "new",
                        "account.new_password",
                        type="password",
                        required=True,
                        autocomplete="new-password",
                        min_length=10,
                        dir="ltr",
                    ),
                    field(
                        "pw",
                        "confirm",
                        "account.confirm_password",
                        type="password",
                        required=True,
                        autocomplete="new-password",
                        min_length=10,
                        dir="ltr",
                    ),
                    submit("account.change_password", "pw-submit"),
                    on_submit=AccountState.change_password,
                    class_name="form",
                    key=AccountState.form_key,
                ),
                aria_labelledby="pw-title",
            ),
            _totp_section(),
            signing_key_card(),
            notification_card(),
            class_name="grid-2",
        ),
        active="account",
    )


ON_LOAD = AccountState.on_load
TITLE = "Mrasla — Compte · الحساب"
