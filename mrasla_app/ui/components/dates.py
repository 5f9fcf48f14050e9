"""Days typed as text in the page's format (``jj/mm/aaaa``), never with a native date picker.

Browsers draw ``<input type="date">`` in their own locale whatever the page language (an Arabic page
on a French browser shows "jj/mm/aaaa", an English browser "mm/dd/yyyy"), so every day field of the
app is one text field with the same format, placeholder and parser.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import reflex as rx

from mrasla_app.services.errors import DomainError
from mrasla_app.ui.i18n import t
from mrasla_app.ui.state import LangState

DAY_PATTERN = r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}"


def parse_day(value: str) -> date | None:
    """A day typed as shown in every language (``jj/mm/aaaa``), or ISO; "" is no day."""
    value = value.strip()
    if not value:
        return None
    try:
        if "/" in value:
            day, month, year = (int(p) for p in value.split("/"))
            return date(year, month, day)
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError("error.invalid_date") from None


def day_text(day: date) -> str:
    """``day`` as the day fields show it: ``05/12/2026``."""
    return day.strftime("%d/%m/%Y")


def day_props() -> dict[str, Any]:
    """The input properties of a day field (also for ``forms.field``): text, the page's format as hint."""
    return {
        "type": "text",
        "dir": "ltr",
        "input_mode": "numeric",
        "pattern": DAY_PATTERN,
        "max_length": 10,
        "placeholder": t("draft.day_placeholder"),
        "lang": LangState.lang,
    }


def day_input(fid: str, name: str, **props: Any) -> rx.Component:
    """A bare day field (``props``: value, events, test id…); labelled by the caller."""
    return rx.el.input(id=fid, name=name, class_name="input", **day_props(), **props)
