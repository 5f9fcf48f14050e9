"""The page layout: header (brand, nav, language switch: العربية / Français / English, user menu), main, footer.

Desktop shows the nav inline; phones get a ``<details>`` drawer (no server round trip to open it).
Directional icons carry the ``flip-rtl`` class so they mirror in Arabic.
"""

from __future__ import annotations

import reflex as rx

from mrasla_app.i18n import RTL_LANGS
from mrasla_app.pwa.components import staff_script
from mrasla_app.ui import routes
from mrasla_app.ui.i18n import by_lang, is_ar, t
from mrasla_app.ui.state import LangState, SessionState
from mrasla_app.ui.stylesheet import staff_style

# (page key, route, catalogue key, icon); staff pages appear only for roles that can use them.
STAFF_NAV = [
    ("registry", routes.REGISTRY, "nav.registry", "book-open-check"),
    ("inbox", routes.INBOX, "nav.inbox", "inbox"),
    ("parapheur", routes.PARAPHEUR, "nav.parapheur", "pen-line"),
    ("register", routes.REGISTRY_NEW, "nav.register", "file-plus"),
    ("registers", routes.REGISTRY_EXPORT, "nav.registers", "file-spreadsheet"),
    ("dashboard", routes.DASHBOARD, "nav.dashboard", "chart-column"),
    ("records", routes.RECORDS, "nav.records", "archive"),
    ("admin", routes.ADMIN, "nav.admin", "settings"),
]
NAV_UNDER_REGISTRY = ("register", "registers")
# The pages anyone reaches without an account, by nav key (the citizen's pages, home, sign-in).
PUBLIC_PAGES = frozenset({"home", "login", "deposit", "track", "verify"})


def _link(key: str, href: str, label_key: str, icon: str, active: str, prefix: str) -> rx.Component:
    return rx.el.a(
        rx.icon(icon, size=18, aria_hidden="true"),
        rx.el.span(t(label_key)),
        href=href,
        title=t(label_key),  # the label is only a tooltip where the desktop bar shows icons alone
        class_name="nav-link" + (" is-active" if key == active else ""),
        aria_current="page" if key == active else None,
        data_testid=f"{prefix}-{key}",
    )


def _nav_items(active: str, prefix: str) -> list[rx.Component]:
    items: list[rx.Component] = [_link("home", routes.HOME, "nav.home", "house", active, prefix)]
    for key, href, label_key, icon in STAFF_NAV:
        shown = SessionState.nav_pages.contains(key)
        if key in NAV_UNDER_REGISTRY:  # clerks reach these through the registry's tabs
            shown = shown & ~SessionState.nav_pages.contains("registry")
        items.append(rx.cond(shown, _link(key, href, label_key, icon, active, prefix)))
    items.append(
        rx.cond(
            SessionState.logged_in,
            _link("account", routes.ACCOUNT, "nav.account", "circle-user", active, prefix),
            _link("login", routes.LOGIN, "nav.login", "log-in", active, prefix),
        )
    )
    return items


# Each language offered under its own name and script (a reader looks for their language, not for
# its name in the language they cannot read); the short code is what a phone header has room for.
LANG_CHOICES = (("ar", "ع", "العربية"), ("fr", "FR", "Français"), ("en", "EN", "English"))


def _lang_button(code: str, short: str, name: str) -> rx.Component:
    current = LangState.lang == code
    return rx.el.button(
        rx.el.span(short, aria_hidden="true"),
        rx.el.span(name, class_name="sr-only"),
        type="button",
        on_click=LangState.set_lang(code),
        class_name=rx.cond(current, "lang-choice is-current", "lang-choice"),
        aria_pressed=rx.cond(current, "true", "false"),
        title=name,
        lang=code,
        dir="rtl" if code in RTL_LANGS else "ltr",
        data_testid=f"lang-{code}",
    )


def lang_switch() -> rx.Component:
    """The interface language: one button per language, the current one pressed."""
    return rx.el.div(
        *[_lang_button(*choice) for choice in LANG_CHOICES],
        role="group",
        aria_label=t("lang.choose"),
        class_name="lang-switch",
        id="lang-switch",
        data_testid="lang-switch",
    )


def user_menu() -> rx.Component:
    return rx.cond(
        SessionState.logged_in,
        rx.el.div(
            rx.el.span(
                rx.icon("user", size=16, aria_hidden="true"),
                rx.el.span(SessionState.user_name, data_testid="user-name"),
                class_name="user-name",
            ),
            rx.el.button(
                rx.icon("log-out", size=18, aria_hidden="true", class_name="flip-rtl"),
                rx.el.span(t("nav.logout"), class_name="hide-sm hide-md"),
                type="button",
                on_click=SessionState.logout,
                class_name="btn btn-ghost",
                aria_label=t("nav.logout"),
                id="logout-button",
                data_testid="logout-button",
            ),
            class_name="user-menu",
            data_testid="user-menu",
        ),
    )


def header(active: str) -> rx.Component:
    return rx.el.header(
        rx.el.div(
            rx.el.a(
                # width/height as HTML attributes: Reflex turns the props into (unit-less, invalid) CSS
                rx.el.img(
                    src="/logo.svg", alt="", class_name="brand-logo", custom_attrs={"width": "36", "height": "36"}
                ),
                rx.el.span(
                    rx.el.span("مراسلة", lang="ar", class_name="brand-ar"),
                    rx.el.span(" · ", aria_hidden="true"),
                    rx.el.span("Mrasla", lang="fr"),
                    class_name="brand-name",
                ),
                href=routes.HOME,
                class_name="brand",
                data_testid="brand",
            ),
            rx.el.nav(*_nav_items(active, "nav"), class_name="nav-desktop", aria_label=t("nav.main")),
            rx.el.div(lang_switch(), user_menu(), class_name="header-tools"),
            rx.el.details(
                rx.el.summary(
                    rx.icon("menu", size=22, aria_hidden="true"),
                    rx.el.span(t("nav.menu"), class_name="sr-only"),
                    class_name="btn btn-ghost menu-button",
                    data_testid="menu-button",
                ),
                rx.el.nav(
                    rx.cond(
                        SessionState.logged_in,
                        rx.el.div(
                            rx.icon("user", size=18, aria_hidden="true"),
                            rx.el.span(SessionState.user_name),
                            class_name="nav-user",
                        ),
                    ),
                    *_nav_items(active, "mnav"),
                    class_name="nav-mobile",
                    aria_label=t("nav.main"),
                ),
                class_name="menu-drawer",
            ),
            class_name="header-inner container",
        ),
        class_name="site-header",
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.el.div(rx.el.p(t("footer.text")), class_name="container"),
        class_name="site-footer",
    )


def layout(*children: rx.Component, active: str = "", wide: bool = False) -> rx.Component:
    """Wrap a page: ``active`` is the nav key of the current page. A page of ``PUBLIC_PAGES`` goes without
    the staff pages' styles, which would make its first HTML miss the first round trip of a slow phone
    link (``mrasla_app/ui/stylesheet.py``), and without their script (``staff_script``)."""
    return rx.el.div(
        *([] if active in PUBLIC_PAGES else [staff_style(), staff_script()]),
        rx.el.a(t("app.skip"), href="#main", class_name="skip-link"),
        header(active),
        rx.el.main(
            *children,
            id="main",
            tab_index=-1,
            class_name="container main" + (" main-wide" if wide else ""),
        ),
        footer(),
        class_name="app-shell",
        dir=rx.cond(is_ar, "rtl", "ltr"),
        lang=by_lang("ar", "fr", "en"),
        data_lang=LangState.lang,
    )
