"""``/admin/administrations``: the platform admin lists, creates and edits administrations;
an administration's own admin sees only theirs and can edit its names (not its code)."""

from __future__ import annotations

import reflex as rx

from mrasla_app import db
from mrasla_app.models import AdministrationKind
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.ui import routes
from mrasla_app.ui.components.forms import (
    button, card, checkbox_field, field, option, select_field, submit, table,
)
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.admin.common import AdminState, RowEditor, admin_layout

ROUTE = routes.ADMIN_ADMINISTRATIONS
FORM = "adm"
KINDS = [k.value for k in AdministrationKind]
EMPTY = {"id": "", "code": "", "name_ar": "", "name_fr": "", "kind": "ministry", "city_ar": "", "city_fr": "",
         "active": "1"}


class AdministrationsState(RowEditor, AdminState):
    rows: list[dict[str, str]] = []  # {id, code, name_ar, name_fr, kind, city_ar, city_fr, active}

    def _blank(self) -> dict[str, str]:
        return dict(EMPTY)

    def _editable(self) -> list[dict[str, str]]:
        return self.rows

    def _reload(self, actor: Actor) -> None:
        with db.read_session() as session:
            adms = directory.administrations_for(session, actor)
        self.rows = [
            {"id": str(a.id), "code": a.code, "name_ar": a.name_ar, "name_fr": a.name_fr, "kind": a.kind.value,
             "city_ar": a.city_ar, "city_fr": a.city_fr, "active": "1" if a.active else ""}
            for a in adms
        ]

    @rx.event
    def on_load(self):
        actor, redirect = self._admin_actor()
        self._stop_editing()
        if actor is None:
            self.rows = []
            return redirect
        self._reload(actor)

    @rx.event
    def save(self, form: dict):
        try:
            actor = self._admin_require()
            adm_id = self._edited_id()
            if adm_id is not None and str(adm_id) not in [r["id"] for r in self.rows]:
                raise DomainError("error.not_found")
            code = str(form.get("code", self.edit.get("code", "")))
            with db.write_session() as session:
                directory.save_administration(
                    session, actor, administration_id=adm_id, code=code,
                    name_ar=str(form.get("name_ar", "")), name_fr=str(form.get("name_fr", "")),
                    kind=str(form.get("kind", "ministry")), city_ar=str(form.get("city_ar", "")),
                    city_fr=str(form.get("city_fr", "")), active=bool(form.get("active")),
                )
        except DomainError as exc:
            self._fail(exc)
            return
        self._stop_editing()
        self._reload(actor)
        self._load_administrations(actor)
        self._ok("common.saved")


def _form() -> rx.Component:
    S = AdministrationsState
    is_new = S.edit["id"] == ""
    return card(
        rx.el.h2(
            rx.cond(is_new, t("admin.adm.new"), t("admin.adm.edit")), class_name="section-title", id="adm-form-title"),
        rx.el.form(
            rx.el.div(
                field(FORM, "code", "field.code", required=True, default_value=S.edit["code"],
                      dir="ltr", max_length=16, read_only=~S.is_platform_admin & ~is_new,
                      hint_key="field.code_hint_adm"),
                select_field(FORM, "kind", "field.kind", [option(k, t(f"kind.{k}")) for k in KINDS],
                             default_value=S.edit["kind"]),
                field(FORM, "name_ar", "field.name_ar", required=True, default_value=S.edit["name_ar"],
                      dir="rtl", lang="ar"),
                field(FORM, "name_fr", "field.name_fr", required=True, default_value=S.edit["name_fr"],
                      dir="ltr", lang="fr"),
                field(FORM, "city_ar", "field.city_ar", default_value=S.edit["city_ar"], dir="rtl", lang="ar"),
                field(FORM, "city_fr", "field.city_fr", default_value=S.edit["city_fr"], dir="ltr", lang="fr"),
                class_name="form-grid",
            ),
            checkbox_field(FORM, "active", "field.active", default_checked=S.edit["active"] != ""),
            rx.el.div(
                submit("common.save", "adm-save"),
                button("common.cancel", kind="ghost", on_click=AdministrationsState.cancel),
                class_name="actions",
            ),
            on_submit=AdministrationsState.save,
            class_name="form",
            key=S.form_key,
        ),
        aria_labelledby="adm-form-title",
    )


def _row(r: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(rx.el.code(r["code"], dir="ltr")),
        rx.el.td(rx.el.span(r["name_ar"], lang="ar", dir="rtl"), rx.el.br(), rx.el.span(r["name_fr"], lang="fr", dir="ltr", class_name="muted")),
        rx.el.td(t_choice(r["kind"], "kind.", KINDS)),
        rx.el.td(pick(r["city_ar"], r["city_fr"])),
        rx.el.td(rx.cond(r["active"] != "", rx.el.span(t("common.active"), class_name="badge badge-ok"),
                         rx.el.span(t("common.inactive"), class_name="badge"))),
        rx.el.td(rx.el.button(
            rx.icon("pencil", size=16, aria_hidden="true"), rx.el.span(t("common.edit")),
            type="button", class_name="btn btn-small btn-secondary",
            on_click=AdministrationsState.start_edit(r["id"]), data_testid="adm-edit-" + r["code"],
        )),
    )


def page() -> rx.Component:
    S = AdministrationsState
    return admin_layout(
        S, "administrations", "admin.administrations",
        rx.cond(S.is_platform_admin & ~S.editing,
                rx.el.div(button("admin.adm.new", on_click=S.new, data_testid="adm-new"), class_name="toolbar")),
        rx.cond(S.editing, _form()),
        table(["field.code", "field.name", "field.kind", "field.city", "field.status", "common.actions"],
              rx.foreach(S.rows, _row), data_testid="adm-table"),
    )


ON_LOAD = AdministrationsState.on_load
TITLE = "Mrasla — Administrations · الإدارات"
