"""The page styles: Reflex's CSS reset and ``assets/mrasla.css`` inline in every page's ``<head>``; the
staff pages' own rules (``assets/staff.css``) rendered by the staff pages' layout.

A linked stylesheet blocks the first paint until it has arrived: one more round trip after the HTML
on a slow phone link, in competition with the JavaScript bundle's requests (measured: the first
paint then came only after the bundle had loaded). Inline (≈ 8 KB once the page is compressed) the
prerendered page paints as soon as its HTML is parsed. Wiring:

- ``inline_style()`` is a head component of the app, which is created with ``reset_style=False`` and
  no ``stylesheets``, so Reflex's own global stylesheet is empty;
- ``InlineStylesPlugin`` (``rxconfig.py``) removes the document's ``<link>`` to that empty
  stylesheet, which would still hold the first paint for a request.

The staff rules (inbox, registry, parapheur, admin…: about half the sheet) are not in the public pages'
first HTML: with them, ``/deposit``'s page (≈ 15 KB compressed) needed a second round trip of the slow
link before its first paint; without them it fits the first one (≈ 11 KB). ``staff_style()`` is a
``<style>`` element in the staff layout: in a staff page's prerendered HTML, and rendered again when the
browser navigates from a public page (the sign-in page) to a staff page, so no page ever misses its rules.

``assets/mrasla.css`` is also served as a file, for the offline screen (``mrasla_app.pwa``).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import reflex as rx
from reflex.plugins import Plugin
from reflex.utils import console
from reflex_base.constants import Dirs, PageNames, Templates
from reflex_base.constants.compiler import ResetStylesheet

RESET = Templates.Dirs.WEB_TEMPLATE / "styles" / ResetStylesheet.FILENAME  # in @layer: the app's rules win
ASSETS = Path(__file__).resolve().parents[2] / "assets"
APP = ASSETS / "mrasla.css"
STAFF = ASSETS / "staff.css"
COMMENT = re.compile(r"/\*.*?\*/", re.S)
DOCUMENT = str(Path(Dirs.PAGES) / PageNames.DOCUMENT_ROOT)
# In the compiled document: the import of the global stylesheet's URL and the two <link>s using it.
GLOBAL_STYLESHEET = re.compile(
    r'^import reflexGlobalStyles from "[^"]+";?\n|jsx\("link",\{[^{}]*href:reflexGlobalStyles[^{}]*\},\),', re.M
)


def _compact(text: str) -> str:
    """CSS without comments and indentation (its rules unchanged)."""
    return "\n".join(line.strip() for line in COMMENT.sub("", text).splitlines() if line.strip())


@cache
def css() -> str:
    """The reset and the app's public rules, for every page's ``<head>``."""
    return _compact(RESET.read_text(encoding="utf-8") + "\n" + APP.read_text(encoding="utf-8"))


@cache
def staff_css() -> str:
    """The staff pages' rules, after the public ones in the cascade (as when they were one sheet)."""
    return _compact(STAFF.read_text(encoding="utf-8"))


def inline_style() -> rx.Component:
    return rx.el.style(css())


@rx.memo
def staff_style() -> rx.Component:
    """A component of its own: the rules are compiled once into a shared module, not into every staff page."""
    return rx.el.style(staff_css())


def drop_global_stylesheet(document: str) -> str:
    """The compiled document without Reflex's (empty) global stylesheet."""
    stripped, count = GLOBAL_STYLESHEET.subn("", document)
    if count != 3:  # the import and two <link>s: anything else means Reflex changed the document
        console.warn(f"InlineStylesPlugin: unexpected {DOCUMENT} ({count} matches); left unchanged")
        return document
    return stripped


class InlineStylesPlugin(Plugin):
    def pre_compile(self, **context: Any) -> None:
        context["add_modify_task"](DOCUMENT, drop_global_stylesheet)
