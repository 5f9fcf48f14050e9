"""Typed rows of the pickers and short lists that several pages show (Reflex serialises these
dataclasses to the browser; their fields read as ``row.label_ar`` in ``rx.foreach``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

INDENT = "\u2003"  # an em space a level: how pickers show a unit tree


@dataclasses.dataclass
class Choice:
    """Something to pick, named in both languages (a unit, an administration, a file plan entry…)."""

    id: int = 0
    label_ar: str = ""
    label_fr: str = ""


@dataclasses.dataclass
class Coded:
    """A row known by its code and named in both languages (an administration, a file plan entry…)."""

    id: int = 0
    code: str = ""
    name_ar: str = ""
    name_fr: str = ""


@dataclasses.dataclass
class FieldDef(Coded):
    """A custom field of an administration's file plan (``kind``: text, number, date or choice)."""

    kind: str = ""
    choices: str = ""


@dataclasses.dataclass
class Named:
    """Something to pick under one name (a contact, a person, a tag)."""

    id: int = 0
    label: str = ""


def unit_choices(nodes: Iterable[Any], *, codes: bool = False) -> list[Choice]:
    """Units of a tree (``directory.unit_tree`` nodes: ``unit`` and ``depth``), indented by depth for a
    picker; ``codes`` puts each unit's code before its name."""
    return [
        Choice(
            n.unit.id,
            INDENT * n.depth + (f"{n.unit.code} — " if codes else "") + n.unit.name_ar,
            INDENT * n.depth + (f"{n.unit.code} — " if codes else "") + n.unit.name_fr,
        )
        for n in nodes
    ]
