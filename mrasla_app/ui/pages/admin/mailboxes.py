"""``/admin/mailboxes``: the mailboxes the worker reads for e-mail intake (IMAP over TLS).

Administrators of an administration add one (the password goes straight to the service, which
seals it; it is never sent back to the browser), test the connection and disable or enable it.
``services.correspondence.mailboxes`` checks every right again.
"""

from __future__ import annotations

import asyncio
import dataclasses
from zoneinfo import ZoneInfo

import reflex as rx

from mrasla_app import db
from mrasla_app.i18n import translate
from mrasla_app.services.correspondence import mailboxes
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, FieldErrors
from mrasla_app.settings import TIMEZONE
from mrasla_app.ui import routes
from mrasla_app.ui.components.choices import Choice, unit_choices
from mrasla_app.ui.components.editor import CreateForm, editor_card, new_toolbar, row_button, rows_table
from mrasla_app.ui.components.forms import field, option, select_field
from mrasla_app.ui.i18n import pick, t
from mrasla_app.ui.pages.admin.common import AdminPage, AdminState, admin_layout

ROUTE = routes.ADMIN_MAILBOXES
TITLE = "Mrasla — Boîtes e-mail · صناديق البريد"


def _first_field_error(exc: DomainError) -> DomainError:
    """A form refusal shown as its first field's message (the fields are few and labelled)."""
    if isinstance(exc, FieldErrors) and exc.fields:
        return DomainError(next(iter(exc.fields.values())))
    return exc


@dataclasses.dataclass
class Mailbox:
    """A mailbox the platform reads (``checked``: when it was last read; ``error``: what went wrong then)."""

    id: int = 0
    label: str = ""
    server: str = ""
    username: str = ""
    folder: str = ""
    active: bool = False
    error: str = ""
    checked: str = ""


class MailboxesState(CreateForm, AdminPage, AdminState):
    rows: list[Mailbox] = []
    units: list[Choice] = []  # the administration's units: where new mail is addressed

    def _clear(self) -> None:
        self.rows = []

    def _reload(self, actor: Actor) -> None:
        if not self.adm_id:
            self.rows = []
            return
        with db.read_session() as session:
            boxes = mailboxes.list_for(session, actor, self.adm_id)
            nodes = directory.unit_tree(session, self.adm_id, active_only=True)
        self.units = unit_choices(nodes)
        zone = ZoneInfo(TIMEZONE)
        self.rows = [
            Mailbox(
                b.id,
                b.label,
                f"{b.host}:{b.port}",
                b.username,
                b.folder,
                bool(b.active),
                b.last_error,
                b.last_checked_at.astimezone(zone).strftime("%d/%m/%Y %H:%M") if b.last_checked_at else "",
            )
            for b in boxes
        ]

    @rx.event
    def create(self, form: dict):
        form = form if isinstance(form, dict) else {}
        port = str(form.get("port", "993")).strip()
        unit = str(form.get("unit", "")).strip()

        def action(session, actor: Actor) -> None:
            try:
                mailboxes.add(
                    session,
                    actor,
                    self.adm_id,
                    mailboxes.MailboxInput(
                        label=str(form.get("label", ""))[:200],
                        host=str(form.get("host", ""))[:300],
                        port=int(port) if port.isdigit() and len(port) <= 5 else 0,
                        username=str(form.get("username", ""))[:300],
                        password=str(form.get("password", ""))[:300],
                        folder=str(form.get("folder", "") or "INBOX")[:300],
                        unit_id=int(unit) if unit.isdigit() and len(unit) < 10 else None,
                    ),
                )
            except FieldErrors as exc:
                raise _first_field_error(exc) from None

        if self._run(action, "mailbox.added"):
            self.creating = False

    def _known(self, mailbox_id: str) -> int:
        """A row id the browser sends is trusted only when this page listed it (rights re-checked)."""
        if str(mailbox_id) not in [str(r.id) for r in self.rows]:
            raise DomainError("error.not_found")
        return int(mailbox_id)

    @rx.event
    def toggle(self, mailbox_id: str):
        def action(session, actor: Actor) -> None:
            box_id = self._known(mailbox_id)
            box = mailboxes.get(session, actor, box_id)
            mailboxes.set_active(session, actor, box_id, not box.active)

        self._run(action, "mailbox.saved")

    @rx.event
    async def check(self, mailbox_id: str):
        """Connect now (off the event loop) and say how many messages the folder holds."""
        try:
            actor = self._admin_require()
            box_id = self._known(mailbox_id)
        except DomainError as exc:
            self._fail(exc)
            return

        def probe() -> int:
            with db.read_session() as session:
                return mailboxes.test(session, actor, box_id)

        try:
            count = await asyncio.to_thread(probe)
        except DomainError as exc:
            self._fail(exc)
            return
        self._clear_messages()
        self.notice_ar, self.notice_fr, self.notice_en = (
            translate("mailbox.test_ok", lang, count=count) for lang in ("ar", "fr", "en")
        )


def _create_form() -> rx.Component:
    S = MailboxesState
    return editor_card(
        t("mailbox.new"),
        "mailbox-new-title",
        [
            field("mailbox", "label", "mailbox.label", required=True, max_length=120),
            field(
                "mailbox",
                "host",
                "mailbox.host",
                required=True,
                max_length=255,
                dir="ltr",
                placeholder="imap.exemple.gov.ma",
            ),
            field(
                "mailbox",
                "port",
                "mailbox.port",
                required=True,
                default_value="993",
                input_mode="numeric",
                max_length=5,
                dir="ltr",
            ),
            field("mailbox", "username", "mailbox.username", required=True, max_length=255, dir="ltr"),
            field(
                "mailbox",
                "password",
                "mailbox.password",
                type="password",
                required=True,
                max_length=255,
                autocomplete="new-password",
                dir="ltr",
            ),
            field("mailbox", "folder", "mailbox.folder", default_value="INBOX", max_length=255, dir="ltr"),
            select_field(
                "mailbox",
                "unit",
                "mailbox.unit",
                [
                    option("", t("mailbox.unit_none")),
                    rx.foreach(S.units, lambda u: rx.el.option(pick(u.label_ar, u.label_fr), value=u.id)),
                ],
            ),
        ],
        extras=(rx.el.p(t("mailbox.tls_hint"), class_name="hint"),),
        on_submit=S.create,
        on_cancel=S.close,
        key=S.form_key,
        submit_testid="mailbox-create",
    )


def _row(b: rx.Var) -> rx.Component:
    bid = b.id.to_string()
    return rx.el.tr(
        rx.el.td(rx.el.strong(b.label), rx.el.div(b.username, dir="ltr", class_name="muted")),
        rx.el.td(rx.el.span(b.server, dir="ltr", class_name="nowrap"), " · ", rx.el.span(b.folder, dir="ltr")),
        rx.el.td(
            rx.cond(
                b.active,
                rx.el.span(t("mailbox.active"), class_name="badge badge-ok"),
                rx.el.span(t("mailbox.disabled"), class_name="badge"),
            )
        ),
        rx.el.td(
            rx.cond(b.checked != "", rx.el.span(b.checked, dir="ltr", class_name="nowrap"), "—"),
            rx.cond(b.error != "", rx.el.div(b.error, dir="ltr", class_name="field-error")),
        ),
        rx.el.td(
            rx.el.div(
                row_button("mailbox.test", MailboxesState.check(bid), "mailbox-test-" + bid),
                rx.el.button(
                    rx.cond(b.active, t("mailbox.disable"), t("mailbox.enable")),
                    type="button",
                    class_name="btn btn-small btn-ghost",
                    on_click=MailboxesState.toggle(bid),
                    data_testid="mailbox-toggle-" + bid,
                ),
                class_name="actions",
            )
        ),
        data_testid="mailbox-row-" + bid,
    )


def page() -> rx.Component:
    S = MailboxesState
    return admin_layout(
        S,
        "mailboxes",
        "admin.mailboxes",
        rx.el.p(t("mailbox.intro"), class_name="lead"),
        new_toolbar(S.creating, "mailbox.new", S.open_create, "mailbox-new"),
        rx.cond(S.creating, _create_form()),
        rows_table(
            S.rows,
            ["mailbox.label", "mailbox.server", "mailbox.status", "mailbox.checked", "common.actions"],
            _row,
            "mailbox-table",
            "mailbox.empty",
            "mail",
        ),
        picker_on_change=S.change_adm,
    )


ON_LOAD = MailboxesState.on_load
