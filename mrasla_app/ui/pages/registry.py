"""``/registry``: the registry office — the "to qualify" queue (portal deposits, paper mail and
items returned by units) and the qualification-and-dispatch panel for the selected one."""

from __future__ import annotations

import reflex as rx

from mrasla_app import db
from mrasla_app.services.correspondence import inbox
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.ui import routes
from mrasla_app.ui.components.dispatch import DispatchState, dispatch_panel
from mrasla_app.ui.components.forms import empty_state, messages, more_button, page_title
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.components.mail import (
    MailRow,
    confidential_badge,
    deadline_cell,
    holidays,
    list_row,
    priority_badge,
    status_badge,
)
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.registry_new import registry_tabs
from mrasla_app.ui.state import SessionState

ROUTE = routes.REGISTRY
PAGE = "registry"
PAGE_SIZE = 25


class RegistryState(SessionState):
    rows: list[MailRow] = []
    total: int = 0
    has_more: bool = False
    loaded: bool = False
    _cursor: str = ""

    def _fetch(self, actor: Actor, more: bool = False) -> None:
        f = inbox.InboxFilter(queue=inbox.Queue.to_qualify, sort=inbox.Sort.oldest)
        with db.read_session() as session:
            rows, cursor = inbox.page(session, actor, f, after=self._cursor if more else "", limit=PAGE_SIZE)
            off = holidays(session, actor.administration_id)
            if not more:
                self.total = inbox.counts(session, actor).get("to_qualify", 0)
        new = [list_row(r, off) for r in rows]
        self.rows = self.rows + new if more else new
        self._cursor, self.has_more, self.loaded = cursor, bool(cursor), True

    def _clear(self) -> None:
        self.rows, self.total, self.has_more, self.loaded, self._cursor = [], 0, False, False, ""

    @rx.event
    def on_load(self):
        actor, redirect = self._guard(PAGE)
        self._clear()
        if actor is None:
            return [redirect, DispatchState.cancel]
        self._fetch(actor)
        return DispatchState.cancel

    @rx.event
    def refresh(self):
        try:
            self._fetch(self._require(PAGE))
        except DomainError as exc:
            self._clear()
            self._fail(exc)

    @rx.event
    def load_more(self):
        if not self._cursor:
            return
        try:
            self._fetch(self._require(PAGE), more=True)
        except DomainError as exc:
            self._fail(exc)


def _row(r: rx.Var) -> rx.Component:
    selected = DispatchState.d_number == r.number
    return rx.el.li(
        rx.el.button(
            rx.el.span(
                rx.el.code(r.number, dir="ltr", class_name="mr-number"),
                rx.el.span(r.at, dir="ltr", class_name="muted mr-date"),
                class_name="reg-line",
            ),
            rx.el.span(r.subject, class_name="mr-subject"),
            rx.el.span(
                rx.el.span(pick(r.sender_ar, r.sender), class_name="muted", dir="auto"),
                status_badge(r.status),
                priority_badge(r.priority),
                confidential_badge(r.confidential),
                rx.el.span(
                    t_choice(r.channel, "channel.", ["portal", "paper", "email", "inter_administration"]),
                    class_name="badge",
                ),
                deadline_cell(r),
                class_name="reg-line",
            ),
            type="button",
            on_click=DispatchState.open(r.id.to_string(), "registry"),
            class_name="reg-select",
            aria_pressed=rx.cond(selected, "true", "false"),
            data_testid="registry-select-" + r.slug,
        ),
        rx.el.a(
            rx.icon("external-link", size=18, aria_hidden="true"),
            rx.el.span(t("mail.open"), class_name="sr-only"),
            href=r.href,
            class_name="btn btn-ghost btn-icon",
            title=t("mail.open"),
            data_testid="registry-open-" + r.slug,
        ),
        class_name=rx.cond(selected, "reg-row is-selected", "reg-row"),
        data_testid="registry-row-" + r.slug,
    )


def page() -> rx.Component:
    S = RegistryState
    return layout(
        registry_tabs("queue"),
        page_title("registry.title"),
        rx.el.p(t("registry.intro"), class_name="lead"),
        messages(SessionState),
        rx.el.div(
            rx.el.section(
                rx.el.h2(
                    t("queue.to_qualify"),
                    rx.el.span(S.total.to_string(), class_name="count count-on", data_testid="registry-count"),
                    class_name="section-title",
                    id="registry-queue-title",
                ),
                rx.cond(
                    S.rows.length() > 0,
                    rx.el.ul(rx.foreach(S.rows, _row), class_name="reg-list", data_testid="registry-list"),
                    rx.cond(S.loaded, empty_state("registry.empty")),
                ),
                rx.cond(S.has_more, more_button(S.load_more, "registry-more")),
                class_name="card reg-queue",
                aria_labelledby="registry-queue-title",
            ),
            rx.el.div(
                rx.cond(
                    DispatchState.d_open,
                    dispatch_panel(),
                    rx.el.div(
                        rx.icon("mouse-pointer-click", size=32, class_name="empty-icon", aria_hidden="true"),
                        rx.el.p(t("registry.pick")),
                        class_name="empty-state card",
                    ),
                ),
                class_name="reg-side",
            ),
            class_name="reg-grid",
        ),
        active=PAGE,
        wide=True,
    )


ON_LOAD = RegistryState.on_load
TITLE = "Mrasla — Bureau d'ordre · مكتب الضبط"
