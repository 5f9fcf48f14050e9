"""State and components shared by the admin pages: which administration is being managed, and how
a page listing its rows loads (``AdminPage``). The list-and-form pieces are ``components.editor``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.event import EventSpec

from mrasla_app import db
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.ui import routes
from mrasla_app.ui.components.choices import Coded
from mrasla_app.ui.components.forms import messages, nav_tabs, page_title
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

    administrations: list[Coded] = []
    adm_id: int = 0

    def _admin_actor(self) -> tuple[Actor | None, EventSpec | None]:
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
        self.administrations = [Coded(a.id, a.code, a.name_ar, a.name_fr) for a in rows]
        ids = [a.id for a in rows]
        if self.adm_id not in ids:
            own = actor.administration_id if actor.administration_id in ids else None
            self.adm_id = own or (ids[0] if ids else 0)  # type: ignore[assignment]  # Reflex types the var as a Var at class level

    def _change_adm(self, value: str) -> Actor | None:
        """Switch the managed administration (only to one the fresh actor may manage)."""
        actor = self._actor()
        self._show_actor(actor)
        if actor is None or not self.nav_pages or "admin" not in self.nav_pages:
            return None
        self._load_administrations(actor)
        if value in [str(a.id) for a in self.administrations]:
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

    def _run_on(self, row_id: str, action: Callable[[Any, Actor, int], object], ok_key: str) -> bool:
        """``_run`` for a write on one row the browser names by its id: ``action(session, actor, id)``
        (an id that is not a number is refused here; the service checks the actor's rights on the row)."""

        def on_row(session: Any, actor: Actor) -> None:
            text = str(row_id)
            if not text.isdigit() or len(text) > 18:
                raise DomainError("error.not_found")
            action(session, actor, int(text))

        return self._run(on_row, ok_key)


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


def administration_picker(state: type[AdminState], on_change) -> rx.Component:
    """A select for platform admins; a plain label for an administration's own admins."""
    current = rx.foreach(
        state.administrations,
        lambda a: rx.cond(
            a.id == state.adm_id,
            rx.el.strong(pick(a.name_ar, a.name_fr), data_testid="adm-current"),
        ),
    )
    return rx.el.div(
        rx.cond(
            state.is_platform_admin,
            rx.el.div(
                rx.el.label(t("admin.managed"), html_for="adm-picker", class_name="label"),
                rx.el.select(
                    rx.foreach(
                        state.administrations,
                        lambda a: rx.el.option(a.code + " — " + pick(a.name_ar, a.name_fr), value=a.id),
                    ),
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
    items = [("home", routes.ADMIN, "admin.home"), *[(key, href, f"admin.{key}") for key, href, _ in SUBPAGES]]
    return nav_tabs(items, active, "admin-tab", "nav.admin")


def admin_layout(
    state: type[AdminState], active: str, title_key: str, *children: rx.Component, picker_on_change=None
) -> rx.Component:
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
