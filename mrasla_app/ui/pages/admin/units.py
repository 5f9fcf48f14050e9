"""``/admin/units``: the unit tree of the managed administration, with create/edit."""

from __future__ import annotations

import reflex as rx

from mrasla_app import db
from mrasla_app.models import UnitLevel
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.ui import routes
from mrasla_app.ui.components.forms import (
    button, card, checkbox_field, empty_state, field, option, select_field, submit, table,
)
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.admin.common import AdminState, RowEditor, admin_layout

ROUTE = routes.ADMIN_UNITS
FORM = "unit"
LEVELS = [lv.value for lv in UnitLevel]
EMPTY = {"id": "", "code": "", "name_ar": "", "name_fr": "", "level": "central", "parent_id": "", "active": "1"}


class UnitsState(RowEditor, AdminState):
    units: list[dict[str, str]] = []  # {id, code, name_ar, name_fr, level, parent_id, active, indent}

    def _blank(self) -> dict[str, str]:
        return dict(EMPTY)

    def _editable(self) -> list[dict[str, str]]:
        return self.units

    def _reload(self, actor: Actor) -> None:
        if not self.adm_id:
            self.units = []
            return
        with db.read_session() as session:
            nodes = directory.units_for(session, actor, self.adm_id)
        self.units = [
            {"id": str(n.unit.id), "code": n.unit.code, "name_ar": n.unit.name_ar, "name_fr": n.unit.name_fr,
             "level": n.unit.level.value, "parent_id": str(n.unit.parent_id or ""),
             "active": "1" if n.unit.active else "", "indent": f"{n.depth * 1.75}rem" if n.depth else "0",
             "prefix": "\u2003" * n.depth}
            for n in nodes
        ]

    @rx.event
    def on_load(self):
        actor, redirect = self._admin_actor()
        self._stop_editing()
        if actor is None:
            self.units = []
            return redirect
        try:
            self._reload(actor)
        except DomainError as exc:
            self.units = []
            self._fail(exc)

    @rx.event
    def change_adm(self, value: str):
        actor = self._change_adm(value)
        self.editing = False
        if actor is not None:
            self._reload(actor)

    @rx.event
    def save(self, form: dict):
        try:
            actor = self._admin_require()
            unit_id = self._edited_id()
            parent = str(form.get("parent_id", "") or "")
            with db.write_session() as session:
                directory.save_unit(
                    session, actor, administration_id=self.adm_id, unit_id=unit_id,
                    parent_id=int(parent) if parent.isdigit() else None,
                    code=str(form.get("code", "")), name_ar=str(form.get("name_ar", "")),
                    name_fr=str(form.get("name_fr", "")), level=str(form.get("level", "central")),
                    active=bool(form.get("active")),
                )
            self._reload(actor)
        except DomainError as exc:
            self._fail(exc)
            return
        self._stop_editing()
        self._ok("common.saved")


def _form() -> rx.Component:
    S = UnitsState
    return card(
        rx.el.h2(rx.cond(S.edit["id"] == "", t("admin.unit.new"), t("admin.unit.edit")),
                 class_name="section-title", id="unit-form-title"),
        rx.el.form(
            rx.el.div(
                field(FORM, "code", "field.code", required=True, default_value=S.edit["code"], dir="ltr",
                      max_length=32, hint_key="field.code_hint_unit"),
                select_field(FORM, "level", "field.level", [option(lv, t(f"level.{lv}")) for lv in LEVELS],
                             default_value=S.edit["level"]),
                field(FORM, "name_ar", "field.name_ar", required=True, default_value=S.edit["name_ar"],
                      dir="rtl", lang="ar"),
                field(FORM, "name_fr", "field.name_fr", required=True, default_value=S.edit["name_fr"],
                      dir="ltr", lang="fr"),
                select_field(
                    FORM, "parent_id", "field.parent",
                    [option("", t("field.no_parent")),
                     rx.foreach(S.units, lambda u: rx.cond(
                         u["id"] != S.edit["id"],
                         rx.el.option(u["prefix"] + u["code"] + " — " + pick(u["name_ar"], u["name_fr"]),
                                      value=u["id"])))],
                    default_value=S.edit["parent_id"],
                ),
                class_name="form-grid",
            ),
            checkbox_field(FORM, "active", "field.active", default_checked=S.edit["active"] != ""),
            rx.el.div(
                submit("common.save", "unit-save"),
                button("common.cancel", kind="ghost", on_click=S.cancel),
                class_name="actions",
            ),
            on_submit=S.save,
            class_name="form",
            key=S.form_key,
        ),
        aria_labelledby="unit-form-title",
    )


def _row(u: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(
            rx.el.div(
                rx.cond(u["indent"] != "0", rx.icon("corner-down-right", size=14, aria_hidden="true",
                                                       class_name="flip-rtl muted")),
                rx.el.span(pick(u["name_ar"], u["name_fr"])),
                class_name="tree-cell",
                style={"padding_inline_start": u["indent"]},
            ),
        ),
        rx.el.td(rx.el.code(u["code"], dir="ltr")),
        rx.el.td(t_choice(u["level"], "level.", LEVELS)),
        rx.el.td(rx.cond(u["active"] != "", rx.el.span(t("common.active"), class_name="badge badge-ok"),
                         rx.el.span(t("common.inactive"), class_name="badge"))),
        rx.el.td(rx.el.button(
            rx.icon("pencil", size=16, aria_hidden="true"), rx.el.span(t("common.edit")),
            type="button", class_name="btn btn-small btn-secondary",
            on_click=UnitsState.start_edit(u["id"]), data_testid="unit-edit-" + u["code"],
        )),
    )


def page() -> rx.Component:
    S = UnitsState
    return admin_layout(
        S, "units", "admin.units",
        rx.cond(~S.editing, rx.el.div(button("admin.unit.new", on_click=S.new, data_testid="unit-new"),
                                      class_name="toolbar")),
        rx.cond(S.editing, _form()),
        rx.cond(
            S.units.length() > 0,
            table(["field.name", "field.code", "field.level", "field.status", "common.actions"],
                  rx.foreach(S.units, _row), data_testid="unit-table"),
            empty_state("admin.unit.empty", "network"),
        ),
        picker_on_change=S.change_adm,
    )


ON_LOAD = UnitsState.on_load
TITLE = "Mrasla — Entités · الوحدات"
