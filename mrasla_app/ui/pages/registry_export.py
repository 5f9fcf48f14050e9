"""``/registry/export``: the legal registers (incoming, outgoing, internal) of a period, as CSV or PDF.

For registry clerks (the register names citizens and subjects). The page only builds the links: the
files come from the authorised API routes ``/api/v1/registers/{direction}.csv|.pdf`` (session
cookie, rights checked by ``services.exports``, ``Cache-Control: private, no-store``), downloaded by
the browser itself — no file bytes through the websocket. The period is checked here too, so a
bad period shows a message next to the dates instead of a JSON download.
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import reflex as rx

from mrasla_app.i18n import translate
from mrasla_app.services.correspondence import exports
from mrasla_app.services.errors import DomainError
from mrasla_app.settings import TIMEZONE
from mrasla_app.ui import routes
from mrasla_app.ui.components.dates import day_input, day_text, parse_day
from mrasla_app.ui.components.forms import messages, option, page_title
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.components.mail import DIRECTIONS
from mrasla_app.ui.i18n import pick, t
from mrasla_app.ui.pages.registry_new import registry_tabs
from mrasla_app.ui.state import SessionState

ROUTE = routes.REGISTRY_EXPORT
PAGE = "registers"
TITLE = "Mrasla — Registres · السجلات"


def _today() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def _period(start: str, end: str) -> tuple[date, date] | str:
    """The typed period as days, or the catalogue key refusing it (same rules as the export service)."""
    try:
        lo, hi = parse_day(start), parse_day(end)
    except DomainError as exc:
        return exc.code
    if lo is None or hi is None:
        return "error.invalid_date"
    if hi < lo:
        return "error.invalid_period"
    if (hi - lo).days >= exports.MAX_PERIOD_DAYS:
        return "error.period_too_long"
    return lo, hi


class RegistersState(SessionState):
    direction: str = "incoming"
    start: str = ""
    end: str = ""
    is_clerk: bool = False
    period_ar: str = ""
    period_fr: str = ""
    period_en: str = ""
    csv_href: str = ""
    pdf_href: str = ""

    def _refresh(self) -> None:
        period = _period(self.start, self.end)
        if isinstance(period, str):  # a refusal: the catalogue key
            code = period
            self.period_ar = translate(code, "ar", max=exports.MAX_PERIOD_DAYS)
            self.period_fr = translate(code, "fr", max=exports.MAX_PERIOD_DAYS)
            self.period_en = translate(code, "en", max=exports.MAX_PERIOD_DAYS)
            self.csv_href = self.pdf_href = ""
            return
        self.period_ar = self.period_fr = self.period_en = ""
        params = {"from": period[0].isoformat(), "to": period[1].isoformat()}
        self.csv_href = routes.register_export_path(self.direction, "csv") + "?" + urlencode(params)
        self.pdf_href = routes.register_export_path(self.direction, "pdf") + "?" + urlencode(params)

    def _check(self) -> bool:
        try:
            self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            self.csv_href = self.pdf_href = ""
            return False
        return True

    @rx.event
    def on_load(self):
        actor, redirect = self._guard(PAGE)
        self.csv_href = self.pdf_href = ""
        if actor is None:
            return redirect
        self.is_clerk = actor.has_role("clerk")
        today = day_text(_today())
        self.start = self.start or today
        self.end = self.end or today
        self._refresh()
        return None

    @rx.event
    def set_direction(self, value: str):
        if self._check():
            self.direction = value if value in DIRECTIONS else "incoming"
            self._refresh()

    @rx.event
    def set_start(self, value: str):
        if self._check():
            self.start = str(value)[:10]
            self._refresh()

    @rx.event
    def set_end(self, value: str):
        if self._check():
            self.end = str(value)[:10]
            self._refresh()


def _download(href: rx.Var, label_key: str, icon: str, testid: str, primary: bool) -> rx.Component:
    return rx.cond(
        href != "",
        rx.el.a(
            rx.icon(icon, size=18, aria_hidden="true"),
            t(label_key),
            href=href,
            download=True,
            reload_document=True,
            class_name="btn " + ("btn-primary" if primary else "btn-secondary"),
            data_testid=testid,
        ),
        rx.el.span(
            rx.icon(icon, size=18, aria_hidden="true"),
            t(label_key),
            aria_disabled="true",
            class_name="btn btn-secondary is-disabled",
        ),
    )


def page() -> rx.Component:
    S = RegistersState
    return layout(
        rx.cond(S.is_clerk, registry_tabs("export")),
        page_title("export.title"),
        rx.el.p(t("export.intro"), class_name="lead"),
        messages(SessionState),
        rx.el.section(
            rx.el.div(
                rx.el.div(
                    rx.el.label(t("mail.direction"), html_for="export-direction", class_name="label"),
                    rx.el.select(
                        *[option(d, t(f"export.direction.{d}")) for d in DIRECTIONS],
                        id="export-direction",
                        value=S.direction,
                        on_change=S.set_direction,
                        class_name="input select",
                        data_testid="export-direction",
                    ),
                    class_name="field",
                ),
                rx.el.div(
                    rx.el.label(t("inbox.date_from"), html_for="export-from", class_name="label"),
                    day_input(
                        "export-from",
                        "from",
                        value=S.start,
                        on_change=S.set_start,
                        data_testid="export-from",
                        aria_describedby=rx.cond(S.period_fr != "", "export-period-error", ""),
                    ),
                    class_name="field",
                ),
                rx.el.div(
                    rx.el.label(t("inbox.date_to"), html_for="export-to", class_name="label"),
                    day_input(
                        "export-to",
                        "to",
                        value=S.end,
                        on_change=S.set_end,
                        data_testid="export-to",
                        aria_invalid=rx.cond(S.period_fr != "", "true", "false"),
                        aria_describedby=rx.cond(S.period_fr != "", "export-period-error", ""),
                    ),
                    class_name="field",
                ),
                class_name="form-grid",
            ),
            rx.cond(
                S.period_fr != "",
                rx.el.p(
                    rx.icon("circle-alert", size=16, aria_hidden="true"),
                    rx.el.span(pick(S.period_ar, S.period_fr, S.period_en)),
                    id="export-period-error",
                    role="alert",
                    class_name="field-error",
                    data_testid="export-period-error",
                ),
            ),
            rx.el.p(t("export.hint"), class_name="hint"),
            rx.el.div(
                _download(S.csv_href, "export.csv", "file-spreadsheet", "export-csv", True),
                _download(S.pdf_href, "export.pdf", "file-text", "export-pdf", False),
                class_name="actions",
            ),
            class_name="card form",
            aria_label=t("export.title"),
        ),
        active=PAGE,
    )


ON_LOAD = RegistersState.on_load
