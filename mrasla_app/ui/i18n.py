"""Compile-time translation helpers for components.

``t("nav.inbox")`` becomes ``cond(lang == "ar", "<arabic>", "<french>")`` in the page bundle: no
catalogue lookup at runtime, and an unknown key raises ``KeyError`` when the app is compiled, so a
missing translation fails the build instead of showing a raw key.
"""

from __future__ import annotations

import reflex as rx

from mrasla_app.i18n import catalog
from mrasla_app.ui.state import LangState

AR: dict[str, str] = catalog("ar")
FR: dict[str, str] = catalog("fr")


def t(key: str) -> rx.Var:
    """The text of ``key`` in the current interface language."""
    ar, fr = AR[key], FR[key]  # KeyError on unknown keys: the build fails
    return rx.cond(LangState.lang == "ar", ar, fr)


def t_choice(value: rx.Var, prefix: str, options: list[str] | tuple[str, ...]) -> rx.Component | rx.Var:
    """Translate a runtime value among known ``options`` (e.g. roles): ``t(prefix + value)``."""
    return rx.match(value, *[(opt, t(f"{prefix}{opt}")) for opt in options], value)


def pick(ar_value: rx.Var, fr_value: rx.Var) -> rx.Var:
    """Choose between two data fields (e.g. ``name_ar``/``name_fr``) by interface language."""
    return rx.cond(LangState.lang == "ar", ar_value, fr_value)


is_ar = LangState.lang == "ar"
