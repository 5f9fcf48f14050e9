"""``/admin/delegations``: delegations between staff of the managed administration."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

import reflex as rx

from mrasla_app import db
from mrasla_app.services.directory import users
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.settings import TIMEZONE
from mrasla_app.ui import routes
from mrasla_app.ui.components.choices import Named
from mrasla_app.ui.components.editor import CreateForm, editor_card, new_toolbar, row_button, rows_table
from mrasla_app.ui.components.forms import field, option, select_field
from mrasla_app.ui.i18n import t, t_choice
from mrasla_app.ui.pages.admin.common import AdminPage, AdminState, admin_layout

ROUTE = routes.ADMIN_DELEGATIONS
TZ = ZoneInfo(TIMEZONE)
STATUSES = ["current", "upcoming", "expired", "revoked"]


def local_text(value: datetime) -> str:
    """``YYYY-MM-DD HH:MM`` in Africa/Casablanca (stored UTC)."""
    return value.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def parse_local(value: str) -> datetime:
    """A ``datetime-local`` input value, read as Casablanca time."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=TZ)
    except (TypeError, ValueError):
        raise DomainError("error.invalid_period") from None


@dataclasses.dataclass
class Delegation:
    """A delegation between two people of the administration (``status``: one of STATUSES)."""

    id: int = 0
    from_name: str = ""
    to_name: str = ""
    starts: str = ""
    ends: str = ""
    reason: str = ""
    status: str = ""


class DelegationsState(CreateForm, AdminPage, AdminState):
    rows: list[Delegation] = []
    people: list[Named] = []  # the active users

    def _clear(self) -> None:
        self.rows, self.people = [], []

    def _reload(self, actor: Actor) -> None:
        if not self.adm_id:
            self.rows, self.people = [], []
            return
        with db.read_session() as session:
            staff = users.list_users(session, actor, self.adm_id)
            dels = users.delegations(session, actor, self.adm_id)
        names = {u.id: u.full_name for u in staff}
        self.people = [Named(u.id, f"{u.full_name} <{u.email}>") for u in staff if u.active]
        self.rows = [
            Delegation(
                d.id,
                names.get(d.from_user_id, "?"),
                names.get(d.to_user_id, "?"),
                local_text(d.starts_at),
                local_text(d.ends_at),
                d.reason,
                users.delegation_status(d),
            )
            for d in dels
        ]

    @rx.event
    def create(self, form: dict):
        form = form if isinstance(form, dict) else {}
        src, dst = str(form.get("from_user_id", "")), str(form.get("to_user_id", ""))

        def action(session, actor: Actor) -> None:
            if not (src.isdigit() and dst.isdigit()):
                raise DomainError("error.required")
            users.create_delegation(
                session,
                actor,
                from_user_id=int(src),
                to_user_id=int(dst),
                starts_at=parse_local(str(form.get("starts_at", ""))),
                ends_at=parse_local(str(form.get("ends_at", ""))),
                reason=str(form.get("reason", "")),
            )

        if self._run(action, "common.saved"):
            self.creating = False

    @rx.event
    def revoke(self, delegation_id: str):
        self._run_on(delegation_id, users.revoke_delegation, "admin.deleg.revoked_done")


def _people_select(name: str, label_key: str) -> rx.Component:
    return select_field(
        "deleg",
        name,
        label_key,
        [
            option("", t("common.select")),
            rx.foreach(DelegationsState.people, lambda p: rx.el.option(p.label, value=p.id)),
        ],
        default_value="",
        required=True,
    )


def _create_form() -> rx.Component:
    S = DelegationsState
    return editor_card(
        t("admin.deleg.new"),
        "deleg-new-title",
        [
            _people_select("from_user_id", "admin.deleg.from"),
            _people_select("to_user_id", "admin.deleg.to"),
            field(
                "deleg",
                "starts_at",
                "admin.deleg.starts",
                type="datetime-local",
                required=True,
                hint_key="admin.deleg.tz_note",
                dir="ltr",
            ),
            field(
                "deleg",
                "ends_at",
                "admin.deleg.ends",
                type="datetime-local",
                required=True,
                hint_key="admin.deleg.tz_note",
                dir="ltr",
            ),
            field("deleg", "reason", "admin.deleg.reason", max_length=255),
        ],
        on_submit=S.create,
        on_cancel=S.close,
        key=S.form_key,
        submit_testid="deleg-create",
    )


def _row(d: rx.Var) -> rx.Component:
    did = d.id.to_string()
    return rx.el.tr(
        rx.el.td(d.from_name),
        rx.el.td(d.to_name),
        rx.el.td(rx.el.span(d.starts, dir="ltr", class_name="nowrap")),
        rx.el.td(rx.el.span(d.ends, dir="ltr", class_name="nowrap")),
        rx.el.td(d.reason),
        rx.el.td(
            rx.el.span(
                t_choice(d.status, "admin.deleg.status.", STATUSES),
                class_name=rx.cond(d.status == "current", "badge badge-ok", "badge"),
            )
        ),
        rx.el.td(
            rx.cond(
                (d.status == "current") | (d.status == "upcoming"),
                row_button("admin.deleg.revoke", DelegationsState.revoke(did), "deleg-revoke-" + did, "danger"),
            )
        ),
    )


def page() -> rx.Component:
    S = DelegationsState
    return admin_layout(
        S,
        "delegations",
        "admin.delegations",
        new_toolbar(S.creating, "admin.deleg.new", S.open_create, "deleg-new"),
        rx.cond(S.creating, _create_form()),
        rx.el.p(t("admin.deleg.tz_note"), class_name="hint"),
        rows_table(
            S.rows,
            [
                "admin.deleg.from",
                "admin.deleg.to",
                "admin.deleg.starts",
                "admin.deleg.ends",
                "admin.deleg.reason",
                "field.status",
                "common.actions",
            ],
            _row,
            "deleg-table",
            "admin.deleg.empty",
            "repeat",
        ),
        picker_on_change=S.change_adm,
    )


ON_LOAD = DelegationsState.on_load
TITLE = "Mrasla — Délégations · التفويضات"
