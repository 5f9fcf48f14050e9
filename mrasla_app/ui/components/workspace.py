"""The shell shared by the staff workspaces (registry, inbox, parapheur) until their content lands."""

from __future__ import annotations

import reflex as rx

from mrasla_app import db
from mrasla_app.models import Role, Unit
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.ui.components.forms import card, empty_state, messages, page_title, section_title
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import pick, t
from mrasla_app.ui.state import SessionState


def units_for_roles(actor: Actor, roles: tuple[Role, ...]) -> list[dict[str, str]]:
    """Display dicts of the actor's units where they hold one of ``roles``."""
    ids = sorted(actor.unit_ids(*roles))
    out: list[dict[str, str]] = []
    with db.read_session() as session:
        for uid in ids:
            unit = session.get(Unit, uid)
            if unit is not None:
                out.append({"code": unit.code, "name_ar": unit.name_ar, "name_fr": unit.name_fr})
    return out


def workspace_page(state: type[SessionState], key: str, icon: str) -> rx.Component:
    """Title, intro, the user's units for this role, and an empty state."""
    units = state.units  # type: ignore[attr-defined]
    return layout(
        page_title(f"{key}.title"),
        rx.el.p(t(f"{key}.intro"), class_name="lead"),
        messages(state),
        rx.el.div(
            card(
                section_title("workspace.your_units"),
                rx.el.ul(
                    rx.foreach(units, lambda u: rx.el.li(
                        rx.icon("building-2", size=16, aria_hidden="true"),
                        rx.el.span(pick(u["name_ar"], u["name_fr"])),
                        rx.el.code(u["code"], dir="ltr", class_name="muted"),
                        class_name="unit-chip",
                    )),
                    class_name="unit-list",
                    data_testid="workspace-units",
                ),
            ),
            card(empty_state(f"{key}.empty", icon), class_name="grow"),
            class_name="workspace",
        ),
        active=key,
    )
