"""``/registry/contacts``: the contacts directory of the registry office.

Clerks search the administration's correspondents, add one, and review the de-duplication
suggestions (same folded name, e-mail or phone), merging a pair in one click. Only ids the page
listed are accepted back from the browser; ``services.correspondence.contacts`` re-checks rights.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from mrasla_app import db
from mrasla_app.services.correspondence import contacts
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, FieldErrors
from mrasla_app.ui import routes
from mrasla_app.ui.components.editor import CreateForm, editor_card, row_button, rows_table
from mrasla_app.ui.components.forms import button, field, messages, option, page_title, section_title, select_field
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import t
from mrasla_app.ui.pages.registry_new import registry_tabs
from mrasla_app.ui.state import SessionState

ROUTE = routes.REGISTRY_CONTACTS
PAGE = "registry"
TITLE = "Mrasla — Contacts · جهات الاتصال"
KINDS = ("person", "company", "administration")


@dataclasses.dataclass
class ContactRow:
    id: int = 0
    kind: str = ""
    name_ar: str = ""
    name_latin: str = ""
    email: str = ""
    phone: str = ""
    identifier: str = ""  # kind and number of the identity document


@dataclasses.dataclass
class DuplicatePair:
    """Two contacts that look the same; ``key`` is "keep-drop" (their ids), what the merge button sends."""

    key: str = ""
    first: str = ""
    second: str = ""
    reasons: list[str] = dataclasses.field(default_factory=list)  # name, email, phone


def _row(c: contacts.Contact) -> ContactRow:
    return ContactRow(
        c.id, c.kind.value, c.name_ar, c.name_latin, c.email, c.phone, f"{c.id_kind} {c.id_value}".strip()
    )


class ContactsState(CreateForm, SessionState):
    query: str = ""
    rows: list[ContactRow] = []
    pairs: list[DuplicatePair] = []

    def _reload(self, actor: Actor) -> None:
        adm = actor.administration_id or 0
        with db.read_session() as session:
            self.rows = [_row(c) for c in contacts.search(session, actor, adm, self.query)]
            self.pairs = [
                DuplicatePair(
                    f"{s.first.id}-{s.second.id}",
                    contacts.display_name(s.first),
                    contacts.display_name(s.second),
                    list(s.reasons),
                )
                for s in contacts.suggestions(session, actor, adm)
            ]

    def _act(self) -> Actor | None:
        try:
            return self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            return None

    @rx.event
    def on_load(self):
        actor, redirect = self._guard(PAGE)
        self.creating = False
        if actor is None:
            self.rows, self.pairs = [], []
            return redirect
        try:
            self._reload(actor)
        except DomainError as exc:
            self.rows, self.pairs = [], []
            self._fail(exc)
        return None

    @rx.event
    def search(self, form: dict):
        actor = self._act()
        if actor is None:
            return
        self.query = str((form if isinstance(form, dict) else {}).get("q", ""))[:100]
        self._clear_messages()
        self._reload(actor)

    @rx.event
    def create(self, form: dict):
        actor = self._act()
        if actor is None:
            return
        form = form if isinstance(form, dict) else {}
        data = contacts.ContactInput(
            **{
                k: str(form.get(k, ""))[:300]
                for k in ("kind", "name_ar", "name_latin", "email", "phone", "id_kind", "id_value")
            }
        )
        try:
            with db.write_session() as session:
                contacts.create(session, actor, actor.administration_id or 0, data)
        except FieldErrors as exc:
            self._fail(DomainError(next(iter(exc.fields.values()))))
            return
        except DomainError as exc:
            self._fail(exc)
            return
        self.creating = False
        self._reload(actor)
        self._ok("contact.added")

    @rx.event
    def merge(self, key: str):
        actor = self._act()
        if actor is None:
            return
        pair = next((p for p in self.pairs if p.key == key), None)  # only a pair the page listed
        try:
            if pair is None:
                raise DomainError("error.not_found")
            keep, drop = (int(i) for i in pair.key.split("-"))
            with db.write_session() as session:
                contacts.merge(session, actor, actor.administration_id or 0, keep, drop)
        except DomainError as exc:
            self._fail(exc)
            return
        self._reload(actor)
        self._ok("contact.merged")


def _create_form() -> rx.Component:
    S = ContactsState
    return editor_card(
        t("contact.new"),
        "contact-new-title",
        [
            select_field(
                "contact",
                "kind",
                "contact.kind",
                [option(k, t(f"contact.kind.{k}")) for k in KINDS],
                default_value="person",
            ),
            field("contact", "name_latin", "contact.name_latin", max_length=255, lang="fr", dir="ltr"),
            field("contact", "name_ar", "contact.name_ar", max_length=255, lang="ar", dir="rtl"),
            field("contact", "email", "field.email", type="email", max_length=255, dir="ltr"),
            field("contact", "phone", "contact.phone", type="tel", max_length=20, dir="ltr"),
            select_field(
                "contact",
                "id_kind",
                "contact.id_kind",
                [option("", "—"), option("CIN", "CIN"), option("ICE", "ICE")],
                default_value="",
            ),
            field("contact", "id_value", "contact.id_value", max_length=32, dir="ltr"),
        ],
        on_submit=S.create,
        on_cancel=S.close,
        key=S.form_key,
        submit_testid="contact-create",
    )


def _contact_row(c: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(
            rx.el.div(rx.el.strong(c.name_latin, dir="ltr"), lang="fr"),
            rx.el.div(c.name_ar, dir="rtl", lang="ar"),
        ),
        rx.el.td(rx.match(c.kind, *[(k, t(f"contact.kind.{k}")) for k in KINDS], c.kind)),
        rx.el.td(rx.el.div(c.email, dir="ltr"), rx.el.div(c.phone, dir="ltr", class_name="muted")),
        rx.el.td(rx.el.span(c.identifier, dir="ltr")),
        data_testid="contact-row-" + c.id.to_string(),
    )


def _pair(p: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(
            rx.el.strong(p.first),
            rx.el.span(" ⇄ ", aria_hidden="true"),
            rx.el.strong(p.second),
            class_name="dup-names",
        ),
        rx.el.div(
            t("contact.same"),
            " ",
            rx.foreach(
                p.reasons,
                lambda r: rx.el.span(
                    rx.match(
                        r,
                        ("name", t("contact.reason.name")),
                        ("email", t("field.email")),
                        ("phone", t("contact.phone")),
                        r,
                    ),
                    class_name="badge",
                ),
            ),
            class_name="muted",
        ),
        row_button("contact.merge", ContactsState.merge(p.key), "contact-merge-" + p.key),
        class_name="dup-pair card",
        data_testid="contact-pair-" + p.key,
    )


def page() -> rx.Component:
    S = ContactsState
    return layout(
        registry_tabs("contacts"),
        page_title("contact.title"),
        rx.el.p(t("contact.intro"), class_name="lead"),
        messages(SessionState),
        rx.el.div(
            rx.el.form(
                rx.el.label(t("contact.search"), html_for="contact-q", class_name="sr-only"),
                rx.el.input(
                    id="contact-q",
                    name="q",
                    type="search",
                    default_value=S.query,
                    class_name="input",
                    placeholder=t("contact.search"),
                    data_testid="contact-q",
                    max_length=100,
                ),
                rx.el.button(t("contact.search_button"), type="submit", class_name="btn btn-secondary"),
                on_submit=S.search,
                class_name="search-row",
            ),
            rx.cond(~S.creating, button("contact.new", on_click=S.open_create, data_testid="contact-new")),
            class_name="toolbar",
        ),
        rx.cond(S.creating, _create_form()),
        rx.cond(
            S.pairs.length() > 0,
            rx.el.section(
                section_title("contact.duplicates", id="contact-dups-title"),
                rx.el.ul(rx.foreach(S.pairs, _pair), class_name="dup-list"),
                aria_labelledby="contact-dups-title",
                data_testid="contact-duplicates",
            ),
        ),
        rows_table(
            S.rows,
            ["field.name", "contact.kind", "contact.reach", "contact.id_value"],
            _contact_row,
            "contact-table",
            "contact.empty",
            "contact",
        ),
        active=PAGE,
    )


ON_LOAD = ContactsState.on_load
