"""``/admin/file-plan``: an administration's file plan (classification tree with codes), its
document types with their retention rules, its tags and custom fields.

Four lists, each with its "add" form; ``services.records.file_plan`` checks every right again and
audits each change.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from mrasla_app import db
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.records import file_plan
from mrasla_app.services.vocabulary import FIELD_KINDS, FINAL_ACTIONS, RETENTION_STARTS
from mrasla_app.ui import routes
from mrasla_app.ui.components.choices import Coded, FieldDef, Named
from mrasla_app.ui.components.editor import form_texts
from mrasla_app.ui.components.forms import card, field, name_fields, option, section_title, select_field, submit
from mrasla_app.ui.i18n import pick, t
from mrasla_app.ui.pages.admin.common import AdminPage, AdminState, admin_layout

ROUTE = routes.ADMIN_FILE_PLAN
TITLE = "Mrasla — Plan de classement · خطة التصنيف"


def _int(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


@dataclasses.dataclass
class PlanNode(Coded):
    """An entry of the classification tree (``depth``: how many dots its code has)."""

    depth: int = 0


@dataclasses.dataclass
class DocType(Coded):
    """A document type and its retention rule."""

    years: int = 0
    months: int = 0
    start: str = ""
    action: str = ""


class FilePlanState(AdminPage, AdminState):
    nodes: list[PlanNode] = []
    types: list[DocType] = []
    tags: list[Named] = []
    fields: list[FieldDef] = []  # choices shown on one line
    form_key: int = 0

    def _clear(self) -> None:
        self.nodes, self.types, self.tags, self.fields = [], [], [], []

    def _reload(self, actor: Actor) -> None:
        if not self.adm_id:
            self._clear()
            return
        with db.read_session() as session:
            p = file_plan.plan(session, actor, self.adm_id)
        self.nodes = [PlanNode(n.id, n.code, n.name_ar, n.name_fr, n.code.count(".")) for n in p.nodes]
        self.types = [
            DocType(
                d.id,
                d.code,
                d.name_ar,
                d.name_fr,
                d.retention_years,
                d.retention_months,
                d.retention_start.value,
                d.final_action.value,
            )
            for d in p.types
        ]
        self.tags = [Named(g.id, g.label) for g in p.tags]
        self.fields = [
            FieldDef(f.id, f.code, f.name_ar, f.name_fr, f.kind.value, f.choices.replace("\n", " · ")) for f in p.fields
        ]

    def _save(self, action, ok_key: str) -> None:  # noqa: ANN001 - (session, actor) -> object
        if self._run(action, ok_key):
            self.form_key += 1  # remount the forms empty

    @rx.event
    def add_node(self, form: dict):
        f = form if isinstance(form, dict) else {}

        def action(session, actor: Actor) -> None:
            file_plan.save_node(
                session,
                actor,
                self.adm_id,
                **form_texts(f, code=40, name_ar=300, name_fr=300),
                parent_id=_int(f.get("parent_id")),
            )

        self._save(action, "records.saved")

    @rx.event
    def add_type(self, form: dict):
        f = form if isinstance(form, dict) else {}

        def action(session, actor: Actor) -> None:
            years, months = _int(f.get("years")), _int(f.get("months")) or 0
            if years is None:
                raise DomainError("error.invalid_retention")
            file_plan.save_document_type(
                session,
                actor,
                self.adm_id,
                **form_texts(f, code=40, name_ar=300, name_fr=300),
                retention_years=years,
                retention_months=months,
                retention_start=str(f.get("start", "")),
                final_action=str(f.get("action", "")),
            )

        self._save(action, "records.saved")

    @rx.event
    def add_tag(self, form: dict):
        f = form if isinstance(form, dict) else {}
        self._save(
            lambda session, actor: file_plan.save_tag(session, actor, self.adm_id, str(f.get("label", ""))[:100]),
            "records.saved",
        )

    @rx.event
    def add_custom_field(self, form: dict):
        f = form if isinstance(form, dict) else {}

        def action(session, actor: Actor) -> None:
            file_plan.save_custom_field(
                session,
                actor,
                self.adm_id,
                **form_texts(f, code=40, name_ar=300, name_fr=300),
                kind=str(f.get("kind", "")),
                choices=str(f.get("choices", ""))[:4000],
            )

        self._save(action, "records.saved")


def _names(form: str) -> list[rx.Component]:
    return [
        field(form, "code", "records.code", required=True, max_length=32, dir="ltr"),
        *name_fields(form, max_length=255),
    ]


def _section(key: str, testid: str, head: list[str], rows: rx.Var, row, form: rx.Component) -> rx.Component:  # noqa: ANN001
    return card(
        section_title(key, id=f"{testid}-title"),
        rx.el.div(
            rx.el.table(
                rx.el.thead(rx.el.tr(*[rx.el.th(t(k), scope="col") for k in head])),
                rx.el.tbody(rx.foreach(rows, row)),
                class_name="table",
                data_testid=f"{testid}-table",
            ),
            class_name="table-wrap",
        ),
        rx.el.details(
            rx.el.summary(t("records.add"), class_name="btn btn-ghost btn-small"), form, class_name="disclosure"
        ),
        aria_labelledby=f"{testid}-title",
    )


def _form(testid: str, handler, *controls: rx.Component) -> rx.Component:  # noqa: ANN001
    return rx.el.form(
        rx.el.div(*controls, class_name="form-grid"),
        rx.el.div(submit("common.create", f"{testid}-create"), class_name="actions"),
        on_submit=handler,
        class_name="form",
        key=FilePlanState.form_key.to_string() + testid,
    )


def page() -> rx.Component:
    S = FilePlanState
    node_options = [
        option("", "—"),
        rx.foreach(S.nodes, lambda n: option(n.id, n.code + " " + pick(n.name_ar, n.name_fr))),
    ]
    return admin_layout(
        S,
        "file_plan",
        "admin.file_plan",
        rx.el.p(t("records.file_plan_intro"), class_name="lead"),
        _section(
            "records.nodes",
            "plan-node",
            ["records.code", "field.name"],
            S.nodes,
            lambda n: rx.el.tr(
                rx.el.td(rx.el.span(n.code, dir="ltr", class_name="mono plan-depth-" + n.depth.to_string())),
                rx.el.td(pick(n.name_ar, n.name_fr)),
                data_testid="plan-node-" + n.code,
            ),
            _form(
                "plan-node",
                S.add_node,
                *_names("plan-node"),
                select_field("plan-node", "parent_id", "records.parent", node_options),
            ),
        ),
        _section(
            "records.types",
            "doc-type",
            ["records.code", "field.name", "records.retention", "records.final_action"],
            S.types,
            lambda d: rx.el.tr(
                rx.el.td(rx.el.span(d.code, dir="ltr", class_name="mono")),
                rx.el.td(pick(d.name_ar, d.name_fr)),
                rx.el.td(
                    d.years,
                    " ",
                    t("records.years_unit"),
                    rx.cond(d.months != 0, rx.fragment(" + ", d.months, " ", t("records.months_unit"))),
                    " · ",
                    rx.match(d.start, *[(v, t(f"records.start.{v}")) for v in RETENTION_STARTS], ""),
                ),
                rx.el.td(
                    rx.match(
                        d.action,
                        *[(v, rx.el.span(t(f"records.action.{v}"), class_name="badge")) for v in FINAL_ACTIONS],
                        rx.fragment(),
                    )
                ),
                data_testid="doc-type-" + d.code,
            ),
            _form(
                "doc-type",
                S.add_type,
                *_names("doc-type"),
                field(
                    "doc-type",
                    "years",
                    "records.years",
                    type="number",
                    min=0,
                    max=200,
                    required=True,
                    default_value="5",
                ),
                field("doc-type", "months", "records.months", type="number", min=0, max=11, default_value="0"),
                select_field(
                    "doc-type", "start", "records.start", [option(v, t(f"records.start.{v}")) for v in RETENTION_STARTS]
                ),
                select_field(
                    "doc-type",
                    "action",
                    "records.final_action",
                    [option(v, t(f"records.action.{v}")) for v in FINAL_ACTIONS],
                ),
            ),
        ),
        _section(
            "records.tags",
            "tag",
            ["records.tag"],
            S.tags,
            lambda g: rx.el.tr(rx.el.td(g.label), data_testid="tag-" + g.id.to_string()),
            _form("tag", S.add_tag, field("tag", "label", "records.tag", required=True, max_length=64)),
        ),
        _section(
            "records.fields",
            "custom-field",
            ["records.code", "field.name", "records.kind"],
            S.fields,
            lambda f: rx.el.tr(
                rx.el.td(rx.el.span(f.code, dir="ltr", class_name="mono")),
                rx.el.td(pick(f.name_ar, f.name_fr)),
                rx.el.td(
                    rx.match(f.kind, *[(v, t(f"records.kind.{v}")) for v in FIELD_KINDS], ""),
                    rx.cond(f.choices != "", rx.el.span(" — " + f.choices, class_name="muted")),
                ),
                data_testid="custom-field-" + f.code,
            ),
            _form(
                "custom-field",
                S.add_custom_field,
                *_names("custom-field"),
                select_field(
                    "custom-field", "kind", "records.kind", [option(v, t(f"records.kind.{v}")) for v in FIELD_KINDS]
                ),
                field(
                    "custom-field",
                    "choices",
                    "records.choices",
                    multiline=True,
                    rows=3,
                    hint_key="records.choices_hint",
                ),
            ),
        ),
        picker_on_change=S.change_adm,
    )


ON_LOAD = FilePlanState.on_load
