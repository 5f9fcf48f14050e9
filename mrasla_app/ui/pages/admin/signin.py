"""``/admin/signin``: the managed administration's identity providers (LDAP / Active Directory,
OpenID Connect), their group → role rules, and a connection test.

Secrets are write-only here: the form's secret field is empty, and an empty secret keeps the
sealed one. ``services.signin.providers`` checks every right again in each handler.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from mrasla_app import db
from mrasla_app.i18n import translate
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.signin import providers
from mrasla_app.services.vocabulary import ROLES
from mrasla_app.settings import get_settings
from mrasla_app.ui import routes
from mrasla_app.ui.components.choices import Named
from mrasla_app.ui.components.editor import RowEditor, active_badge, row_button, row_editor_card, rows_table
from mrasla_app.ui.components.forms import button, card, checkbox_field, field, option, select_field, submit
from mrasla_app.ui.i18n import t, t_choice
from mrasla_app.ui.pages.admin.common import AdminPage, AdminState, admin_layout

ROUTE = routes.ADMIN_SIGNIN
TITLE = "Mrasla — Annuaires · الأدلة"
FORM = "idp"
_TEXT_FIELDS = (
    "kind",
    "name",
    "server_url",
    "bind_dn",
    "user_dn_template",
    "search_base",
    "search_filter",
    "login_domain",
    "name_attribute",
    "email_attribute",
    "group_attribute",
    "issuer",
    "client_id",
    "groups_claim",
)


@dataclasses.dataclass
class Provider:
    """An identity provider as the form edits it (id 0: a new one), never a secret: ``has_secret``
    only says whether one is sealed. The defaults are a new provider's."""

    id: int = 0
    kind: str = "ldap"
    name: str = ""
    server_url: str = ""
    bind_dn: str = ""
    user_dn_template: str = ""
    search_base: str = ""
    search_filter: str = "(uid={login})"
    login_domain: str = ""
    name_attribute: str = "displayName"
    email_attribute: str = "mail"
    group_attribute: str = "memberOf"
    issuer: str = ""
    client_id: str = ""
    groups_claim: str = "groups"
    enabled: bool = True
    start_tls: bool = False
    has_secret: bool = False


@dataclasses.dataclass
class Rule:
    """A group → role rule of the provider shown: members of ``group`` get ``role`` in the unit."""

    id: int = 0
    group: str = ""
    unit: str = ""  # the unit's code
    unit_name: str = ""
    role: str = ""


class SigninAdminState(RowEditor, AdminPage, AdminState):
    rows: list[Provider] = []  # the providers
    edit: Provider = Provider()
    rules_for: str = ""  # the provider whose rules are shown
    rules_name: str = ""
    rules: list[Rule] = []
    units: list[Named] = []  # the rules' unit picker
    callback_url: str = ""

    def _blank(self) -> Provider:
        return Provider()

    def _clear(self) -> None:
        self.rows, self.rules = [], []

    def _reset_page(self, new_adm: bool) -> None:
        self._stop_editing()
        if new_adm:
            self.rules_for = ""

    def _reload(self, actor: Actor) -> None:
        if not self.adm_id:
            self.rows, self.rules, self.units = [], [], []
            return
        with db.read_session() as session:
            found = providers.list_providers(session, actor, self.adm_id)
            self.units = [
                Named(n.unit.id, "— " * n.depth + n.unit.code + " · " + n.unit.name_fr)
                for n in directory.unit_tree(session, self.adm_id)
            ]
            self.rows = [
                Provider(
                    id=p.id,
                    **{f: str(getattr(p, f).value if f == "kind" else getattr(p, f)) for f in _TEXT_FIELDS},
                    enabled=bool(p.enabled),
                    start_tls=bool(p.start_tls),
                    has_secret=bool(p.bind_secret or p.client_secret),
                )
                for p in found
            ]
            if self.rules_for not in self._provider_ids():
                self.rules_for = ""
            self.rules_name = next((r.name for r in self.rows if str(r.id) == self.rules_for), "")
            self.rules = (
                [
                    Rule(r.id, r.group, u.code, u.name_fr, r.role.value)
                    for r, u in providers.rules(session, actor, int(self.rules_for))
                ]
                if self.rules_for
                else []
            )
        self.callback_url = get_settings().public_url + routes.OIDC_CALLBACK

    def _provider_ids(self) -> set[str]:
        """The listed providers' ids, as the browser sends them."""
        return {str(r.id) for r in self.rows}

    @rx.event
    def new_kind(self, kind: str):
        self.edit = Provider(kind=kind if kind in ("ldap", "oidc") else "ldap")
        self.editing = True
        self.form_key += 1
        self._clear_messages()

    @rx.event
    def save(self, form: dict):
        form = {k: str(v)[:512] for k, v in (form if isinstance(form, dict) else {}).items()}
        edited = self._edited_id()
        form["kind"] = self.edit.kind
        secret = form.pop("secret", "")

        def action(session, actor: Actor) -> None:
            providers.save_provider(session, actor, self.adm_id, edited, form, secret)

        self._save_row(action, "signin.saved")

    @rx.event
    def show_rules(self, provider_id: str):
        try:
            actor = self._admin_require()
            self.rules_for = str(provider_id) if str(provider_id) in self._provider_ids() else ""
            self._clear_messages()
            self._reload(actor)
        except DomainError as exc:
            self._fail(exc)

    @rx.event
    def add_rule(self, form: dict):
        form = form if isinstance(form, dict) else {}
        unit = str(form.get("unit_id", ""))

        def action(session, actor: Actor) -> None:
            if not self.rules_for or not unit.isdigit():
                raise DomainError("error.invalid_request")
            providers.add_rule(
                session,
                actor,
                int(self.rules_for),
                str(form.get("group", ""))[:255],
                int(unit),
                str(form.get("role", "")),
            )

        self._run(action, "signin.rule_added")

    @rx.event
    def remove_rule(self, rule_id: str):
        self._run_on(rule_id, providers.remove_rule, "signin.rule_removed")

    @rx.event
    def test(self, provider_id: str):
        """Try the provider now (LDAP bind + search, or OpenID Connect discovery); nothing is changed."""
        try:
            actor = self._admin_require()
            if not str(provider_id).isdigit():
                raise DomainError("error.not_found")
            with db.read_session() as session:
                params = providers.try_connection(session, actor, int(provider_id))
        except DomainError as exc:
            self._fail(exc)
            return
        key = "signin.tested_ldap" if "count" in params else "signin.tested_oidc"
        self._clear_messages()
        self.notice_ar, self.notice_fr, self.notice_en = (translate(key, lang, **params) for lang in ("ar", "fr", "en"))


def _text(name: str, label: str, *, required: bool = False, hint: str | None = None, **props) -> rx.Component:
    props.setdefault("max_length", 255)
    return field(
        FORM,
        name,
        label,
        required=required,
        default_value=getattr(SigninAdminState.edit, name),
        hint_key=hint,
        dir="ltr",
        **props,
    )


def _form() -> rx.Component:
    S = SigninAdminState
    ldap_fields = rx.fragment(
        _text(
            "server_url",
            "signin.server_url",
            required=True,
            hint="signin.server_url_hint",
            placeholder="ldaps://ldap.example.ma",
        ),
        _text("search_base", "signin.search_base", required=True, placeholder="ou=people,dc=example,dc=ma"),
        _text("search_filter", "signin.search_filter", required=True, hint="signin.search_filter_hint"),
        _text("bind_dn", "signin.bind_dn", hint="signin.bind_dn_hint"),
        field(
            FORM,
            "secret",
            "signin.bind_password",
            type="password",
            autocomplete="new-password",
            dir="ltr",
            hint_key="signin.secret_hint",
        ),
        _text("user_dn_template", "signin.user_dn_template", hint="signin.user_dn_template_hint"),
        _text("login_domain", "signin.login_domain", hint="signin.login_domain_hint", placeholder="example.ma"),
        _text("name_attribute", "signin.name_attribute"),
        _text("email_attribute", "signin.email_attribute"),
        _text("group_attribute", "signin.group_attribute"),
    )
    oidc_fields = rx.fragment(
        _text("issuer", "signin.issuer", required=True, placeholder="https://sso.example.ma/realms/staff"),
        _text("client_id", "signin.client_id", required=True),
        field(
            FORM,
            "secret",
            "signin.client_secret",
            type="password",
            autocomplete="new-password",
            dir="ltr",
            hint_key="signin.secret_hint",
        ),
        _text("groups_claim", "signin.groups_claim"),
        rx.el.p(
            t("signin.callback_hint"),
            " ",
            rx.el.code(S.callback_url, dir="ltr", class_name="provider-callback"),
            class_name="hint",
            data_testid="idp-callback",
        ),
    )
    return row_editor_card(
        S,
        FORM,
        "signin.edit",
        [
            _text("name", "signin.name", required=True, max_length=120),
            rx.cond(S.edit.kind == "oidc", oidc_fields, ldap_fields),
        ],
        before=(
            rx.el.p(
                rx.el.span(t("signin.kind"), class_name="label"),
                " ",
                t_choice(S.edit.kind, "signin.kind.", ("ldap", "oidc")),
            ),
        ),
        extras=(
            rx.cond(
                S.edit.kind == "ldap",
                checkbox_field(FORM, "start_tls", "signin.start_tls", default_checked=S.edit.start_tls),
            ),
            checkbox_field(FORM, "enabled", "signin.enabled", default_checked=S.edit.enabled),
        ),
        data_testid="idp-form",
    )


def _row(p: rx.Var) -> rx.Component:
    S = SigninAdminState
    pid = p.id.to_string()
    return rx.el.tr(
        rx.el.td(rx.el.strong(p.name)),
        rx.el.td(t_choice(p.kind, "signin.kind.", ("ldap", "oidc"))),
        rx.el.td(
            rx.el.span(rx.cond(p.kind == "oidc", p.issuer, p.server_url), dir="ltr", class_name="provider-callback")
        ),
        rx.el.td(active_badge(p.enabled)),
        rx.el.td(
            rx.el.div(
                row_button("common.edit", S.start_edit(pid), "idp-edit-" + pid, "ghost"),
                row_button("signin.test", S.test(pid), "idp-test-" + pid),
                row_button("signin.rules", S.show_rules(pid), "idp-rules-" + pid, "ghost"),
                class_name="row-actions",
            )
        ),
        data_testid="idp-row-" + pid,
    )


def _rule_row(r: rx.Var) -> rx.Component:
    rid = r.id.to_string()
    return rx.el.tr(
        rx.el.td(rx.el.code(r.group, dir="ltr", class_name="provider-callback")),
        rx.el.td(r.unit + " · " + r.unit_name),
        rx.el.td(t_choice(r.role, "role.", ROLES)),
        rx.el.td(row_button("common.remove", SigninAdminState.remove_rule(rid), "idp-rule-remove-" + rid, "danger")),
    )


def _rules() -> rx.Component:
    S = SigninAdminState
    return card(
        rx.el.h2(t("signin.rules"), " — ", S.rules_name, class_name="section-title", id="idp-rules-title"),
        rx.el.p(t("signin.rules_intro"), class_name="hint"),
        rx.cond(
            S.rules.length() > 0,
            rx.el.div(
                rx.el.table(
                    rx.el.thead(
                        rx.el.tr(
                            *[
                                rx.el.th(t(k), scope="col")
                                for k in ("signin.rule_group", "signin.rule_unit", "signin.rule_role", "common.actions")
                            ]
                        )
                    ),
                    rx.el.tbody(rx.foreach(S.rules, _rule_row)),
                    class_name="table",
                    data_testid="idp-rules",
                ),
                class_name="table-wrap",
            ),
            rx.el.p(t("signin.no_rules"), class_name="muted"),
        ),
        rx.el.form(
            rx.el.div(
                field(
                    "idp-rule",
                    "group",
                    "signin.rule_group",
                    required=True,
                    dir="ltr",
                    max_length=255,
                    placeholder="cn=courrier,ou=groups,dc=example,dc=ma",
                ),
                select_field(
                    "idp-rule",
                    "unit_id",
                    "signin.rule_unit",
                    [option("", t("common.select")), rx.foreach(S.units, lambda u: option(u.id.to_string(), u.label))],
                    required=True,
                ),
                select_field(
                    "idp-rule", "role", "signin.rule_role", [option(r, t(f"role.{r}")) for r in ROLES], required=True
                ),
                class_name="form-grid",
            ),
            rx.el.div(submit("signin.add_rule", "idp-rule-add"), class_name="actions"),
            on_submit=S.add_rule,
            reset_on_submit=True,
            class_name="form idp-rule-form",
        ),
        aria_labelledby="idp-rules-title",
    )


def page() -> rx.Component:
    S = SigninAdminState
    return admin_layout(
        S,
        "signin",
        "admin.signin",
        rx.el.p(t("signin.intro"), class_name="lead"),
        rx.cond(
            ~S.editing,
            rx.el.div(
                button("signin.new_ldap", on_click=S.new_kind("ldap"), data_testid="idp-new-ldap"),
                button("signin.new_oidc", kind="secondary", on_click=S.new_kind("oidc"), data_testid="idp-new-oidc"),
                class_name="toolbar",
            ),
        ),
        rx.cond(S.editing, _form()),
        rows_table(
            S.rows,
            ["signin.name", "signin.kind", "signin.address", "signin.status", "common.actions"],
            _row,
            "idp-table",
            "signin.empty",
            "key-round",
        ),
        rx.cond(S.rules_for != "", _rules()),
        picker_on_change=S.change_adm,
    )


ON_LOAD = SigninAdminState.on_load
