"""``/admin/circuits``: circuit templates (مسارات) of the managed administration — list, create,
edit the steps (kind, mode, participants by name or by role in a unit, deadline), activate.

``services.circuits`` checks that the actor administers the administration and validates every
step; the pickers only offer that administration's own people and units.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from mrasla_app import db
from mrasla_app.i18n import translate
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory import users
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.parapheur import circuits
from mrasla_app.ui import routes
from mrasla_app.ui.components import parapheur as pf
from mrasla_app.ui.components.choices import Choice, unit_choices
from mrasla_app.ui.components.forms import card, empty_state, name_fields, section_title
from mrasla_app.ui.i18n import pick, t
from mrasla_app.ui.pages.admin.common import AdminState, admin_layout

ROUTE = routes.ADMIN_CIRCUITS


@dataclasses.dataclass
class TemplateRow:
    """A circuit template as the table shows it: its name and its steps' kinds in a line."""

    id: int = 0
    name_ar: str = ""
    name_fr: str = ""
    active: bool = False
    summary_ar: str = ""
    summary_fr: str = ""
    summary_en: str = ""


class CircuitsState(AdminState):
    rows: list[TemplateRow] = []
    staff: list[pf.Staff] = []
    units: list[Choice] = []
    steps: list[pf.Step] = []
    people: list[pf.Person] = []
    editing: bool = False
    edit_name_ar: str = ""
    edit_name_fr: str = ""
    form_key: int = 0
    _edit_id: int = 0

    def _reload(self, actor: Actor) -> None:
        if not self.adm_id:
            self.rows, self.staff, self.units = [], [], []
            return
        with db.read_session() as session:
            staff = users.list_users(session, actor, self.adm_id)  # administrators of adm_id only
            nodes = directory.units_for(session, actor, self.adm_id)
            templates = circuits.list_templates(session, actor, self.adm_id, include_inactive=True)
        self.staff = [
            pf.Staff(u.id, u.full_name_ar or u.full_name, u.full_name, u.full_name_ar or u.full_name, u.full_name)
            for u in staff
            if u.active
        ]
        self.units = unit_choices(n for n in nodes if n.unit.active)
        rows = []
        for tpl in templates:
            names = circuits.step_kinds(tpl)
            kinds = [circuits.kind_labels(circuits.StepKind(n)) if n else ("?", "?") for n in names]
            rows.append(
                TemplateRow(
                    id=tpl.id,
                    name_ar=tpl.name_ar,
                    name_fr=tpl.name_fr,
                    active=bool(tpl.active),
                    summary_fr=" → ".join(k[0] for k in kinds),
                    summary_ar=" ← ".join(k[1] for k in kinds),
                    summary_en=" → ".join(translate(f"parapheur.kind.{n}", "en") if n else "?" for n in names),
                )
            )
        self.rows = rows

    def _reload_safe(self, actor: Actor) -> None:
        try:
            self._reload(actor)
        except DomainError as exc:
            self.rows, self.staff, self.units = [], [], []
            self._fail(exc)

    @rx.event
    def on_load(self):
        actor, redirect = self._admin_actor()
        self.editing, self._edit_id, self.steps, self.people = False, 0, [], []
        if actor is None:
            self.rows, self.staff, self.units = [], [], []
            return redirect
        self._reload_safe(actor)
        return None

    @rx.event
    def change_adm(self, value: str):
        actor = self._change_adm(value)
        self.editing, self._edit_id, self.steps, self.people = False, 0, [], []
        if actor is not None:
            self._reload_safe(actor)

    @rx.event
    def open_new(self):
        self.editing, self._edit_id = True, 0
        self.edit_name_ar = self.edit_name_fr = ""
        self.steps = pf.first_steps()
        self.people = []
        self.form_key += 1
        self._clear_messages()

    @rx.event
    def open_edit(self, template_id: str):
        try:
            actor = self._admin_require()
            if not str(template_id).isdigit() or len(str(template_id)) > 12:
                raise DomainError("error.not_found")
            with db.read_session() as session:
                tpl, specs = circuits.template_for_edit(session, actor, int(template_id), self.adm_id)
                name_ar, name_fr = tpl.name_ar, tpl.name_fr
        except DomainError as exc:
            self._fail(exc)
            return
        names = {u.id: (u.name_ar, u.name_fr) for u in self.staff}
        pf.load_specs(self, specs, names)
        self._edit_id = int(template_id)
        self.edit_name_ar, self.edit_name_fr = name_ar, name_fr
        self.editing = True
        self.form_key += 1
        self._clear_messages()

    @rx.event
    def close(self):
        self.editing, self._edit_id, self.steps, self.people = False, 0, [], []

    @rx.event
    def add_step(self):
        pf.add_step(self)

    @rx.event
    def remove_step(self, index: int):
        pf.remove_step(self, index)

    @rx.event
    def set_step(self, index: int, name: str, value: str):
        pf.set_step(self, index, name, value, units=self.units)

    @rx.event
    def add_person(self, index: int, user_id: str):
        pf.add_person(self, index, user_id)

    @rx.event
    def remove_person(self, index: int, user_id: str):
        pf.remove_person(self, index, user_id)

    @rx.event
    def save(self, form: dict):
        try:
            actor = self._admin_require()
            form = form if isinstance(form, dict) else {}
            with db.write_session() as session:
                circuits.save_template(
                    session,
                    actor,
                    administration_id=self.adm_id,
                    name_fr=str(form.get("name_fr", ""))[:300],
                    name_ar=str(form.get("name_ar", ""))[:300],
                    steps=pf.step_specs(self, roles=True),
                    template_id=self._edit_id or None,
                )
            self._reload(actor)
        except DomainError as exc:
            self._fail(exc)
            return
        self.editing, self._edit_id, self.steps, self.people = False, 0, [], []
        self._ok("common.saved")

    @rx.event
    def toggle(self, template_id: str):
        row = next((r for r in self.rows if str(r.id) == str(template_id)), None)

        def action(session, actor: Actor) -> None:
            if row is None:
                raise DomainError("error.not_found")
            circuits.set_template_active(session, actor, row.id, not row.active)

        self._run(action, "common.saved")


def _editor() -> rx.Component:
    S = CircuitsState
    return card(
        section_title("pf.tpl.edit", id="tpl-edit-title"),
        rx.el.form(
            rx.el.div(
                *name_fields("tpl", "pf.tpl.", S.edit_name_fr, S.edit_name_ar, max_length=255), class_name="form-grid"
            ),
            rx.el.fieldset(
                rx.el.legend(t("pf.circuit"), class_name="label"),
                pf.step_editor(S, roles=True, units=S.units),
                class_name="field fieldset",
            ),
            rx.el.div(
                rx.el.button(t("common.save"), type="submit", class_name="btn btn-primary", data_testid="tpl-save"),
                rx.el.button(t("common.cancel"), type="button", on_click=S.close, class_name="btn btn-ghost"),
                class_name="actions",
            ),
            on_submit=S.save,
            class_name="form",
            key=S.form_key,
        ),
        aria_labelledby="tpl-edit-title",
        data_testid="tpl-editor",
    )


def _row(r: rx.Var) -> rx.Component:
    S = CircuitsState
    return rx.el.tr(
        rx.el.td(pick(r.name_ar, r.name_fr)),
        rx.el.td(pick(r.summary_ar, r.summary_fr, r.summary_en)),
        rx.el.td(
            rx.cond(
                r.active,
                rx.el.span(t("common.active"), class_name="badge badge-ok"),
                rx.el.span(t("common.inactive"), class_name="badge"),
            )
        ),
        rx.el.td(
            rx.el.div(
                rx.el.button(
                    t("common.edit"),
                    type="button",
                    on_click=S.open_edit(r.id.to_string()),
                    class_name="btn btn-small btn-secondary",
                    data_testid="tpl-edit-" + r.id.to_string(),
                ),
                rx.el.button(
                    rx.cond(r.active, t("pf.tpl.disable"), t("pf.tpl.enable")),
                    type="button",
                    on_click=S.toggle(r.id.to_string()),
                    class_name="btn btn-small btn-ghost",
                    data_testid="tpl-toggle-" + r.id.to_string(),
                ),
                class_name="row-actions",
            )
        ),
    )


def page() -> rx.Component:
    S = CircuitsState
    return admin_layout(
        S,
        "circuits",
        "admin.circuits",
        rx.el.p(t("admin.circuits.text"), class_name="lead"),
        rx.cond(
            ~S.editing,
            rx.el.div(
                rx.el.button(
                    rx.icon("plus", size=16, aria_hidden="true"),
                    t("pf.tpl.new"),
                    type="button",
                    on_click=S.open_new,
                    class_name="btn btn-primary",
                    data_testid="tpl-new",
                ),
                class_name="toolbar",
            ),
        ),
        rx.cond(S.editing, _editor()),
        rx.cond(
            S.rows.length() > 0,
            rx.el.div(
                rx.el.table(
                    rx.el.thead(
                        rx.el.tr(
                            *[
                                rx.el.th(t(k), scope="col")
                                for k in ("pf.tpl.name", "pf.circuit", "field.status", "common.actions")
                            ]
                        )
                    ),
                    rx.el.tbody(rx.foreach(S.rows, _row)),
                    class_name="table",
                    data_testid="tpl-table",
                ),
                class_name="table-wrap",
            ),
            empty_state("pf.tpl.empty", "route"),
        ),
        picker_on_change=S.change_adm,
    )


ON_LOAD = CircuitsState.on_load
TITLE = "Mrasla — Circuits · المسارات"
