"""``/deposit/done``: the receipt page shown right after a deposit (survives a reload of the tab)."""

from __future__ import annotations

import reflex as rx

from mrasla_app.ui import routes
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.pages.portal.deposit import DepositState, done_view

ROUTE = routes.DEPOSIT_DONE
TITLE = "Accusé de réception · وصل الإيداع — Mrasla"


def page() -> rx.Component:
    return layout(done_view(), active="deposit")


ON_LOAD = DepositState.load_done
