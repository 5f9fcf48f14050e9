"""Compile-time translation helpers for components.

``t("nav.inbox")`` becomes ``lang == "ar" ? "<arabic>" : lang == "en" ? "<english>" : "<french>"`` in
the page bundle: no catalogue lookup at runtime, and an unknown key raises ``KeyError`` when the app
is compiled, so a missing translation fails the build instead of showing a raw key. French is the
fallback branch, so a stored language value the app does not know shows French.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from mrasla_app.i18n import catalog
from mrasla_app.ui.state import LangState

AR: dict[str, str] = catalog("ar")
FR: dict[str, str] = catalog("fr")
EN: dict[str, str] = catalog("en")
CATALOGS: dict[str, dict[str, str]] = {"ar": AR, "fr": FR, "en": EN}

is_ar = LangState.lang == "ar"
is_en = LangState.lang == "en"


def by_lang(ar: Any, fr: Any, en: Any) -> Any:
    """``ar``, ``en`` or ``fr`` (the fallback) by interface language: values, vars or components."""
    return rx.cond(is_ar, ar, rx.cond(is_en, en, fr))


def t(key: str) -> rx.Var:
    """The text of ``key`` in the current interface language."""
    return by_lang(AR[key], FR[key], EN[key])  # KeyError on unknown keys: the build fails


def t_choice(value: rx.Var, prefix: str, options: list[str] | tuple[str, ...]) -> rx.Component | rx.Var:
    """Translate a runtime value among known ``options`` (e.g. roles): ``t(prefix + value)``."""
    return rx.match(value, *[(opt, t(f"{prefix}{opt}")) for opt in options], value)


def pick(ar_value: rx.Var, fr_value: rx.Var, en_value: rx.Var | None = None) -> rx.Var:
    """Choose between data fields (e.g. ``name_ar``/``name_fr``) by interface language.

    Data kept only in Arabic and French (directory names, cities) shows its French form in the English
    interface; pass ``en_value`` where the server also prepared an English text (messages, dates).
    """
    return by_lang(ar_value, fr_value, fr_value if en_value is None else en_value)
