"""``/admin``: entry to the directory administration."""

from __future__ import annotations

import reflex as rx

from mrasla_app.ui import routes
from mrasla_app.ui.components.forms import link_card
from mrasla_app.ui.i18n import t
from mrasla_app.ui.pages.admin.common import SUBPAGES, AdminState, admin_layout

ROUTE = routes.ADMIN


class AdminHomeState(AdminState):
    @rx.event
    def on_load(self):
        _actor, redirect = self._admin_actor()
        return redirect

    @rx.event
    def change_adm(self, value: str):
        self._change_adm(value)


def _card(key: str, href: str, icon: str) -> rx.Component:
    return link_card(t(f"admin.{key}"), t(f"admin.{key}.text"), href, icon, f"admin-card-{key}", icon_size=26)


def page() -> rx.Component:
    return admin_layout(
        AdminHomeState,
        "home",
        "admin.title",
        rx.el.p(t("admin.intro"), class_name="lead"),
        rx.el.div(*[_card(k, h, i) for k, h, i in SUBPAGES], class_name="services services-grid"),
        picker_on_change=AdminHomeState.change_adm,
    )


ON_LOAD = AdminHomeState.on_load
TITLE = "Mrasla — Administration · الإدارة"
