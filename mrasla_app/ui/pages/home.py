"""``/``: the public home for citizens and companies (no login)."""

from __future__ import annotations

import reflex as rx

from mrasla_app.ui import routes
from mrasla_app.ui.components.forms import link_card
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import t
from mrasla_app.ui.state import SessionState

ROUTE = routes.HOME


def _service(key: str, href: str, icon: str) -> rx.Component:
    return link_card(t(f"home.{key}.title"), t(f"home.{key}.text"), href, icon, f"home-{key}")


def page() -> rx.Component:
    return layout(
        rx.el.div(
            rx.el.h1(t("home.title"), id="page-title", data_testid="page-title", class_name="hero-title"),
            rx.el.p(t("home.intro"), class_name="hero-intro"),
            class_name="hero",
        ),
        rx.el.nav(
            _service("deposit", routes.DEPOSIT, "send"),
            _service("verify", routes.VERIFY, "shield-check"),
            _service("track", routes.TRACK, "search"),
            class_name="services",
            aria_label=t("home.services_label"),
        ),
        rx.el.div(
            rx.el.p(t("home.staff.title")),
            rx.cond(
                SessionState.logged_in,
                rx.el.a(
                    t("nav.account"), href=routes.ACCOUNT, class_name="btn btn-secondary", data_testid="home-staff"
                ),
                rx.el.a(
                    rx.icon("log-in", size=18, aria_hidden="true", class_name="flip-rtl"),
                    t("home.staff.link"),
                    href=routes.LOGIN,
                    class_name="btn btn-secondary",
                    data_testid="home-staff",
                ),
            ),
            class_name="staff-box",
        ),
        active="home",
    )


ON_LOAD = SessionState.load_session
TITLE = "Mrasla · مراسلة"
