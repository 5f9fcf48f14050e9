"""``/deposit``: the citizen's deposit wizard (flow 1), phone first, no login.

Steps: administration (searchable directory, optional unit) → identity → letter and attachments →
review and submit. Each step is checked on the server with ``deposits.validate`` (the service
checks everything again at submit). Attachments are read with a hard cap, inspected by content
at once and spooled to a private directory on disk (``services/platform/spool.py``): the backend-only state
``DepositFiles`` keeps only their names and spool ids; never in memory, never in Reflex's public
upload directory, never sent back to the browser (only their names and sizes are).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import reflex as rx

from mrasla_app import db
from mrasla_app.api.limits import Limiter
from mrasla_app.i18n import translate
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.errors import DomainError, FieldErrors
from mrasla_app.services.portal import deposits, views
from mrasla_app.services.portal.deposits import DepositForm
from mrasla_app.settings import get_settings
from mrasla_app.ui import routes
from mrasla_app.ui.components.choices import INDENT, Choice, Coded, unit_choices
from mrasla_app.ui.components.files import file_row
from mrasla_app.ui.components.forms import (
    button,
    card,
    field,
    field_error,
    messages,
    option,
    page_title,
    radio_field,
    select_field,
)
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.components.uploads import files_upload
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.portal import deposit_html
from mrasla_app.ui.pages.portal.common import (
    ID_KINDS,
    PortalState,
    UploadList,
    dl_row,
    form_data,
    local_datetime,
    size_text,
)

ROUTE = routes.DEPOSIT
TITLE = "Déposer un courrier · إيداع مراسلة — Mrasla"
FORM = "deposit"
UPLOAD_ID = "deposit-files"
STEPS = ("administration", "identity", "letter", "review")
# Which step shows (and fixes) each field the service may refuse.
STEP_OF_FIELD = {
    "administration": 1,
    "unit": 1,
    "full_name": 2,
    "id_kind": 2,
    "id_value": 2,
    "email": 2,
    "phone": 2,
    "subject": 3,
    "message": 3,
    "files": 3,
}

# At most 5 deposits per 10 minutes from one client address (each worker counts on its own).
submit_limit = Limiter("portal-deposit", limit=5, window=600)


class DepositFiles(rx.State):
    """The accepted attachments as (name, spool id), server-side only; a separate leaf state so the
    wizard's other events do not load or re-save them."""

    _files: list[tuple[str, str]] = []


@dataclasses.dataclass
class DirectoryEntry(Coded):
    """An administration found in the public directory (step 1)."""

    city_ar: str = ""
    city_fr: str = ""


class DepositState(UploadList, PortalState):
    step: int = 1
    busy: bool = False
    # Step 1: directory search and choice (display data; the id stays on the server).
    query: str = ""
    results: list[DirectoryEntry] = []
    adm_code: str = ""
    adm_name_ar: str = ""
    adm_name_fr: str = ""
    units: list[Choice] = []  # the chosen administration's units, indented by depth
    unit_id: str = ""
    # Steps 2–3: what the depositor typed (their own data, shown again on the review step).
    full_name: str = ""
    id_kind: str = "CIN"
    id_value: str = ""
    email: str = ""
    phone: str = ""
    subject: str = ""
    message: str = ""
    limits_ar: str = ""
    limits_fr: str = ""
    limits_en: str = ""
    form_key: int = 0
    # Per-field messages from the server, in every interface language.
    errors_ar: dict[str, str] = {}
    errors_fr: dict[str, str] = {}
    errors_en: dict[str, str] = {}
    # After submit: the receipt page (the links carry the depositor's own access token).
    done: bool = False
    number: str = ""
    registered_ar: str = ""
    registered_fr: str = ""
    registered_en: str = ""
    unit_name_ar: str = ""
    unit_name_fr: str = ""
    receipt_href: str = ""
    receipt_name: str = ""
    tracking_href: str = ""
    emailed: bool = False

    _adm_id: int = 0
    _idempotency_key: str = ""

    # --- helpers ------------------------------------------------------------------------------

    async def _reset_wizard(self, remount: bool = True) -> None:
        """A new, empty wizard with a new idempotency key.

        ``remount`` renews the forms' ``key=`` so inputs still showing an earlier deposit are emptied;
        a fresh tab's forms are already empty and must not remount while the page hydrates: that
        erased what the citizen was typing (``on_load`` passes ``remount=False`` then)."""
        form_key = self.form_key
        self.reset()  # this state's own fields, backend ones included
        self.form_key = form_key + 1 if remount else form_key
        self._idempotency_key = uuid.uuid4().hex
        await self._discard_files()
        self._search("")

    def _search(self, query: str) -> None:
        self.query = query[:100]
        with db.read_session() as session:
            rows = directory.public_directory(session, self.query, limit=deposit_html.SHOWN)
        self.results = [
            DirectoryEntry(a.id, a.code, a.name_ar, a.name_fr, a.city_ar or "", a.city_fr or "") for a in rows
        ]

    def _form(self, files: list[tuple[str, bytes]] | None = None) -> DepositForm:
        return DepositForm(
            administration_id=self._adm_id,
            unit_id=int(self.unit_id) if self.unit_id.isdigit() else None,
            full_name=self.full_name,
            id_kind=self.id_kind,
            id_value=self.id_value,
            email=self.email,
            phone=self.phone,
            subject=self.subject,
            message=self.message,
            lang=self._lang(),
            idempotency_key=self._idempotency_key,
            files=files or [],
        )

    def _set_errors(self, fields: dict[str, str | tuple[str, dict]]) -> None:
        ar, fr, en = {}, {}, {}
        for name, code in fields.items():
            key, params = code if isinstance(code, tuple) else (code, {})
            ar[name], fr[name], en[name] = (translate(key, lang, **params) for lang in ("ar", "fr", "en"))
        self.errors_ar, self.errors_fr, self.errors_en = ar, fr, en

    def _check_step(self, step: int) -> bool:
        """Server-side check of the fields of ``step`` (and of every earlier step): True when clean."""
        refused: dict[str, str | tuple[str, dict]] = {}
        if not self._adm_id:
            refused["administration"] = "error.choose_administration"
        try:
            with db.read_session() as session:
                deposits.validate(session, dataclasses.replace(self._form(), files=[]))
        except FieldErrors as exc:
            refused = {**exc.fields, **refused}
        refused = {name: code for name, code in refused.items() if STEP_OF_FIELD.get(name, 3) <= step}
        self._set_errors(refused)
        if refused:
            self.step = min(STEP_OF_FIELD.get(name, 3) for name in refused)
            self._clear_messages()
            return False
        return True

    def _store_type(self) -> type[rx.State]:
        return DepositFiles

    def _may_upload(self) -> bool:
        """Anyone may add files to their own wizard, until it is submitted."""
        return not self.done

    # --- events ---------------------------------------------------------------------------------

    @rx.event
    async def on_load(self):
        self._show_actor(self._actor())
        self._clear_messages()
        if self.done or not self._idempotency_key:
            await self._reset_wizard(remount=self.done)
        else:  # a reload keeps the draft; refresh the directory
            self._search(self.query)
        s = get_settings()
        self.limits_ar, self.limits_fr, self.limits_en = self._texts(
            "deposit.limits", max=s.max_files, mb=s.max_upload_mb
        )
        self.busy = False

    @rx.event
    def load_done(self):
        """``on_load`` of the receipt page: only after a deposit made from this tab."""
        self._show_actor(self._actor())
        self._clear_messages()
        if not self.done:
            return rx.redirect(routes.DEPOSIT, replace=True)

    @rx.event
    def search(self, value: str):
        self._search(str(value))

    @rx.event
    def choose(self, administration_id: str):
        adm_id = int(administration_id) if str(administration_id).isdigit() else 0
        with db.read_session() as session:
            adm = views.deposit_destination(session, adm_id)
        if adm is None:
            self._set_errors({"administration": "error.unknown_administration"})
            return
        self._adm_id = adm.id
        self.adm_code, self.adm_name_ar, self.adm_name_fr = adm.code, adm.name_ar, adm.name_fr
        self.units = unit_choices(adm.units)
        self.unit_id = ""
        self._set_errors({})

    @rx.event
    def change_administration(self):
        self._adm_id, self.adm_code, self.adm_name_ar, self.adm_name_fr = 0, "", "", ""
        self.units, self.unit_id = [], ""
        self._set_errors({})

    @rx.event
    def set_unit(self, value: str):
        value = str(value)
        self.unit_id = value if any(str(u.id) == value for u in self.units) else ""

    @rx.event
    def go(self, step: int):
        """Back to an earlier step (forward only through the checks)."""
        if not self.done and isinstance(step, int) and 1 <= step < self.step:
            self.step = step
            self.form_key += 1
            self._set_errors({})
            self._clear_messages()

    @rx.event
    def next_from_administration(self):
        if self._check_step(1):
            self.step = 2

    @rx.event
    def save_identity(self, form: dict):
        form = form_data(form)
        self.full_name = str(form.get("full_name", ""))[:300]
        self.id_kind = "ICE" if str(form.get("id_kind", "")).upper() == "ICE" else "CIN"
        self.id_value = str(form.get("id_value", ""))[:40]
        self.email = str(form.get("email", ""))[:300]
        self.phone = str(form.get("phone", ""))[:40]
        if self._check_step(2):
            self.step = 3
            self.form_key += 1

    @rx.event
    def save_letter(self, form: dict):
        form = form_data(form)
        self.subject = str(form.get("subject", ""))[:400]
        self.message = str(form.get("message", ""))[: deposits.MAX_MESSAGE + 1]
        if self._check_step(3):
            self.step = 4

    @rx.event
    async def submit(self):
        if self.done or self.busy:  # a double click: the first one is being (or was) handled
            return
        if not self._check_step(3):
            return
        try:
            self._limit(submit_limit)
        except DomainError as exc:
            self._fail(exc)
            return
        self.busy = True
        self._clear_messages()
        yield
        try:
            form, ip = self._form(await self._uploaded()), self._client_ip()
        except DomainError as exc:  # the spool expired: the files must be added again
            self.busy = False
            await self._discard_files()
            self.step = 3
            self._fail(exc)
            return
        try:
            result = await asyncio.to_thread(deposits.submit_and_notify, form, ip=ip)
        except FieldErrors as exc:
            self.busy = False
            self._set_errors(dict(exc.fields))
            self.step = min(STEP_OF_FIELD.get(name, 3) for name in exc.fields)
            self.form_key += 1
            self._fail(exc)
            return
        except DomainError as exc:
            self.busy = False
            self._fail(exc)
            return
        unit = next((u for u in self.units if str(u.id) == self.unit_id), None)
        when = local_datetime(result.registered_at)
        self.number = result.registry_number
        self.registered_ar, self.registered_fr, self.registered_en = when["ar"], when["fr"], when["en"]
        self.unit_name_ar = unit.label_ar.strip(INDENT) if unit else ""
        self.unit_name_fr = unit.label_fr.strip(INDENT) if unit else ""
        self.receipt_href = routes.receipt_path(result.reference, result.access_token)
        self.receipt_name = f"accuse-{result.reference}.pdf"
        self.tracking_href = routes.tracking_path(result.reference, result.access_token)
        self.emailed = bool(form.email.strip())
        self.done, self.busy = True, False
        await self._discard_files()
        self._set_errors({})
        yield rx.redirect(routes.DEPOSIT_DONE)

    @rx.event
    async def start_over(self):
        await self._reset_wizard()
        return rx.redirect(routes.DEPOSIT)


ERRORS = (DepositState.errors_ar, DepositState.errors_fr, DepositState.errors_en)


# --- components -------------------------------------------------------------------------------


def _steps() -> rx.Component:
    def item(i: int, key: str) -> rx.Component:
        return rx.el.li(
            rx.el.span(str(i), class_name="step-num", aria_hidden="true"),
            rx.el.span(t(f"deposit.step.{key}"), class_name="step-label"),
            class_name=rx.cond(
                DepositState.step == i, "step is-current", rx.cond(DepositState.step > i, "step is-done", "step")
            ),
            aria_current=rx.cond(DepositState.step == i, "step", None),
        )

    return rx.el.ol(
        *[item(i, key) for i, key in enumerate(STEPS, start=1)],
        class_name="steps",
        aria_label=t("deposit.steps_label"),
        data_testid="deposit-steps",
    )


def _nav(back_to: int | None, next_button: rx.Component) -> rx.Component:
    return rx.el.div(
        button("common.back", kind="ghost", on_click=DepositState.go(back_to), data_testid="deposit-back")
        if back_to
        else rx.fragment(),
        next_button,
        class_name="wizard-nav",
    )


def _next(testid: str, **props) -> rx.Component:
    props.setdefault("type", "submit")
    return rx.el.button(
        t("common.next"),
        rx.icon("arrow-right", size=18, aria_hidden="true", class_name="flip-rtl"),
        class_name="btn btn-primary",
        data_testid=testid,
        **props,
    )


def _adm_card(a: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.button(
            rx.el.span(rx.icon("landmark", size=22, aria_hidden="true"), class_name="adm-icon"),
            rx.el.span(
                rx.el.span(pick(a.name_ar, a.name_fr), class_name="adm-name"),
                rx.el.span(rx.el.code(a.code, dir="ltr"), " · ", pick(a.city_ar, a.city_fr), class_name="adm-meta"),
                class_name="adm-body",
            ),
            type="button",
            on_click=DepositState.choose(a.id.to_string()),
            class_name="adm-card",
            data_testid="adm-result",
            data_code=a.code,
        )
    )


def _step_administration() -> rx.Component:
    return rx.cond(
        DepositState.adm_code != "",
        rx.el.div(
            rx.el.p(t("deposit.chosen"), class_name="label"),
            rx.el.div(
                rx.icon("landmark", size=22, aria_hidden="true"),
                rx.el.span(
                    rx.el.strong(pick(DepositState.adm_name_ar, DepositState.adm_name_fr), data_testid="adm-chosen"),
                    rx.el.code(DepositState.adm_code, dir="ltr", class_name="muted"),
                    class_name="adm-body",
                ),
                button(
                    "deposit.change",
                    kind="ghost",
                    class_name="btn-small",
                    on_click=DepositState.change_administration,
                    data_testid="adm-change",
                ),
                class_name="adm-chosen",
            ),
            select_field(
                FORM,
                "unit",
                "deposit.unit_label",
                [
                    option("", t("deposit.unit_any")),
                    rx.foreach(DepositState.units, lambda u: option(u.id, pick(u.label_ar, u.label_fr))),
                ],
                value=DepositState.unit_id,
                on_change=DepositState.set_unit,
                errors=ERRORS,
            ),
            _nav(None, _next("deposit-next-1", type="button", on_click=DepositState.next_from_administration)),
            class_name="form",
        ),
        rx.el.div(
            field(
                FORM,
                "search",
                "deposit.search_label",
                type="search",
                hint_key="deposit.search_hint",
                default_value=DepositState.query,
                on_change=DepositState.search.debounce(250),
                errors=ERRORS,
                enter_key_hint="search",
                key=DepositState.form_key,
            ),
            field_error(ERRORS, "administration", f"{FORM}-administration"),
            rx.cond(
                DepositState.results.length() > 0,
                rx.el.ul(
                    rx.foreach(DepositState.results, _adm_card),
                    class_name="adm-list",
                    data_testid="adm-results",
                    aria_live="polite",
                ),
                rx.cond(
                    rx.State.is_hydrated,
                    rx.el.p(t("deposit.no_results"), class_name="muted", role="status"),
                    deposit_html.slot(),  # the directory, in the HTML the server sends
                ),
            ),
            class_name="form",
        ),
    )


def _step_identity() -> rx.Component:
    return rx.el.form(
        field(
            FORM,
            "full_name",
            "deposit.full_name",
            required=True,
            autocomplete="name",
            default_value=DepositState.full_name,
            errors=ERRORS,
            max_length=150,
            dir="auto",
        ),
        radio_field(
            FORM,
            "id_kind",
            "deposit.id_kind",
            [("CIN", "deposit.id_kind.CIN"), ("ICE", "deposit.id_kind.ICE")],
            value=DepositState.id_kind,
            errors=ERRORS,
        ),
        field(
            FORM,
            "id_value",
            "deposit.id_value",
            required=True,
            hint_key="deposit.id_hint",
            default_value=DepositState.id_value,
            errors=ERRORS,
            dir="ltr",
            auto_capitalize="characters",
            max_length=20,
        ),
        rx.el.p(t("deposit.contact_hint"), class_name="hint"),
        field(
            FORM,
            "email",
            "deposit.email",
            type="email",
            autocomplete="email",
            input_mode="email",
            default_value=DepositState.email,
            errors=ERRORS,
            dir="ltr",
        ),
        field(
            FORM,
            "phone",
            "deposit.phone",
            type="tel",
            autocomplete="tel",
            input_mode="tel",
            default_value=DepositState.phone,
            errors=ERRORS,
            dir="ltr",
        ),
        _nav(1, _next("deposit-next-2")),
        on_submit=DepositState.save_identity,
        id="deposit-identity",
        class_name="form",
        key=DepositState.form_key,
        no_validate=True,  # the server's messages, in both languages, replace the browser's
    )


def _file_row(f: rx.Var, index: rx.Var) -> rx.Component:
    return file_row(f, DepositState.remove_file(index), "deposit-file")


def _files_list(removable: bool) -> rx.Component:
    return rx.cond(
        DepositState.files.length() > 0,
        rx.el.ul(
            rx.foreach(DepositState.files, _file_row)
            if removable
            else rx.foreach(
                DepositState.files,
                lambda f: rx.el.li(
                    rx.icon("paperclip", size=18, aria_hidden="true", class_name="file-icon"),
                    rx.el.span(
                        rx.el.span(f.name, class_name="file-name", dir="auto"),
                        rx.el.span(size_text(f), class_name="file-meta"),
                        class_name="file-body",
                    ),
                    class_name="file-row",
                ),
            ),
            class_name="file-list",
            data_testid="deposit-files-list",
        ),
        rx.el.p(t("deposit.files_none"), class_name="muted"),
    )


def _step_letter() -> rx.Component:
    return rx.el.div(
        rx.el.form(
            field(
                FORM,
                "subject",
                "deposit.subject",
                required=True,
                default_value=DepositState.subject,
                errors=ERRORS,
                max_length=255,
                dir="auto",
            ),
            field(
                FORM,
                "message",
                "deposit.message",
                multiline=True,
                default_value=DepositState.message,
                errors=ERRORS,
                rows=6,
                max_length=deposits.MAX_MESSAGE,
                dir="auto",
            ),
            on_submit=DepositState.save_letter,
            id="deposit-letter",
            class_name="form",
            key=DepositState.form_key,
            no_validate=True,
        ),
        rx.el.div(
            rx.el.p(t("deposit.files"), class_name="label", id=f"{FORM}-files-label"),
            rx.el.p(
                t("deposit.files_hint"),
                " ",
                pick(DepositState.limits_ar, DepositState.limits_fr, DepositState.limits_en),
                class_name="hint",
            ),
            files_upload(DepositState, UPLOAD_ID, FORM, ERRORS, icon="camera"),
            _files_list(removable=True),
            class_name="field files-field",
        ),
        _nav(2, _next("deposit-next-3", form="deposit-letter")),
        class_name="form",
    )


def _review_section(step: int, title_key: str, *rows: rx.Component) -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.h3(t(title_key), class_name="subsection-title"),
            button(
                "deposit.edit",
                kind="ghost",
                class_name="btn-small",
                on_click=DepositState.go(step),
                data_testid=f"deposit-edit-{step}",
            ),
            class_name="card-head",
        ),
        *rows,
        class_name="review-section",
    )


def _step_review() -> rx.Component:
    return rx.el.div(
        rx.el.h2(t("deposit.review_title"), class_name="section-title"),
        _review_section(
            1,
            "deposit.step.administration",
            rx.el.dl(
                *dl_row("deposit.administration", pick(DepositState.adm_name_ar, DepositState.adm_name_fr)),
                rx.cond(
                    DepositState.unit_id != "",
                    rx.fragment(
                        *dl_row(
                            "deposit.unit",
                            rx.foreach(
                                DepositState.units,
                                lambda u: rx.cond(
                                    u.id.to_string() == DepositState.unit_id, pick(u.label_ar, u.label_fr), ""
                                ),
                            ),
                        )
                    ),
                ),
                class_name="dl dl-stack",
            ),
        ),
        _review_section(
            2,
            "deposit.step.identity",
            rx.el.dl(
                *dl_row("deposit.full_name", DepositState.full_name, dir="auto"),
                *dl_row(
                    "deposit.id_value",
                    rx.el.span(
                        t_choice(DepositState.id_kind, "citizen.id_short.", ID_KINDS),
                        " ",
                        rx.el.bdi(DepositState.id_value, dir="ltr"),
                    ),
                ),
                rx.cond(DepositState.email != "", rx.fragment(*dl_row("deposit.email", DepositState.email, dir="ltr"))),
                rx.cond(DepositState.phone != "", rx.fragment(*dl_row("deposit.phone", DepositState.phone, dir="ltr"))),
                class_name="dl dl-stack",
            ),
        ),
        _review_section(
            3,
            "deposit.step.letter",
            rx.el.dl(
                *dl_row("deposit.subject", DepositState.subject, dir="auto"),
                rx.cond(
                    DepositState.message != "",
                    rx.fragment(*dl_row("deposit.message", DepositState.message, class_name="pre-wrap", dir="auto")),
                ),
                class_name="dl dl-stack",
            ),
            _files_list(removable=False),
        ),
        rx.el.p(t("deposit.review_note"), class_name="muted"),
        rx.el.div(
            button("common.back", kind="ghost", on_click=DepositState.go(3), data_testid="deposit-back"),
            rx.el.button(
                rx.cond(
                    DepositState.busy,
                    rx.icon("loader-circle", size=18, class_name="spin", aria_hidden="true"),
                    rx.icon("send", size=18, aria_hidden="true", class_name="flip-rtl"),
                ),
                rx.cond(DepositState.busy, t("deposit.submitting"), t("deposit.submit")),
                type="button",
                on_click=DepositState.submit,
                disabled=DepositState.busy,
                aria_busy=DepositState.busy,
                class_name="btn btn-primary btn-wide",
                data_testid="deposit-submit",
            ),
            class_name="wizard-nav",
        ),
    )


def page() -> rx.Component:
    return layout(
        page_title("deposit.title"),
        rx.el.p(t("deposit.intro"), class_name="lead"),
        _steps(),
        messages(DepositState),
        card(
            rx.match(
                DepositState.step,
                (1, _step_administration()),
                (2, _step_identity()),
                (3, _step_letter()),
                _step_review(),
            ),
            class_name="wizard",
            data_testid="deposit-wizard",
            data_step=DepositState.step,
        ),
        active="deposit",
    )


def done_view() -> rx.Component:
    """The receipt page: number, time, links to the sealed receipt and to tracking."""
    return rx.cond(
        DepositState.done,
        rx.el.div(
            rx.el.div(
                rx.icon("circle-check-big", size=48, aria_hidden="true", class_name="done-icon"),
                rx.el.h1(t("deposit.done_title"), id="page-title", data_testid="page-title", class_name="page-title"),
                rx.el.p(t("deposit.number"), class_name="label"),
                rx.el.p(DepositState.number, class_name="big-number", dir="ltr", data_testid="deposit-number"),
                class_name="done-head",
            ),
            card(
                rx.el.dl(
                    *dl_row(
                        "deposit.registered_at",
                        pick(DepositState.registered_ar, DepositState.registered_fr, DepositState.registered_en),
                        data_testid="deposit-time",
                    ),
                    *dl_row("deposit.administration", pick(DepositState.adm_name_ar, DepositState.adm_name_fr)),
                    rx.cond(
                        DepositState.unit_name_fr != "",
                        rx.fragment(
                            *dl_row("deposit.unit", pick(DepositState.unit_name_ar, DepositState.unit_name_fr))
                        ),
                    ),
                    *dl_row("deposit.subject", DepositState.subject, dir="auto"),
                    class_name="dl dl-stack",
                ),
                rx.el.div(
                    rx.el.a(
                        rx.icon("download", size=20, aria_hidden="true"),
                        t("deposit.download"),
                        href=DepositState.receipt_href,
                        download=DepositState.receipt_name,
                        reload_document=True,  # an API file, not a page: let the browser download it
                        class_name="btn btn-primary btn-block",
                        data_testid="receipt-download",
                    ),
                    rx.el.a(
                        rx.icon("search", size=20, aria_hidden="true"),
                        t("deposit.track"),
                        href=DepositState.tracking_href,
                        class_name="btn btn-secondary btn-block",
                        data_testid="tracking-link",
                    ),
                    class_name="done-actions",
                ),
                rx.cond(
                    DepositState.emailed,
                    rx.el.p(
                        rx.icon("mail-check", size=18, aria_hidden="true"),
                        t("deposit.emailed"),
                        class_name="note",
                        data_testid="deposit-emailed",
                    ),
                ),
                rx.el.p(t("deposit.keep_link"), class_name="muted"),
            ),
            button("deposit.new", kind="ghost", on_click=DepositState.start_over, data_testid="deposit-new"),
            class_name="done",
        ),
        rx.el.div(rx.icon("loader-circle", size=32, class_name="spin", aria_hidden="true"), class_name="empty-state"),
    )


ON_LOAD = DepositState.on_load
