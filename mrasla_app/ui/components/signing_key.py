"""The "signature certificate" card of the account page: status of the actor's signing key,
enrolment with a PIN (platform certificate) and import of a PKCS#12 from another CA.

PINs and the PKCS#12 password are read from the submitted form and passed straight to
``services.signing_keys`` (never stored in the state); the forms are remounted right after so
the fields are empty. The PKCS#12 file is read with a hard cap into a backend-only var and
dropped after the import (or when the card reloads).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import reflex as rx

from mrasla_app import db
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.parapheur import signing_keys
from mrasla_app.ui.components.detail import form_actions, icon_button, labelled
from mrasla_app.ui.components.forms import card, section_title, submit
from mrasla_app.ui.components.mail import local_dt
from mrasla_app.ui.components.page_viewer import pin_input
from mrasla_app.ui.i18n import t, t_choice
from mrasla_app.ui.pages.portal.common import read_capped, real_uploads, upload_box
from mrasla_app.ui.state import SessionState

P12_MAX = 256 * 1024
P12_UPLOAD = "p12-file"
KEY_STATES = ("none", "active", "locked", "revoked", "expired")


def _enroll(actor: Actor, pin: str) -> None:
    with db.write_session() as session:
        signing_keys.enroll(session, actor, pin)


def _import(actor: Actor, data: bytes, password: str, pin: str) -> None:
    with db.write_session() as session:
        signing_keys.import_pkcs12(session, actor, data, password, pin)


def _new_pin(form: object) -> str:
    """The new PIN, typed twice in ``form`` and checked against the PIN rule."""
    form = form if isinstance(form, dict) else {}
    pin, again = str(form.get("pin", ""))[:32], str(form.get("pin2", ""))[:32]
    if pin != again:
        raise DomainError("pf.error.pin_mismatch")
    signing_keys.check_pin(pin)
    return pin


class SigningKeyState(SessionState):
    key_state: str = "none"
    key_serial: str = ""
    key_expires: str = ""
    key_source: str = ""
    key_subject: str = ""
    key_remaining: str = ""
    key_panel: str = ""  # "", "enroll", "import"
    key_busy: bool = False
    p12_name: str = ""
    key_form: int = 0
    _p12: bytes = b""

    def _key_load(self, actor: Actor) -> None:
        with db.read_session() as session:
            status = signing_keys.key_status(session, actor)
            revoked = signing_keys.revoked_serial(session, actor) if status is None else ""
        if status is not None:
            expired = status["not_after"] <= datetime.now(UTC)
            self.key_state = (
                "revoked" if status["revoked"] else "locked" if status["locked"] else "expired" if expired else "active"
            )
            self.key_serial, self.key_source = status["serial"], status["source"]
            self.key_expires, self.key_subject = local_dt(status["not_after"]), status["subject"]
            self.key_remaining = str(status["remaining_attempts"])
        else:
            self.key_state = "revoked" if revoked else "none"
            self.key_serial = revoked
            self.key_expires = self.key_source = self.key_subject = self.key_remaining = ""

    @rx.event
    def key_refresh(self):
        try:
            actor = self._require("account")
        except DomainError:
            self.key_state = "none"
            return
        self._p12, self.p12_name, self.key_panel, self.key_busy = b"", "", "", False
        self._key_load(actor)

    async def _key_work(self, fn: Callable[..., None], *args: object) -> bool:
        """``fn(*args)`` in a worker thread; a refusal is shown and the card is no longer busy."""
        try:
            await asyncio.to_thread(fn, *args)
        except DomainError as exc:
            self.key_busy = False
            self._fail(exc)
            return False
        return True

    @rx.event
    def key_open(self, panel: str):
        self.key_panel = panel if panel in ("enroll", "import") else ""
        self.key_form += 1
        self._p12, self.p12_name = b"", ""
        self._clear_messages()

    @rx.event
    async def key_enroll(self, form: dict):
        if self.key_busy:
            return
        try:
            actor = self._require("account")
            pin = _new_pin(form)
        except DomainError as exc:
            self.key_form += 1
            self._fail(exc)
            return
        self.key_busy = True
        self.key_form += 1
        yield
        done = await self._key_work(_enroll, actor, pin)
        pin = ""  # noqa: F841 - not kept anywhere
        if not done:
            return
        self.key_busy, self.key_panel = False, ""
        self._key_load(actor)
        self._ok("pf.key.enrolled")

    @rx.event
    async def key_p12(self, files: list[rx.UploadFile]):
        try:
            self._require("account")
        except DomainError as exc:
            self._fail(exc)
            return
        uploads = real_uploads(files)
        if not uploads:
            return
        data = await read_capped(uploads[0], P12_MAX)
        if not data:
            self._p12, self.p12_name = b"", ""
            self._fail(DomainError("error.pkcs12_invalid"))
            return
        self._p12 = data
        self.p12_name = (uploads[0].filename or "certificate.p12")[:120]
        self._clear_messages()

    @rx.event
    async def key_import(self, form: dict):
        if self.key_busy:
            return
        try:
            actor = self._require("account")
            password = str(form.get("password", ""))[:256] if isinstance(form, dict) else ""
            if not self._p12:
                raise DomainError("error.pkcs12_invalid")
            pin = _new_pin(form)
        except DomainError as exc:
            self.key_form += 1
            self._fail(exc)
            return
        data = self._p12
        self.key_busy = True
        self.key_form += 1
        yield
        done = await self._key_work(_import, actor, data, password, pin)
        pin = password = ""  # noqa: F841 - not kept anywhere
        if not done:
            return
        self._p12, self.p12_name = b"", ""
        self.key_busy, self.key_panel = False, ""
        self._key_load(actor)
        self._ok("pf.key.imported")


def _pin_fields(prefix: str) -> list[rx.Component]:
    def one(name: str, label: str) -> rx.Component:
        fid = f"{prefix}-{name}"
        return labelled(label, fid, pin_input(fid, testid=fid, name=name, auto_complete="new-password"))

    return [
        one("pin", "pf.key.pin_new"),
        one("pin2", "pf.key.pin_again"),
        rx.el.p(t("pf.key.pin_rule"), class_name="hint"),
    ]


def signing_key_card() -> rx.Component:
    S = SigningKeyState
    return card(
        section_title("pf.key.title", id="key-title"),
        rx.el.p(
            rx.el.span(
                t_choice(S.key_state, "pf.key.state.", list(KEY_STATES)),
                class_name=rx.cond(S.key_state == "active", "badge badge-ok", "badge"),
                data_testid="key-status",
                data_state=S.key_state,
            ),
        ),
        rx.cond(
            S.key_serial != "",
            rx.el.dl(
                rx.el.dt(t("pf.key.serial")),
                rx.el.dd(rx.el.code(S.key_serial, dir="ltr", class_name="hash")),
                rx.cond(
                    S.key_expires != "",
                    rx.fragment(rx.el.dt(t("pf.key.expires")), rx.el.dd(rx.el.span(S.key_expires, dir="ltr"))),
                ),
                class_name="dl",
            ),
        ),
        rx.el.p(t("pf.key.intro"), class_name="hint"),
        rx.cond(
            S.key_panel == "enroll",
            rx.el.form(
                *_pin_fields("key-enroll"),
                form_actions(submit("parapheur.enroll", "key-enroll-submit", disabled=S.key_busy), S.key_open("")),
                on_submit=S.key_enroll,
                class_name="form",
                key=S.key_form,
            ),
            rx.cond(
                S.key_panel == "import",
                rx.el.div(
                    upload_box(
                        P12_UPLOAD,
                        S.key_p12(rx.upload_files(upload_id=P12_UPLOAD)),
                        "pf.key.p12_choose",
                        "pf.key.p12_hint",
                        accept={"application/x-pkcs12": [".p12", ".pfx"]},
                        multiple=False,
                        icon="key-round",
                    ),
                    rx.cond(
                        S.p12_name != "",
                        rx.el.p(
                            rx.icon("file-key", size=16, aria_hidden="true"),
                            rx.el.span(S.p12_name, dir="auto"),
                            class_name="file-meta",
                        ),
                    ),
                    rx.el.form(
                        labelled(
                            "pf.key.p12_password",
                            "key-import-password",
                            rx.el.input(
                                id="key-import-password",
                                name="password",
                                type="password",
                                auto_complete="off",
                                dir="ltr",
                                class_name="input",
                                data_testid="key-import-password",
                            ),
                        ),
                        *_pin_fields("key-import"),
                        form_actions(submit("pf.key.import", "key-import-submit", disabled=S.key_busy), S.key_open("")),
                        on_submit=S.key_import,
                        class_name="form",
                        key=S.key_form,
                    ),
                ),
                rx.el.div(
                    icon_button(
                        "key-round",
                        rx.cond(S.key_state == "none", t("parapheur.enroll"), t("pf.key.renew")),
                        S.key_open("enroll"),
                        kind="primary",
                        size=16,
                        testid="key-enroll-open",
                    ),
                    icon_button("file-key", "pf.key.import", S.key_open("import"), size=16, testid="key-import-open"),
                    class_name="actions",
                ),
            ),
        ),
        aria_labelledby="key-title",
        data_testid="signing-key-card",
        on_mount=S.key_refresh,
    )
