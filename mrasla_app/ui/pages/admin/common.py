"""State and components shared by the admin pages: which administration is being managed, and the
one list-and-form editor every admin page is made of (its loading, its "new"/"edit" form card, its
table or empty state, its row buttons)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from mrasla_app import db
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.ui import routes
from mrasla_app.ui.components.forms import button, card, empty_state, messages, page_title, submit, table
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import pick, t
from mrasla_app.ui.state import SessionState

SUBPAGES = [
    ("administrations", routes.ADMIN_ADMINISTRATIONS, "landmark"),
    ("units", routes.ADMIN_UNITS, "network"),
    ("users", routes.ADMIN_USERS, "users"),
    ("delegations", routes.ADMIN_DELEGATIONS, "repeat"),
    ("circuits", routes.ADMIN_CIRCUITS, "route"),
    ("holidays", routes.ADMIN_HOLIDAYS, "calendar-days"),
    ("webhooks", routes.ADMIN_WEBHOOKS, "webhook"),
    ("signin", routes.ADMIN_SIGNIN, "key-round"),
    ("file_plan", routes.ADMIN_FILE_PLAN, "folder-tree"),
    ("mailboxes", routes.ADMIN_MAILBOXES, "mail"),
]


class AdminState(SessionState):
    """The administrations the actor may manage, and the one currently selected."""

    administrations: list[dict[str, str]] = []  # {id, code, name_ar, name_fr}
    adm_id: int = 0

    def _admin_actor(self) -> tuple[Actor | None, rx.event.EventSpec | None]:
        """For ``on_load``: guard the admin area, then (re)load the manageable administrations."""
        actor, redirect = self._guard("admin")
        if actor is None:
            self.administrations, self.adm_id = [], 0
            return None, redirect
        self._load_administrations(actor)
        return actor, None

    def _load_administrations(self, actor: Actor) -> None:
        with db.read_session() as session:
            rows = directory.administrations_for(session, actor)
        self.administrations = [
            {"id": str(a.id), "code": a.code, "name_ar": a.name_ar, "name_fr": a.name_fr} for a in rows
        ]
        ids = [a.id for a in rows]
        if self.adm_id not in ids:
            own = actor.administration_id if actor.administration_id in ids else None
            self.adm_id = own or (ids[0] if ids else 0)  # type: ignore[assignment]

    def _change_adm(self, value: str) -> Actor | None:
        """Switch the managed administration (only to one the fresh actor may manage)."""
        actor = self._actor()
        self._show_actor(actor)
        if actor is None or not self.nav_pages or "admin" not in self.nav_pages:
            return None
        self._load_administrations(actor)
        if value in [a["id"] for a in self.administrations]:
            self.adm_id = int(value)
        self._clear_messages()
        return actor

    def _admin_require(self) -> Actor:
        """For handlers: the fresh actor, allowed in the admin area (services check the rest)."""
        return self._require("admin")

    def _reload(self, actor: Actor) -> None:
        """Re-read what the page lists (each admin page has its own)."""
        raise NotImplementedError

    def _reset_page(self, new_adm: bool) -> None:
        """Close what is open on the page (``new_adm``: another administration was picked)."""

    def _run(self, action: Callable[[Any, Actor], object], ok_key: str) -> bool:
        """An admin page's write: ``action(session, actor)`` in one transaction with the fresh actor
        (the service checks its rights and writes the audit event), then the list is re-read and
        ``ok_key`` shown; a refusal is shown instead and nothing is changed. True when it was done."""
        try:
            actor = self._admin_require()
            with db.write_session() as session:
                action(session, actor)
            self._reload(actor)
        except DomainError as exc:
            self._fail(exc)
            return False
        self._ok(ok_key)
        return True


class AdminPage(rx.State, mixin=True):
    """Loading an admin page: ``on_load`` guards the area and lists the rows of the managed
    administration, ``change_adm`` switches to another one the actor may manage.

    The page says how to forget its rows (``_clear``) and how to read them (``_reload``); its forms
    close on both events (``_reset_page``, which ``CreateForm`` and ``RowEditor`` provide: list them
    before ``AdminState``).
    """

    def _clear(self) -> None:
        """Forget what the page lists (a refused actor, or a refused read)."""
        raise NotImplementedError

    def _reload_safe(self, actor: Actor) -> None:
        try:
            self._reload(actor)
        except DomainError as exc:
            self._clear()
            self._fail(exc)

    @rx.event
    def on_load(self):
        actor, redirect = self._admin_actor()
        self._reset_page(False)
        if actor is None:
            self._clear()
            return redirect
        self._reload_safe(actor)
        return None

    @rx.event
    def change_adm(self, value: str):
        actor = self._change_adm(value)
        self._reset_page(True)
        if actor is not None:
            self._reload_safe(actor)


class RowEditor(rx.State, mixin=True):
    """The list-and-form editing of an admin page: "new", "edit this row", "cancel".

    The page says what a blank row is (``_blank``) and which rows may be edited (``_editable``): a
    row id the browser sends is only trusted when it names one of the rows the page listed for
    this actor; the save handler re-checks rights in the service.
    """

    editing: bool = False
    edit: dict[str, str] = {}  # the row being edited (id "" = new)
    form_key: int = 0  # bumped to remount the form with the values of ``edit``

    def _blank(self) -> dict[str, str]:
        raise NotImplementedError

    def _editable(self) -> list[dict[str, str]]:
        raise NotImplementedError

    def _stop_editing(self) -> None:
        self.editing, self.edit = False, self._blank()

    def _reset_page(self, new_adm: bool) -> None:
        self._stop_editing()

    def _edited_id(self) -> int | None:
        """The id of the row being saved (None: a new one), only if it is one of the rows listed."""
        row_id = self.edit.get("id")
        if not row_id:
            return None
        if row_id not in [r["id"] for r in self._editable()]:
            raise DomainError("error.not_found")
        return int(row_id)

    @rx.event
    def new(self):
        self.edit, self.editing = self._blank(), True
        self.form_key += 1
        self._clear_messages()

    @rx.event
    def start_edit(self, row_id: str):
        row = next((r for r in self._editable() if r["id"] == row_id), None)
        self.edit, self.editing = (dict(row), True) if row else (self._blank(), False)
        self.form_key += 1
        self._clear_messages()

    @rx.event
    def cancel(self):
        self._stop_editing()


class CreateForm(rx.State, mixin=True):
    """An admin page whose list has a "new …" form that opens above it (delegations, holidays)."""

    creating: bool = False
    form_key: int = 0  # bumped to remount the form empty

    def _reset_page(self, new_adm: bool) -> None:
        self.creating = False

    @rx.event
    def open_create(self):
        self.creating = True
        self.form_key += 1
        self._clear_messages()

    @rx.event
    def close(self):
        self.creating = False


def administration_picker(state: type[AdminState], on_change) -> rx.Component:
    """A select for platform admins; a plain label for an administration's own admins."""
    current = rx.foreach(
        state.administrations,
        lambda a: rx.cond(a["id"] == state.adm_id.to_string(),
                          rx.el.strong(pick(a["name_ar"], a["name_fr"]), data_testid="adm-current")),
    )
    return rx.el.div(
        rx.cond(
            state.is_platform_admin,
            rx.el.div(
                rx.el.label(t("admin.managed"), html_for="adm-picker", class_name="label"),
                rx.el.select(
                    rx.foreach(state.administrations, lambda a: rx.el.option(
                        a["code"] + " — " + pick(a["name_ar"], a["name_fr"]), value=a["id"])),
                    id="adm-picker",
                    value=state.adm_id.to_string(),
                    on_change=on_change,
                    class_name="input select",
                    data_testid="adm-picker",
                ),
                class_name="field",
            ),
            rx.el.p(rx.el.span(t("admin.managed"), class_name="label managed-label"), " ", current),
        ),
        class_name="adm-picker",
    )


def admin_tabs(active: str) -> rx.Component:
    return rx.el.nav(
        rx.el.a(t("admin.home"), href=routes.ADMIN, class_name="tab" + (" is-active" if active == "home" else ""),
                aria_current="page" if active == "home" else None, data_testid="admin-tab-home"),
        *[
            rx.el.a(t(f"admin.{key}"), href=href, class_name="tab" + (" is-active" if key == active else ""),
                    aria_current="page" if key == active else None, data_testid=f"admin-tab-{key}")
            for key, href, _ in SUBPAGES
        ],
        class_name="tabs",
        aria_label=t("nav.admin"),
    )


def admin_layout(state: type[AdminState], active: str, title_key: str, *children: rx.Component,
                 picker_on_change=None) -> rx.Component:
    return layout(
        admin_tabs(active),
        page_title(title_key),
        administration_picker(state, picker_on_change) if picker_on_change is not None else rx.fragment(),
        messages(state),
        rx.cond(
            (state.adm_id == 0) & (active != "administrations"),
            rx.el.p(t("admin.none"), class_name="muted", data_testid="admin-none"),
            rx.fragment(*children),
        ),
        active="admin",
        wide=True,
    )


def new_toolbar(hidden: Any, label_key: str, on_click: Any, testid: str) -> rx.Component:
    """The page's "new …" button, hidden while its form is open."""
    return rx.cond(~hidden, rx.el.div(button(label_key, on_click=on_click, data_testid=testid), class_name="toolbar"))


def editor_card(title: Any, title_id: str, controls: list[Any], *, on_submit: Any, on_cancel: Any, key: Any,
                submit_testid: str, submit_key: str = "common.create", extras: tuple[Any, ...] = (),
                before: tuple[Any, ...] = (), **form_props: Any) -> rx.Component:
    """The "new" / "edit" form of an admin page: a title (then ``before``), a grid of ``controls``,
    then ``extras`` (checkboxes, hints) and the submit and cancel buttons. ``key`` remounts it with
    fresh values."""
    return card(
        rx.el.h2(title, class_name="section-title", id=title_id),
        *before,
        rx.el.form(
            rx.el.div(*controls, class_name="form-grid"),
            *extras,
            rx.el.div(submit(submit_key, submit_testid), button("common.cancel", kind="ghost", on_click=on_cancel),
                      class_name="actions"),
            on_submit=on_submit,
            class_name="form",
            key=key,
            **form_props,
        ),
        aria_labelledby=title_id,
    )


def rows_table(rows: Any, head_keys: list[str], row: Callable[[Any], rx.Component], testid: str, empty_key: str,
               icon: str) -> rx.Component:
    """The page's list: a table of ``rows`` (one ``row`` each), or an empty state when there are none."""
    return rx.cond(rows.length() > 0, table(head_keys, rx.foreach(rows, row), data_testid=testid),
                   empty_state(empty_key, icon))


def row_button(label_key: str, on_click: Any, testid: Any, kind: str = "secondary") -> rx.Component:
    """A small action button of a table row."""
    return rx.el.button(t(label_key), type="button", class_name=f"btn btn-small btn-{kind}", on_click=on_click,
                        data_testid=testid)


def edit_button(on_click: Any, testid: Any) -> rx.Component:
    """A row's "edit" button (it opens the page's form with the row's values)."""
    return rx.el.button(rx.icon("pencil", size=16, aria_hidden="true"), rx.el.span(t("common.edit")), type="button",
                        class_name="btn btn-small btn-secondary", on_click=on_click, data_testid=testid)


def active_badge(active: Any, on_key: str = "common.active", off_key: str = "common.inactive",
                 off_class: str = "badge") -> rx.Component:
    """Whether a row is in use ("1") or not (""), as a badge."""
    return rx.cond(active != "", rx.el.span(t(on_key), class_name="badge badge-ok"),
                   rx.el.span(t(off_key), class_name=off_class))
