"""``/parapheur``: workspace shell (the correspondence itself arrives with later issues)."""

from __future__ import annotations

import reflex as rx

from mrasla_app.models import Role
from mrasla_app.ui import routes
from mrasla_app.ui.components.workspace import units_for_roles, workspace_page
from mrasla_app.ui.state import SessionState

ROUTE = routes.PARAPHEUR
PAGE = "parapheur"
ROLES = (Role.signatory,)


class ParapheurState(SessionState):
    units: list[dict[str, str]] = []

    @rx.event
    def on_load(self):
        actor, redirect = self._guard(PAGE)
        if actor is None:
            self.units = []
            return redirect
        self.units = units_for_roles(actor, ROLES)


def page() -> rx.Component:
    return workspace_page(ParapheurState, PAGE, "pen-line")


ON_LOAD = ParapheurState.on_load
TITLE = "Mrasla — Parapheur · الحامل الإلكتروني"
