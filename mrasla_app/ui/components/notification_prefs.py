"""The "notifications" card of the account page: daily digest, e-mail per new folder, push on this
device (Web Push through the installed app's service worker, where the browser allows it).

The push subscription is made by the browser (``window.mraslaPush.subscribe`` in
``assets/pwa/parapheur.js``, with the platform's public VAPID key) and handed back as JSON to
``push_saved``, which stores it for the signed-in user only.
"""

from __future__ import annotations

import json

import reflex as rx

from mrasla_app import db
from mrasla_app.services.errors import DomainError
from mrasla_app.services.parapheur import push, reminders
from mrasla_app.services.platform import notifications
from mrasla_app.ui.components.forms import card, checkbox_field, section_title
from mrasla_app.ui.i18n import t
from mrasla_app.ui.state import SessionState

PAGE = "account"


class NotificationPrefsState(SessionState):
    n_digest: bool = True
    n_email: bool = True
    n_push: bool = False
    n_devices: int = 0  # browsers subscribed to push
    n_push_problem: str = ""  # "", "unsupported", "denied"
    n_form: int = 0

    def _n_load(self, user_id: int) -> None:
        with db.read_session() as session:
            prefs = reminders.preferences(session, user_id)
            self.n_devices = notifications.push_devices(session, user_id)
        self.n_digest, self.n_email, self.n_push = prefs.digest, prefs.email_new, prefs.push
        self.n_form += 1

    @rx.event
    def prefs_refresh(self):
        try:
            actor = self._require(PAGE)
        except DomainError:
            return
        self.n_push_problem = ""
        self._n_load(actor.user_id)

    @rx.event
    def prefs_save(self, form: dict):
        """Digest and e-mail as ticked; push stays on only if this person has a subscribed browser."""
        try:
            actor = self._require(PAGE)
            form = form if isinstance(form, dict) else {}
            with db.write_session() as session:
                reminders.set_preferences(
                    session,
                    actor,
                    digest=bool(form.get("digest")),
                    email_new=bool(form.get("email_new")),
                    push_on=bool(form.get("push")) and self.n_devices > 0,
                )
        except DomainError as exc:
            self._fail(exc)
            return
        self._n_load(actor.user_id)
        self._ok("account.notif_saved")

    @rx.event
    def push_enable(self):
        """Ask this browser for a push subscription (the answer comes back to ``push_saved``)."""
        try:
            self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            return None
        key = push.public_key()
        return rx.call_script(
            f"window.mraslaPush.subscribe({json.dumps(key)})", callback=NotificationPrefsState.push_saved
        )

    @rx.event
    def push_saved(self, result: str):
        """The browser's subscription (JSON), or why there is none."""
        try:
            actor = self._require(PAGE)
            text = str(result or "")[:4000]
            if text in ("unsupported", "denied", ""):
                self.n_push_problem = text or "unsupported"
                return
            try:
                subscription = json.loads(text)
            except ValueError as exc:
                raise DomainError("account.push_invalid") from exc
            with db.write_session() as session:
                push.subscribe(session, actor.user_id, subscription)
                prefs = reminders.preferences(session, actor.user_id)
                reminders.set_preferences(session, actor, digest=prefs.digest, email_new=prefs.email_new, push_on=True)
        except DomainError as exc:
            self._fail(exc)
            return
        self.n_push_problem = ""
        self._n_load(actor.user_id)
        self._ok("account.push_on")

    @rx.event
    def push_disable(self):
        """Forget every browser subscription of this person and turn push off."""
        try:
            actor = self._require(PAGE)
            with db.write_session() as session:
                push.unsubscribe_all(session, actor.user_id)
                prefs = reminders.preferences(session, actor.user_id)
                reminders.set_preferences(session, actor, digest=prefs.digest, email_new=prefs.email_new, push_on=False)
        except DomainError as exc:
            self._fail(exc)
            return
        self._n_load(actor.user_id)
        self._ok("account.notif_saved")


def notification_card() -> rx.Component:
    S = NotificationPrefsState
    return card(
        section_title("account.notif_title", id="notif-title"),
        rx.el.p(t("account.notif_intro"), class_name="hint"),
        rx.el.form(
            checkbox_field("notif", "digest", "account.notif_digest", default_checked=S.n_digest),
            checkbox_field("notif", "email_new", "account.notif_email", default_checked=S.n_email),
            rx.cond(S.n_devices > 0, checkbox_field("notif", "push", "account.notif_push", default_checked=S.n_push)),
            rx.el.div(
                rx.el.button(t("common.save"), type="submit", class_name="btn btn-primary", data_testid="notif-save"),
                class_name="actions",
            ),
            on_submit=S.prefs_save,
            class_name="form",
            key=S.n_form,
            data_testid="notif-form",
        ),
        rx.el.div(
            rx.el.p(
                rx.icon("bell-ring", size=16, aria_hidden="true"),
                rx.cond(S.n_devices > 0, t("account.push_devices"), t("account.push_none")),
                rx.cond(S.n_devices > 0, rx.el.span(" ", rx.el.strong(S.n_devices.to_string()))),
                class_name="file-meta",
                data_testid="push-status",
            ),
            rx.cond(
                S.n_push_problem == "denied",
                rx.el.p(t("account.push_denied"), class_name="msg msg-error", role="alert"),
            ),
            rx.cond(
                S.n_push_problem == "unsupported", rx.el.p(t("account.push_unsupported"), class_name="msg msg-info")
            ),
            rx.el.div(
                rx.el.button(
                    rx.icon("bell-plus", size=16, aria_hidden="true"),
                    t("account.push_enable"),
                    type="button",
                    on_click=S.push_enable,
                    class_name="btn btn-secondary",
                    data_testid="push-enable",
                ),
                rx.cond(
                    S.n_devices > 0,
                    rx.el.button(
                        t("account.push_disable"),
                        type="button",
                        on_click=S.push_disable,
                        class_name="btn btn-ghost",
                        data_testid="push-disable",
                    ),
                ),
                class_name="actions",
            ),
            class_name="notif-push",
        ),
        aria_labelledby="notif-title",
        class_name="notif-card",
        data_testid="notif-card",
        on_mount=S.prefs_refresh,
    )
