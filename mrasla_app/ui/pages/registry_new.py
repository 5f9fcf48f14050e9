"""``/registry/new``: registering mail that did not come through the portal (flow 2).

- incoming paper or e-mail mail (registry clerks): sender, subject, type, priority and the scans;
- outgoing letters (clerks for any unit, agents and heads for their own units);
- internal notes from one unit to another.

Scans are read with a hard cap and inspected by content at once (``files.inspect``); their bytes
stay in a backend-only leaf state (``RegisterFiles``), never in Reflex's public upload directory.
After registration the page shows the new number and offers the QR label. The label carries the
registration's verification token, which exists in clear only at that moment (the database keeps
its hash): the id and the token are kept in backend vars of this tab, and ``download_label``
renders the PDF on demand and sends it with ``rx.download(data=...)`` over the authenticated
websocket — a small file, no URL carrying the token (logs, history, Referer), no extra route to
protect, and only the person who registered it, in this tab, can print it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from mrasla_app import db
from mrasla_app.i18n import translate
from mrasla_app.services.correspondence import contacts, paper, registry, scoping
from mrasla_app.services.directory import administrations as directory
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, FieldErrors
from mrasla_app.ui import routes
from mrasla_app.ui.components.choices import Choice, Named, unit_choices
from mrasla_app.ui.components.files import file_row
from mrasla_app.ui.components.forms import (
    field,
    icon_button,
    messages,
    nav_tabs,
    option,
    page_title,
    radio_field,
    select_field,
)
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.components.mail import MAIL_TYPES, PRIORITIES, local_dt
from mrasla_app.ui.components.uploads import files_upload
from mrasla_app.ui.i18n import pick, t
from mrasla_app.ui.pages.portal.common import UploadList, form_data
from mrasla_app.ui.state import SessionState

ROUTE = routes.REGISTRY_NEW
PAGE = "register"
TITLE = "Mrasla — Enregistrer un courrier · تسجيل مراسلة"
FORM = "reg"
UPLOAD_ID = "reg-files"
KINDS = ("incoming", "outgoing", "internal")
PICKER_CONTACTS = 300  # contacts offered in the addressee picker (by name; the contacts page searches all)
SHEETS = ("label", "a4")


def _int(value: Any) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() else None


def _s(form: dict, name: str, limit: int = 300) -> str:
    return str(form.get(name, "") or "")[:limit]


class RegisterFiles(rx.State):
    """The accepted scans as (name, spool id), server-side only (a leaf state: other events do not load them)."""

    _files: list[tuple[str, str]] = []  # (name, spool id)


class RegisterState(UploadList, SessionState):
    kind: str = "outgoing"
    kinds: list[str] = []
    units: list[Choice] = []  # all active units of the administration (indented by depth)
    own_units: list[Choice] = []  # where the actor may register from (outgoing / internal)
    administrations: list[Choice] = []  # the other administrations
    contacts: list[Named] = []  # the contacts directory, for the addressee picker
    values: dict[str, str] = {}  # what was last submitted (refilled after a refusal)
    errors_ar: dict[str, str] = {}
    errors_fr: dict[str, str] = {}
    errors_en: dict[str, str] = {}
    busy: bool = False
    form_key: int = 0
    done: bool = False
    done_kind: str = ""
    done_number: str = ""
    done_at: str = ""
    done_send_href: str = ""  # an outgoing letter for a platform administration: still to send, from its page
    _label_id: int = 0
    _label_secret: str = ""  # the QR token of the fresh registration (shown once, printed on the label)

    # --- helpers ------------------------------------------------------------------------------

    def _load_options(self, actor: Actor) -> None:
        adm_id = actor.administration_id
        with db.read_session() as session:
            nodes = directory.unit_tree(session, adm_id, active_only=True) if adm_id else []
            clerk = bool(adm_id and paper.units_of(session, actor, adm_id, "clerk"))
            own = set() if clerk or not adm_id else paper.units_of(session, actor, adm_id, "agent", "head")
            adms = directory.public_directory(session, "", limit=500)
            entries = contacts.search(session, actor, adm_id, limit=PICKER_CONTACTS) if adm_id else []
        self.contacts = [Named(c.id, " · ".join(filter(None, (contacts.display_name(c), c.email)))) for c in entries]
        rows = unit_choices(nodes)
        self.units = rows
        self.own_units = rows if clerk else [r for r in rows if r.id in own]
        self.administrations = [Choice(a.id, a.name_ar, f"{a.name_fr} ({a.code})") for a in adms if a.id != adm_id]
        self.kinds = [k for k in KINDS if k != "incoming" or clerk]
        if not self.own_units and "outgoing" in self.kinds and not clerk:
            self.kinds = [k for k in self.kinds if k != "outgoing"]
        if self.kind not in self.kinds:
            self.kind = self.kinds[0] if self.kinds else ""

    def _set_errors(self, fields: dict) -> None:
        ar, fr, en = {}, {}, {}
        for name, code in fields.items():
            key, params = code if isinstance(code, tuple) else (code, {})
            ar[name], fr[name], en[name] = (translate(key, lang, **params) for lang in ("ar", "fr", "en"))
        self.errors_ar, self.errors_fr, self.errors_en = ar, fr, en

    def _store_type(self) -> type[rx.State]:
        return RegisterFiles

    def _may_upload(self) -> bool:
        try:
            self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            return False
        return True

    def _forget_label(self) -> None:
        self._label_id, self._label_secret = 0, ""
        self.done, self.done_kind, self.done_number, self.done_at, self.done_send_href = False, "", "", "", ""

    @staticmethod
    def _register(actor: Actor, kind: str, form: dict, items: list[tuple[str, bytes]]) -> tuple[int, str, str, str]:
        """Register in one write transaction; returns (id, number, QR token, registered at)."""
        adm_id = actor.administration_id or 0
        with db.write_session() as session:
            if kind == "incoming":
                reg = paper.register_incoming(
                    session,
                    actor,
                    administration_id=adm_id,
                    channel=_s(form, "channel", 20),
                    subject=_s(form, "subject"),
                    message=_s(form, "message", 6000),
                    sender_name=_s(form, "sender_name"),
                    sender_id_kind=_s(form, "sender_id_kind", 8),
                    sender_id_value=_s(form, "sender_id_value", 40),
                    sender_email=_s(form, "sender_email"),
                    sender_phone=_s(form, "sender_phone", 40),
                    sender_administration_id=_int(form.get("sender_administration")),
                    files=items,
                    type_code=_s(form, "type_code", 40),
                    priority=_s(form, "priority", 20) or "normal",
                )
            elif kind == "outgoing":
                picked_id = _int(form.get("recipient_contact"))
                picked = contacts.addressee(session, actor, adm_id, picked_id) if picked_id else None
                reg = paper.register_outgoing(
                    session,
                    actor,
                    administration_id=adm_id,
                    subject=_s(form, "subject"),
                    unit_id=_int(form.get("unit")) or 0,
                    recipient_name=_s(form, "recipient_name")
                    or (contacts.display_name(picked)[:150] if picked else ""),
                    recipient_administration_id=_int(form.get("recipient_administration")),
                    recipient_email=_s(form, "recipient_email") or (picked.email if picked else ""),
                    recipient_phone=picked.phone if picked else "",
                    message=_s(form, "message", 6000),
                    files=items,
                    channel=_s(form, "channel", 20) or "paper",
                    recipient_contact_id=picked_id,
                )
            else:
                reg = paper.register_internal(
                    session,
                    actor,
                    administration_id=adm_id,
                    subject=_s(form, "subject"),
                    from_unit_id=_int(form.get("from_unit")) or 0,
                    to_unit_id=_int(form.get("to_unit")) or 0,
                    message=_s(form, "message", 6000),
                    files=items,
                    priority=_s(form, "priority", 20) or "normal",
                )
            return (
                reg.correspondence.id,
                reg.registry_number,
                reg.verify_token,  # type: ignore[return-value]  # set on the row registered just above
                local_dt(reg.correspondence.registered_at),
            )

    # --- events -------------------------------------------------------------------------------

    @rx.event
    async def on_load(self):
        actor, redirect = self._guard(PAGE)
        self.errors_ar, self.errors_fr, self.errors_en, self.values, self.busy = {}, {}, {}, {}, False
        self._forget_label()
        await self._discard_files()
        if actor is None:
            self.units, self.own_units, self.administrations, self.kinds = [], [], [], []
            return redirect
        self._load_options(actor)
        self.kind = self.kinds[0] if self.kinds else ""
        self.form_key += 1
        return None

    @rx.event
    async def set_kind(self, kind: str):
        try:
            self._load_options(self._require(PAGE))
        except DomainError as exc:
            self._fail(exc)
            return
        if kind in self.kinds and kind != self.kind:
            self.kind = kind
            self.errors_ar, self.errors_fr, self.errors_en, self.values = {}, {}, {}, {}
            self._forget_label()
            self._clear_messages()
            await self._discard_files()
            self.form_key += 1

    @rx.event
    async def submit(self, form: dict):
        if self.busy:
            return
        form = form_data(form)
        self.values = {k: str(v)[:300] for k, v in form.items() if isinstance(k, str) and len(k) < 40}
        try:
            actor = self._require(PAGE)
            self._load_options(actor)
            if self.kind not in self.kinds:
                raise DomainError("error.forbidden")
        except DomainError as exc:
            self._fail(exc)
            return
        self.busy = True
        self._clear_messages()
        yield
        try:
            uploads = await self._uploaded()
            cid, number, secret, at = await asyncio.to_thread(self._register, actor, self.kind, form, uploads)
        except FieldErrors as exc:
            self.busy = False
            self._set_errors(dict(exc.fields))
            self._fail(DomainError("error.invalid_fields"))
            return
        except DomainError as exc:
            self.busy = False
            self._set_errors({})
            self._fail(exc)
            return
        await self._discard_files()
        self.values = {}
        self._set_errors({})
        self._label_id, self._label_secret = cid, secret
        self.done, self.done_kind, self.done_number, self.done_at = True, self.kind, number, at
        self.done_send_href = (
            routes.mail_url(cid) if (self.kind == "outgoing" and _int(form.get("recipient_administration"))) else ""
        )
        self.busy = False
        self.form_key += 1
        self._ok("reg.done")

    @rx.event
    def download_label(self, sheet: str):
        """The QR label of the registration just made (100 × 50 mm, or an A4 sheet)."""
        try:
            actor = self._require(PAGE)
            if sheet not in SHEETS or not self._label_id or not self._label_secret:
                raise DomainError("error.not_found")
            with db.read_session() as session:
                corr = scoping.get_visible(session, actor, self._label_id)
                if corr.created_by != actor.user_id:
                    raise DomainError("error.not_found")
                pdf = paper.label_pdf(session, paper.Registration(corr, self._label_secret), sheet=sheet)
                slug = registry.reference_slug(corr.registry_number)
        except DomainError as exc:
            self._fail(exc)
            return None
        suffix = "" if sheet == "label" else "-a4"
        return rx.download(data=pdf, filename=f"etiquette-{slug}{suffix}.pdf", mime_type="application/pdf")

    @rx.event
    def another(self):
        self._forget_label()
        self._clear_messages()
        self.form_key += 1


ERRORS = (RegisterState.errors_ar, RegisterState.errors_fr, RegisterState.errors_en)


def _v(name: str, default: str = "") -> rx.Var:
    return rx.cond(RegisterState.values.contains(name), RegisterState.values[name], default)


def _field(name: str, label_key: str, *, default: str = "", **props: Any) -> rx.Component:
    """A field of the registration form, refilled with what was last submitted, with its error."""
    return field(FORM, name, label_key, default_value=_v(name, default), errors=ERRORS, **props)


def _select(name: str, label_key: str, options: list, *, default: str = "", **props: Any) -> rx.Component:
    return select_field(FORM, name, label_key, options, default_value=_v(name, default), errors=ERRORS, **props)


def _channel() -> rx.Component:
    return radio_field(
        FORM,
        "channel",
        "mail.channel",
        [("paper", "channel.paper"), ("email", "channel.email")],
        value="paper",
        errors=ERRORS,
    )


# --- components ---------------------------------------------------------------------------------


def registry_tabs(active: str) -> rx.Component:
    """Tabs of the registry office: queue, new registration, registers, contacts (clerks)."""
    items = [
        ("queue", routes.REGISTRY, "reg.tab.queue"),
        ("new", routes.REGISTRY_NEW, "reg.tab.new"),
        ("batches", routes.REGISTRY_BATCHES, "reg.tab.batches"),
        ("export", routes.REGISTRY_EXPORT, "reg.tab.export"),
        ("contacts", routes.REGISTRY_CONTACTS, "reg.tab.contacts"),
    ]
    return nav_tabs(items, active, "registry-tab", "nav.registry")


def _unit_options(rows: rx.Var) -> list:
    return [
        option("", t("common.select")),
        rx.foreach(rows, lambda u: rx.el.option(pick(u.label_ar, u.label_fr), value=u.id)),
    ]


def _adm_options() -> list:
    return [
        option("", t("reg.none")),
        rx.foreach(RegisterState.administrations, lambda a: rx.el.option(pick(a.label_ar, a.label_fr), value=a.id)),
    ]


def _kind_switch() -> rx.Component:
    S = RegisterState
    return rx.el.div(
        rx.foreach(
            S.kinds,
            lambda k: rx.el.button(
                rx.match(
                    k,
                    ("incoming", t("reg.kind.incoming")),
                    ("outgoing", t("reg.kind.outgoing")),
                    ("internal", t("reg.kind.internal")),
                    k,
                ),
                type="button",
                on_click=S.set_kind(k),
                class_name=rx.cond(S.kind == k, "qtab is-active", "qtab"),
                aria_pressed=rx.cond(S.kind == k, "true", "false"),
                data_testid="reg-kind-" + k,
            ),
        ),
        class_name="qtabs",
        role="group",
        aria_label=t("reg.kind"),
    )


def _files_block() -> rx.Component:
    S = RegisterState
    return rx.el.div(
        rx.el.p(rx.cond(S.kind == "incoming", t("reg.scans"), t("reg.files")), class_name="label"),
        rx.el.p(t("reg.files_hint"), class_name="hint"),
        files_upload(S, UPLOAD_ID, FORM, ERRORS, icon="scan-line"),
        rx.cond(
            S.files.length() > 0,
            rx.el.ul(
                rx.foreach(
                    S.files,
                    lambda f, i: file_row(f, S.remove_file(i), "reg-file"),
                ),
                class_name="file-list",
                data_testid="reg-files-list",
            ),
        ),
        class_name="field files-field",
    )


def _incoming_fields() -> rx.Component:
    return rx.fragment(
        _channel(),
        rx.el.fieldset(
            rx.el.legend(t("reg.sender"), class_name="section-title"),
            rx.el.div(
                _field("sender_name", "reg.sender_name", max_length=150, dir="auto", hint_key="reg.sender_name_hint"),
                _select("sender_administration", "reg.sender_administration", _adm_options()),
                _select(
                    "sender_id_kind",
                    "deposit.id_kind",
                    [
                        option("", t("reg.none")),
                        option("CIN", t("deposit.id_kind.CIN")),
                        option("ICE", t("deposit.id_kind.ICE")),
                    ],
                ),
                _field("sender_id_value", "deposit.id_value", max_length=40, dir="ltr"),
                _field("sender_email", "deposit.email", type="email", max_length=255, dir="ltr"),
                _field("sender_phone", "deposit.phone", type="tel", max_length=40, dir="ltr"),
                class_name="form-grid",
            ),
            class_name="fieldset reg-fieldset",
        ),
    )


def _outgoing_fields() -> rx.Component:
    S = RegisterState
    return rx.fragment(
        rx.el.div(
            _select("unit", "reg.from_unit", _unit_options(S.own_units), required=True),
            rx.el.div(_channel()),
            class_name="form-grid",
        ),
        rx.el.fieldset(
            rx.el.legend(t("reg.recipient"), class_name="section-title"),
            rx.el.div(
                _select(
                    "recipient_contact",
                    "reg.recipient_contact",
                    [
                        option("", t("reg.recipient_contact_none")),
                        rx.foreach(S.contacts, lambda c: rx.el.option(c.label, value=c.id)),
                    ],
                ),
                _field(
                    "recipient_name",
                    "reg.recipient_name",
                    max_length=150,
                    dir="auto",
                    hint_key="reg.recipient_hint",
                ),
                _select("recipient_administration", "reg.recipient_administration", _adm_options()),
                _field("recipient_email", "deposit.email", type="email", max_length=255, dir="ltr"),
                class_name="form-grid",
            ),
            class_name="fieldset reg-fieldset",
        ),
    )


def _internal_fields() -> rx.Component:
    S = RegisterState
    return rx.el.div(
        _select("from_unit", "reg.from_unit", _unit_options(S.own_units), required=True),
        _select("to_unit", "reg.to_unit", _unit_options(S.units), required=True),
        class_name="form-grid",
    )


def _letter_fields() -> rx.Component:
    S = RegisterState
    return rx.fragment(
        _field("subject", "deposit.subject", required=True, max_length=255, dir="auto"),
        _field("message", "reg.message", multiline=True, rows=4, max_length=6000, dir="auto"),
        rx.cond(
            S.kind != "outgoing",
            rx.el.div(
                rx.cond(
                    S.kind == "incoming",
                    _select(
                        "type_code",
                        "mail.type",
                        [option("", t("common.select"))] + [option(m, t(f"mailtype.{m}")) for m in MAIL_TYPES],
                    ),
                ),
                _select(
                    "priority",
                    "mail.priority",
                    [option(p, t(f"priority.{p}")) for p in PRIORITIES],
                    default="normal",
                ),
                class_name="form-grid",
            ),
        ),
    )


def _form() -> rx.Component:
    S = RegisterState
    return rx.el.section(
        rx.el.form(
            rx.match(
                S.kind,
                ("incoming", _incoming_fields()),
                ("outgoing", _outgoing_fields()),
                ("internal", _internal_fields()),
                rx.fragment(),
            ),
            _letter_fields(),
            on_submit=S.submit,
            id="reg-form",
            class_name="form",
            key=S.kind + S.form_key.to_string(),
            no_validate=True,  # the server's messages, in both languages, replace the browser's
        ),
        _files_block(),
        rx.el.div(
            rx.el.button(
                rx.cond(S.busy, t("reg.submitting"), t("reg.submit")),
                type="submit",
                form="reg-form",
                class_name="btn btn-primary",
                disabled=S.busy,
                aria_busy=rx.cond(S.busy, "true", "false"),
                data_testid="reg-submit",
            ),
            class_name="actions",
        ),
        class_name="card reg-form-card",
        aria_labelledby="reg-form-title",
    )


def _done() -> rx.Component:
    S = RegisterState
    return rx.el.section(
        rx.el.div(
            rx.icon("circle-check", size=36, aria_hidden="true", class_name="reg-done-icon"),
            rx.el.div(
                rx.el.p(t("reg.done_number"), class_name="label"),
                rx.el.p(S.done_number, dir="ltr", class_name="reg-number", data_testid="reg-number"),
                rx.el.p(rx.el.span(S.done_at, dir="ltr"), class_name="muted"),
            ),
            class_name="reg-done-head",
        ),
        rx.cond(
            S.done_send_href != "",
            rx.el.div(
                rx.icon("send", size=16, aria_hidden="true", class_name="flip-rtl"),
                rx.el.span(t("sending.registered_to_send")),
                rx.el.a(
                    t("sending.open"),
                    href=S.done_send_href,
                    class_name="btn btn-small btn-primary",
                    data_testid="reg-open-send",
                ),
                class_name="msg msg-info send-note",
                data_testid="reg-to-send",
            ),
        ),
        rx.el.p(t("reg.label_text"), class_name="hint reg-label-hint"),
        rx.el.div(
            icon_button("qr-code", "reg.label_small", on_click=S.download_label("label"), data_testid="reg-label"),
            icon_button(
                "printer", "reg.label_a4", kind="secondary", on_click=S.download_label("a4"), data_testid="reg-label-a4"
            ),
            icon_button("plus", "reg.another", kind="ghost", on_click=S.another, data_testid="reg-another"),
            class_name="actions",
        ),
        class_name="card reg-done",
        role="status",
        data_testid="reg-done",
    )


def page() -> rx.Component:
    S = RegisterState
    return layout(
        rx.cond(SessionState.nav_pages.contains("registry"), registry_tabs("new")),
        page_title("reg.title"),
        rx.el.p(t("reg.intro"), class_name="lead"),
        messages(SessionState),
        rx.cond(
            S.kinds.length() > 0,
            rx.fragment(
                _kind_switch(),
                rx.el.h2(
                    rx.match(
                        S.kind,
                        ("incoming", t("reg.kind.incoming")),
                        ("outgoing", t("reg.kind.outgoing")),
                        ("internal", t("reg.kind.internal")),
                        "",
                    ),
                    id="reg-form-title",
                    class_name="sr-only",
                ),
                rx.cond(S.done, _done(), _form()),
            ),
            rx.el.p(t("reg.nothing"), class_name="muted"),
        ),
        active=PAGE,
    )


ON_LOAD = RegisterState.on_load
