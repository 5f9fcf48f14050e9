"""``/admin/holidays``: the holiday calendar used by the working-day deadlines.

An administration's administrators add and remove their own non-working days; the national days
(every administration) are managed by the platform administrator. The list shows, for a year,
the national days and the managed administration's own days as they fall that year (recurring
days placed in it). ``services.holidays`` checks every right again.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from mrasla_app import db
from mrasla_app.services.correspondence import holidays
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.ui import routes
from mrasla_app.ui.components.dates import day_props, parse_day
from mrasla_app.ui.components.editor import CreateForm, editor_card, row_button, rows_table
from mrasla_app.ui.components.forms import button, checkbox_field, field, name_fields
from mrasla_app.ui.components.mail import today
from mrasla_app.ui.i18n import pick, t
from mrasla_app.ui.pages.admin.common import AdminPage, AdminState, admin_layout

ROUTE = routes.ADMIN_HOLIDAYS
TITLE = "Mrasla — Jours fériés · العطل"


@dataclasses.dataclass
class Holiday:
    """A day off of the year shown (``removable``: this actor may remove it)."""

    id: int = 0
    day: str = ""  # dd/mm/yyyy
    iso: str = ""  # yyyy-mm-dd
    name_ar: str = ""
    name_fr: str = ""
    recurring: bool = False
    national: bool = False
    removable: bool = False


class HolidaysState(CreateForm, AdminPage, AdminState):
    year: int = 0
    years: list[str] = []
    rows: list[Holiday] = []

    def _clear(self) -> None:
        self.rows = []

    def _reset_page(self, new_adm: bool) -> None:
        self.creating = False
        current = today().year
        self.years = [str(y) for y in range(current - 1, current + 3)]
        if str(self.year) not in self.years:
            self.year = current

    def _reload(self, actor: Actor) -> None:
        if not self.adm_id:
            self.rows = []
            return
        with db.read_session() as session:
            entries = holidays.list_holidays(session, actor, self.adm_id, self.year)
        self.rows = [
            Holiday(
                e.id,
                e.day.strftime("%d/%m/%Y"),
                e.day.isoformat(),
                e.name_ar,
                e.name_fr,
                bool(e.recurring),
                bool(e.national),
                actor.is_platform_admin if e.national else permissions.is_admin_of(actor, e.administration_id),
            )
            for e in entries
        ]

    @rx.event
    def set_year(self, value: str):
        try:
            actor = self._admin_require()
        except DomainError as exc:
            self._fail(exc)
            return
        if str(value) in self.years:
            self.year = int(value)
        self._clear_messages()
        self._reload_safe(actor)

    @rx.event
    def create(self, form: dict):
        form = form if isinstance(form, dict) else {}
        try:
            day = parse_day(str(form.get("day", ""))[:10])
        except DomainError:
            day = None

        def action(session, actor: Actor) -> None:
            if day is None:
                raise DomainError("error.invalid_date")
            national = actor.is_platform_admin and bool(form.get("national"))
            holidays.add_holiday(
                session,
                actor,
                None if national else self.adm_id,
                day,
                str(form.get("name_ar", ""))[:200],
                str(form.get("name_fr", ""))[:200],
                recurring=bool(form.get("recurring")),
            )
            if str(day.year) in self.years and not form.get("recurring"):
                self.year = day.year

        if self._run(action, "holiday.added"):
            self.creating = False

    @rx.event
    def remove(self, holiday_id: str):
        self._run_on(holiday_id, holidays.remove_holiday, "holiday.removed")


def _create_form() -> rx.Component:
    S = HolidaysState
    return editor_card(
        t("holiday.new"),
        "holiday-new-title",
        [
            field("holiday", "day", "holiday.day", required=True, **day_props()),
            *name_fields("holiday", max_length=120),
        ],
        extras=(
            checkbox_field("holiday", "recurring", "holiday.recurring", default_checked=False),
            rx.cond(
                S.is_platform_admin,
                checkbox_field("holiday", "national", "holiday.national_check", default_checked=False),
            ),
            rx.el.p(t("holiday.recurring_hint"), class_name="hint"),
        ),
        on_submit=S.create,
        on_cancel=S.close,
        key=S.form_key,
        submit_testid="holiday-create",
    )


def _row(h: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(rx.el.span(h.day, dir="ltr", class_name="nowrap")),
        rx.el.td(pick(h.name_ar, h.name_fr)),
        rx.el.td(
            rx.cond(
                h.national,
                rx.el.span(t("holiday.national"), class_name="badge"),
                rx.el.span(t("holiday.own"), class_name="badge badge-ok"),
            )
        ),
        rx.el.td(rx.cond(h.recurring, t("holiday.every_year"), t("holiday.this_year"))),
        rx.el.td(
            rx.cond(
                h.removable,
                row_button(
                    "common.remove", HolidaysState.remove(h.id.to_string()), "holiday-remove-" + h.iso, "danger"
                ),
            )
        ),
        data_testid="holiday-row-" + h.iso,
    )


def page() -> rx.Component:
    S = HolidaysState
    return admin_layout(
        S,
        "holidays",
        "admin.holidays",
        rx.el.p(t("holiday.intro"), class_name="lead"),
        rx.el.div(
            rx.el.div(
                rx.el.label(t("holiday.year"), html_for="holiday-year", class_name="label"),
                rx.el.select(
                    rx.foreach(S.years, lambda y: rx.el.option(y, value=y)),
                    id="holiday-year",
                    value=S.year.to_string(),
                    on_change=S.set_year,
                    class_name="input select",
                    data_testid="holiday-year",
                ),
                class_name="field field-inline",
            ),
            rx.cond(~S.creating, button("holiday.new", on_click=S.open_create, data_testid="holiday-new")),
            class_name="toolbar holiday-toolbar",
        ),
        rx.cond(S.creating, _create_form()),
        rows_table(
            S.rows,
            ["holiday.day", "field.name", "holiday.scope", "holiday.repeat", "common.actions"],
            _row,
            "holiday-table",
            "holiday.empty",
            "calendar-x",
        ),
        picker_on_change=S.change_adm,
    )


ON_LOAD = HolidaysState.on_load
