"""``/admin/webhooks``: an administration's administrators register the endpoints their information
system receives events on, see the secret once, send a test event and follow the deliveries.

``services/platform/webhooks.py`` checks every right again and says how deliveries are signed.
The secret is in a page var only between its creation and the next action (like the TOTP
enrolment code of the users page): the administrator must be able to copy it, nobody later.
"""

from __future__ import annotations

import dataclasses

import reflex as rx

from mrasla_app import db
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import webhooks
from mrasla_app.ui import routes
from mrasla_app.ui.components.editor import CreateForm, active_badge, editor_card, new_toolbar, row_button, rows_table
from mrasla_app.ui.components.forms import button, card, checkbox_field, empty_state, field, section_title
from mrasla_app.ui.components.mail import local_dt
from mrasla_app.ui.i18n import t
from mrasla_app.ui.pages.admin.common import AdminPage, AdminState, admin_layout

ROUTE = routes.ADMIN_WEBHOOKS
TITLE = "Mrasla — Webhooks · الإشعارات الآلية"
EVENT_FIELDS = {name.replace(".", "_"): name for name in webhooks.EVENT_TYPES}


@dataclasses.dataclass
class Endpoint:
    """A webhook endpoint (``events``: the event types it gets, comma-separated)."""

    id: int = 0
    url: str = ""
    description: str = ""
    events: str = ""
    active: bool = False


@dataclasses.dataclass
class Delivery:
    """A recent delivery and its last attempt (``answer``: HTTP status or error; ``last``: when, how long, who)."""

    id: int = 0
    at: str = ""
    url: str = ""
    event: str = ""
    status: str = ""
    attempts: int = 0
    answer: str = ""
    last: str = ""


class WebhooksState(CreateForm, AdminPage, AdminState):
    endpoints: list[Endpoint] = []
    deliveries: list[Delivery] = []
    new_secret: str = ""  # shown once, right after creation

    def _clear(self) -> None:
        self.endpoints, self.deliveries = [], []

    def _reset_page(self, new_adm: bool) -> None:
        self.creating, self.new_secret = False, ""

    def _reload(self, actor: Actor) -> None:
        if not self.adm_id:
            self.endpoints, self.deliveries = [], []
            return
        with db.read_session() as session:
            rows = webhooks.list_endpoints(session, actor, self.adm_id)
            views = webhooks.recent_deliveries(session, actor, self.adm_id, limit=30)
        self.endpoints = [
            Endpoint(e.id, e.url, e.description, ", ".join(e.events.split(",")), bool(e.active)) for e in rows
        ]
        self.deliveries = []
        for v in views:
            d, last = v.delivery, (v.attempts[-1] if v.attempts else None)
            self.deliveries.append(
                Delivery(
                    d.id,
                    local_dt(d.created_at),
                    v.url,
                    d.event_type,
                    d.status.value,
                    d.attempts,
                    answer=(str(last.status_code) if last and last.status_code else (last.error if last else "")),
                    last=(f"{local_dt(last.at)} · {last.latency_ms} ms · {last.worker}".strip(" ·") if last else ""),
                )
            )

    @rx.event
    def refresh(self):
        self.new_secret = ""
        try:
            self._reload_safe(self._admin_require())
        except DomainError as exc:
            self._fail(exc)

    @rx.event
    def create(self, form: dict):
        form = form if isinstance(form, dict) else {}
        events = [name for key, name in EVENT_FIELDS.items() if form.get(key)]
        created: list[webhooks.Created] = []
        self.new_secret = ""

        def action(session, actor: Actor) -> None:
            created.append(
                webhooks.create_endpoint(
                    session,
                    actor,
                    self.adm_id,
                    str(form.get("url", ""))[:600],
                    events,
                    str(form.get("description", ""))[:200],
                )
            )

        if self._run(action, "webhook.created"):
            self.creating, self.new_secret = False, created[0].secret

    @rx.event
    def set_active(self, endpoint_id: str, active: bool):
        self.new_secret = ""

        self._run_on(
            endpoint_id,
            lambda s, a, row: webhooks.set_active(s, a, row, bool(active)),
            "webhook.enabled" if active else "webhook.disabled",
        )

    @rx.event
    def send_test(self, endpoint_id: str):
        self.new_secret = ""

        self._run_on(endpoint_id, webhooks.send_test, "webhook.test_queued")


def _create_form() -> rx.Component:
    S = WebhooksState
    return editor_card(
        t("webhook.new"),
        "webhook-new-title",
        [
            field(
                "webhook",
                "url",
                "webhook.url",
                required=True,
                type="url",
                max_length=500,
                dir="ltr",
                placeholder="https://",
                hint_key="webhook.url_hint",
            ),
            field("webhook", "description", "webhook.description", max_length=200),
        ],
        extras=(
            rx.el.fieldset(
                rx.el.legend(t("webhook.events"), class_name="label"),
                *[
                    checkbox_field("webhook", key, f"webhook.event.{name}", default_checked=False)
                    for key, name in EVENT_FIELDS.items()
                ],
                class_name="fieldset",
            ),
        ),
        on_submit=S.create,
        on_cancel=S.close,
        key=S.form_key,
        submit_testid="webhook-create",
    )


def _secret() -> rx.Component:
    return card(
        section_title("webhook.secret_title", id="webhook-secret-title"),
        rx.el.p(t("webhook.secret_text"), class_name="muted"),
        rx.el.p(rx.el.code(WebhooksState.new_secret, dir="ltr", class_name="secret", data_testid="webhook-secret")),
        aria_labelledby="webhook-secret-title",
        role="status",
    )


def _endpoint(e: rx.Var) -> rx.Component:
    S = WebhooksState
    eid = e.id.to_string()
    return rx.el.tr(
        rx.el.td(
            rx.el.code(e.url, dir="ltr", class_name="wrap-anywhere"),
            " ",
            active_badge(e.active, off_class="badge badge-off"),
            rx.cond(e.description != "", rx.el.div(e.description)),
            rx.el.div(rx.el.span(e.events, dir="ltr"), class_name="muted wrap-anywhere"),
        ),
        rx.el.td(
            rx.cond(
                e.active,
                rx.el.div(
                    row_button("webhook.send_test", S.send_test(eid), "webhook-test-" + eid),
                    row_button("webhook.disable", S.set_active(eid, False), "webhook-disable-" + eid, "danger"),
                    class_name="actions",
                ),
                row_button("webhook.enable", S.set_active(eid, True), "webhook-enable-" + eid),
            )
        ),
        data_testid="webhook-row-" + eid,
    )


def _status(status: rx.Var) -> rx.Component:
    return rx.el.span(
        rx.match(status, *[(s.value, t(f"webhook.status.{s.value}")) for s in webhooks.DeliveryStatus], status),
        class_name=rx.match(status, ("delivered", "badge badge-ok"), ("failed", "badge badge-off"), "badge"),
    )


def _delivery(d: rx.Var) -> rx.Component:
    return rx.el.tr(
        rx.el.td(
            rx.el.code(d.event, dir="ltr"),
            rx.el.div(rx.el.span(d.url, dir="ltr"), class_name="muted wrap-anywhere"),
            rx.el.div(rx.el.span(d.at, dir="ltr", class_name="nowrap"), class_name="muted"),
        ),
        rx.el.td(_status(d.status), rx.el.div(t("webhook.attempts"), " ", d.attempts, class_name="muted nowrap")),
        rx.el.td(
            rx.el.span(d.answer, dir="ltr", class_name="wrap-anywhere"),
            rx.el.div(rx.el.span(d.last, dir="ltr"), class_name="muted"),
        ),
        data_testid="webhook-delivery-" + d.id.to_string(),
    )


def page() -> rx.Component:
    S = WebhooksState
    return admin_layout(
        S,
        "webhooks",
        "admin.webhooks",
        rx.el.p(t("webhook.intro"), class_name="lead"),
        rx.el.p(
            t("webhook.signature_hint"), " ", rx.el.code("Mrasla-Signature: t=…,v1=…", dir="ltr"), class_name="muted"
        ),
        rx.cond(S.new_secret != "", _secret()),
        new_toolbar(S.creating, "webhook.new", S.open_create, "webhook-new"),
        rx.cond(S.creating, _create_form()),
        rows_table(
            S.endpoints, ["webhook.endpoint", "common.actions"], _endpoint, "webhook-table", "webhook.empty", "webhook"
        ),
        rx.el.div(
            rx.el.h2(t("webhook.deliveries"), class_name="section-title"),
            button("webhook.refresh", kind="ghost", on_click=S.refresh, data_testid="webhook-refresh"),
            class_name="toolbar",
        ),
        rx.cond(
            S.deliveries.length() > 0,
            rx.el.div(
                rx.el.table(
                    rx.el.thead(
                        rx.el.tr(
                            *[
                                rx.el.th(t(k), scope="col")
                                for k in ("webhook.event", "field.status", "webhook.last_answer")
                            ]
                        )
                    ),
                    rx.el.tbody(rx.foreach(S.deliveries, _delivery)),
                    class_name="table",
                    data_testid="webhook-deliveries",
                ),
                class_name="table-wrap",
                tab_index=0,
                role="region",
                aria_label=t("webhook.deliveries"),
            ),
            empty_state("webhook.deliveries_empty", "send"),
        ),
        picker_on_change=S.change_adm,
    )


ON_LOAD = WebhooksState.on_load
