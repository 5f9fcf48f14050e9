"""How a file's size and page count read, on citizen and staff pages alike.

The unit (Ko/كب/KB) and the plural (Arabic has one, two, 3–10 and 11+ forms) follow the interface
language, so the server only prepares numbers: ``size_label`` on the server, ``size_text`` and
``page_count`` in the page.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx

from mrasla_app.services.platform import files
from mrasla_app.ui.i18n import t, t_choice

#: What the upload fields offer to pick: the types the server inspects and accepts (by content).
ACCEPT = {ctype: list(exts) for ctype, exts in files.EXTENSIONS.items()}
#: What a scanner produces (the batch scanning page offers only these): PDF and images.
SCAN_ACCEPT = {
    ctype: exts for ctype, exts in ACCEPT.items() if ctype == "application/pdf" or ctype.startswith("image/")
}


@dataclasses.dataclass
class SizedFile:
    """A file as a list shows it: its name, size (``size_text``) and page count (``page_count``)."""

    name: str = ""
    size: str = ""  # with ``unit`` (kb/mb), from ``size_label``
    unit: str = ""
    pages: int = 0


@dataclasses.dataclass
class UploadedFile(SizedFile):
    """A file accepted into an upload list (spooled on the server, listed on the page)."""

    pdf: bool = False


def size_label(size: int) -> tuple[str, str]:
    """(number, unit key) for a byte count: ``(340, "kb")``, ``(1.2, "mb")``."""
    if size < 1024 * 1024:
        return str(max(1, round(size / 1024))), "kb"
    return f"{size / (1024 * 1024):.1f}", "mb"


def size_text(item: Any) -> rx.Component:
    """``340 Ko`` from an item with ``size`` and ``unit`` (kb/mb) fields."""
    return rx.el.span(item["size"], "\u00a0", t_choice(item["unit"], "common.unit_", ["kb", "mb"]), class_name="nowrap")


def page_count(pages: Any) -> rx.Component:
    """``pages`` (a number as text) with the right plural: Arabic has one, two, 3–10 and 11+ forms."""
    n = pages.to(int)
    return rx.el.span(
        rx.match(
            pages,
            ("1", rx.fragment(t("citizen.pages_one"))),
            ("2", rx.fragment(t("citizen.pages_two"))),
            rx.fragment(
                pages, "\u00a0", rx.cond((n >= 3) & (n <= 10), t("citizen.pages_few"), t("citizen.pages_many"))
            ),
        ),
        class_name="nowrap",
    )


def file_row(f: Any, on_remove: Any, testid: str) -> rx.Component:
    """One accepted file of an upload list: its name, size and pages, and a button to remove it
    (test ids ``testid``, ``testid-name``, ``testid-remove``)."""
    return rx.el.li(
        rx.icon("file-check", size=20, aria_hidden="true", class_name="file-icon"),
        rx.el.span(
            rx.el.span(f.name, class_name="file-name", dir="auto", data_testid=f"{testid}-name"),
            rx.el.span(size_text(f), " · ", page_count(f.pages.to_string()), class_name="file-meta"),
            class_name="file-body",
        ),
        rx.el.button(
            rx.icon("x", size=18, aria_hidden="true"),
            rx.el.span(t("common.remove"), class_name="sr-only"),
            type="button",
            on_click=on_remove,
            class_name="btn btn-ghost btn-icon",
            aria_label=t("common.remove"),
            data_testid=f"{testid}-remove",
        ),
        class_name="file-row",
        data_testid=testid,
    )
