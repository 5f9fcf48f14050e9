"""``/admin/units``: the unit tree of the managed administration, with create/edit."""

from __future__ import annotations

import dataclasses

import reflex as rx

from mrasla_app import db
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.vocabulary import UNIT_LEVELS as LEVELS
from mrasla_app.ui import routes
from mrasla_app.ui.components.choices import INDENT, Coded
from mrasla_app.ui.components.editor import (
    RowEditor,
    active_field,
    code_field,
    form_texts,
    row_editor_card,
    row_editor_top,
    row_end_cells,
    rows_table,
)
from mrasla_app.ui.components.forms import name_fields, option, select_field
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.admin.common import AdminPage, AdminState, admin_layout

ROUTE = routes.ADMIN_UNITS
FORM = "unit"


@dataclasses.dataclass
class Unit(Coded):
    """A unit of the tree as the page lists and edits it (id 0: a new one; parent_id 0: none)."""

    level: str = "central"
    parent_id: int = 0
    active: bool = True
    indent: str = "0"  # how far the row is indented (its depth in the tree)
    prefix: str = ""  # the same depth in the parent picker


class UnitsState(RowEditor, AdminPage, AdminState):
    rows: list[Unit] = []  # the units, in tree order
    edit: Unit = Unit()

    def _blank(self) -> Unit:
        return Unit()

    def _reload(self, actor: Actor) -> None:
        if not self.adm_id:
            self.rows = []
            return
        with db.read_session() as session:
            nodes = directory.units_for(session, actor, self.adm_id)
        self.rows = [
            Unit(
                n.unit.id,
                n.unit.code,
                n.unit.name_ar,
                n.unit.name_fr,
                n.unit.level.value,
                n.unit.parent_id or 0,
                bool(n.unit.active),
                f"{n.depth * 1.75}rem" if n.depth else "0",
                INDENT * n.depth,
            )
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
                level=str(form.get("level", "central")),
                active=bool(form.get("active")),
                **form_texts(form, code=0, name_ar=0, name_fr=0),
            )

        self._save_row(action)


def _form() -> rx.Component:
    S = UnitsState
    return row_editor_card(
        S,
        FORM,
        ("admin.unit.new", "admin.unit.edit"),
        [
            code_field(FORM, S, "field.code_hint_unit", max_length=32),
            select_field(
                FORM,
                "level",
                "field.level",
                [option(lv, t(f"level.{lv}")) for lv in LEVELS],
                default_value=S.edit.level,
            ),
            *name_fields(FORM, fr=S.edit.name_fr, ar=S.edit.name_ar, ar_first=True),
            select_field(
                FORM,
                "parent_id",
                "field.parent",
                [
                    option("", t("field.no_parent")),
                    rx.foreach(
                        S.rows,
                        lambda u: rx.cond(
                            u.id != S.edit.id,
                            option(u.id.to_string(), u.prefix + u.code + " — " + pick(u.name_ar, u.name_fr)),
                        ),
                    ),
                ],
                default_value=rx.cond(S.edit.parent_id == 0, "", S.edit.parent_id.to_string()),
            ),
        ],
        extras=(active_field(FORM, S),),
    )


def _row(u: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(
            rx.el.div(
                rx.cond(
                    u.indent != "0",
                    rx.icon("corner-down-right", size=14, aria_hidden="true", class_name="flip-rtl muted"),
                ),
                rx.el.span(pick(u.name_ar, u.name_fr)),
                class_name="tree-cell",
                style={"padding_inline_start": u.indent},
            ),
        ),
        rx.el.td(rx.el.code(u.code, dir="ltr")),
        rx.el.td(t_choice(u.level, "level.", LEVELS)),
        *row_end_cells(UnitsState, u, "unit-edit-"),
    )


def page() -> rx.Component:
    S = UnitsState
    return admin_layout(
        S,
        "units",
        "admin.units",
        row_editor_top(S, "admin.unit.new", "unit-new", _form()),
        rows_table(
            S.rows,
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
