"""The send panel (flow 5), shared by the folder page and the letter page.

It sends one thing: a signed folder (to the correspondent of the linked letter, another
administration of the platform, or a unit of the actor's administration), or an outgoing letter
registered "to send" (to its recipient administration). Ids stay in backend vars; every handler
re-resolves the actor and lets ``services.sending`` decide (rights, status, recipient).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import reflex as rx

from mrasla_app import db
from mrasla_app.services.correspondence import sending, views
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.ui.components.choices import Choice
from mrasla_app.ui.components.forms import card
from mrasla_app.ui.i18n import pick, t
from mrasla_app.ui.state import SessionState

ORIGINS = {"folder": "parapheur", "mail": "inbox"}  # origin -> the page right it needs


def _label(code: str, name: str) -> str:
    return f"{code} — {name}"


def _run(actor: Actor, folder_id: int, corr_id: int, choice: str) -> sending.SendResult:
    """One write transaction in a worker thread (sealing the acknowledgement runs pyHanko's own loop)."""
    with db.write_session() as session:
        if folder_id:
            kind, _, raw = choice.partition(":")
            target = int(raw) if raw.isdigit() and len(raw) < 12 else None
            if kind == "adm":
                return sending.send_folder(
                    session, actor, folder_id, to=sending.Recipient.administration, to_administration_id=target
                )
            if kind == "unit":
                return sending.send_folder(session, actor, folder_id, to=sending.Recipient.unit, to_unit_id=target)
            if kind == "correspondent":
                return sending.send_folder(session, actor, folder_id, to=sending.Recipient.correspondent)
            raise DomainError("error.sending_choose_recipient")
        return sending.send_outgoing(session, actor, corr_id)


class SendState(SessionState):
    s_open: bool = False
    s_mode: str = ""  # "folder" or "outgoing"
    s_reference: str = ""  # the folder reference or the letter's registry number
    s_correspondent_ar: str = ""  # who wrote the linked letter ("" when nobody to answer)
    s_correspondent_fr: str = ""
    s_adms: list[Choice] = []  # offered as "adm:<id>"
    s_units: list[Choice] = []  # offered as "unit:<id>"
    s_fixed_ar: str = ""  # outgoing letter: its recipient administration
    s_fixed_fr: str = ""
    s_busy: bool = False
    s_sent: str = ""  # registry number given to the sending
    s_received: str = ""  # number in the recipient administration's register
    s_key: int = 0
    _folder_id: int = 0
    _corr_id: int = 0
    _origin: str = ""

    def _reset_panel(self) -> None:
        self.s_open, self.s_busy, self.s_mode, self.s_reference = False, False, "", ""
        self.s_correspondent_ar = self.s_correspondent_fr = self.s_fixed_ar = self.s_fixed_fr = ""
        self.s_adms, self.s_units = [], []
        self._folder_id = self._corr_id = 0

    def _fill(self, panel: views.SendPanelView) -> None:
        self._folder_id, self._corr_id, self.s_reference = panel.folder_id, panel.correspondence_id, panel.reference
        self.s_fixed_ar, self.s_fixed_fr = panel.fixed.ar, panel.fixed.fr
        opts = panel.options
        if opts is None:
            self.s_mode = "outgoing"
            return
        self.s_mode = "folder"
        self.s_correspondent_ar, self.s_correspondent_fr = opts.correspondent_ar, opts.correspondent_fr
        self.s_adms = [Choice(a.id, _label(a.code, a.name_ar), _label(a.code, a.name_fr)) for a in opts.administrations]
        self.s_units = [Choice(u.id, _label(u.code, u.name_ar), _label(u.code, u.name_fr)) for u in opts.units]

    def _open(self, origin: str, item_id: str) -> None:
        self._reset_panel()
        self.s_sent = self.s_received = ""
        self._origin = origin
        value = str(item_id or "")
        if not value.isdigit() or len(value) > 11:
            return
        try:
            actor = self._require(ORIGINS[origin])
            with db.read_session() as session:
                panel = (views.send_panel_for_folder if origin == "folder" else views.send_panel_for_letter)(
                    session, actor, int(value)
                )
            self._fill(panel)
        except NotFound:
            return
        except DomainError as exc:
            self._fail(exc)
            return
        self.s_open = True
        self.s_key += 1

    @rx.event
    def open_folder(self, folder_id: str):
        """The panel for a signed folder (the folder page)."""
        self._open("folder", folder_id)

    @rx.event
    def open_mail(self, correspondence_id: str):
        """The panel on a letter page: an outgoing letter to send, or the signed folder answering the letter."""
        self._open("mail", correspondence_id)

    @rx.event
    def cancel(self):
        """Close the panel (also when a page loads: nothing of another item stays shown)."""
        self._close()

    def _close(self) -> None:
        """The panel closed and its last result forgotten (``cancel``; pages close it from their own
        ``on_load`` through ``get_state``)."""
        self._reset_panel()
        self.s_sent = self.s_received = ""

    @rx.event
    async def submit(self, form: dict):
        if self.s_busy or not self.s_open or not isinstance(form, dict):
            return
        try:
            actor = self._require(ORIGINS[self._origin])
        except DomainError as exc:
            self._fail(exc)
            return
        choice = str(form.get("recipient", "") or "")[:40]
        self.s_busy = True
        self._clear_messages()
        yield
        try:
            result = await asyncio.to_thread(_run, actor, self._folder_id, self._corr_id, choice)
        except NotFound:
            self._reset_panel()
            return
        except DomainError as exc:
            self.s_busy = False
            self._fail(exc)
            return
        origin = self._origin
        self._reset_panel()
        self.s_sent, self.s_received = result.outgoing_number, result.recipient_number or ""
        self._ok("sending.done")
        if origin == "folder":
            from mrasla_app.ui.pages.folder import FolderState

            yield FolderState.refresh
        elif origin == "mail":
            from mrasla_app.ui.pages.mail import MailState

            yield MailState.refresh


# --- components -------------------------------------------------------------------------------------


def _option(kind: str) -> Callable[[Any], rx.Component]:
    """An option of the recipient picker; its value is "<kind>:<id>", as ``_run`` reads it."""
    return lambda o: rx.el.option(pick(o.label_ar, o.label_fr), value=kind + ":" + o.id.to_string())


def send_panel() -> rx.Component:
    """The whole step on one card: what leaves, to whom, one button."""
    S = SendState
    folder_mode = S.s_mode == "folder"
    return card(
        rx.el.h2(t("sending.title"), class_name="section-title", id="send-title"),
        rx.el.p(
            rx.cond(folder_mode, t("sending.hint_folder"), t("sending.hint_outgoing")),
            " ",
            rx.el.code(S.s_reference, dir="ltr", class_name="nowrap"),
            class_name="hint",
        ),
        rx.el.form(
            rx.cond(
                folder_mode,
                rx.el.div(
                    rx.el.label(t("sending.to"), html_for="send-to", class_name="label"),
                    rx.el.select(
                        rx.el.option(t("sending.choose"), value="", disabled=True),
                        rx.cond(
                            S.s_correspondent_fr != "",
                            rx.el.option(
                                t("sending.to_correspondent"),
                                " : ",
                                pick(S.s_correspondent_ar, S.s_correspondent_fr),
                                value="correspondent",
                            ),
                        ),
                        rx.el.optgroup(rx.foreach(S.s_adms, _option("adm")), label=t("sending.group_administrations")),
                        rx.el.optgroup(rx.foreach(S.s_units, _option("unit")), label=t("sending.group_units")),
                        id="send-to",
                        name="recipient",
                        required=True,
                        default_value=rx.cond(S.s_correspondent_fr != "", "correspondent", ""),
                        class_name="input select",
                        data_testid="send-to",
                    ),
                    rx.el.p(t("sending.recipient_hint"), class_name="hint"),
                    class_name="field",
                ),
                rx.el.p(
                    t("sending.to"),
                    " : ",
                    rx.el.strong(pick(S.s_fixed_ar, S.s_fixed_fr), dir="auto"),
                    class_name="send-fixed",
                    data_testid="send-fixed",
                ),
            ),
            rx.el.div(
                rx.el.button(
                    rx.cond(
                        S.s_busy,
                        rx.icon("loader-circle", size=18, class_name="spin", aria_hidden="true"),
                        rx.icon("send", size=18, aria_hidden="true", class_name="flip-rtl"),
                    ),
                    t("sending.submit"),
                    type="submit",
                    disabled=S.s_busy,
                    class_name="btn btn-primary",
                    data_testid="send-answer",
                ),
                rx.el.button(
                    t("common.cancel"),
                    type="button",
                    on_click=S.cancel,
                    class_name="btn btn-ghost",
                    data_testid="send-cancel",
                ),
                class_name="actions",
            ),
            on_submit=S.submit,
            class_name="form send-form",
            key=S.s_key,
        ),
        aria_labelledby="send-title",
        data_testid="send-panel",
    )


def send_result() -> rx.Component:
    """What the last sending gave: its number, and the recipient administration's number."""
    S = SendState
    return rx.cond(
        S.s_sent != "",
        rx.el.p(
            rx.icon("circle-check", size=16, aria_hidden="true"),
            t("sending.sent_as"),
            " ",
            rx.el.code(S.s_sent, dir="ltr", class_name="nowrap"),
            rx.cond(
                S.s_received != "",
                rx.el.span(
                    " · ", t("sending.received_as"), " ", rx.el.code(S.s_received, dir="ltr", class_name="nowrap")
                ),
            ),
            class_name="msg msg-ok send-note",
            role="status",
            data_testid="send-result",
        ),
    )
