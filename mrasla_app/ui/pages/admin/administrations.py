"""``/admin/administrations``: the platform admin lists, creates and edits administrations;
an administration's own admin sees only theirs and can edit its names (not its code)."""

from __future__ import annotations

import reflex as rx

from mrasla_app import db
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.vocabulary import ADMINISTRATION_KINDS as KINDS
from mrasla_app.ui import routes
from mrasla_app.ui.components.editor import RowEditor, active_badge, edit_button, editor_card, new_toolbar
from mrasla_app.ui.components.forms import checkbox_field, field, option, select_field, table
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.admin.common import AdminPage, AdminState, admin_layout

ROUTE = routes.ADMIN_ADMINISTRATIONS
FORM = "adm"
EMPTY = {
    "id": "",
    "code": "",
    "name_ar": "",
    "name_fr": "",
    "kind": "ministry",
    "city_ar": "",
    "city_fr": "",
    "active": "1",
}


class AdministrationsState(RowEditor, AdminPage, AdminState):
    rows: list[dict[str, str]] = []  # {id, code, name_ar, name_fr, kind, city_ar, city_fr, active}

    def _blank(self) -> dict[str, str]:
        return dict(EMPTY)

    def _editable(self) -> list[dict[str, str]]:
        return self.rows

    def _clear(self) -> None:
        self.rows = []

    def _reload(self, actor: Actor) -> None:
        """The rows, and the picker's list of administrations (a name or a new one may have changed)."""
        self._load_administrations(actor)
        with db.read_session() as session:
            adms = directory.administrations_for(session, actor)
        self.rows = [
            {
                "id": str(a.id),
                "code": a.code,
                "name_ar": a.name_ar,
                "name_fr": a.name_fr,
                "kind": a.kind.value,
                "city_ar": a.city_ar,
                "city_fr": a.city_fr,
                "active": "1" if a.active else "",
            }
            for a in adms
        ]

    @rx.event
    def save(self, form: dict):
        form = form if isinstance(form, dict) else {}
        code = str(form.get("code", self.edit.get("code", "")))

        def action(session, actor: Actor) -> None:
            directory.save_administration(
                session,
                actor,
                administration_id=self._edited_id(),
                code=code,
                name_ar=str(form.get("name_ar", "")),
                name_fr=str(form.get("name_fr", "")),
                kind=str(form.get("kind", "ministry")),
                city_ar=str(form.get("city_ar", "")),
                city_fr=str(form.get("city_fr", "")),
                active=bool(form.get("active")),
            )

        if self._run(action, "common.saved"):
            self._stop_editing()


def _form() -> rx.Component:
    S = AdministrationsState
    is_new = S.edit["id"] == ""
    return editor_card(
        rx.cond(is_new, t("admin.adm.new"), t("admin.adm.edit")),
        "adm-form-title",
        [
            field(
                FORM,
                "code",
                "field.code",
                required=True,
                default_value=S.edit["code"],
                dir="ltr",
                max_length=16,
                read_only=~S.is_platform_admin & ~is_new,
                hint_key="field.code_hint_adm",
            ),
            select_field(
                FORM, "kind", "field.kind", [option(k, t(f"kind.{k}")) for k in KINDS], default_value=S.edit["kind"]
            ),
            field(
                FORM, "name_ar", "field.name_ar", required=True, default_value=S.edit["name_ar"], dir="rtl", lang="ar"
            ),
            field(
                FORM, "name_fr", "field.name_fr", required=True, default_value=S.edit["name_fr"], dir="ltr", lang="fr"
            ),
            field(FORM, "city_ar", "field.city_ar", default_value=S.edit["city_ar"], dir="rtl", lang="ar"),
            field(FORM, "city_fr", "field.city_fr", default_value=S.edit["city_fr"], dir="ltr", lang="fr"),
        ],
        extras=(checkbox_field(FORM, "active", "field.active", default_checked=S.edit["active"] != ""),),
        on_submit=S.save,
        on_cancel=S.cancel,
        key=S.form_key,
        submit_testid="adm-save",
        submit_key="common.save",
    )


def _row(r: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(rx.el.code(r["code"], dir="ltr")),
        rx.el.td(
            rx.el.span(r["name_ar"], lang="ar", dir="rtl"),
            rx.el.br(),
            rx.el.span(r["name_fr"], lang="fr", dir="ltr", class_name="muted"),
        ),
        rx.el.td(t_choice(r["kind"], "kind.", KINDS)),
        rx.el.td(pick(r["city_ar"], r["city_fr"])),
        rx.el.td(active_badge(r["active"])),
        rx.el.td(edit_button(AdministrationsState.start_edit(r["id"]), "adm-edit-" + r["code"])),
    )


def page() -> rx.Component:
    S = AdministrationsState
    return admin_layout(
        S,
        "administrations",
        "admin.administrations",
        new_toolbar(S.editing | ~S.is_platform_admin, "admin.adm.new", S.new, "adm-new"),
        rx.cond(S.editing, _form()),
        table(
            ["field.code", "field.name", "field.kind", "field.city", "field.status", "common.actions"],
            rx.foreach(S.rows, _row),
            data_testid="adm-table",
        ),
    )


ON_LOAD = AdministrationsState.on_load
TITLE = "Mrasla — Administrations · الإدارات"
