"""The page styles inlined in every page's ``<head>``: Reflex's CSS reset, then ``assets/mrasla.css``.

A linked stylesheet blocks the first paint until it has arrived: one more round trip after the HTML
on a slow phone link, in competition with the JavaScript bundle's requests (measured: the first
paint then came only after the bundle had loaded). Inline (≈ 8 KB once the page is compressed) the
prerendered page paints as soon as its HTML is parsed. Wiring:

- ``inline_style()`` is a head component of the app, which is created with ``reset_style=False`` and
  no ``stylesheets``, so Reflex's own global stylesheet is empty;
- ``InlineStylesPlugin`` (``rxconfig.py``) removes the document's ``<link>`` to that empty
  stylesheet, which would still hold the first paint for a request.

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
APP = Path(__file__).resolve().parents[2] / "assets" / "mrasla.css"
COMMENT = re.compile(r"/\*.*?\*/", re.S)
DOCUMENT = str(Path(Dirs.PAGES) / PageNames.DOCUMENT_ROOT)
# In the compiled document: the import of the global stylesheet's URL and the two <link>s using it.
GLOBAL_STYLESHEET = re.compile(
    r'^import reflexGlobalStyles from "[^"]+";?\n|jsx\("link",\{[^{}]*href:reflexGlobalStyles[^{}]*\},\),', re.M
)


@cache
def css() -> str:
    """Both stylesheets without comments and indentation (their rules unchanged)."""
    text = COMMENT.sub("", RESET.read_text(encoding="utf-8") + "\n" + APP.read_text(encoding="utf-8"))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def inline_style() -> rx.Component:
    return rx.el.style(css())


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
