"""``/admin/administrations``: the platform admin lists, creates and edits administrations;
an administration's own admin sees only theirs and can edit its names (not its code)."""

from __future__ import annotations

import dataclasses

import reflex as rx

from mrasla_app import db
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.vocabulary import ADMINISTRATION_KINDS as KINDS
from mrasla_app.ui import routes
from mrasla_app.ui.components.choices import Coded
from mrasla_app.ui.components.editor import (
    RowEditor,
    active_field,
    code_field,
    form_texts,
    row_editor_card,
    row_editor_top,
    row_end_cells,
)
from mrasla_app.ui.components.forms import field, name_fields, option, select_field, table
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.admin.common import AdminPage, AdminState, admin_layout

ROUTE = routes.ADMIN_ADMINISTRATIONS
FORM = "adm"


@dataclasses.dataclass
class Administration(Coded):
    """An administration as the page lists and edits it (id 0: a new one)."""

    kind: str = "ministry"
    city_ar: str = ""
    city_fr: str = ""
    active: bool = True


class AdministrationsState(RowEditor, AdminPage, AdminState):
    rows: list[Administration] = []
    edit: Administration = Administration()

    def _blank(self) -> Administration:
        return Administration()

    def _reload(self, actor: Actor) -> None:
        """The rows, and the picker's list of administrations (a name or a new one may have changed)."""
        self._load_administrations(actor)
        with db.read_session() as session:
            adms = directory.administrations_for(session, actor)
        self.rows = [
            Administration(a.id, a.code, a.name_ar, a.name_fr, a.kind.value, a.city_ar, a.city_fr, bool(a.active))
            for a in adms
        ]

    @rx.event
    def save(self, form: dict):
        form = form if isinstance(form, dict) else {}
        code = str(form.get("code", self.edit.code))

        def action(session, actor: Actor) -> None:
            directory.save_administration(
                session,
                actor,
                administration_id=self._edited_id(),
                code=code,
                kind=str(form.get("kind", "ministry")),
                active=bool(form.get("active")),
                **form_texts(form, name_ar=0, name_fr=0, city_ar=0, city_fr=0),
            )

        self._save_row(action)


def _form() -> rx.Component:
    S = AdministrationsState
    is_new = S.edit.id == 0
    return row_editor_card(
        S,
        FORM,
        ("admin.adm.new", "admin.adm.edit"),
        [
            code_field(FORM, S, "field.code_hint_adm", max_length=16, read_only=~S.is_platform_admin & ~is_new),
            select_field(
                FORM, "kind", "field.kind", [option(k, t(f"kind.{k}")) for k in KINDS], default_value=S.edit.kind
            ),
            *name_fields(FORM, fr=S.edit.name_fr, ar=S.edit.name_ar, ar_first=True),
            field(FORM, "city_ar", "field.city_ar", default_value=S.edit.city_ar, dir="rtl", lang="ar"),
            field(FORM, "city_fr", "field.city_fr", default_value=S.edit.city_fr, dir="ltr", lang="fr"),
        ],
        extras=(active_field(FORM, S),),
    )


def _row(r: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(rx.el.code(r.code, dir="ltr")),
        rx.el.td(
            rx.el.span(r.name_ar, lang="ar", dir="rtl"),
            rx.el.br(),
            rx.el.span(r.name_fr, lang="fr", dir="ltr", class_name="muted"),
        ),
        rx.el.td(t_choice(r.kind, "kind.", KINDS)),
        rx.el.td(pick(r.city_ar, r.city_fr)),
        *row_end_cells(AdministrationsState, r, "adm-edit-"),
    )


def page() -> rx.Component:
    S = AdministrationsState
    return admin_layout(
        S,
        "administrations",
        "admin.administrations",
        row_editor_top(S, "admin.adm.new", "adm-new", _form(), hidden=~S.is_platform_admin),
        table(
            ["field.code", "field.name", "field.kind", "field.city", "field.status", "common.actions"],
            rx.foreach(S.rows, _row),
            data_testid="adm-table",
        ),
    )


ON_LOAD = AdministrationsState.on_load
TITLE = "Mrasla — Administrations · الإدارات"
