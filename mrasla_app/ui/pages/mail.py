"""``/mail/<id>``: one correspondence for staff — metadata, documents, history, notes, links and
the actions the actor may take (take, re-dispatch, return to the registry, close).

The id comes from the URL and stays in a backend var; ``scoping.get_visible`` decides whether the
actor may see it (missing and not visible give the same "not found", with no data).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import reflex as rx
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.services.correspondence import dispatch, drafting, labels, views
from mrasla_app.services.correspondence.letter_actions import LetterAction
from mrasla_app.services.correspondence.views import DOCUMENT_KINDS, HISTORY, Bilingual
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.ui import routes
from mrasla_app.ui.components import detail
from mrasla_app.ui.components import parapheur as pf
from mrasla_app.ui.components.dispatch import DispatchState, dispatch_panel
from mrasla_app.ui.components.files import page_count, size_label, size_text
from mrasla_app.ui.components.forms import card, section_title, submit
from mrasla_app.ui.components.mail import (
    CHANNELS,
    DIRECTIONS,
    MAIL_TYPES,
    PRIORITIES,
    DeadlineShown,
    confidential_badge,
    deadline_fields,
    holidays,
    local_day,
    local_dt,
    priority_badge,
    slug,
    status_badge,
)
from mrasla_app.ui.components.sending import SendState, send_panel, send_result
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.parapheur import staff_people
from mrasla_app.ui.pages.portal.common import dl_row
from mrasla_app.ui.state import SessionState

ROUTE = routes.MAIL_DETAIL
PAGE = "inbox"
LINK_KINDS = ("reply_to", "same_file")


def _start_letter(actor: Actor, incoming_id: int, text: drafting.LetterText, steps: list[dict]) -> int:
    """One transaction: the folder with the drafted letter, its circuit started (worker thread: pyHanko)."""
    with db.write_session() as session:
        return drafting.start(session, actor, incoming_id, text, steps=steps).id  # type: ignore[return-value]  # a flushed row's id (SQLModel types it Optional)


# --- what the page shows, as the state holds it ------------------------------------------------------


@dataclasses.dataclass
class MailInfo(DeadlineShown):
    """The correspondence: codes, texts, dates and names formatted for display."""

    id: str = ""
    number: str = ""
    slug: str = ""  # the number as it stands in file names and test ids
    direction: str = ""
    channel: str = ""
    status: str = ""
    priority: str = ""
    type: str = ""
    confidential: bool = False
    registered: str = ""
    closed: str = ""
    subject: str = ""
    message: str = ""
    sender: Bilingual = detail.NO_NAME
    recipient: Bilingual = detail.NO_NAME
    sender_id: str = ""  # kind and number of the sender's identity document
    sender_email: str = ""
    sender_phone: str = ""
    contact: str = ""
    unit: Bilingual = detail.NO_NAME  # the action unit
    assignee: Bilingual = detail.NO_NAME
    evidence: str = ""  # URL of the delivery evidence, when there is one


@dataclasses.dataclass
class MailDocument(detail.FileRow):
    kind: str = ""
    size: str = ""  # with ``unit`` (kb/mb): ``size_text``
    unit: str = ""
    sha: str = ""  # the first 12 digits of ``sha_full``
    sha_full: str = ""


@dataclasses.dataclass
class MailEvent:
    action: str
    at: str
    who: Bilingual
    portal: bool  # done by the sender on the portal
    detail: Bilingual


@dataclasses.dataclass
class MailNote:
    id: str
    body: str
    at: str
    who: Bilingual


@dataclasses.dataclass
class MailLink:
    number: str
    subject: str
    href: str
    kind: str  # ``LINK_KINDS``
    way: str  # "in" or "out"


@dataclasses.dataclass
class Choice:
    """A person offered in a list."""

    id: str
    label: Bilingual


class MailState(pf.LetterDraftState, SessionState):
    found: bool = False
    loaded: bool = False
    m: MailInfo = MailInfo()
    docs: list[MailDocument] = []
    events: list[MailEvent] = []
    notes: list[MailNote] = []
    links: list[MailLink] = []
    can_take: bool = False
    can_dispatch: bool = False
    can_return: bool = False
    can_close: bool = False
    can_answer: bool = False
    can_send: bool = False  # an outgoing letter to send, or a signed folder answering this letter
    copies: list[Bilingual] = []  # units that received it for information
    info_only: bool = False  # the actor sees it as a copy for information, not for action
    can_reprint: bool = False  # the registry clerk may print the QR label again
    answer_lang: str = "fr"  # the answer's language, chosen with the template (the letter: ``LetterDraftState``)
    visa_people: list[Choice] = []  # who may give the visa, who may sign (the answer's circuit)
    signers: list[Choice] = []
    panel: str = ""  # "", "return", "close", "link", "answer", "label"
    form_key: int = 0
    _id: int = 0

    def _clear(self) -> None:
        self.found, self.m, self.docs, self.events, self.notes, self.links = False, MailInfo(), [], [], [], []
        self.can_take = self.can_dispatch = self.can_return = self.can_close = self.can_answer = False
        self.can_send = self.info_only = False
        self.copies = []
        self.can_reprint = False
        self.panel, self.letter, self.preview_src, self.preview_pages = "", pf.Letter(), "", ""

    def _load(self, actor: Actor, session: Session) -> None:
        view = views.letter_view(session, actor, self._id)
        self._fill(view, holidays(session, view.corr.administration_id))
        self.found = True

    def _fill(self, view: views.LetterView, off: set) -> None:
        """The view as display vars: dates, sizes, URLs and flags formatted for the page."""
        corr, sender = view.corr, view.sender_party
        deadline = deadline_fields(corr.deadline, off, corr.status.value)
        deadline["dl"] = deadline["dl"] or local_day(corr.deadline)
        self.m = MailInfo(
            id=str(corr.id),
            number=corr.registry_number,
            slug=slug(corr.registry_number),
            direction=corr.direction.value,
            channel=corr.channel.value,
            status=corr.status.value,
            priority=corr.priority.value,
            type=corr.type_code or "",
            confidential=corr.confidential,
            registered=local_dt(corr.registered_at),
            closed=local_dt(corr.closed_at),
            subject=corr.subject,
            message=corr.message,
            sender=view.sender,
            recipient=view.recipient,
            sender_id=f"{sender.id_kind} {sender.id_value}".strip() if sender else "",
            sender_email=sender.email if sender else "",
            sender_phone=sender.phone if sender else "",
            contact=view.contact,
            unit=view.unit,
            assignee=view.assignee,
            evidence=routes.delivery_evidence_url(corr.id) if view.delivery_evidence else "",
            **deadline,
        )
        self.docs = [
            MailDocument(
                id=str(d.id),
                name=d.filename,
                pages=str(d.pages or ""),
                view=routes.document_url(d.id, inline=True, pdf=d.content_type != "application/pdf"),
                download=routes.document_url(d.id),
                kind=d.kind,
                **dict(zip(("size", "unit"), size_label(d.size), strict=True)),
                sha=d.sha256[:12],
                sha_full=d.sha256,
            )
            for d in view.documents
        ]
        self.events = [MailEvent(e.action, local_dt(e.at), e.who, not e.who.fr, e.detail) for e in view.events]
        self.notes = [MailNote(str(n.id), n.body, local_dt(n.at), n.author) for n in view.notes]
        self.links = [
            MailLink(
                k.registry_number,
                k.subject,
                routes.mail_url(k.correspondence_id),
                k.kind,
                "out" if k.outgoing else "in",
            )
            for k in view.links
        ]
        self.copies = list(view.copies)
        self.info_only, self.can_send, self.can_reprint = view.info_only, view.can_send, view.can_reprint
        self.can_take = view.may(LetterAction.take)
        self.can_dispatch = view.may(LetterAction.dispatch)
        self.can_return = view.may(LetterAction.return_)
        self.can_close = view.may(LetterAction.close)
        self.can_answer = view.may(LetterAction.answer)

    def _reload(self) -> Actor | None:
        return detail.reload_view(self, PAGE)

    def _act(self, change, ok_key: str) -> bool:
        """Run ``change(session, actor)`` in one write transaction with the fresh actor, then reload."""

        def write(actor: Actor) -> None:
            with db.write_session() as session:
                change(session, actor)

        if not detail.attempt(self, PAGE, write):
            return False
        self._reload()
        self._ok(ok_key)
        self.panel = ""
        self.form_key += 1
        return True

    # --- events ---------------------------------------------------------------------------------

    async def _close_panels(self) -> None:
        """Close the re-dispatch and sending panels another letter may have left open, in this event:
        returned as ``DispatchState.cancel`` and ``SendState.cancel``, they were two more events (each
        with its own state lock, load and save) on every letter opened."""
        (await self.get_state(DispatchState))._reset_panel()
        (await self.get_state(SendState))._close()

    @rx.event
    async def on_load(self):
        await self._close_panels()
        with db.read_session() as session:  # the actor and the letter in one read
            actor, redirect = self._guard(PAGE, session)
            self._clear()
            self.loaded = False
            self._id = 0
            if actor is None:
                return redirect
            self._id = detail.route_id(self)
            try:
                self._load(actor, session)
            except DomainError:
                self._clear()
        self.loaded = True
        return None

    @rx.event
    def refresh(self):
        self._reload()
        self.panel = ""

    @rx.event
    def open_panel(self, name: str):
        self.panel = name if name in ("return", "close", "link", "answer", "label") and self.found else ""
        self.form_key += 1
        self._clear_messages()
        if self.panel == "answer" and self.can_answer:
            try:
                self._load_people(self._require(PAGE))
            except DomainError as exc:
                self._fail(exc)

    def _load_people(self, actor: Actor) -> None:
        """Who may give the visa (any colleague) and who may sign (signatory role), for the circuit."""
        with db.read_session() as session:
            staff = staff_people(session, actor.administration_id)
            signing = {str(u.id) for u in drafting.signatories(session, actor)}
        people = [Choice(str(p.id), Bilingual(p.label_ar, p.label_fr)) for p in staff]
        self.visa_people = [p for p in people if p.id != str(actor.user_id)]
        self.signers = [p for p in people if p.id in signing]

    @rx.event
    def take(self):
        self._act(lambda s, a: dispatch.take(s, a, self._id), "mail.taken")

    @rx.event
    def return_item(self, form: dict):
        reason = str(form.get("reason", ""))
        self._act(lambda s, a: dispatch.return_to_registry(s, a, self._id, reason), "mail.returned")

    @rx.event
    def close_item(self, form: dict):
        reason = str(form.get("reason", ""))
        self._act(lambda s, a: dispatch.close(s, a, self._id, reason), "mail.closed")

    @rx.event
    def add_note(self, form: dict):
        body = str(form.get("body", ""))
        self._act(lambda s, a: dispatch.add_note(s, a, self._id, body), "mail.note_added")

    @rx.event
    def fill_answer(self, form: dict):
        """Merge the chosen letter template with this correspondence's fields (editable afterwards)."""
        template, lang = str(form.get("template", "")), str(form.get("letter_lang", "fr"))
        try:
            actor = self._require(PAGE)
            with db.read_session() as session:
                filled = drafting.prefill(session, actor, self._id, template, lang)
        except DomainError as exc:
            self._fail(exc)
            return
        text = filled.text
        self.letter = pf.Letter(text.addressee, text.place, text.subject, text.body)
        self.answer_lang, self.preview_src, self.preview_pages = text.lang, "", ""
        self.form_key += 1
        self._clear_messages()

    @rx.event
    async def submit_letter(self, form: dict):
        """Preview the letter as a PDF, or start the signature circuit with it (visa, then signatory)."""
        intent = self._take_intent()
        values = self._keep_letter(form)
        form = form if isinstance(form, dict) else {}
        people = {p.id for p in self.visa_people}
        visa, signer = str(form.get("visa", "") or ""), str(form.get("signatory", "") or "")
        if signer not in {p.id for p in self.signers} or (visa and visa not in people):
            self._fail(DomainError("draft.error.signatory"))
            return
        steps = ([{"kind": "visa", "user_ids": [int(visa)]}] if visa else []) + [
            {"kind": "signature", "user_ids": [int(signer)]}
        ]
        text = values.text(self.answer_lang)
        if (actor := detail.fresh_actor(self, PAGE)) is None:
            return
        self._clear_messages()
        if intent == "save":
            try:
                folder_id = await asyncio.to_thread(_start_letter, actor, self._id, text, steps)
            except DomainError as exc:
                self._fail(exc)
                return
            return rx.redirect(routes.folder_url(folder_id))
        try:
            with db.read_session() as session:
                pdf = drafting.preview(session, actor, self._id, text, steps=steps)
        except DomainError as exc:
            self._fail(exc)
            return
        self._show_preview(pdf)

    @rx.event
    def reprint_label(self, sheet: str):
        """A new QR label for the paper original (the previous label's code stops working)."""
        try:
            actor = self._require(PAGE)
            with db.write_session() as session:
                pdf, filename = labels.reprint(session, actor, self._id, sheet)
        except DomainError as exc:
            self._fail(exc)
            return None
        self._ok("draft.label_reprinted")
        return rx.download(data=pdf, filename=filename, mime_type="application/pdf")

    @rx.event
    def add_link(self, form: dict):
        number, kind = str(form.get("number", "")), str(form.get("kind", ""))
        self._act(lambda s, a: dispatch.link_number(s, a, self._id, number, kind), "mail.linked")


# --- components -------------------------------------------------------------------------------------

S = MailState


def _optional(shown: Any, label_key: str, value: Any, **props: Any) -> rx.Component:
    """A metadata row shown only when ``shown`` holds."""
    return rx.cond(shown, rx.fragment(*dl_row(label_key, value, **props)))


def _or_dash(value: Any, shown: Any) -> Any:
    return rx.cond(value != "", shown, "—")


def _muted_part(value: Any) -> rx.Component:
    """`` · value`` after the sender's name (an id, an e-mail, a phone), when there is one."""
    return rx.cond(value != "", rx.el.span(" · ", rx.el.span(value, dir="ltr"), class_name="muted"))


def _copies() -> rx.Component:
    return rx.el.span(
        rx.foreach(
            S.copies,
            lambda c: rx.el.span(
                rx.icon("copy", size=14, aria_hidden="true"),
                detail.said(c),
                class_name="badge info-copy",
            ),
        ),
        class_name="row-actions",
    )


def _deadline() -> rx.Component:
    m = S.m
    return rx.el.span(
        rx.el.span(m.dl, dir="ltr"),
        rx.cond(m.dl_fr != "", rx.el.span(pick(m.dl_ar, m.dl_fr, m.dl_en), class_name="dline-note")),
        class_name="dline dline-" + m.dl_state,
        data_testid="detail-deadline",
    )


def _meta() -> rx.Component:
    m = S.m
    sender = rx.el.span(
        rx.el.span(detail.said(m.sender), dir="auto", data_testid="detail-sender"),
        _muted_part(m.sender_id),
        _muted_part(m.sender_email),
        _muted_part(m.sender_phone),
    )
    return card(
        rx.el.div(
            rx.el.code(m.number, dir="ltr", class_name="big-code", data_testid="detail-number"),
            rx.el.div(
                status_badge(m.status, data_testid="detail-status", data_status=m.status),
                priority_badge(m.priority),
                confidential_badge(m.confidential),
                class_name="row-actions",
            ),
            class_name="detail-head",
        ),
        rx.el.h2(m.subject, class_name="detail-subject", data_testid="detail-subject"),
        rx.el.dl(
            *dl_row("mail.direction", t_choice(m.direction, "direction.", DIRECTIONS)),
            *dl_row("mail.channel", t_choice(m.channel, "channel.", CHANNELS)),
            *dl_row("mail.registered_at", rx.el.span(m.registered, dir="ltr")),
            _optional(
                m.recipient.fr != "",
                "mail.recipient",
                detail.said(m.recipient),
                dir="auto",
                data_testid="detail-recipient",
            ),
            _optional(m.sender.fr != "", "mail.sender", sender),
            _optional(
                m.contact != "",
                "contact.on_letter",
                rx.el.span(m.contact, dir="auto", data_testid="detail-contact"),
            ),
            *dl_row("mail.type", _or_dash(m.type, t_choice(m.type, "mailtype.", MAIL_TYPES))),
            *dl_row("mail.priority", t_choice(m.priority, "priority.", PRIORITIES)),
            *dl_row("mail.deadline", _or_dash(m.dl, _deadline())),
            *dl_row(
                "mail.confidentiality",
                rx.cond(m.confidential, t("mail.confidential"), t("mail.not_confidential")),
            ),
            *dl_row(
                "mail.action_unit",
                _or_dash(m.unit.fr, detail.said(m.unit)),
                data_testid="detail-unit",
            ),
            *dl_row(
                "mail.assignee",
                _or_dash(m.assignee.fr, detail.said(m.assignee)),
                data_testid="detail-assignee",
            ),
            _optional(m.closed != "", "mail.closed_at", rx.el.span(m.closed, dir="ltr")),
            _optional(S.copies.length() > 0, "sending.copies", _copies(), data_testid="detail-copies"),
            class_name="dl",
        ),
        rx.cond(
            S.info_only,
            rx.el.p(
                rx.icon("copy", size=16, aria_hidden="true"),
                t("sending.copy_for_you"),
                class_name="msg msg-info info-copy",
                data_testid="detail-info-copy",
            ),
        ),
        rx.cond(
            m.message != "",
            rx.fragment(
                rx.el.h3(t("mail.message"), class_name="subsection-title"),
                rx.el.p(m.message, class_name="pre-wrap detail-message", dir="auto"),
            ),
        ),
        aria_label=t("mail.metadata"),
    )


def _actions() -> rx.Component:
    return rx.el.div(
        detail.action(S.can_take, "hand", "mail.take", S.take, "action-take", kind="primary"),
        rx.cond(
            S.can_dispatch,
            detail.icon_button(
                "send",
                rx.cond(S.m.status == "to_qualify", t("draft.dispatch_first"), t("mail.redispatch")),
                DispatchState.open(S.m.id, "mail"),
                flip=True,
                testid="action-dispatch",
            ),
        ),
        detail.action(S.can_return, "undo-2", "mail.return", S.open_panel("return"), "action-return", flip=True),
        detail.action(
            S.can_send & ~SendState.s_open,
            "send",
            "sending.open",
            SendState.open_mail(S.m.id),
            "action-send",
            kind="primary",
            flip=True,
        ),
        detail.action(S.can_answer, "pencil", "mail.answer", S.open_panel("answer"), "action-answer"),
        detail.action(S.can_reprint, "printer", "draft.label_reprint", S.open_panel("label"), "action-reprint-label"),
        rx.cond(
            S.m.evidence != "",
            detail.link_button("file-check", "mail.delivery_evidence", S.m.evidence, size=18, testid="action-evidence"),
        ),
        detail.action(S.can_close, "archive", "mail.close", S.open_panel("close"), "action-close", kind="danger"),
        class_name="actions detail-actions",
    )


ANSWER_TEMPLATES = ("acknowledge", "favourable", "missing_documents", "unfavourable")


def _select(name: str, fid: str, label_key: str, *options: rx.Component, **props: Any) -> rx.Component:
    """A labelled ``<select>`` (id ``fid``, also its test id)."""
    return detail.labelled(label_key, fid, rx.el.select(*options, name=name, id=fid, data_testid=fid, **props))


def _person_select(name: str, label_key: str, people: rx.Var, empty_key: str, required: bool) -> rx.Component:
    return _select(
        name,
        f"letter-{name}",
        label_key,
        rx.el.option(t(empty_key), value=""),
        rx.foreach(people, lambda p: rx.el.option(detail.said(p.label), value=p.id)),
        required=required,
        class_name="input select",
    )


def _answer_panel() -> rx.Component:
    """Write the answer here: a template with merge fields, the text, the circuit, a PDF preview, then
    the signature circuit starts with the letter itself (uploading a prepared PDF stays possible)."""
    circuit = rx.el.div(
        _person_select("visa", "draft.visa", S.visa_people, "draft.no_visa", False),
        _person_select("signatory", "draft.signatory", S.signers, "common.select", True),
        class_name="form-grid",
    )
    return card(
        section_title("draft.title", id="answer-title"),
        rx.el.form(
            rx.el.div(
                _select(
                    "template",
                    "answer-template",
                    "mail.answer_template",
                    *[rx.el.option(t(f"answer.template.{k}"), value=k) for k in ANSWER_TEMPLATES],
                    class_name="input",
                ),
                _select(
                    "letter_lang",
                    "answer-lang",
                    "mail.answer_lang",
                    rx.el.option(t("lang.name.fr"), value="fr"),
                    rx.el.option(t("lang.name.ar"), value="ar"),
                    class_name="input",
                ),
                class_name="form-grid",
            ),
            rx.el.button(
                t("mail.answer_fill"), type="submit", class_name="btn btn-secondary", data_testid="answer-fill"
            ),
            on_submit=S.fill_answer,
            class_name="form",
        ),
        pf.letter_editor(
            S.letter,
            S.form_key,
            circuit,
            on_submit=S.submit_letter,
            set_intent=S.set_intent,
            submit_key="draft.start",
            testid="letter-form",
        ),
        pf.letter_preview(S.preview_src, S.preview_pages, "apercu-" + S.m.slug + ".pdf"),
        rx.el.p(
            detail.link_button(
                "file-up",
                "draft.upload_instead",
                routes.PARAPHEUR + "?new=1&number=" + S.m.number,
                class_name="link",
            ),
            class_name="hint",
        ),
        aria_labelledby="answer-title",
        data_testid="answer-panel",
    )


def _label_panel() -> rx.Component:
    """Reprint the QR label: the new code replaces the old one, which the clerk is told first."""
    return card(
        detail.panel_head("draft.label_reprint", "label-title", S.open_panel("")),
        rx.el.p(t("draft.label_warning"), class_name="hint"),
        rx.el.div(
            detail.icon_button(
                "printer",
                "reg.label_small",
                S.reprint_label("label"),
                kind="primary",
                size=16,
                testid="label-reprint-small",
            ),
            detail.icon_button("file-text", "reg.label_a4", S.reprint_label("a4"), size=16, testid="label-reprint-a4"),
            class_name="actions",
        ),
        aria_labelledby="label-title",
        data_testid="label-panel",
    )


def _reason_form(kind: str, handler, title_key: str, submit_key: str, required: bool) -> rx.Component:
    return card(
        section_title(title_key, id=f"{kind}-title"),
        rx.el.form(
            detail.labelled(
                "mail.reason",
                f"{kind}-reason",
                rx.el.textarea(
                    id=f"{kind}-reason",
                    name="reason",
                    required=required,
                    max_length=1000,
                    class_name="input textarea",
                    data_testid=f"{kind}-reason",
                    rows=3,
                ),
            ),
            detail.form_actions(submit(submit_key, f"{kind}-submit"), S.open_panel("")),
            on_submit=handler,
            class_name="form",
            key=S.form_key,
        ),
        aria_labelledby=f"{kind}-title",
    )


def _document(d: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(
            rx.icon("file-text", size=20, class_name="file-icon", aria_hidden="true"),
            rx.el.div(
                rx.el.span(d.name, class_name="file-name", dir="auto"),
                rx.el.p(
                    rx.el.span(t_choice(d.kind, "dockind.", DOCUMENT_KINDS), class_name="badge"),
                    rx.cond(d.pages != "", page_count(d.pages)),
                    size_text(d),
                    rx.el.code("SHA-256 " + d.sha + "…", dir="ltr", title=d.sha_full),
                    class_name="file-meta",
                ),
                class_name="file-body",
            ),
            rx.el.div(
                detail.link_button("eye", "mail.view", d.view, small=True, new_tab=True, testid="doc-view-" + d.id),
                detail.link_button(
                    "download",
                    "mail.download",
                    d.download,
                    kind="ghost",
                    small=True,
                    new_tab=True,
                    testid="doc-download-" + d.id,
                ),
                class_name="row-actions",
            ),
            class_name="doc-row",
        ),
        class_name="file-row",
    )


def _documents() -> rx.Component:
    return card(
        section_title("mail.documents"),
        detail.listing(
            S.docs, _document, empty_key="mail.no_documents", class_name="file-list", data_testid="doc-list"
        ),
    )


def _event(e: rx.Var) -> rx.Component:
    return detail.timeline_item(
        [t_choice(e.action, "history.", list(HISTORY) + ["other"])],
        e.at,
        rx.cond(e.portal, t("mail.by_portal"), detail.said(e.who)),
        rx.cond(
            e.detail.fr != "",
            rx.el.span(detail.said(e.detail), class_name="timeline-detail", dir="auto"),
        ),
        data_action=e.action,
    )


def _notes() -> rx.Component:
    return card(
        section_title("mail.notes", id="notes-title"),
        detail.listing(
            S.notes,
            lambda n: rx.el.li(*detail.note_text(n.body, detail.said(n.who), n.at), class_name="note-item"),
            empty_key="mail.no_notes",
            class_name="note-list",
            data_testid="note-list",
        ),
        rx.el.form(
            *detail.note_input("note-input", "note-input", 5000),
            submit("mail.note_submit", "note-submit"),
            on_submit=S.add_note,
            class_name="form",
            key=S.form_key,
        ),
        aria_labelledby="notes-title",
    )


def _link_form() -> rx.Component:
    return rx.el.form(
        rx.el.div(
            detail.labelled(
                "mail.link_number",
                "link-number",
                rx.el.input(
                    id="link-number",
                    name="number",
                    required=True,
                    dir="ltr",
                    class_name="input",
                    placeholder="MEF/2026/A/000001",
                    max_length=40,
                    data_testid="link-number",
                ),
            ),
            detail.labelled(
                "mail.link_kind",
                "link-kind",
                rx.el.select(
                    *[rx.el.option(t(f"linkkind.{k}"), value=k) for k in LINK_KINDS],
                    id="link-kind",
                    name="kind",
                    default_value="same_file",
                    class_name="input select",
                ),
            ),
            class_name="form-grid",
        ),
        detail.form_actions(submit("mail.link_add", "link-submit"), S.open_panel("")),
        on_submit=S.add_link,
        class_name="form",
        key=S.form_key,
    )


def _links() -> rx.Component:
    return card(
        detail.card_head(
            section_title("mail.links"),
            rx.cond(
                S.panel != "link",
                detail.icon_button(
                    "link", "mail.link_add", S.open_panel("link"), kind="ghost", small=True, size=16, testid="link-open"
                ),
            ),
        ),
        detail.listing(
            S.links,
            lambda link: rx.el.li(
                rx.el.span(t_choice(link.kind, "linkkind.", LINK_KINDS), class_name="badge"),
                rx.el.a(rx.el.code(link.number, dir="ltr"), href=link.href),
                rx.el.span(link.subject, class_name="muted"),
                class_name="role-row",
            ),
            empty_key="mail.no_links",
            class_name="role-list",
            data_testid="link-list",
        ),
        rx.cond(S.panel == "link", _link_form()),
    )


def _panel(name: str, component: rx.Component) -> rx.Component:
    return rx.cond(S.panel == name, component)


def page() -> rx.Component:
    return detail.detail_page(
        S,
        back=("mail.back_inbox", routes.INBOX),
        title_key="mail.title",
        main=[
            _meta(),
            send_result(),
            _actions(),
            rx.cond(SendState.s_open, send_panel()),
            rx.cond(DispatchState.d_open, dispatch_panel()),
            _panel("return", _reason_form("return", S.return_item, "mail.return_title", "mail.return", True)),
            _panel("close", _reason_form("close", S.close_item, "mail.close_title", "mail.close", False)),
            _panel("answer", _answer_panel()),
            _panel("label", _label_panel()),
            _documents(),
            _notes(),
        ],
        side=[detail.history_card(S.events, _event, testid="history-list"), _links()],
        missing=detail.not_found("mail.not_found", "mail.back_inbox", routes.INBOX, "mail-not-found"),
        active="inbox",
    )


ON_LOAD = MailState.on_load
TITLE = "Mrasla — Courrier · مراسلة"
