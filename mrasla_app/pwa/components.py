"""The PWA's pieces inside the Reflex app: <head> tags and the websocket connection marker."""

from __future__ import annotations

import reflex as rx
from reflex.components.core.banner import has_connection_errors

from mrasla_app.pwa import MANIFEST_URL, PARAPHEUR_SCRIPT_URL, SCRIPT_URL


def head_components() -> list[rx.Component]:
    """Manifest, touch icon and the offline script (registers the service worker) on every page."""
    return [
        rx.el.link(rel="manifest", href=MANIFEST_URL),
        rx.el.link(rel="apple-touch-icon", href="/icons/apple-touch-icon.png"),
        rx.el.script(src=SCRIPT_URL, defer=True),
    ]


def staff_script() -> rx.Component:
    """The signature book's helpers (comment pins, PIN pad, Web Push subscription), for the staff pages'
    layout only: a citizen's page has no use for them, and on a slow link they competed with the app's
    own scripts before the first paint. ``async`` makes React 19 load it as a resource (once, in the
    ``<head>``) both in a staff page's first HTML and when the browser navigates to a staff page; it
    listens on ``document``, so it serves the elements rendered before and after it arrives."""
    return rx.el.script(src=PARAPHEUR_SCRIPT_URL, async_=True)


def connection_marker() -> rx.Component:
    """A hidden ``#mr-conn[data-state=up|down]`` that follows Reflex's websocket errors; the plain-JS
    indicator (``assets/pwa/offline.js``) reads it and shows a bilingual "disconnected/reconnected"
    line. Replaces Reflex's default overlay (an English-only toast)."""
    return rx.fragment(
        rx.el.div(
            id="mr-conn",
            data_state=rx.cond(has_connection_errors, "down", "up"),
            hidden=True,
            aria_hidden="true",
        )
    )


def install(app: rx.App) -> None:
    """Swap Reflex's connection overlay for the marker (app wraps are built at compile time)."""
    app.app_wraps[(5, "Overlay")] = lambda stateful: connection_marker() if stateful else None
