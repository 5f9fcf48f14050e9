"""The qualification-and-dispatch panel, shared by the registry (first dispatch) and the detail
page (re-dispatch by the action unit or the registry).

Its state holds only what the actor may use for the correspondence they opened: the unit tree of
that administration, the people of the chosen action unit, and — for a confidential item — the
staff to name. The correspondence id stays in a backend var; every handler re-resolves the actor,
re-reads the correspondence through ``scoping.get_visible`` and lets the services decide.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from mrasla_app import db
from mrasla_app.services.correspondence import dispatch, views
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.records import file_plan
from mrasla_app.ui import routes
from mrasla_app.ui.components.choices import INDENT, Choice, FieldDef
from mrasla_app.ui.components.dates import day_input, parse_day
from mrasla_app.ui.components.files import page_count
from mrasla_app.ui.components.forms import card, field, option, select_field
from mrasla_app.ui.components.mail import MAIL_TYPES, PRIORITIES
from mrasla_app.ui.i18n import pick, t
from mrasla_app.ui.state import SessionState

PAGE = "inbox"  # the detail page and the registry both need a staff page right


@dataclasses.dataclass
class DispatchLetter:
    """What the letter says, for a clerk qualifying from the register list (``shown``: there is one)."""

    shown: bool = False
    subject: str = ""
    message: str = ""
    sender: str = ""


@dataclasses.dataclass
class DocLink:
    """A document of the letter, opened in a new tab (``pages`` 0: not counted)."""

    id: int = 0
    name: str = ""
    pages: int = 0
    view: str = ""


def _name(p: views.PersonView) -> Choice:
    return Choice(p.id, p.name.ar, p.name.fr)


def _ids(form: dict, prefix: str) -> list[int]:
    out = []
    for key, value in form.items():
        if key.startswith(prefix) and value not in ("", None, False, "off"):
            tail = key[len(prefix) :]
            if tail.isdigit():
                out.append(int(tail))
    return out


def _classification(form: dict) -> file_plan.Classification:
    """The file-plan fields of the qualification form (``cf_<id>`` = a custom field's value)."""

    def one(name: str) -> int | None:
        value = str(form.get(name, ""))
        return int(value) if value.isdigit() and len(value) < 10 else None

    values = {
        int(k[3:]): str(v)[:300]
        for k, v in form.items()
        if k.startswith("cf_") and k[3:].isdigit() and len(k) < 14 and str(v or "").strip()
    }
    return file_plan.Classification(one("file_plan_node"), one("document_type"), tuple(_ids(form, "tag_")), values)


class DispatchState(SessionState):
    d_open: bool = False
    d_qualify: bool = False  # registry clerk on a to-qualify/returned item: type, priority, deadline…
    d_number: str = ""
    d_units: list[Choice] = []
    d_unit: str = ""
    d_people: list[Choice] = []  # the people of the chosen action unit
    d_confidential: bool = False
    d_staff: list[Choice] = []  # people who may be named on a confidential item
    d_key: int = 0
    d_done: bool = False
    d_letter: DispatchLetter = DispatchLetter()
    d_docs: list[DocLink] = []
    # The administration's file plan (records.file_plan), offered when qualifying
    d_plan_nodes: list[Choice] = []
    d_doc_types: list[Choice] = []
    d_tags: list[Choice] = []
    d_fields: list[FieldDef] = []  # choices one a line
    _id: int = 0
    _origin: str = ""

    def _reset_panel(self) -> None:
        self.d_open = self.d_qualify = self.d_confidential = self.d_done = False
        self.d_number, self.d_unit = "", ""
        self.d_units, self.d_people, self.d_staff = [], [], []
        self.d_letter, self.d_docs = DispatchLetter(), []
        self.d_plan_nodes, self.d_doc_types, self.d_tags, self.d_fields = [], [], [], []
        self._id = 0

    def _load(self, actor: Actor, correspondence_id: int) -> None:
        with db.read_session() as session:
            view = views.dispatch_view(session, actor, correspondence_id)
            corr = view.corr
            self._id, self.d_number = corr.id, corr.registry_number  # type: ignore[assignment]  # a flushed row's id (SQLModel types it Optional)
            self.d_qualify = view.qualify
            self.d_confidential = bool(corr.confidential) if self.d_qualify else False
            self.d_units = [
                Choice(u.id, INDENT * u.depth + f"{u.code} — {u.name.ar}", INDENT * u.depth + f"{u.code} — {u.name.fr}")
                for u in view.units
            ]
            self.d_unit = str(corr.action_unit_id) if corr.action_unit_id else ""
            self.d_people = self._people(session, actor, self.d_unit)
            self.d_staff = self._staff(session, actor) if self.d_confidential else []
            if self.d_qualify:
                self._fill_plan(session, actor, corr.administration_id)
        if self._origin != "mail":  # the letter's page shows all this above the panel already
            self.d_letter = DispatchLetter(True, corr.subject, (corr.message or "")[:1500], view.sender)
            self.d_docs = [
                DocLink(
                    d.id,
                    d.filename,
                    d.pages or 0,
                    routes.document_url(d.id, inline=True, pdf=d.content_type != "application/pdf"),
                )
                for d in view.documents
            ]
        self.d_open, self.d_done = True, False
        self.d_key += 1

    def _fill_plan(self, session, actor: Actor, administration_id: int) -> None:
        p = file_plan.plan(session, actor, administration_id)
        self.d_plan_nodes = [
            Choice(n.id, f"{n.code} — {n.name_ar}", f"{n.code} — {n.name_fr}") for n in p.nodes if n.active
        ]
        self.d_doc_types = [Choice(d.id, d.name_ar, d.name_fr) for d in p.types if d.active]
        self.d_tags = [Choice(g.id, g.label, g.label) for g in p.tags]
        self.d_fields = [FieldDef(f.id, f.code, f.name_ar, f.name_fr, f.kind.value, f.choices) for f in p.fields]

    def _people(self, session, actor: Actor, unit: str) -> list[Choice]:
        if not unit.isdigit() or len(unit) > 12:
            return []
        return [_name(p) for p in views.unit_people(session, actor, self._id, int(unit))]

    def _staff(self, session, actor: Actor) -> list[Choice]:
        return [_name(p) for p in views.confidential_candidates(session, actor, self._id)]

    # --- events ---------------------------------------------------------------------------------

    @rx.event
    def open(self, correspondence_id: str, origin: str = ""):
        self._clear_messages()
        self._reset_panel()
        self._origin = origin if origin in ("registry", "mail") else ""
        if not str(correspondence_id).isdigit():
            return
        try:
            self._load(self._require(PAGE), int(correspondence_id))
        except DomainError as exc:
            self._reset_panel()
            self._fail(exc)

    @rx.event
    def cancel(self):
        self._reset_panel()

    @rx.event
    def set_unit(self, value: str):
        try:
            actor = self._require(PAGE)
            with db.read_session() as session:
                self.d_unit = value if value in [str(u.id) for u in self.d_units] else ""
                self.d_people = self._people(session, actor, self.d_unit)
        except DomainError as exc:
            self._reset_panel()
            self._fail(exc)

    @rx.event
    def toggle_confidential(self):
        try:
            actor = self._require(PAGE)
            with db.read_session() as session:
                self.d_staff = self._staff(session, actor) if not self.d_confidential else []
                self.d_confidential = bool(self.d_staff)
        except DomainError as exc:
            self._reset_panel()
            self._fail(exc)

    @rx.event
    def submit(self, form: dict):
        """Qualify (registry, first time) and dispatch in ONE transaction: both or nothing."""
        try:
            actor = self._require(PAGE)
            unit = str(form.get("action_unit", ""))
            if not unit.isdigit():
                raise DomainError("error.choose_unit")
            person = str(form.get("action_user", ""))
            deadline_s = str(form.get("deadline", "")).strip()
            deadline = parse_day(deadline_s)
            with db.write_session() as session:
                if views.dispatch_view(session, actor, self._id).qualify:
                    confidential = bool(form.get("confidential"))
                    dispatch.qualify(
                        session,
                        actor,
                        self._id,
                        type_code=str(form.get("type_code", "")),
                        priority=str(form.get("priority", "normal")),
                        confidential=confidential,
                        deadline=deadline,
                        named_user_ids=_ids(form, "named_") if confidential else (),
                        classification=_classification(form),
                    )
                dispatch.dispatch(
                    session,
                    actor,
                    self._id,
                    action_unit_id=int(unit),
                    action_user_id=int(person) if person.isdigit() else None,
                    info_unit_ids=[u for u in _ids(form, "info_") if u != int(unit)],
                    instructions=str(form.get("instructions", "")),
                )
        except DomainError as exc:
            self._fail(exc)
            return None
        origin = self._origin
        self._reset_panel()
        self._ok("mail.dispatched")
        self.d_done = True
        if origin == "registry":
            from mrasla_app.ui.pages.registry import RegistryState

            return RegistryState.refresh
        if origin == "mail":
            from mrasla_app.ui.pages.mail import MailState

            return MailState.refresh
        return None


# --- component ------------------------------------------------------------------------------------


def _checks(items, prefix: str, testid: str) -> rx.Component:
    return rx.el.div(
        rx.foreach(
            items,
            lambda u: rx.el.label(
                rx.el.input(
                    type="checkbox",
                    name=prefix + u.id.to_string(),
                    id=f"{testid}-" + u.id.to_string(),
                    class_name="checkbox",
                    data_testid=f"{testid}-" + u.id.to_string(),
                ),
                rx.el.span(pick(u.label_ar, u.label_fr)),
                class_name="check-item",
            ),
        ),
        class_name="check-grid",
    )


def _custom_field(f: rx.Var) -> rx.Component:
    fid = "dispatch-cf-" + f.id.to_string()
    name = "cf_" + f.id.to_string()
    control = rx.match(
        f.kind,
        (
            "choice",
            rx.el.select(
                option("", "—"),
                rx.foreach(f.choices.split("\n"), lambda c: option(c, c)),
                id=fid,
                name=name,
                class_name="input select",
                data_testid=fid,
            ),
        ),
        (
            "number",
            rx.el.input(
                id=fid,
                name=name,
                type="text",
                input_mode="decimal",
                class_name="input",
                dir="ltr",
                data_testid=fid,
            ),
        ),
        (
            "date",
            rx.el.input(id=fid, name=name, type="date", class_name="input", dir="ltr", data_testid=fid),
        ),
        rx.el.input(id=fid, name=name, type="text", max_length=255, class_name="input", data_testid=fid),
    )
    return rx.el.div(
        rx.el.label(pick(f.name_ar, f.name_fr), html_for=fid, class_name="label"), control, class_name="field"
    )


def _classification_fields() -> rx.Component:
    """File plan, document type, tags and custom fields (shown when the administration has a plan)."""
    S = DispatchState
    return rx.cond(
        (S.d_plan_nodes.length() > 0) | (S.d_doc_types.length() > 0),
        rx.el.fieldset(
            rx.el.legend(t("records.classification"), class_name="label"),
            rx.el.div(
                select_field(
                    "dispatch",
                    "file_plan_node",
                    "records.file_plan_node",
                    [
                        option("", "—"),
                        rx.foreach(S.d_plan_nodes, lambda n: rx.el.option(pick(n.label_ar, n.label_fr), value=n.id)),
                    ],
                ),
                select_field(
                    "dispatch",
                    "document_type",
                    "records.document_type",
                    [
                        option("", "—"),
                        rx.foreach(S.d_doc_types, lambda d: rx.el.option(pick(d.label_ar, d.label_fr), value=d.id)),
                    ],
                ),
                rx.foreach(S.d_fields, _custom_field),
                class_name="form-grid",
            ),
            rx.cond(S.d_tags.length() > 0, _checks(S.d_tags, "tag_", "dispatch-tag")),
            class_name="field fieldset",
            data_testid="dispatch-classification",
        ),
    )


def dispatch_panel() -> rx.Component:
    """The panel; shown when ``DispatchState.d_open``."""
    S = DispatchState
    qualify = rx.fragment(
        rx.el.div(
            select_field(
                "dispatch",
                "type_code",
                "mail.type",
                [option(code, t(f"mailtype.{code}")) for code in MAIL_TYPES],
                default_value="request",
            ),
            select_field(
                "dispatch",
                "priority",
                "mail.priority",
                [option(p, t(f"priority.{p}")) for p in PRIORITIES],
                default_value="normal",
            ),
            rx.el.div(
                rx.el.label(t("mail.deadline"), html_for="dispatch-deadline", class_name="label"),
                day_input(
                    "dispatch-deadline",
                    "deadline",
                    data_testid="dispatch-deadline",
                    aria_describedby="dispatch-deadline-hint",
                ),
                rx.el.p(t("mail.deadline_hint"), id="dispatch-deadline-hint", class_name="hint"),
                class_name="field",
            ),
            class_name="form-grid",
        ),
        rx.el.div(
            rx.el.input(
                id="dispatch-confidential",
                name="confidential",
                type="checkbox",
                class_name="checkbox",
                checked=S.d_confidential,
                on_change=S.toggle_confidential,
                data_testid="dispatch-confidential",
            ),
            rx.el.label(t("mail.confidential_check"), html_for="dispatch-confidential"),
            class_name="field field-check",
        ),
        rx.cond(
            S.d_confidential,
            rx.el.fieldset(
                rx.el.legend(t("mail.named_people"), class_name="label"),
                _checks(S.d_staff, "named_", "dispatch-named"),
                class_name="field fieldset",
            ),
        ),
        _classification_fields(),
    )
    return card(
        rx.el.div(
            rx.el.h2(
                rx.cond(S.d_qualify, t("mail.qualify_title"), t("mail.dispatch_title")),
                class_name="section-title",
                id="dispatch-title",
            ),
            rx.el.button(
                rx.icon("x", size=18, aria_hidden="true"),
                type="button",
                on_click=S.cancel,
                class_name="btn btn-ghost btn-icon",
                aria_label=t("common.close"),
            ),
            class_name="card-head",
        ),
        rx.el.p(rx.el.code(S.d_number, dir="ltr"), class_name="number-inline", data_testid="dispatch-number"),
        rx.cond(
            S.d_letter.shown,
            rx.el.div(
                rx.el.p(rx.el.strong(S.d_letter.subject, dir="auto"), class_name="detail-subject"),
                rx.cond(
                    S.d_letter.sender != "",
                    rx.el.p(t("mail.sender"), " : ", S.d_letter.sender, class_name="muted"),
                ),
                rx.cond(
                    S.d_letter.message != "",
                    rx.el.p(S.d_letter.message, class_name="pre-wrap detail-message", dir="auto"),
                ),
                rx.el.ul(
                    rx.foreach(
                        S.d_docs,
                        lambda d: rx.el.li(
                            rx.icon("file-text", size=16, aria_hidden="true"),
                            rx.el.a(d.name, href=d.view, target="_blank", rel="noopener", dir="auto"),
                            rx.cond(
                                d.pages > 0, rx.el.span(" · ", page_count(d.pages.to_string()), class_name="muted")
                            ),
                            class_name="pf-file",
                        ),
                    ),
                    class_name="pf-files",
                ),
                class_name="dispatch-letter",
                data_testid="dispatch-letter",
            ),
        ),
        rx.el.form(
            rx.cond(S.d_qualify, qualify),
            rx.el.div(
                select_field(
                    "dispatch",
                    "action_unit",
                    "mail.action_unit",
                    [
                        option("", t("common.select")),
                        rx.foreach(S.d_units, lambda u: rx.el.option(pick(u.label_ar, u.label_fr), value=u.id)),
                    ],
                    value=S.d_unit,
                    on_change=S.set_unit,
                    required=True,
                ),
                select_field(
                    "dispatch",
                    "action_user",
                    "mail.action_user",
                    [
                        option("", t("mail.anyone_in_unit")),
                        rx.foreach(S.d_people, lambda p: rx.el.option(pick(p.label_ar, p.label_fr), value=p.id)),
                    ],
                    default_value="",
                ),
                class_name="form-grid",
            ),
            rx.el.details(
                rx.el.summary(
                    rx.icon("chevron-down", size=18, aria_hidden="true"),
                    t("mail.info_units"),
                    class_name="label summary",
                    data_testid="dispatch-info-toggle",
                ),
                _checks(S.d_units, "info_", "dispatch-info"),
                class_name="info-units",
            ),
            field("dispatch", "instructions", "mail.instructions", multiline=True, max_length=2000, rows=3),
            rx.el.div(
                rx.el.button(
                    rx.icon("send", size=18, aria_hidden="true", class_name="flip-rtl"),
                    rx.cond(S.d_qualify, t("mail.qualify_submit"), t("mail.dispatch_submit")),
                    type="submit",
                    class_name="btn btn-primary",
                    data_testid="dispatch-submit",
                ),
                rx.el.button(t("common.cancel"), type="button", on_click=S.cancel, class_name="btn btn-ghost"),
                class_name="actions",
            ),
            on_submit=S.submit,
            class_name="form",
            key=S.d_key,
        ),
        aria_labelledby="dispatch-title",
        data_testid="dispatch-panel",
        class_name="dispatch-panel",
    )
