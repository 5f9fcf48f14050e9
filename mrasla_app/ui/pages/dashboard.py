"""``/dashboard``: the management dashboard of heads of unit and administrators.

Figures come from ``services.dashboard`` (scoped to the actor: a head sees their branch, an
administrator the whole administration). Charts are Recharts (``rx.recharts``); every label is in
both languages in the data and the chart is mirrored in Arabic (time and categories run right to
left, the value axis on the right). The key figures are also plain text (tiles and a table).
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from mrasla_app import db
from mrasla_app.i18n import translate
from mrasla_app.services.correspondence import dashboard
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.ui import routes
from mrasla_app.ui.components.forms import messages, page_title, section_title
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import CATALOGS, by_lang, pick, t
from mrasla_app.ui.state import SessionState

ROUTE = routes.DASHBOARD
PAGE = "dashboard"
TITLE = "Mrasla — Tableau de bord · لوحة القيادة"
PRIMARY = "#0f5c55"
ACCENT = "#c8a24a"
DANGER = "#b42318"


def _fmt_days(value: float | None) -> str:
    return "—" if value is None else (f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}")


@dataclasses.dataclass
class UnitLoad:
    """A unit's line of the table: open and overdue letters, and the bar's length (percent of the busiest)."""

    code: str = ""
    name_ar: str = ""
    name_fr: str = ""
    open: int = 0
    overdue: int = 0
    pct: int = 0


class DashboardState(SessionState):
    loaded: bool = False
    scope: str = ""
    open_total: int = 0
    overdue: int = 0
    median: str = "—"
    processed: int = 0
    queues: list[dict[str, str | int]] = []  # {key, label_ar, label_fr, label_en, count}
    units: list[UnitLoad] = []
    per_day: list[dict[str, str | int]] = []  # {day, portal, other}
    days_total: int = 0

    def _fetch(self, actor: Actor) -> None:
        with db.read_session() as session:
            b = dashboard.dashboard(session, actor)
        self.scope, self.open_total, self.overdue = b.scope, b.open_total, b.overdue
        self.median, self.processed = _fmt_days(b.median_days), b.processed
        self.queues = [
            {
                "key": k,
                "label_ar": translate(f"status.{k}", "ar"),
                "label_fr": translate(f"status.{k}", "fr"),
                "label_en": translate(f"status.{k}", "en"),
                "count": n,
            }
            for k, n in b.queues.items()
        ]
        top = max((u.open for u in b.units), default=0) or 1
        self.units = [
            UnitLoad(u.code, u.name_ar, u.name_fr, u.open, u.overdue, round(100 * u.open / top)) for u in b.units
        ]
        self.per_day = [{"day": f"{d.day:%d/%m}", "portal": d.portal, "other": d.other} for d in b.per_day]
        self.days_total = sum(d.total for d in b.per_day)
        self.loaded = True

    def _clear(self) -> None:
        self.loaded, self.scope, self.queues, self.units, self.per_day = False, "", [], [], []
        self.open_total = self.overdue = self.processed = self.days_total = 0
        self.median = "—"

    @rx.event
    def on_load(self):
        actor, redirect = self._guard(PAGE)
        self._clear()
        if actor is None:
            return redirect
        try:
            self._fetch(actor)
        except DomainError as exc:
            self._fail(exc)
        return None

    @rx.event
    def refresh(self):
        try:
            self._fetch(self._require(PAGE))
        except DomainError as exc:
            self._clear()
            self._fail(exc)


# --- components ---------------------------------------------------------------------------------


def _tile(label_key: str, value: rx.Var, testid: str, note: rx.Component | None = None, tone: str = "") -> rx.Component:
    return rx.el.div(
        rx.el.span(t(label_key), class_name="kpi-label"),
        rx.el.span(value, class_name="kpi-value", data_testid=testid),
        note if note is not None else rx.fragment(),
        class_name=f"kpi {tone}".strip(),
    )


def _queues_chart(lang: str) -> rx.Component:
    ar = lang == "ar"
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key=f"label_{lang}", reversed=ar, interval=0, tick_line=False, height=60, angle=0),
        rx.recharts.y_axis(allow_decimals=False, orientation="right" if ar else "left", width=40),
        rx.recharts.graphing_tooltip(),
        rx.recharts.bar(
            data_key="count",
            name=CATALOGS[lang]["dash.items"],
            fill=PRIMARY,
            is_animation_active=False,
            radius=[4, 4, 0, 0],
        ),
        data=DashboardState.queues,
        width="100%",
        height=280,
        margin={"top": 10, "right": 10, "left": 10, "bottom": 0},
    )


def _days_chart(lang: str) -> rx.Component:
    ar = lang == "ar"
    cat = CATALOGS[lang]
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key="day", reversed=ar, interval="preserveStartEnd", tick_line=False),
        rx.recharts.y_axis(allow_decimals=False, orientation="right" if ar else "left", width=40),
        rx.recharts.graphing_tooltip(),
        rx.recharts.legend(),
        rx.recharts.bar(
            data_key="portal", name=cat["dash.portal"], stack_id="a", fill=PRIMARY, is_animation_active=False
        ),
        rx.recharts.bar(
            data_key="other", name=cat["dash.other_channels"], stack_id="a", fill=ACCENT, is_animation_active=False
        ),
        data=DashboardState.per_day,
        width="100%",
        height=280,
        margin={"top": 10, "right": 10, "left": 10, "bottom": 0},
    )


def _chart_card(title_key: str, chart, testid: str, caption: rx.Component | None = None) -> rx.Component:
    tid = f"{testid}-title"
    return rx.el.section(
        section_title(title_key, id=tid),
        caption if caption is not None else rx.fragment(),
        rx.el.div(
            by_lang(chart("ar"), chart("fr"), chart("en")),
            class_name="chart-box",
            dir="ltr",  # the chart mirrors itself (reversed axes); keep the SVG coordinate space
            role="img",
            aria_labelledby=tid,
            data_testid=testid,
        ),
        class_name="card chart-card",
        aria_labelledby=tid,
    )


def _unit_row(u: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(
            rx.el.div(
                rx.el.strong(pick(u.name_ar, u.name_fr)),
                rx.el.code(u.code, dir="ltr", class_name="muted unit-code"),
                class_name="unit-cell",
            )
        ),
        rx.el.td(
            rx.el.div(
                rx.el.span(class_name="bar-fill", style={"width": u.pct.to_string() + "%"}),
                class_name="bar-track",
                aria_hidden="true",
            ),
            rx.el.span(u.open.to_string(), class_name="bar-num", dir="ltr"),
            class_name="bar-cell",
        ),
        rx.el.td(
            rx.el.span(u.overdue.to_string(), dir="ltr", class_name=rx.cond(u.overdue > 0, "badge badge-late", "muted"))
        ),
        data_testid="dash-unit-" + u.code,
    )


def _units() -> rx.Component:
    S = DashboardState
    return rx.el.section(
        section_title("dash.by_unit", id="dash-units-title"),
        rx.cond(
            S.units.length() > 0,
            rx.el.div(
                rx.el.table(
                    rx.el.thead(
                        rx.el.tr(
                            rx.el.th(t("mail.action_unit"), scope="col"),
                            rx.el.th(t("dash.open"), scope="col"),
                            rx.el.th(t("dash.overdue"), scope="col"),
                        )
                    ),
                    rx.el.tbody(rx.foreach(S.units, _unit_row)),
                    class_name="table dash-units",
                    data_testid="dash-units",
                ),
                class_name="table-wrap",
            ),
            rx.el.p(t("dash.no_units"), class_name="muted"),
        ),
        class_name="card",
        aria_labelledby="dash-units-title",
    )


def page() -> rx.Component:
    S = DashboardState
    return layout(
        page_title("dash.title"),
        rx.el.p(
            rx.cond(S.scope == "administration", t("dash.scope.administration"), t("dash.scope.branch")),
            class_name="lead",
            data_testid="dash-scope",
        ),
        messages(SessionState),
        rx.cond(
            S.loaded,
            rx.fragment(
                rx.el.div(
                    _tile("dash.open", S.open_total.to_string(), "dash-open"),
                    _tile(
                        "dash.overdue",
                        S.overdue.to_string(),
                        "dash-overdue",
                        tone=rx.cond(S.overdue > 0, "kpi-alert", ""),
                    ),
                    _tile(
                        "dash.median",
                        S.median,
                        "dash-median",
                        rx.el.span(t("dash.median_note"), " (", S.processed.to_string(), ")", class_name="kpi-note"),
                    ),
                    _tile("dash.deposits30", S.days_total.to_string(), "dash-deposits"),
                    class_name="kpis",
                ),
                rx.el.div(
                    _chart_card("dash.by_queue", _queues_chart, "dash-queues-chart"),
                    _chart_card("dash.per_day", _days_chart, "dash-days-chart"),
                    class_name="dash-grid",
                ),
                _units(),
                rx.el.div(
                    rx.el.button(
                        rx.icon("refresh-cw", size=18, aria_hidden="true"),
                        t("dash.refresh"),
                        type="button",
                        on_click=S.refresh,
                        class_name="btn btn-ghost",
                        data_testid="dash-refresh",
                    ),
                    class_name="toolbar",
                ),
            ),
        ),
        active=PAGE,
        wide=True,
    )


ON_LOAD = DashboardState.on_load
