"""``/track``: follow a deposit with its registry number and the e-mail/phone given at deposit.

Step 1 asks for both and always answers the same ("if the details match, a code was sent"), so
the form reveals nothing. Step 2 takes the one-time code; on success the correspondence id is
kept in a backend-only var and the public tracking view is shown.

``on_load`` runs at every (re)hydration, including when the socket reconnects after the user
switched to their mail or SMS app to read the code: it must not reset the step the user is in
(that sent them back to step 1, they asked again and the code they had read was refused), nor
remount the forms (a ``key=`` bump erases what is being typed while the page hydrates).

The code step also survives a lost server state: the registry number whose code was asked is kept in
the tab's ``sessionStorage`` (``pending``), which the browser sends back at every connection. A phone
that returns from its SMS app on a new connection while the old one has not timed out yet is given a
fresh state by Reflex (it looks like a duplicated tab); the page then comes back at the code step
instead of step 1. Only the number is kept there, never the tracking view: the code is checked by the
tracking service (expiry, attempts) whatever number the browser sends.
"""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from mrasla_app import db
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import notifications
from mrasla_app.services.portal import tracking
from mrasla_app.ui import routes
from mrasla_app.ui.components.forms import button, card, field, message, messages, page_title, submit
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import t
from mrasla_app.ui.pages.portal.common import PortalState, TrackingViewMixin, form_data, track_limit, tracking_view

ROUTE = routes.TRACK
TITLE = "Suivre mon courrier · تتبع مراسلتي — Mrasla"
FORM = "track"


def _registry_number(typed: str) -> str:
    """A registry number as typed (form) or kept (``pending``): spaces collapsed, upper case, bounded."""
    return " ".join(typed.split()).upper()[:60]


class TrackState(TrackingViewMixin, PortalState):
    stage: str = "ask"  # ask → code → view
    number: str = ""
    sent_ar: str = ""
    sent_fr: str = ""
    sent_en: str = ""

    pending: str = rx.SessionStorage("", name="mrasla_track_pending")  # "<number>|<asked at>", this tab only

    _registry_number: str = ""
    _correspondence_id: int = 0
    _code_asked_at: float = 0.0

    @rx.event
    def on_load(self):
        """Keep the step in progress (see module docstring); a code step older than the code expires."""
        self._show_actor(self._actor())
        self._clear_messages()
        if self.stage == "view" and self._show_tracking(self._correspondence_id):
            return
        if self.stage != "code":
            self._restore_code_step()
        if self.stage == "code" and time.time() - self._code_asked_at < tracking.CODE_TTL.total_seconds():
            return
        self._start_over()

    def _restore_code_step(self) -> None:
        """Back to the code step from the tab's ``pending`` (a fresh server state, see module docstring)."""
        typed, _, asked_at = self.pending.rpartition("|")
        number = _registry_number(typed)
        try:
            asked = float(asked_at)
        except ValueError:
            return
        if number:
            self._code_step(number, min(asked, time.time()))

    def _code_step(self, number: str, asked_at: float) -> None:
        self.number, self._registry_number, self.stage, self._code_asked_at = number, number, "code", asked_at
        self.pending = f"{number}|{asked_at:.0f}"
        self.sent_ar, self.sent_fr, self.sent_en = self._texts("track.code_sent")

    def _start_over(self) -> None:
        self.stage, self.sent_ar, self.sent_fr, self.sent_en, self.pending = "ask", "", "", "", ""
        self._registry_number, self._correspondence_id, self._code_asked_at = "", 0, 0.0
        self._set_view(None)

    @rx.event
    async def request_code(self, form: dict):
        form = form_data(form)
        number = _registry_number(str(form.get("number", "")))
        contact = str(form.get("contact", "")).strip()[:255]
        try:
            self._limit(track_limit)
            if not number or not contact:
                raise DomainError("error.required")
        except DomainError as exc:
            self._fail(exc)
            return

        def work() -> list[int]:
            with db.write_session() as session:
                return tracking.request_code(session, number, contact)

        queued = await asyncio.to_thread(work)
        if queued:  # sent in the background: the answer takes the same time whether or not it matched
            asyncio.get_running_loop().run_in_executor(None, notifications.deliver, queued)
        self._clear_messages()
        self._code_step(number, time.time())  # wall clock: workers may differ

    @rx.event
    def confirm(self, form: dict):
        form = form_data(form)
        code = tracking.normalize_code(str(form.get("code", ""))[:24])
        if self.stage != "code" or not self._registry_number:
            return
        with db.write_session() as session:
            corr = tracking.confirm_code(session, self._registry_number, code) if code.isdigit() else None
            corr_id = corr.id if corr is not None else 0
        if not corr_id:
            self._fail(DomainError("error.tracking_code_invalid"))
            return
        self._clear_messages()
        self._correspondence_id = corr_id
        self._show_tracking(self._correspondence_id)
        self.stage, self.pending = "view", ""

    @rx.event
    def restart(self):
        self._clear_messages()
        self._start_over()


def _ask() -> rx.Component:
    return rx.el.form(
        field(
            FORM,
            "number",
            "track.number",
            required=True,
            hint_key="track.number_hint",
            dir="ltr",
            auto_capitalize="characters",
            default_value=TrackState.number,
        ),
        field(
            FORM,
            "contact",
            "track.contact",
            required=True,
            hint_key="citizen.track_contact_hint",
            autocomplete="email",
            dir="ltr",
        ),
        submit("track.send_code", "track-send"),
        on_submit=TrackState.request_code,
        class_name="form",
    )


def _code() -> rx.Component:
    return rx.fragment(
        message(TrackState.sent_ar, TrackState.sent_fr, TrackState.sent_en, ok=True, testid="track-code-sent"),
        rx.el.form(
            field(
                FORM,
                "code",
                "track.code",
                required=True,
                autocomplete="one-time-code",
                input_mode="numeric",
                pattern="[0-9٠-٩۰-۹]{6}",
                max_length=6,
                dir="ltr",
                auto_focus=True,
            ),
            rx.el.div(
                submit("track.confirm", "track-confirm"),
                button("track.restart", kind="ghost", on_click=TrackState.restart, data_testid="track-restart"),
                class_name="actions",
            ),
            on_submit=TrackState.confirm,
            class_name="form",
        ),
    )


def page() -> rx.Component:
    return layout(
        page_title("track.title"),
        messages(TrackState),
        rx.match(
            TrackState.stage,
            (
                "view",
                rx.fragment(
                    tracking_view(TrackState),
                    button("track.restart", kind="ghost", on_click=TrackState.restart, data_testid="track-restart"),
                ),
            ),
            ("code", card(_code(), class_name="narrow")),
            card(rx.el.p(t("track.intro"), class_name="muted"), _ask(), class_name="narrow"),
        ),
        active="track",
    )


ON_LOAD = TrackState.on_load
