"""``/parapheur/<id>``: one folder of the signature book — the document as it stands, annexes,
circuit steps and their participants, history (with delegations), annotations, and the action
panel (visa, opinion, signature with the PIN, rejection, return) when the actor may act.

The folder id comes from the URL and stays in a backend var; ``views.folder_view`` decides
whether the actor may see it (missing and not visible give the same "not found") and what they may
do; the state only maps that view to vars. The PIN is read from the submitted form, handed to
``decisions.act`` in a worker thread (pyHanko runs its own event loop) and never kept in the
state; the form is remounted right after so the field is empty. The step the user saw is always
passed (``step_id``): if someone was faster, the service refuses.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.i18n import translate
from mrasla_app.services.correspondence import drafting
from mrasla_app.services.correspondence.views import Bilingual
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.parapheur import annotations as page_notes
from mrasla_app.services.parapheur import decisions, submission, undo, views
from mrasla_app.services.parapheur.lifecycle import FolderAction
from mrasla_app.ui import routes
from mrasla_app.ui.components import detail, page_viewer
from mrasla_app.ui.components import parapheur as pf
from mrasla_app.ui.components.files import ACCEPT, UploadedFile, page_count, size_text
from mrasla_app.ui.components.forms import card, section_title
from mrasla_app.ui.components.mail import local_dt
from mrasla_app.ui.components.sending import SendState, send_panel
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.portal.common import (
    accept_uploads,
    discard_uploads,
    dl_row,
    spooled_files,
    upload_box,
    upload_client,
    verdict,
)
from mrasla_app.ui.state import SessionState

ROUTE = routes.PARAPHEUR_FOLDER
PAGE = "parapheur"
UPLOAD_ID = "folder-version-files"
PANELS = ("approved", "opinion", "signed", "rejected", "returned")


def _act(
    actor: Actor, folder_id: int, decision: str, comment: str, pin: str | None, on_behalf_of: int | None, step_id: int
) -> None:
    with db.write_session() as session:
        decisions.act(
            session, actor, folder_id, decision, comment=comment, pin=pin, on_behalf_of=on_behalf_of, step_id=step_id
        )


def _undo(actor: Actor, folder_id: int, action_id: int) -> None:
    with db.write_session() as session:
        undo.undo(session, actor, folder_id, action_id=action_id)


def _report(actor: Actor, folder_id: int):
    with db.read_session() as session:
        return views.report(session, actor, folder_id)


def _revise(actor: Actor, folder_id: int, text: drafting.LetterText) -> None:
    with db.write_session() as session:
        drafting.revise(session, actor, folder_id, text)


def _new_version(actor: Actor, folder_id: int, uploads: list[tuple[str, bytes]]) -> None:
    with db.write_session() as session:
        submission.new_version(session, actor, folder_id, uploads)


def _cancel(actor: Actor, folder_id: int) -> None:
    with db.write_session() as session:
        submission.cancel(session, actor, folder_id)


def _note_fields(form: object) -> tuple[str, int | None, float | None, float | None]:
    """A comment's text and where it is pinned (page, x, y fractions), from the submitted form."""
    form = form if isinstance(form, dict) else {}
    body = str(form.get("body", ""))[: page_notes.MAX_BODY + 1]
    page_s, x_s, y_s = (str(form.get(k, "")).strip()[:12] for k in ("page", "x", "y"))
    page = int(page_s) if page_s.isdigit() and len(page_s) < 6 else None
    if page_s and page is None:
        raise DomainError("error.invalid_request")
    try:
        x = float(x_s) if (x_s and page is not None) else None
        y = float(y_s) if (y_s and page is not None) else None
    except ValueError as exc:
        raise DomainError("error.invalid_request") from exc
    return body, page, x, y


# --- what the page shows, as the state holds it ------------------------------------------------------


@dataclasses.dataclass
class FolderInfo:
    """The folder itself: texts, dates and numbers formatted for display, and its file URLs."""

    id: str = ""
    reference: str = ""
    title: str = ""
    status: str = ""
    version: str = ""
    created: str = ""
    completed: str = ""
    reject_reason: str = ""
    initiator: Bilingual = detail.NO_NAME
    corr_number: str = ""  # the correspondence it answers, if any
    corr_href: str = ""
    main_name: str = ""
    pages: str = ""
    view: str = ""  # the document as it stands (inline, versioned URL)
    download: str = ""
    bordereau: str = ""
    sha: str = ""
    pages_url: str = ""  # prefix of the rendered page images
    vtag: str = ""  # version tag of the page images
    annotated: str = ""  # the copy with the annotations


@dataclasses.dataclass
class Step:
    pos: str
    kind: str
    mode: str
    label: Bilingual
    status: str
    due: str


@dataclasses.dataclass
class Participant:
    step: str  # the ``Step.pos`` it belongs to
    id: str
    name: Bilingual
    acted: bool


@dataclasses.dataclass
class Decision:
    """One entry of the folder's history."""

    at: str = ""
    who: Bilingual = detail.NO_NAME
    decision: str = ""
    step: str = ""
    kind: str = ""
    comment: str = ""
    withdrawn: bool = False  # undone by its author
    obo_ar: str = ""  # "by delegation of …", when taken for someone else
    obo_fr: str = ""
    obo_en: str = ""


@dataclasses.dataclass
class PageNote:
    """A participant's comment, pinned on a page (``x``, ``y`` in percent) or on the folder."""

    id: str = ""
    n: str = ""  # its number among the pinned ones ("" when not pinned)
    body: str = ""
    page: str = ""
    x: str = ""
    y: str = ""
    at: str = ""
    who: Bilingual = detail.NO_NAME
    version: str = ""
    mine: bool = False


@dataclasses.dataclass
class Delegator:
    """Someone the actor may act for on the active step."""

    id: str = ""
    label_ar: str = ""  # "by delegation of …"
    label_fr: str = ""
    label_en: str = ""


class FolderVersionUploads(rx.State):
    """A new version's documents as (name, spool id), server-side only (leaf state)."""

    _files: list[tuple[str, str]] = []


class FolderState(pf.LetterDraftState, SessionState):
    found: bool = False
    loaded: bool = False
    f: FolderInfo = FolderInfo()
    docs: list[detail.FileRow] = []  # the annexes
    steps: list[Step] = []
    participants: list[Participant] = []
    history: list[Decision] = []
    notes: list[PageNote] = []
    may_annotate: bool = False  # initiator or participant (``page_notes.may_annotate``)
    view_page: int = 1  # the page shown in the viewer
    page_total: int = 0
    allowed: list[str] = []  # ``lifecycle.FolderAction`` values the actor may take now (``views.folder_view``)
    signed: bool = False
    can_act: bool = False
    decisions: list[str] = []
    needs_pin: bool = False
    acting_for: list[Delegator] = []
    own_slot: bool = False
    panel: str = ""
    busy: bool = False
    is_initiator: bool = False
    # validation report of the signed document
    has_report: bool = False
    report_ok: bool = False
    report_reason: str = ""
    signatures: list[detail.SignatureRow] = []
    can_send: bool = False  # signed, to send, and the actor is on the sending side (``SendState`` sends)
    sent_number: str = ""
    sent_href: str = ""  # the outgoing (or internal) letter the sending registered
    received_number: str = ""  # its number in the recipient administration's register
    new_files: list[UploadedFile] = []
    form_key: int = 0
    # delegation and signing key, said before anything is typed
    obo_ar: str = ""  # "par délégation de …" when the actor can only act for someone else
    obo_fr: str = ""
    obo_en: str = ""
    key_problem_ar: str = ""  # why the actor cannot sign yet (no usable key), shown before the PIN
    key_problem_fr: str = ""
    key_problem_en: str = ""
    # the letter drafted in the application (new version from the edited text)
    has_letter: bool = False  # (the letter itself, its preview: ``LetterDraftState``)
    _id: int = 0
    _step_id: int = 0
    undo_decision: str = ""  # the actor's own last decision, while it may still be undone
    _undo_action_id: int = 0

    def _clear(self) -> None:
        self.found, self.f, self.docs, self.steps, self.participants = False, FolderInfo(), [], [], []
        self.history, self.notes, self.decisions, self.acting_for = [], [], [], []
        self.may_annotate, self.page_total, self.allowed, self.signed = False, 0, [], False
        self.can_act = self.needs_pin = self.own_slot = self.is_initiator = False
        self.has_report = self.report_ok = self.can_send = False
        self.undo_decision, self._undo_action_id = "", 0
        self.report_reason, self.sent_number, self.sent_href, self.received_number, self.panel = "", "", "", "", ""
        self.signatures = []
        self.obo_ar = self.obo_fr = self.obo_en = self.key_problem_ar = self.key_problem_fr = self.key_problem_en = ""
        self.preview_src = self.preview_pages = ""
        self.has_letter, self.letter = False, pf.Letter()
        self._step_id = 0

    def _route_id(self) -> int:
        value = str(self.router.page.params.get("folder_id", "") or "")
        if not value:
            return detail.route_id(self)
        return int(value) if value.isdigit() and len(value) < 12 else 0

    def _load(self, actor: Actor, session: Session) -> None:
        self._fill(views.folder_view(session, actor, self._id))
        self.found = True

    def _fill(self, v: views.FolderView) -> None:
        version_tag = v.document_sha256[:12]
        fid = v.id
        self.f = FolderInfo(
            id=str(fid),
            reference=v.reference,
            title=v.title,
            status=v.status,
            version=str(v.version),
            created=local_dt(v.created_at),
            completed=local_dt(v.completed_at),
            reject_reason=v.reject_reason,
            initiator=Bilingual(v.initiator.name_ar, v.initiator.name),
            corr_number=v.correspondence_number,
            corr_href=routes.mail_url(v.correspondence_id) if v.correspondence_id is not None else "",
            main_name=v.main_name,
            pages=str(v.pages or ""),
            view=routes.folder_file_url(fid, "document.pdf", inline=True) + f"&v={version_tag}",
            download=routes.folder_file_url(fid, "document.pdf"),
            bordereau=routes.folder_file_url(fid, "bordereau.pdf"),
            sha=v.document_sha256,
            pages_url=routes.folder_file_url(fid, "pages/"),
            vtag=version_tag,
            annotated=routes.folder_file_url(fid, "annotated.pdf"),
        )
        self.docs = [
            detail.FileRow(
                id=str(doc.id),
                name=doc.name,
                pages=str(doc.pages),
                view=routes.folder_file_url(fid, f"documents/{doc.id}", inline=True),
                download=routes.folder_file_url(fid, f"documents/{doc.id}"),
            )
            for doc in v.annexes
        ]
        self.steps = [
            Step(str(s.position), s.kind, s.mode, Bilingual(s.label_ar, s.label_fr), s.status, local_dt(s.due_on))
            for s in v.steps
        ]
        self.participants = [
            Participant(str(s.position), str(p.user_id), Bilingual(p.name_ar, p.name), p.acted)
            for s in v.steps
            for p in s.participants
        ]
        self.history = [
            Decision(
                at=local_dt(h.at),
                who=Bilingual(h.actor_ar, h.actor),
                decision=h.decision,
                step=str(h.step or ""),
                kind=h.kind,
                comment=h.comment,
                withdrawn=h.withdrawn,
                obo_ar=translate("parapheur.by_delegation", "ar", name=h.on_behalf_of_ar) if h.on_behalf_of else "",
                obo_fr=translate("parapheur.by_delegation", "fr", name=h.on_behalf_of) if h.on_behalf_of else "",
                obo_en=translate("parapheur.by_delegation", "en", name=h.on_behalf_of) if h.on_behalf_of else "",
            )
            for h in v.history
        ]
        self.may_annotate, self.page_total = v.may_annotate, v.page_total
        self.view_page = min(max(self.view_page, 1), max(self.page_total, 1))
        self.notes = []
        pinned = 0
        for n in v.notes:
            pinned += n.x is not None
            self.notes.append(
                PageNote(
                    id=str(n.id),
                    n=str(pinned) if n.x is not None else "",
                    body=n.body,
                    page=str(n.page or ""),
                    x=f"{n.x * 100:.2f}" if n.x is not None else "",
                    y=f"{n.y * 100:.2f}" if n.y is not None else "",
                    at=local_dt(n.created_at),
                    who=Bilingual(n.author_ar, n.author),
                    version=str(n.version),
                    mine=n.mine,
                )
            )
        self.allowed = sorted(v.allowed_actions)
        self.can_act, self.needs_pin = bool(v.decisions), v.needs_pin
        self.undo_decision, self._undo_action_id = v.undo_decision, v.undo_action_id
        self.decisions = list(v.decisions)
        self._step_id = v.active_step_id
        self.acting_for = [
            Delegator(
                id=str(p.id),
                label_ar=translate("parapheur.by_delegation", "ar", name=p.name_ar),
                label_fr=translate("parapheur.by_delegation", "fr", name=p.name),
                label_en=translate("parapheur.by_delegation", "en", name=p.name),
            )
            for p in v.acting_for
        ]
        self.own_slot = v.own_slot
        only_for = self.acting_for[0] if (len(self.acting_for) == 1 and not self.own_slot) else None
        self.obo_ar = only_for.label_ar if only_for else ""
        self.obo_fr = only_for.label_fr if only_for else ""
        self.obo_en = only_for.label_en if only_for else ""
        self.key_problem_ar = translate(v.key_problem, "ar") if v.key_problem else ""
        self.key_problem_fr = translate(v.key_problem, "fr") if v.key_problem else ""
        self.key_problem_en = translate(v.key_problem, "en") if v.key_problem else ""
        self.has_letter = v.letter is not None
        if v.letter is not None and self.panel != "letter":
            self.letter = pf.Letter(v.letter.addressee, v.letter.place, v.letter.subject, v.letter.body)
        self.is_initiator = v.is_initiator
        sent = v.sending
        self.sent_number = (sent.outgoing_number or "✓") if sent else ""
        self.received_number = sent.recipient_number if sent else ""
        self.sent_href = routes.mail_url(sent.outgoing_id) if sent and sent.outgoing_id is not None else ""
        self.can_send = FolderAction.send.value in v.allowed_actions
        self.signed = v.signed
        if self.panel not in self.decisions and self.panel != "letter":
            self.panel = ""

    async def _fill_report(self, actor: Actor) -> None:
        self.has_report = False
        if not self.signed:
            return
        try:
            report = await asyncio.to_thread(_report, actor, self._id)
        except DomainError:
            return
        self.signatures = [detail.signature_row(sig) for sig in report.signatures]
        self.report_ok, self.report_reason, self.has_report = report.authentic, report.reason or "", True

    async def _reload(self) -> Actor | None:
        actor = detail.reload_view(self, PAGE)
        if actor is not None:
            await self._fill_report(actor)
        return actor

    async def _in_worker(self, fn: Callable[..., None], *args: object) -> DomainError | None:
        """``fn(*args)`` in a worker thread (pyHanko runs its own event loop); after a refusal, which is
        returned, the page is no longer busy."""
        try:
            await asyncio.to_thread(fn, *args)
        except DomainError as exc:
            self.busy = False
            return exc
        return None

    # --- events -------------------------------------------------------------------------------------

    @rx.event
    async def on_load(self):
        actor, redirect = self._guard(PAGE)
        self._clear()
        self.loaded, self.busy, self._id, self.view_page = False, False, 0, 1
        self.form_key += 1
        if actor is None:
            return [redirect, SendState.cancel]
        self._id = self._route_id()
        store = await self.get_state(FolderVersionUploads)
        discard_uploads(upload_client(self), store._files)
        store._files, self.new_files = [], []
        try:
            with db.read_session() as session:
                self._load(actor, session)
            await self._fill_report(actor)
        except DomainError:
            self._clear()
        self.loaded = True
        # sending is the next visible step of a signed folder: its panel is open at once
        return [SendState.cancel] + ([SendState.open_folder(str(self._id))] if self.can_send else [])

    @rx.event
    async def refresh(self):
        await self._reload()

    @rx.event
    def open_panel(self, name: str):
        """Opens (or closes) a decision panel; reopening the open one keeps what is typed in it (a late
        remount would wipe a PIN typed meanwhile)."""
        allowed = list(self.decisions) + (["letter"] if self.has_letter and self.is_initiator else [])
        name = name if name in allowed else ""
        if name != self.panel:
            self.panel = name
            self.form_key += 1
        self._clear_messages()

    @rx.event
    async def submit_action(self, form: dict):
        """The decision of the open panel, with its comment (and the PIN for a signature)."""
        decision = self.panel
        if self.busy or decision not in self.decisions or not self._step_id:
            return
        if (actor := detail.fresh_actor(self, PAGE)) is None:
            return
        form = form if isinstance(form, dict) else {}
        comment = str(form.get("comment", ""))[: submission.MAX_COMMENT + 1]
        pin = str(form.get("pin", ""))[:32] if decision == "signed" else None
        chosen = str(form.get("on_behalf_of", ""))
        on_behalf = int(chosen) if chosen in [a.id for a in self.acting_for] else None
        if on_behalf is None and not self.own_slot and len(self.acting_for) == 1:
            on_behalf = int(self.acting_for[0].id)
        self.busy = True
        self.form_key += 1  # remount the form: the PIN field is empty again at once
        self._clear_messages()
        yield
        refused = await self._in_worker(_act, actor, self._id, decision, comment, pin, on_behalf, self._step_id)
        pin = None  # noqa: F841 - not kept anywhere
        if isinstance(refused, NotFound):
            self._clear()
            return
        if refused is not None:
            self._fail(refused)
            return
        self.busy, self.panel = False, ""
        await self._reload()
        self._ok(f"pf.done.{decision}")

    @rx.event
    async def undo_last(self):
        """Withdraw the actor's own last decision (the one shown), if nobody acted since."""
        if self.busy or not self._undo_action_id or (actor := detail.fresh_actor(self, PAGE)) is None:
            return
        self.busy = True
        yield
        refused = await self._in_worker(_undo, actor, self._id, self._undo_action_id)
        if refused is not None:
            await self._reload()
            self._fail(refused)
            return
        self.busy = False
        await self._reload()
        self._ok("pf.undo.done")

    @rx.event
    async def annotate(self, form: dict):
        """A comment, pinned where the page was tapped (page, x, y) or on the folder as a whole."""
        placed: list[int] = []

        def add(actor: Actor) -> None:
            body, page, x, y = _note_fields(form)
            with db.write_session() as session:
                page_notes.add(session, actor, self._id, body, page=page, x=x, y=y)
            placed.extend([page] if page is not None else [])

        if not detail.attempt(self, PAGE, add):
            return
        self.form_key += 1
        if placed:
            self.view_page = placed[0]
        await self._reload()
        self._ok("pf.note_added")

    @rx.event
    async def remove_note(self, note_id: str):
        """The author withdraws their own comment."""
        try:
            actor = self._require(PAGE)
            if not str(note_id).isdigit() or len(str(note_id)) > 12:
                raise DomainError("error.invalid_request")
            with db.write_session() as session:
                page_notes.remove(session, actor, int(note_id))
        except NotFound:
            await self._reload()
            return
        except DomainError as exc:
            self._fail(exc)
            return
        await self._reload()
        self._ok("pf.note_removed")

    @rx.event
    def go_page(self, page: int | str):
        """Turn to ``page`` (kept within the document)."""
        value = str(page)
        if value.lstrip("-").isdigit() and len(value) < 7 and self.page_total:
            self.view_page = min(max(int(value), 1), self.page_total)

    @rx.event
    async def cancel_folder(self):
        if not detail.attempt(self, PAGE, lambda actor: _cancel(actor, self._id)):
            return
        await self._reload()
        self._ok("pf.cancelled")

    @rx.event
    async def add_version_files(self, files: list[rx.UploadFile]):
        if detail.fresh_actor(self, PAGE) is None:
            return
        store = await self.get_state(FolderVersionUploads)
        kept, shown = list(store._files), list(self.new_files)
        for _name, refused in await accept_uploads(files, kept, shown, upload_client(self)):
            self._fail(refused)
        store._files, self.new_files = kept, shown

    @rx.event
    async def submit_version(self):
        if self.busy or (actor := detail.fresh_actor(self, PAGE)) is None:
            return
        store = await self.get_state(FolderVersionUploads)
        self.busy = True
        yield
        refused: DomainError | None
        try:
            uploads = await spooled_files(upload_client(self), store._files)
            refused = await self._in_worker(_new_version, actor, self._id, uploads)
        except DomainError as exc:
            refused = exc
        if refused is not None:
            self.busy = False
            self._fail(refused)
            return
        discard_uploads(upload_client(self), store._files)
        store._files, self.new_files, self.busy = [], [], False
        await self._reload()
        self._ok("pf.version_done")

    @rx.event
    async def submit_letter(self, form: dict):
        """Preview the edited letter, or save it as the folder's new version (the circuit restarts)."""
        intent = self._take_intent()
        if self.busy or not (self.has_letter and self.is_initiator):
            return
        values = self._keep_letter(form)
        try:
            actor = self._require(PAGE)
            with db.read_session() as session:
                draft = drafting.draft_of(session, actor, self._id)
            if draft is None:
                raise DomainError("error.invalid_request")
            text = values.text(draft.lang)
            if intent == "preview":
                with db.read_session() as session:
                    pdf = drafting.preview_revision(session, actor, self._id, text)
                self._show_preview(pdf)
                self._clear_messages()
                return
        except NotFound:
            self._clear()
            return
        except DomainError as exc:
            self._fail(exc)
            return
        self.busy = True
        yield
        if (refused := await self._in_worker(_revise, actor, self._id, text)) is not None:
            self._fail(refused)
            return
        self.busy, self.panel, self.preview_src, self.preview_pages = False, "", "", ""
        self.form_key += 1
        await self._reload()
        self._ok("draft.revised")


# --- components -------------------------------------------------------------------------------------

S = FolderState


def _obo() -> rx.Var:
    """ "par délégation de …" in the interface language (when the actor only acts for someone else)."""
    return pick(S.obo_ar, S.obo_fr, S.obo_en)


def _icon_message(icon: str, *body: rx.Component, **props: Any) -> rx.Component:
    """A message box: a large icon, then its text (``class_name`` says which kind of message)."""
    return rx.el.div(rx.icon(icon, size=18, aria_hidden="true"), rx.el.div(*body), **props)


def _head() -> rx.Component:
    f = S.f
    sent_code = rx.el.code(S.sent_number, dir="ltr", class_name="nowrap")
    return card(
        rx.el.div(
            rx.el.code(f.reference, dir="ltr", class_name="big-code", data_testid="folder-reference"),
            pf.folder_status_badge(f.status, data_testid="folder-status"),
            class_name="detail-head",
        ),
        rx.el.h2(f.title, class_name="detail-subject", dir="auto", data_testid="folder-title-text"),
        rx.el.dl(
            *dl_row("pf.initiator", detail.said(f.initiator)),
            *dl_row("pf.created", rx.el.span(f.created, dir="ltr")),
            *dl_row("pf.version", f.version),
            rx.cond(
                f.corr_number != "",
                rx.fragment(*dl_row("pf.linked_mail", rx.el.a(rx.el.code(f.corr_number, dir="ltr"), href=f.corr_href))),
            ),
            rx.cond(
                f.completed != "",
                rx.fragment(*dl_row("pf.completed_at", rx.el.span(f.completed, dir="ltr"))),
            ),
            class_name="dl",
        ),
        rx.cond(
            f.reject_reason != "",
            _icon_message(
                "circle-x",
                rx.el.strong(t("parapheur.reject_reason")),
                rx.el.p(f.reject_reason, class_name="pre-wrap", dir="auto"),
                class_name="msg msg-error pf-reason",
                data_testid="folder-reject-reason",
            ),
        ),
        rx.cond(
            S.sent_number != "",
            rx.el.p(
                rx.icon("send", size=16, aria_hidden="true", class_name="flip-rtl"),
                t("sending.sent_as"),
                " ",
                rx.cond(S.sent_href != "", rx.el.a(sent_code, href=S.sent_href), sent_code),
                rx.cond(
                    S.received_number != "",
                    rx.el.span(
                        " · ",
                        t("sending.received_as"),
                        " ",
                        rx.el.code(S.received_number, dir="ltr", class_name="nowrap"),
                    ),
                ),
                class_name="msg msg-ok send-note",
                data_testid="folder-sent",
            ),
        ),
        rx.cond(
            S.can_send & ~SendState.s_open,
            rx.el.div(
                rx.icon("send", size=16, aria_hidden="true", class_name="flip-rtl"),
                rx.el.span(t("sending.to_send_note")),
                detail.icon_button(
                    None, "sending.open", SendState.open_folder(f.id), kind="primary", small=True, testid="send-open"
                ),
                class_name="msg msg-info send-note",
                data_testid="folder-to-send",
            ),
        ),
        aria_label=t("pf.folder"),
    )


def _annex(d: rx.Var) -> rx.Component:
    link = {"kind": "ghost", "small": True, "reload_document": True}
    return rx.el.li(
        rx.icon("paperclip", size=16, aria_hidden="true"),
        rx.el.span(d.name, class_name="file-name", dir="auto"),
        rx.el.span(page_count(d.pages), class_name="muted"),
        detail.link_button(None, "mail.view", d.view, new_tab=True, **link),
        detail.link_button(None, "mail.download", d.download, testid="annex-download-" + d.id, **link),
        class_name="pf-file",
    )


def _viewer() -> rx.Component:
    f = S.f
    tools = rx.el.div(
        detail.link_button(
            "external-link",
            "mail.view",
            f.view,
            kind="ghost",
            small=True,
            new_tab=True,
            reload_document=True,
            testid="document-open",
        ),
        detail.link_button(
            "download",
            rx.cond((f.status == "completed") | (f.status == "sent"), t("pf.download_signed"), t("mail.download")),
            f.download,
            small=True,
            download=f.reference + ".pdf",
            reload_document=True,
            testid="signed-download",
        ),
        rx.cond(
            S.may_annotate & (S.notes.length() > 0),
            detail.link_button(
                "message-square-text",
                "pf.annotated_copy",
                f.annotated,
                kind="ghost",
                small=True,
                download=f.reference + "-annotations.pdf",
                reload_document=True,
                testid="annotated-download",
            ),
        ),
        class_name="row-actions",
    )
    return card(
        detail.card_head(section_title("pf.document"), tools),
        rx.el.p(
            rx.icon("file-text", size=16, aria_hidden="true"),
            rx.el.span(f.main_name, dir="auto"),
            rx.el.span(" · ", page_count(f.pages), data_testid="document-pages"),
            class_name="file-meta",
        ),
        rx.cond(S.page_total > 0, page_viewer.page_figure(S)),
        rx.cond(
            S.may_annotate,
            rx.el.div(
                page_viewer.note_form(S),
                rx.el.h3(t("pf.annotations"), class_name="subsection-title", id="pf-notes-title"),
                page_viewer.note_list(S),
                class_name="pf-notes",
                data_testid="annotations",
            ),
        ),
        rx.cond(
            S.docs.length() > 0,
            rx.fragment(
                rx.el.h3(t("pf.annexes"), class_name="subsection-title"),
                rx.el.ul(rx.foreach(S.docs, _annex), class_name="pf-files", data_testid="annex-list"),
            ),
        ),
    )


def _person(p: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.cond(
            p.acted,
            rx.icon("circle-check", size=16, aria_hidden="true", class_name="ok"),
            rx.icon("circle-dashed", size=16, aria_hidden="true", class_name="muted"),
        ),
        rx.el.span(detail.said(p.name), dir="auto"),
        class_name="pf-person",
        data_acted=p.acted,
    )


def _step(s: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(
            rx.el.span(s.pos, class_name="pf-step-num", aria_hidden="true"),
            rx.el.strong(detail.said(s.label)),
            rx.el.span(
                t_choice(s.status, "pf.step_status.", list(pf.STEP_STATUSES)),
                class_name="badge pf-st pf-st-" + s.status,
            ),
            rx.cond(s.mode == "any", rx.el.span(t("parapheur.mode.any"), class_name="badge")),
            class_name="pf-step-head",
        ),
        rx.el.ul(
            rx.foreach(S.participants, lambda p: rx.cond(p.step == s.pos, _person(p))),
            class_name="pf-people-list",
        ),
        rx.cond(
            s.due != "",
            rx.el.p(
                rx.icon("calendar-clock", size=14, aria_hidden="true"),
                t("mail.deadline"),
                " ",
                rx.el.span(s.due, dir="ltr"),
                class_name="muted pf-due",
            ),
        ),
        class_name=rx.cond(s.status == "active", "pf-step is-active", "pf-step"),
        data_testid="step-" + s.pos,
        data_status=s.status,
    )


def _steps() -> rx.Component:
    return card(section_title("pf.steps"), rx.el.ol(rx.foreach(S.steps, _step), class_name="pf-steps"))


def _event(e: rx.Var) -> rx.Component:
    return detail.timeline_item(
        [
            t_choice(e.decision, "parapheur.decision.", list(pf.DECISIONS)),
            " · ",
            pf.kind_label(e.kind),
            " ",
            e.step,
        ],
        e.at,
        detail.said(e.who),
        rx.cond(
            e.obo_fr != "",
            rx.el.span(pick(e.obo_ar, e.obo_fr, e.obo_en), class_name="badge pf-obo", data_testid="history-obo"),
        ),
        rx.cond(
            e.withdrawn,
            rx.el.span(t("pf.undo.withdrawn"), class_name="badge", data_testid="history-withdrawn"),
        ),
        rx.cond(
            e.comment != "",
            rx.el.span(e.comment, class_name="timeline-detail pre-wrap", dir="auto"),
        ),
        data_decision=e.decision,
    )


def _action_button(decision: str, icon: str, label_key: str, testid: str, kind: str = "secondary") -> rx.Component:
    return detail.action(
        S.decisions.contains(decision),
        icon,
        (t(label_key), rx.cond(S.obo_fr != "", rx.el.span(" · ", _obo(), class_name="btn-obo"))),
        S.open_panel(decision),
        testid,
        class_name=rx.cond(S.panel == decision, f"btn btn-{kind} is-on", f"btn btn-{kind}"),
        aria_pressed=rx.cond(S.panel == decision, "true", "false"),
    )


def _action_form() -> rx.Component:
    comment_required = (S.panel == "rejected") | (S.panel == "returned") | (S.panel == "opinion")
    submit_button = rx.el.button(
        rx.cond(
            S.busy,
            rx.icon("loader-circle", size=18, class_name="spin", aria_hidden="true"),
            rx.icon("check", size=18, aria_hidden="true"),
        ),
        rx.match(
            S.panel,
            ("approved", t("pf.do.approved")),
            ("opinion", t("pf.do.opinion")),
            ("signed", t("pf.do.signed")),
            ("rejected", t("pf.do.rejected")),
            ("returned", t("pf.do.returned")),
            t("common.save"),
        ),
        rx.cond(S.obo_fr != "", rx.el.span(" · ", _obo())),
        type="submit",
        disabled=S.busy | ((S.panel == "signed") & (S.key_problem_fr != "")),
        class_name=rx.cond(S.panel == "rejected", "btn btn-danger", "btn btn-primary"),
        data_testid="action-submit",
    )
    return rx.el.form(
        rx.cond(
            (S.acting_for.length() > 1) | (S.own_slot & (S.acting_for.length() > 0)),
            detail.labelled(
                "pf.act_as",
                "pf-obo",
                rx.el.select(
                    rx.cond(S.own_slot, rx.el.option(t("pf.myself"), value="")),
                    rx.foreach(
                        S.acting_for,
                        lambda a: rx.el.option(pick(a.label_ar, a.label_fr, a.label_en), value=a.id),
                    ),
                    id="pf-obo",
                    name="on_behalf_of",
                    class_name="input select",
                    data_testid="on-behalf-select",
                ),
            ),
        ),
        detail.labelled(
            rx.match(
                S.panel,
                ("rejected", t("parapheur.reject_reason")),
                ("returned", t("pf.return_reason")),
                ("opinion", t("pf.opinion_text")),
                t("pf.comment_optional"),
            ),
            "pf-comment",
            rx.el.textarea(
                id="pf-comment",
                name="comment",
                required=comment_required,
                max_length=4000,
                rows=3,
                class_name="input textarea",
                dir="auto",
                data_testid="action-comment",
            ),
        ),
        rx.cond(
            (S.panel == "signed") & (S.key_problem_fr == ""),
            detail.labelled(
                "parapheur.pin",
                "pf-pin",
                page_viewer.pin_input(
                    "pf-pin", testid="pin-input", auto_complete="one-time-code", aria_describedby="pf-pin-hint"
                ),
                rx.el.p(t("pf.pin_hint"), id="pf-pin-hint", class_name="hint"),
                page_viewer.pin_pad(),
            ),
        ),
        detail.form_actions(submit_button, S.open_panel("")),
        on_submit=S.submit_action,
        class_name="form pf-action-form",
        key=S.form_key,
        data_testid="action-form",
    )


def _actions() -> rx.Component:
    return detail.shown_card(
        S.can_act,
        rx.el.h2(t("pf.your_turn"), class_name="section-title", id="pf-act-title"),
        rx.cond(
            S.obo_fr != "",
            rx.el.p(
                rx.icon("users", size=16, aria_hidden="true"),
                t("draft.obo_notice"),
                " ",
                rx.el.strong(_obo()),
                class_name="msg msg-info",
                data_testid="obo-notice",
            ),
        ),
        rx.cond(
            S.key_problem_fr != "",
            _icon_message(
                "key-round",
                rx.el.p(pick(S.key_problem_ar, S.key_problem_fr, S.key_problem_en)),
                rx.el.a(t("draft.key_create"), href=routes.ACCOUNT, class_name="btn btn-small btn-secondary"),
                role="alert",
                class_name="msg msg-error msg-icon",
                data_testid="key-missing",
            ),
        ),
        rx.el.div(
            _action_button("approved", "stamp", "pf.act.approved", "action-approve", "primary"),
            _action_button("opinion", "message-square-text", "pf.act.opinion", "action-opinion", "primary"),
            _action_button("signed", "pen-line", "pf.act.signed", "action-sign", "primary"),
            _action_button("returned", "undo-2", "pf.act.returned", "action-return"),
            _action_button("rejected", "circle-x", "pf.act.rejected", "action-reject", "danger"),
            class_name="actions pf-action-buttons",
        ),
        rx.cond(S.panel != "", _action_form()),
        class_name="pf-act",
        aria_labelledby="pf-act-title",
        data_testid="action-panel",
    )


def _undo_panel() -> rx.Component:
    """The actor's own last decision, with its undo, while the next participant has not acted."""
    return rx.cond(
        S.undo_decision != "",
        rx.el.div(
            rx.icon("undo-2", size=18, aria_hidden="true"),
            rx.el.span(
                t("pf.undo.last"),
                " ",
                rx.el.strong(t_choice(S.undo_decision, "parapheur.decision.", list(pf.DECISIONS))),
            ),
            detail.icon_button(
                None, "pf.undo.action", S.undo_last, small=True, disabled=S.busy, testid="undo-decision"
            ),
            class_name="msg msg-info pf-undo",
            data_testid="undo-panel",
        ),
    )


def _completed() -> rx.Component:
    f = S.f
    return detail.shown_card(
        (f.status == "completed") | (f.status == "sent"),
        section_title("pf.report"),
        rx.cond(
            S.has_report,
            rx.fragment(
                verdict(S.report_ok, testid="report-verdict"),
                rx.el.ol(
                    rx.foreach(
                        S.signatures,
                        lambda sig: detail.signature_item(
                            sig, testid="report-signature", signer_testid="report-signer"
                        ),
                    ),
                    class_name="sig-list",
                ),
            ),
        ),
        rx.el.div(
            detail.link_button(
                "download", "pf.download_signed", f.download, download=f.reference + ".pdf", reload_document=True
            ),
            detail.link_button(
                "list-checks",
                "parapheur.bordereau",
                f.bordereau,
                reload_document=True,
                testid="bordereau-download",
            ),
            class_name="actions",
        ),
        data_testid="folder-completed",
    )


def _letter_panel() -> rx.Component:
    """The drafted letter's text, edited in place: preview, then a new version (the circuit restarts)."""
    return detail.shown_card(
        S.panel == "letter",
        detail.panel_head("draft.revise_title", "pf-letter-title", S.open_panel("")),
        rx.el.p(t("draft.revise_hint"), class_name="hint"),
        pf.letter_editor(
            S.letter,
            S.form_key,
            on_submit=S.submit_letter,
            set_intent=S.set_intent,
            submit_key="draft.revise_submit",
            testid="letter-form",
        ),
        pf.letter_preview(S.preview_src, S.preview_pages, "apercu-" + S.f.reference + ".pdf"),
        aria_labelledby="pf-letter-title",
        data_testid="letter-panel",
    )


def _initiator_tools() -> rx.Component:
    return detail.shown_card(
        S.allowed.contains(FolderAction.new_version.value),
        section_title("parapheur.new_version"),
        rx.cond(
            S.has_letter,
            detail.icon_button(
                "file-pen-line",
                "draft.revise_title",
                S.open_panel("letter"),
                kind="primary",
                size=16,
                testid="letter-edit",
            ),
        ),
        rx.el.p(t("pf.version_hint"), class_name="hint"),
        upload_box(
            UPLOAD_ID,
            S.add_version_files(rx.upload_files(upload_id=UPLOAD_ID)),
            "pf.add_files",
            "pf.drop_files",
            accept=ACCEPT,
            icon="file-up",
        ),
        rx.el.ul(
            rx.foreach(
                S.new_files,
                lambda f: rx.el.li(
                    rx.icon("file-text", size=16, aria_hidden="true"),
                    rx.el.span(f.name, dir="auto"),
                    size_text(f),
                    class_name="pf-file",
                ),
            ),
            class_name="pf-files",
        ),
        rx.el.div(
            rx.cond(
                S.new_files.length() > 0,
                detail.icon_button(
                    None,
                    "pf.submit_version",
                    S.submit_version,
                    kind="primary",
                    disabled=S.busy,
                    testid="version-submit",
                ),
            ),
            detail.icon_button(None, "pf.cancel_folder", S.cancel_folder, kind="ghost", testid="folder-cancel"),
            class_name="actions",
        ),
        data_testid="initiator-tools",
    )


def page() -> rx.Component:
    return detail.detail_page(
        S,
        back=("pf.back", routes.PARAPHEUR),
        title_key="pf.folder",
        main=[
            _head(),
            rx.cond(SendState.s_open, send_panel()),
            _actions(),
            _undo_panel(),
            _letter_panel(),
            _completed(),
            _viewer(),
        ],
        side=[
            _steps(),
            detail.history_card(S.history, _event, testid="folder-history", empty_key="pf.no_history"),
            _initiator_tools(),
        ],
        missing=detail.not_found("pf.not_found", "pf.back", routes.PARAPHEUR, "folder-not-found"),
        active=PAGE,
    )


ON_LOAD = FolderState.on_load
TITLE = "Mrasla — Parapheur · الحامل الإلكتروني"
