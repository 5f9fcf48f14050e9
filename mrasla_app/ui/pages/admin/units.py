"""``/admin/units``: the unit tree of the managed administration, with create/edit."""

from __future__ import annotations

import reflex as rx

from mrasla_app import db
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.vocabulary import UNIT_LEVELS as LEVELS
from mrasla_app.ui import routes
from mrasla_app.ui.components.editor import RowEditor, active_badge, edit_button, editor_card, new_toolbar, rows_table
from mrasla_app.ui.components.forms import checkbox_field, field, option, select_field
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.admin.common import AdminPage, AdminState, admin_layout

ROUTE = routes.ADMIN_UNITS
FORM = "unit"
EMPTY = {"id": "", "code": "", "name_ar": "", "name_fr": "", "level": "central", "parent_id": "", "active": "1"}


class UnitsState(RowEditor, AdminPage, AdminState):
    units: list[dict[str, str]] = []  # {id, code, name_ar, name_fr, level, parent_id, active, indent}

    def _blank(self) -> dict[str, str]:
        return dict(EMPTY)

    def _editable(self) -> list[dict[str, str]]:
        return self.units

    def _clear(self) -> None:
        self.units = []

    def _reload(self, actor: Actor) -> None:
        if not self.adm_id:
            self.units = []
            return
        with db.read_session() as session:
            nodes = directory.units_for(session, actor, self.adm_id)
        self.units = [
            {
                "id": str(n.unit.id),
                "code": n.unit.code,
                "name_ar": n.unit.name_ar,
                "name_fr": n.unit.name_fr,
                "level": n.unit.level.value,
                "parent_id": str(n.unit.parent_id or ""),
                "active": "1" if n.unit.active else "",
                "indent": f"{n.depth * 1.75}rem" if n.depth else "0",
                "prefix": "\u2003" * n.depth,
            }
            for n in nodes
        ]

    @rx.event
    def save(self, form: dict):
        form = form if isinstance(form, dict) else {}
        parent = str(form.get("parent_id", "") or "")

        def action(session, actor: Actor) -> None:
            directory.save_unit(
                session,
                actor,
                administration_id=self.adm_id,
                unit_id=self._edited_id(),
                parent_id=int(parent) if parent.isdigit() and len(parent) < 10 else None,
                code=str(form.get("code", "")),
                name_ar=str(form.get("name_ar", "")),
                name_fr=str(form.get("name_fr", "")),
                level=str(form.get("level", "central")),
                active=bool(form.get("active")),
            )

        if self._run(action, "common.saved"):
            self._stop_editing()


def _form() -> rx.Component:
    S = UnitsState
    return editor_card(
        rx.cond(S.edit["id"] == "", t("admin.unit.new"), t("admin.unit.edit")),
        "unit-form-title",
        [
            field(
                FORM,
                "code",
                "field.code",
                required=True,
                default_value=S.edit["code"],
                dir="ltr",
                max_length=32,
                hint_key="field.code_hint_unit",
            ),
            select_field(
                FORM,
                "level",
                "field.level",
                [option(lv, t(f"level.{lv}")) for lv in LEVELS],
                default_value=S.edit["level"],
            ),
            field(
                FORM, "name_ar", "field.name_ar", required=True, default_value=S.edit["name_ar"], dir="rtl", lang="ar"
            ),
            field(
                FORM, "name_fr", "field.name_fr", required=True, default_value=S.edit["name_fr"], dir="ltr", lang="fr"
            ),
            select_field(
                FORM,
                "parent_id",
                "field.parent",
                [
                    option("", t("field.no_parent")),
                    rx.foreach(
                        S.units,
                        lambda u: rx.cond(
                            u["id"] != S.edit["id"],
                            rx.el.option(
                                u["prefix"] + u["code"] + " — " + pick(u["name_ar"], u["name_fr"]), value=u["id"]
                            ),
                        ),
                    ),
                ],
                default_value=S.edit["parent_id"],
            ),
        ],
        extras=(checkbox_field(FORM, "active", "field.active", default_checked=S.edit["active"] != ""),),
        on_submit=S.save,
        on_cancel=S.cancel,
        key=S.form_key,
        submit_testid="unit-save",
        submit_key="common.save",
    )


def _row(u: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(
            rx.el.div(
                rx.cond(
                    u["indent"] != "0",
                    rx.icon("corner-down-right", size=14, aria_hidden="true", class_name="flip-rtl muted"),
                ),
                rx.el.span(pick(u["name_ar"], u["name_fr"])),
                class_name="tree-cell",
                style={"padding_inline_start": u["indent"]},
            ),
        ),
        rx.el.td(rx.el.code(u["code"], dir="ltr")),
        rx.el.td(t_choice(u["level"], "level.", LEVELS)),
        rx.el.td(active_badge(u["active"])),
        rx.el.td(edit_button(UnitsState.start_edit(u["id"]), "unit-edit-" + u["code"])),
    )


def page() -> rx.Component:
    S = UnitsState
    return admin_layout(
        S,
        "units",
        "admin.units",
        new_toolbar(S.editing, "admin.unit.new", S.new, "unit-new"),
        rx.cond(S.editing, _form()),
        rows_table(
            S.units,
            ["field.name", "field.code", "field.level", "field.status", "common.actions"],
            _row,
            "unit-table",
            "admin.unit.empty",
            "network",
        ),
        picker_on_change=S.change_adm,
    )


ON_LOAD = UnitsState.on_load
TITLE = "Mrasla — Entités · الوحدات"
