"""``/admin/users``: staff of the managed administration — create, enable/disable, reset password,
role memberships per unit, one-time TOTP enrolment codes (the second factor of administrators)."""

from __future__ import annotations

import dataclasses

import reflex as rx

from mrasla_app import db
from mrasla_app.i18n import translate
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory import users
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.vocabulary import ROLES
from mrasla_app.ui import routes
from mrasla_app.ui.components.choices import Choice, unit_choices
from mrasla_app.ui.components.editor import editor_card, new_toolbar, row_button, rows_table
from mrasla_app.ui.components.forms import card, field, option, select_field, submit
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.admin.common import AdminPage, AdminState, admin_layout

ROUTE = routes.ADMIN_USERS


def _roles_text(items: list[tuple[str, str]], lang: str) -> str:
    return ("، " if lang == "ar" else ", ").join(f"{translate('role.' + role, lang)} ({code})" for role, code in items)


@dataclasses.dataclass
class UserRow:
    """A staff member as the table shows them (``totp``: "vouched", "on" or "")."""

    id: int = 0
    email: str = ""
    full_name: str = ""
    full_name_ar: str = ""
    active: bool = False
    totp: str = ""
    roles_ar: str = ""
    roles_fr: str = ""
    roles_en: str = ""


@dataclasses.dataclass
class Membership:
    """A role of a staff member in a unit."""

    id: int = 0
    user_id: int = 0
    role: str = ""
    unit_code: str = ""
    name_ar: str = ""
    name_fr: str = ""


class UsersState(AdminPage, AdminState):
    users: list[UserRow] = []
    memberships: list[Membership] = []
    unit_options: list[Choice] = []
    sel_id: str = ""
    creating: bool = False
    form_key: int = 0
    # A TOTP enrolment code just issued for the selected user: shown once to the administrator who
    # issued it (who hands it over in person), forgotten as soon as another user or page is chosen.
    enrolment_code: str = ""

    @rx.var
    def sel_user(self) -> UserRow:
        return next((u for u in self.users if str(u.id) == self.sel_id), UserRow())

    @rx.var
    def sel_memberships(self) -> list[Membership]:
        return [m for m in self.memberships if str(m.user_id) == self.sel_id]

    def _clear(self) -> None:
        self.users, self.memberships, self.unit_options = [], [], []

    def _reset_page(self, new_adm: bool) -> None:
        self.sel_id, self.creating, self.enrolment_code = "", False, ""

    def _reload(self, actor: Actor) -> None:
        if not self.adm_id:
            self._clear()
            return
        with db.read_session() as session:
            staff = users.list_users(session, actor, self.adm_id)
            rows = users.memberships(session, actor, self.adm_id)
            nodes = directory.units_for(session, actor, self.adm_id)
        by_user: dict[int, list[tuple[str, str]]] = {}
        self.memberships = []
        for m, u, unit in rows:
            by_user.setdefault(u.id, []).append((m.role.value, unit.code))
            self.memberships.append(Membership(m.id, u.id, m.role.value, unit.code, unit.name_ar, unit.name_fr))
        self.users = [
            UserRow(
                id=u.id,
                email=u.email,
                full_name=u.full_name,
                full_name_ar=u.full_name_ar,
                active=bool(u.active),
                totp="vouched" if u.totp_enabled and u.totp_vouched else ("on" if u.totp_enabled else ""),
                roles_ar=_roles_text(by_user.get(u.id, []), "ar"),
                roles_fr=_roles_text(by_user.get(u.id, []), "fr"),
                roles_en=_roles_text(by_user.get(u.id, []), "en"),
            )
            for u in staff
        ]
        self.unit_options = unit_choices((n for n in nodes if n.unit.active), codes=True)
        if self.sel_id and self.sel_id not in [str(u.id) for u in self.users]:
            self.sel_id = ""

    @rx.event
    def open_create(self):
        self.creating, self.sel_id, self.enrolment_code = True, "", ""
        self.form_key += 1
        self._clear_messages()

    @rx.event
    def close(self):
        self._reset_page(False)

    @rx.event
    def select_user(self, user_id: str):
        self.sel_id = user_id if user_id in [str(u.id) for u in self.users] else ""
        self.creating, self.enrolment_code = False, ""
        self.form_key += 1
        self._clear_messages()

    @rx.event
    def create_user(self, form: dict):
        unit, role = str(form.get("unit_id", "")), str(form.get("role", ""))

        def action(session, actor):
            user = users.create_user(
                session,
                actor,
                administration_id=self.adm_id,
                email=str(form.get("email", "")),
                full_name=str(form.get("full_name", "")),
                full_name_ar=str(form.get("full_name_ar", "")),
                password=str(form.get("password", "")),
            )
            if unit.isdigit() and role:
                users.add_membership(session, actor, user.id, int(unit), role)

        if self._run(action, "admin.user.created"):
            self.creating = False
            self.form_key += 1

    @rx.event
    def set_active(self, user_id: str, active: bool):
        self._run_on(
            user_id,
            lambda s, a, row: users.set_active(s, a, row, bool(active)),
            "admin.user.enabled" if active else "admin.user.disabled",
        )

    @rx.event
    def reset_password(self, form: dict):
        if not self.sel_id:
            return
        if self._run(
            lambda s, a: users.reset_password(s, a, int(self.sel_id), str(form.get("password", ""))),
            "admin.user.password_reset",
        ):
            self.form_key += 1

    @rx.event
    def issue_enrolment_code(self):
        """A one-time code with which the selected user enrols the TOTP that unlocks administrator rights."""
        self.enrolment_code = ""
        if not self.sel_id.isdigit():
            return
        issued: list[str] = []
        if self._run(
            lambda s, a: issued.append(users.issue_totp_enrolment_code(s, a, int(self.sel_id))),
            "admin.user.totp_code_issued",
        ):
            self.enrolment_code = issued[0]

    @rx.event
    def add_role(self, form: dict):
        unit, role = str(form.get("unit_id", "")), str(form.get("role", ""))
        if not self.sel_id or not unit.isdigit():
            self._fail(DomainError("error.required"))
            return
        self._run(lambda s, a: users.add_membership(s, a, int(self.sel_id), int(unit), role), "common.saved")

    @rx.event
    def remove_role(self, membership_id: str):
        self._run_on(membership_id, users.remove_membership, "common.saved")


def _unit_select(form: str) -> rx.Component:
    return select_field(
        form,
        "unit_id",
        "field.unit",
        [
            option("", t("common.select")),
            rx.foreach(
                UsersState.unit_options, lambda u: rx.el.option(pick(u.label_ar, u.label_fr), value=u.id.to_string())
            ),
        ],
        default_value="",
    )


def _role_select(form: str) -> rx.Component:
    return select_field(
        form,
        "role",
        "field.role",
        [option("", t("common.select"))] + [option(r, t(f"role.{r}")) for r in ROLES],
        default_value="",
    )


def _create_form() -> rx.Component:
    S = UsersState
    return editor_card(
        t("admin.user.new"),
        "user-new-title",
        [
            field("newuser", "email", "field.email", type="email", required=True, dir="ltr", autocomplete="off"),
            field(
                "newuser",
                "password",
                "admin.user.initial_password",
                type="password",
                required=True,
                min_length=10,
                dir="ltr",
                autocomplete="new-password",
            ),
            field("newuser", "full_name", "field.full_name", required=True, dir="ltr", lang="fr"),
            field("newuser", "full_name_ar", "field.full_name_ar", dir="rtl", lang="ar"),
            _unit_select("newuser"),
            _role_select("newuser"),
        ],
        on_submit=S.create_user,
        on_cancel=S.close,
        key=S.form_key,
        submit_testid="user-create",
    )


def _manage_panel() -> rx.Component:
    S = UsersState
    return card(
        rx.el.div(
            rx.el.h2(S.sel_user.full_name, class_name="section-title", id="user-manage-title"),
            rx.el.button(
                rx.icon("x", size=18, aria_hidden="true"),
                type="button",
                on_click=S.close,
                class_name="btn btn-ghost",
                aria_label=t("common.close"),
            ),
            class_name="card-head",
        ),
        rx.el.p(S.sel_user.email, dir="ltr", class_name="muted"),
        rx.el.h3(t("admin.user.roles"), class_name="subsection-title"),
        rx.cond(
            S.sel_memberships.length() > 0,
            rx.el.ul(
                rx.foreach(
                    S.sel_memberships,
                    lambda m: rx.el.li(
                        rx.el.span(t_choice(m.role, "role.", ROLES), class_name="badge"),
                        rx.el.span(pick(m.name_ar, m.name_fr)),
                        rx.el.code(m.unit_code, dir="ltr", class_name="muted"),
                        row_button(
                            "admin.user.remove_role",
                            S.remove_role(m.id.to_string()),
                            "role-remove-" + m.id.to_string(),
                            "danger",
                        ),
                        class_name="role-row",
                    ),
                ),
                class_name="role-list",
                data_testid="user-roles",
            ),
            rx.el.p(t("account.no_roles"), class_name="muted"),
        ),
        rx.el.form(
            rx.el.div(_unit_select("addrole"), _role_select("addrole"), class_name="form-grid"),
            submit("admin.user.add_role", "role-add"),
            on_submit=S.add_role,
            class_name="form",
            key=S.form_key,
        ),
        rx.el.h3(t("admin.user.totp_code"), class_name="subsection-title"),
        rx.el.p(
            rx.match(
                S.sel_user.totp,
                ("vouched", rx.el.span(t("admin.user.totp_vouched"), class_name="badge badge-ok")),
                ("on", rx.el.span(t("admin.user.totp_unvouched"), class_name="badge")),
                rx.el.span(t("admin.user.totp_none"), class_name="badge badge-off"),
            ),
            data_testid="user-totp",
        ),
        rx.el.p(t("admin.user.totp_code_text"), class_name="muted"),
        rx.cond(
            S.enrolment_code != "",
            rx.el.p(rx.el.code(S.enrolment_code, dir="ltr", class_name="secret", data_testid="enrolment-code")),
            rx.el.button(
                t("admin.user.totp_code_issue"),
                type="button",
                class_name="btn btn-secondary",
                on_click=S.issue_enrolment_code,
                data_testid="enrolment-code-issue",
            ),
        ),
        rx.el.h3(t("admin.user.reset"), class_name="subsection-title"),
        rx.el.form(
            field(
                "reset",
                "password",
                "admin.user.new_password",
                type="password",
                required=True,
                min_length=10,
                dir="ltr",
                autocomplete="new-password",
            ),
            submit("admin.user.reset", "user-reset"),
            on_submit=S.reset_password,
            class_name="form",
            key=S.form_key,
        ),
        aria_labelledby="user-manage-title",
        data_testid="user-panel",
    )


def _row(u: rx.Var) -> rx.Component:
    S = UsersState
    active = u.active
    return rx.el.tr(
        rx.el.td(
            rx.el.span(u.full_name),
            rx.cond(
                u.full_name_ar != "",
                rx.el.span(rx.el.br(), rx.el.span(u.full_name_ar, lang="ar", class_name="muted")),
            ),
        ),
        rx.el.td(rx.el.span(u.email, dir="ltr")),
        rx.el.td(pick(u.roles_ar, u.roles_fr, u.roles_en)),
        rx.el.td(
            rx.cond(
                active,
                rx.el.span(t("common.active"), class_name="badge badge-ok"),
                rx.el.span(t("admin.user.disabled_badge"), class_name="badge badge-off"),
            )
        ),
        rx.el.td(
            rx.el.div(
                row_button("admin.user.manage", S.select_user(u.id.to_string()), "user-manage-" + u.email),
                rx.cond(
                    active,
                    row_button(
                        "admin.user.disable", S.set_active(u.id.to_string(), False), "user-disable-" + u.email, "danger"
                    ),
                    row_button("admin.user.enable", S.set_active(u.id.to_string(), True), "user-enable-" + u.email),
                ),
                class_name="row-actions",
            )
        ),
    )


def page() -> rx.Component:
    S = UsersState
    return admin_layout(
        S,
        "users",
        "admin.users",
        new_toolbar(S.creating, "admin.user.new", S.open_create, "user-new"),
        rx.cond(S.creating, _create_form()),
        rx.cond(S.sel_id != "", _manage_panel()),
        rows_table(
            S.users,
            ["field.full_name", "field.email", "admin.user.roles", "field.status", "common.actions"],
            _row,
            "user-table",
            "admin.user.empty",
            "users",
        ),
        picker_on_change=S.change_adm,
    )


ON_LOAD = UsersState.on_load
TITLE = "Mrasla — Utilisateurs · المستخدمون"
