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
import base64

import reflex as rx

from mrasla_app import db
from mrasla_app.i18n import LANGS, translate
from mrasla_app.services.correspondence import drafting
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.parapheur import annotations as page_notes
from mrasla_app.services.parapheur import decisions, submission, undo, views
from mrasla_app.services.parapheur.lifecycle import FolderAction
from mrasla_app.ui import routes
from mrasla_app.ui.components import page_viewer
from mrasla_app.ui.components import parapheur as pf
from mrasla_app.ui.components.files import ACCEPT, page_count, size_text
from mrasla_app.ui.components.forms import card, messages
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.components.mail import local_dt
from mrasla_app.ui.components.sending import SendState, send_panel
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.portal.common import (
    accept_uploads,
    discard_uploads,
    local_datetime,
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


def _flag(value: bool) -> str:
    return "1" if value else ""


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


class FolderVersionUploads(rx.State):
    """A new version's documents as (name, spool id), server-side only (leaf state)."""

    _files: list[tuple[str, str]] = []


class FolderState(SessionState):
    found: bool = False
    loaded: bool = False
    f: dict[str, str] = {}
    docs: list[dict[str, str]] = []  # annexes {id, name, pages, view, download}
    steps: list[dict[str, str]] = []  # {pos, kind, mode, label_ar, label_fr, status, due}
    participants: list[dict[str, str]] = []  # {step, id, name, name_ar, acted}
    history: list[dict[str, str]] = []
    notes: list[dict[str, str]] = []  # {id, n, body, page, x, y (percent), at, who, who_ar, version, mine}
    may_annotate: bool = False  # initiator or participant (``page_notes.may_annotate``)
    view_page: int = 1  # the page shown in the viewer
    page_total: int = 0
    allowed: list[str] = []  # ``lifecycle.FolderAction`` values the actor may take now (``views.folder_view``)
    signed: bool = False
    can_act: bool = False
    decisions: list[str] = []
    needs_pin: bool = False
    acting_for: list[dict[str, str]] = []  # {id, name}: whom the actor may act for on the active step
    own_slot: bool = False
    panel: str = ""
    busy: bool = False
    is_initiator: bool = False
    # validation report of the signed document
    has_report: bool = False
    report_ok: bool = False
    report_reason: str = ""
    signatures: list[dict[str, str]] = []
    can_send: bool = False  # signed, to send, and the actor is on the sending side (``SendState`` sends)
    sent_number: str = ""
    sent_href: str = ""  # the outgoing (or internal) letter the sending registered
    received_number: str = ""  # its number in the recipient administration's register
    new_files: list[dict[str, str]] = []
    form_key: int = 0
    # delegation and signing key, said before anything is typed
    obo_ar: str = ""  # "par délégation de …" when the actor can only act for someone else
    obo_fr: str = ""
    obo_en: str = ""
    key_problem_ar: str = ""  # why the actor cannot sign yet (no usable key), shown before the PIN
    key_problem_fr: str = ""
    key_problem_en: str = ""
    # the letter drafted in the application (new version from the edited text)
    has_letter: bool = False
    letter: dict[str, str] = {}
    preview_src: str = ""
    preview_pages: str = ""
    _intent: str = "preview"
    _id: int = 0
    _step_id: int = 0
    undo_decision: str = ""  # the actor's own last decision, while it may still be undone
    _undo_action_id: int = 0

    def _clear(self) -> None:
        self.found, self.f, self.docs, self.steps, self.participants = False, {}, [], [], []
        self.history, self.notes, self.decisions, self.acting_for = [], [], [], []
        self.may_annotate, self.page_total, self.allowed, self.signed = False, 0, [], False
        self.can_act = self.needs_pin = self.own_slot = self.is_initiator = False
        self.has_report = self.report_ok = self.can_send = False
        self.undo_decision, self._undo_action_id = "", 0
        self.report_reason, self.sent_number, self.sent_href, self.received_number, self.panel = "", "", "", "", ""
        self.signatures = []
        self.obo_ar = self.obo_fr = self.obo_en = self.key_problem_ar = self.key_problem_fr = self.key_problem_en = ""
        self.preview_src = self.preview_pages = ""
        self.has_letter, self.letter = False, {}
        self._step_id = 0

    def _route_id(self) -> int:
        value = str(self.router.page.params.get("folder_id", "") or "")
        if not value:
            path = str(getattr(self.router.url, "path", "") or "")
            value = path.rstrip("/").rsplit("/", 1)[-1]
        return int(value) if value.isdigit() and len(value) < 12 else 0

    def _load(self, actor: Actor) -> None:
        with db.read_session() as session:
            view = views.folder_view(session, actor, self._id)
        self._fill(view)
        self.found = True

    def _fill(self, v: views.FolderView) -> None:
        version_tag = v.document_sha256[:12]
        fid = v.id
        self.f = {
            "id": str(fid),
            "reference": v.reference,
            "title": v.title,
            "status": v.status,
            "version": str(v.version),
            "created": local_dt(v.created_at),
            "completed": local_dt(v.completed_at),
            "reject_reason": v.reject_reason,
            "initiator_ar": v.initiator.name_ar,
            "initiator_fr": v.initiator.name,
            "corr_number": v.correspondence_number,
            "corr_href": routes.mail_url(v.correspondence_id) if v.correspondence_id is not None else "",
            "main_name": v.main_name,
            "pages": str(v.pages or ""),
            "view": routes.folder_file_url(fid, "document.pdf", inline=True) + f"&v={version_tag}",
            "download": routes.folder_file_url(fid, "document.pdf"),
            "bordereau": routes.folder_file_url(fid, "bordereau.pdf"),
            "sha": v.document_sha256,
            "pages_url": routes.folder_file_url(fid, "pages/"),
            "vtag": version_tag,
            "annotated": routes.folder_file_url(fid, "annotated.pdf"),
        }
        self.docs = [
            {
                "id": str(doc.id),
                "name": doc.name,
                "pages": str(doc.pages),
                "view": routes.folder_file_url(fid, f"documents/{doc.id}", inline=True),
                "download": routes.folder_file_url(fid, f"documents/{doc.id}"),
            }
            for doc in v.annexes
        ]
        self.steps = [
            {
                "pos": str(s.position),
                "kind": s.kind,
                "mode": s.mode,
                "label_ar": s.label_ar,
                "label_fr": s.label_fr,
                "status": s.status,
                "due": local_dt(s.due_on),
            }
            for s in v.steps
        ]
        self.participants = [
            {
                "step": str(s.position),
                "id": str(p.user_id),
                "name": p.name,
                "name_ar": p.name_ar,
                "acted": _flag(p.acted),
            }
            for s in v.steps
            for p in s.participants
        ]
        self.history = [
            {
                "at": local_dt(h.at),
                "who": h.actor,
                "who_ar": h.actor_ar,
                "decision": h.decision,
                "step": str(h.step or ""),
                "kind": h.kind,
                "comment": h.comment,
                "withdrawn": _flag(h.withdrawn),
                "obo_ar": translate("parapheur.by_delegation", "ar", name=h.on_behalf_of_ar) if h.on_behalf_of else "",
                "obo_fr": translate("parapheur.by_delegation", "fr", name=h.on_behalf_of) if h.on_behalf_of else "",
                "obo_en": translate("parapheur.by_delegation", "en", name=h.on_behalf_of) if h.on_behalf_of else "",
            }
            for h in v.history
        ]
        self.may_annotate, self.page_total = v.may_annotate, v.page_total
        self.view_page = min(max(self.view_page, 1), max(self.page_total, 1))
        self.notes = []
        pinned = 0
        for n in v.notes:
            pinned += n.x is not None
            self.notes.append(
                {
                    "id": str(n.id),
                    "n": str(pinned) if n.x is not None else "",
                    "body": n.body,
                    "page": str(n.page or ""),
                    "x": f"{n.x * 100:.2f}" if n.x is not None else "",
                    "y": f"{n.y * 100:.2f}" if n.y is not None else "",
                    "at": local_dt(n.created_at),
                    "who": n.author,
                    "who_ar": n.author_ar,
                    "version": str(n.version),
                    "mine": _flag(n.mine),
                }
            )
        self.allowed = sorted(v.allowed_actions)
        self.can_act, self.needs_pin = bool(v.decisions), v.needs_pin
        self.undo_decision, self._undo_action_id = v.undo_decision, v.undo_action_id
        self.decisions = list(v.decisions)
        self._step_id = v.active_step_id
        self.acting_for = [
            {
                "id": str(p.id),
                "name": p.name,
                "name_ar": p.name_ar,
                "label_ar": translate("parapheur.by_delegation", "ar", name=p.name_ar),
                "label_fr": translate("parapheur.by_delegation", "fr", name=p.name),
                "label_en": translate("parapheur.by_delegation", "en", name=p.name),
            }
            for p in v.acting_for
        ]
        self.own_slot = v.own_slot
        only_for = self.acting_for[0] if (len(self.acting_for) == 1 and not self.own_slot) else None
        self.obo_ar = only_for["label_ar"] if only_for else ""
        self.obo_fr = only_for["label_fr"] if only_for else ""
        self.obo_en = only_for["label_en"] if only_for else ""
        self.key_problem_ar = translate(v.key_problem, "ar") if v.key_problem else ""
        self.key_problem_fr = translate(v.key_problem, "fr") if v.key_problem else ""
        self.key_problem_en = translate(v.key_problem, "en") if v.key_problem else ""
        self.has_letter = v.letter is not None
        if v.letter is not None and self.panel != "letter":
            self.letter = {
                "addressee": v.letter.addressee,
                "place": v.letter.place,
                "subject": v.letter.subject,
                "body": v.letter.body,
            }
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
        rows = []
        for sig in report.signatures:
            when = local_datetime(sig.signing_time) if sig.signing_time else dict.fromkeys(LANGS, "—")
            rows.append(
                {
                    "signer": ", ".join(p for p in (sig.signer_common_name, sig.signer_organization) if p) or "—",
                    "time_ar": when["ar"],
                    "time_fr": when["fr"],
                    "time_en": when["en"],
                    "intact": _flag(sig.intact and sig.valid),
                    "trusted": _flag(sig.trusted and not sig.revoked),
                    "modified": _flag(sig.modified_after_signing),
                    "timestamped": _flag(sig.timestamped and sig.timestamp_valid),
                }
            )
        self.signatures = rows
        self.report_ok, self.report_reason, self.has_report = report.authentic, report.reason or "", True

    async def _reload(self) -> Actor | None:
        try:
            actor = self._require(PAGE)
            self._load(actor)
        except NotFound:
            self._clear()
            return None
        except DomainError as exc:
            self._clear()
            self._fail(exc)
            return None
        await self._fill_report(actor)
        return actor

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
            self._load(actor)
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
        try:
            actor = self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            return
        form = form if isinstance(form, dict) else {}
        comment = str(form.get("comment", ""))[: submission.MAX_COMMENT + 1]
        pin = str(form.get("pin", ""))[:32] if decision == "signed" else None
        chosen = str(form.get("on_behalf_of", ""))
        on_behalf = int(chosen) if chosen in [a["id"] for a in self.acting_for] else None
        if on_behalf is None and not self.own_slot and len(self.acting_for) == 1:
            on_behalf = int(self.acting_for[0]["id"])
        self.busy = True
        self.form_key += 1  # remount the form: the PIN field is empty again at once
        self._clear_messages()
        yield
        try:
            await asyncio.to_thread(_act, actor, self._id, decision, comment, pin, on_behalf, self._step_id)
        except NotFound:
            pin = None
            self.busy = False
            self._clear()
            return
        except DomainError as exc:
            pin = None
            self.busy = False
            self._fail(exc)
            return
        pin = None  # noqa: F841 - not kept anywhere
        self.busy, self.panel = False, ""
        await self._reload()
        self._ok(f"pf.done.{decision}")

    @rx.event
    async def undo_last(self):
        """Withdraw the actor's own last decision (the one shown), if nobody acted since."""
        if self.busy or not self._undo_action_id:
            return
        try:
            actor = self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            return
        self.busy = True
        yield
        try:
            await asyncio.to_thread(_undo, actor, self._id, self._undo_action_id)
        except DomainError as exc:
            self.busy = False
            await self._reload()
            self._fail(exc)
            return
        self.busy = False
        await self._reload()
        self._ok("pf.undo.done")

    @rx.event
    async def annotate(self, form: dict):
        """A comment, pinned where the page was tapped (page, x, y) or on the folder as a whole."""
        try:
            actor = self._require(PAGE)
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
            with db.write_session() as session:
                page_notes.add(session, actor, self._id, body, page=page, x=x, y=y)
        except NotFound:
            self._clear()
            return
        except DomainError as exc:
            self._fail(exc)
            return
        self.form_key += 1
        if page is not None:
            self.view_page = page
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
        try:
            actor = self._require(PAGE)
            with db.write_session() as session:
                submission.cancel(session, actor, self._id)
        except NotFound:
            self._clear()
            return
        except DomainError as exc:
            self._fail(exc)
            return
        await self._reload()
        self._ok("pf.cancelled")

    @rx.event
    async def add_version_files(self, files: list[rx.UploadFile]):
        try:
            self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            return
        store = await self.get_state(FolderVersionUploads)
        kept, shown = list(store._files), list(self.new_files)
        for _name, refused in await accept_uploads(files, kept, shown, upload_client(self)):
            self._fail(refused)
        store._files, self.new_files = kept, shown

    @rx.event
    async def submit_version(self):
        if self.busy:
            return
        try:
            actor = self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            return
        store = await self.get_state(FolderVersionUploads)
        self.busy = True
        yield
        try:
            uploads = await spooled_files(upload_client(self), store._files)
            await asyncio.to_thread(_new_version, actor, self._id, uploads)
        except DomainError as exc:
            self.busy = False
            self._fail(exc)
            return
        discard_uploads(upload_client(self), store._files)
        store._files, self.new_files, self.busy = [], [], False
        await self._reload()
        self._ok("pf.version_done")

    @rx.event
    def set_intent(self, intent: str):
        """Which button submitted the letter form (sent just before the form itself)."""
        self._intent = "save" if intent == "save" else "preview"

    @rx.event
    async def submit_letter(self, form: dict):
        """Preview the edited letter, or save it as the folder's new version (the circuit restarts)."""
        intent, self._intent = self._intent, "preview"
        if self.busy or not (self.has_letter and self.is_initiator):
            return
        values = pf.letter_form_values(form)
        self.letter = values
        try:
            actor = self._require(PAGE)
            with db.read_session() as session:
                draft = drafting.draft_of(session, actor, self._id)
            if draft is None:
                raise DomainError("error.invalid_request")
            text = drafting.LetterText(
                draft.lang, values["addressee"], values["subject"], values["body"], values["place"]
            )
            if intent == "preview":
                with db.read_session() as session:
                    pdf = drafting.preview_revision(session, actor, self._id, text)
                self.preview_src = "data:application/pdf;base64," + base64.b64encode(pdf).decode()
                self.preview_pages = str(drafting.page_count(pdf))
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
        try:
            await asyncio.to_thread(_revise, actor, self._id, text)
        except DomainError as exc:
            self.busy = False
            self._fail(exc)
            return
        self.busy, self.panel, self.preview_src, self.preview_pages = False, "", "", ""
        self.form_key += 1
        await self._reload()
        self._ok("draft.revised")


# --- components -------------------------------------------------------------------------------------


def _head() -> rx.Component:
    S, f = FolderState, FolderState.f
    return card(
        rx.el.div(
            rx.el.code(f["reference"], dir="ltr", class_name="big-code", data_testid="folder-reference"),
            pf.folder_status_badge(f["status"], data_testid="folder-status"),
            class_name="detail-head",
        ),
        rx.el.h2(f["title"], class_name="detail-subject", dir="auto", data_testid="folder-title-text"),
        rx.el.dl(
            rx.el.dt(t("pf.initiator")),
            rx.el.dd(pick(f["initiator_ar"], f["initiator_fr"])),
            rx.el.dt(t("pf.created")),
            rx.el.dd(rx.el.span(f["created"], dir="ltr")),
            rx.el.dt(t("pf.version")),
            rx.el.dd(f["version"]),
            rx.cond(
                f["corr_number"] != "",
                rx.fragment(
                    rx.el.dt(t("pf.linked_mail")),
                    rx.el.dd(rx.el.a(rx.el.code(f["corr_number"], dir="ltr"), href=f["corr_href"])),
                ),
            ),
            rx.cond(
                f["completed"] != "",
                rx.fragment(rx.el.dt(t("pf.completed_at")), rx.el.dd(rx.el.span(f["completed"], dir="ltr"))),
            ),
            class_name="dl",
        ),
        rx.cond(
            f["reject_reason"] != "",
            rx.el.div(
                rx.icon("circle-x", size=18, aria_hidden="true"),
                rx.el.div(
                    rx.el.strong(t("parapheur.reject_reason")),
                    rx.el.p(f["reject_reason"], class_name="pre-wrap", dir="auto"),
                ),
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
                rx.cond(
                    S.sent_href != "",
                    rx.el.a(rx.el.code(S.sent_number, dir="ltr", class_name="nowrap"), href=S.sent_href),
                    rx.el.code(S.sent_number, dir="ltr", class_name="nowrap"),
                ),
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
                rx.el.button(
                    t("sending.open"),
                    type="button",
                    on_click=SendState.open_folder(f["id"]),
                    class_name="btn btn-small btn-primary",
                    data_testid="send-open",
                ),
                class_name="msg msg-info send-note",
                data_testid="folder-to-send",
            ),
        ),
        aria_label=t("pf.folder"),
    )


def _viewer() -> rx.Component:
    f = FolderState.f
    return card(
        rx.el.div(
            rx.el.h2(t("pf.document"), class_name="section-title"),
            rx.el.div(
                rx.el.a(
                    rx.icon("external-link", size=16, aria_hidden="true"),
                    t("mail.view"),
                    href=f["view"],
                    target="_blank",
                    rel="noopener",
                    reload_document=True,
                    class_name="btn btn-small btn-ghost",
                    data_testid="document-open",
                ),
                rx.el.a(
                    rx.icon("download", size=16, aria_hidden="true"),
                    rx.cond(
                        (f["status"] == "completed") | (f["status"] == "sent"),
                        t("pf.download_signed"),
                        t("mail.download"),
                    ),
                    href=f["download"],
                    download=f["reference"] + ".pdf",
                    reload_document=True,
                    class_name="btn btn-small btn-secondary",
                    data_testid="signed-download",
                ),
                rx.cond(
                    FolderState.may_annotate & (FolderState.notes.length() > 0),
                    rx.el.a(
                        rx.icon("message-square-text", size=16, aria_hidden="true"),
                        t("pf.annotated_copy"),
                        href=f["annotated"],
                        download=f["reference"] + "-annotations.pdf",
                        reload_document=True,
                        class_name="btn btn-small btn-ghost",
                        data_testid="annotated-download",
                    ),
                ),
                class_name="row-actions",
            ),
            class_name="card-head",
        ),
        rx.el.p(
            rx.icon("file-text", size=16, aria_hidden="true"),
            rx.el.span(f["main_name"], dir="auto"),
            rx.el.span(" · ", page_count(f["pages"]), data_testid="document-pages"),
            class_name="file-meta",
        ),
        rx.cond(FolderState.page_total > 0, page_viewer.page_figure(FolderState)),
        rx.cond(
            FolderState.may_annotate,
            rx.el.div(
                page_viewer.note_form(FolderState),
                rx.el.h3(t("pf.annotations"), class_name="subsection-title", id="pf-notes-title"),
                page_viewer.note_list(FolderState),
                class_name="pf-notes",
                data_testid="annotations",
            ),
        ),
        rx.cond(
            FolderState.docs.length() > 0,
            rx.fragment(
                rx.el.h3(t("pf.annexes"), class_name="subsection-title"),
                rx.el.ul(
                    rx.foreach(
                        FolderState.docs,
                        lambda d: rx.el.li(
                            rx.icon("paperclip", size=16, aria_hidden="true"),
                            rx.el.span(d["name"], class_name="file-name", dir="auto"),
                            rx.el.span(page_count(d["pages"]), class_name="muted"),
                            rx.el.a(
                                t("mail.view"),
                                href=d["view"],
                                target="_blank",
                                rel="noopener",
                                reload_document=True,
                                class_name="btn btn-small btn-ghost",
                            ),
                            rx.el.a(
                                t("mail.download"),
                                href=d["download"],
                                reload_document=True,
                                class_name="btn btn-small btn-ghost",
                                data_testid="annex-download-" + d["id"],
                            ),
                            class_name="pf-file",
                        ),
                    ),
                    class_name="pf-files",
                    data_testid="annex-list",
                ),
            ),
        ),
    )


def _person(p: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.cond(
            p["acted"] == "1",
            rx.icon("circle-check", size=16, aria_hidden="true", class_name="ok"),
            rx.icon("circle-dashed", size=16, aria_hidden="true", class_name="muted"),
        ),
        rx.el.span(pick(p["name_ar"], p["name"]), dir="auto"),
        class_name="pf-person",
        data_acted=p["acted"],
    )


def _steps() -> rx.Component:
    S = FolderState
    return card(
        rx.el.h2(t("pf.steps"), class_name="section-title"),
        rx.el.ol(
            rx.foreach(
                S.steps,
                lambda s: rx.el.li(
                    rx.el.div(
                        rx.el.span(s["pos"], class_name="pf-step-num", aria_hidden="true"),
                        rx.el.strong(pick(s["label_ar"], s["label_fr"])),
                        rx.el.span(
                            t_choice(s["status"], "pf.step_status.", list(pf.STEP_STATUSES)),
                            class_name="badge pf-st pf-st-" + s["status"],
                        ),
                        rx.cond(s["mode"] == "any", rx.el.span(t("parapheur.mode.any"), class_name="badge")),
                        class_name="pf-step-head",
                    ),
                    rx.el.ul(
                        rx.foreach(S.participants, lambda p: rx.cond(p["step"] == s["pos"], _person(p))),
                        class_name="pf-people-list",
                    ),
                    rx.cond(
                        s["due"] != "",
                        rx.el.p(
                            rx.icon("calendar-clock", size=14, aria_hidden="true"),
                            t("mail.deadline"),
                            " ",
                            rx.el.span(s["due"], dir="ltr"),
                            class_name="muted pf-due",
                        ),
                    ),
                    class_name=rx.cond(s["status"] == "active", "pf-step is-active", "pf-step"),
                    data_testid="step-" + s["pos"],
                    data_status=s["status"],
                ),
            ),
            class_name="pf-steps",
        ),
    )


def _history() -> rx.Component:
    S = FolderState
    return card(
        rx.el.h2(t("mail.history"), class_name="section-title"),
        rx.cond(
            S.history.length() > 0,
            rx.el.ol(
                rx.foreach(
                    S.history,
                    lambda e: rx.el.li(
                        rx.el.span(class_name="timeline-dot", aria_hidden="true"),
                        rx.el.div(
                            rx.el.span(
                                t_choice(e["decision"], "parapheur.decision.", list(pf.DECISIONS)),
                                " · ",
                                pf.kind_label(e["kind"]),
                                " ",
                                e["step"],
                                class_name="timeline-title",
                            ),
                            rx.el.span(
                                rx.el.span(e["at"], dir="ltr"),
                                " · ",
                                pick(e["who_ar"], e["who"]),
                                class_name="timeline-time",
                            ),
                            rx.cond(
                                e["obo_fr"] != "",
                                rx.el.span(
                                    pick(e["obo_ar"], e["obo_fr"], e["obo_en"]),
                                    class_name="badge pf-obo",
                                    data_testid="history-obo",
                                ),
                            ),
                            rx.cond(
                                e["withdrawn"] != "",
                                rx.el.span(t("pf.undo.withdrawn"), class_name="badge", data_testid="history-withdrawn"),
                            ),
                            rx.cond(
                                e["comment"] != "",
                                rx.el.span(e["comment"], class_name="timeline-detail pre-wrap", dir="auto"),
                            ),
                            class_name="timeline-body",
                        ),
                        class_name="timeline-item",
                        data_decision=e["decision"],
                    ),
                ),
                class_name="timeline",
                data_testid="folder-history",
            ),
            rx.el.p(t("pf.no_history"), class_name="muted"),
        ),
    )


def _action_button(decision: str, icon: str, label_key: str, testid: str, kind: str = "secondary") -> rx.Component:
    S = FolderState
    return rx.cond(
        S.decisions.contains(decision),
        rx.el.button(
            rx.icon(icon, size=18, aria_hidden="true"),
            t(label_key),
            rx.cond(S.obo_fr != "", rx.el.span(" · ", pick(S.obo_ar, S.obo_fr, S.obo_en), class_name="btn-obo")),
            type="button",
            on_click=S.open_panel(decision),
            class_name=rx.cond(S.panel == decision, f"btn btn-{kind} is-on", f"btn btn-{kind}"),
            aria_pressed=rx.cond(S.panel == decision, "true", "false"),
            data_testid=testid,
        ),
    )


def _action_form() -> rx.Component:
    S = FolderState
    comment_required = (S.panel == "rejected") | (S.panel == "returned") | (S.panel == "opinion")
    return rx.el.form(
        rx.cond(
            (S.acting_for.length() > 1) | (S.own_slot & (S.acting_for.length() > 0)),
            rx.el.div(
                rx.el.label(t("pf.act_as"), html_for="pf-obo", class_name="label"),
                rx.el.select(
                    rx.cond(S.own_slot, rx.el.option(t("pf.myself"), value="")),
                    rx.foreach(
                        S.acting_for,
                        lambda a: rx.el.option(pick(a["label_ar"], a["label_fr"], a["label_en"]), value=a["id"]),
                    ),
                    id="pf-obo",
                    name="on_behalf_of",
                    class_name="input select",
                    data_testid="on-behalf-select",
                ),
                class_name="field",
            ),
        ),
        rx.el.div(
            rx.el.label(
                rx.match(
                    S.panel,
                    ("rejected", t("parapheur.reject_reason")),
                    ("returned", t("pf.return_reason")),
                    ("opinion", t("pf.opinion_text")),
                    t("pf.comment_optional"),
                ),
                html_for="pf-comment",
                class_name="label",
            ),
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
            class_name="field",
        ),
        rx.cond(
            (S.panel == "signed") & (S.key_problem_fr == ""),
            rx.el.div(
                rx.el.label(t("parapheur.pin"), html_for="pf-pin", class_name="label"),
                rx.el.input(
                    id="pf-pin",
                    name="pin",
                    type="password",
                    input_mode="numeric",
                    auto_complete="one-time-code",
                    pattern="[0-9]{6,12}",
                    min_length=6,
                    max_length=12,
                    required=True,
                    dir="ltr",
                    class_name="input pf-pin",
                    data_testid="pin-input",
                    aria_describedby="pf-pin-hint",
                ),
                rx.el.p(t("pf.pin_hint"), id="pf-pin-hint", class_name="hint"),
                page_viewer.pin_pad(),
                class_name="field",
            ),
        ),
        rx.el.div(
            rx.el.button(
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
                rx.cond(S.obo_fr != "", rx.el.span(" · ", pick(S.obo_ar, S.obo_fr, S.obo_en))),
                type="submit",
                disabled=S.busy | ((S.panel == "signed") & (S.key_problem_fr != "")),
                class_name=rx.cond(S.panel == "rejected", "btn btn-danger", "btn btn-primary"),
                data_testid="action-submit",
            ),
            rx.el.button(t("common.cancel"), type="button", on_click=S.open_panel(""), class_name="btn btn-ghost"),
            class_name="actions",
        ),
        on_submit=S.submit_action,
        class_name="form pf-action-form",
        key=S.form_key,
        data_testid="action-form",
    )


def _actions() -> rx.Component:
    S = FolderState
    return rx.cond(
        S.can_act,
        card(
            rx.el.h2(t("pf.your_turn"), class_name="section-title", id="pf-act-title"),
            rx.cond(
                S.obo_fr != "",
                rx.el.p(
                    rx.icon("users", size=16, aria_hidden="true"),
                    t("draft.obo_notice"),
                    " ",
                    rx.el.strong(pick(S.obo_ar, S.obo_fr, S.obo_en)),
                    class_name="msg msg-info",
                    data_testid="obo-notice",
                ),
            ),
            rx.cond(
                S.key_problem_fr != "",
                rx.el.div(
                    rx.icon("key-round", size=18, aria_hidden="true"),
                    rx.el.div(
                        rx.el.p(pick(S.key_problem_ar, S.key_problem_fr, S.key_problem_en)),
                        rx.el.a(t("draft.key_create"), href=routes.ACCOUNT, class_name="btn btn-small btn-secondary"),
                    ),
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
        ),
    )


def _undo_panel() -> rx.Component:
    """The actor's own last decision, with its undo, while the next participant has not acted."""
    S = FolderState
    return rx.cond(
        S.undo_decision != "",
        rx.el.div(
            rx.icon("undo-2", size=18, aria_hidden="true"),
            rx.el.span(
                t("pf.undo.last"),
                " ",
                rx.el.strong(t_choice(S.undo_decision, "parapheur.decision.", list(pf.DECISIONS))),
            ),
            rx.el.button(
                t("pf.undo.action"),
                type="button",
                on_click=S.undo_last,
                disabled=S.busy,
                class_name="btn btn-small btn-secondary",
                data_testid="undo-decision",
            ),
            class_name="msg msg-info pf-undo",
            data_testid="undo-panel",
        ),
    )


def _check(label_key: str, value: rx.Var, good_when: bool = True) -> rx.Component:
    good = (value == "1") if good_when else (value != "1")
    return rx.el.li(
        rx.cond(
            good,
            rx.icon("circle-check", size=16, aria_hidden="true", class_name="ok"),
            rx.icon("circle-x", size=16, aria_hidden="true", class_name="bad"),
        ),
        rx.el.span(t(label_key)),
        rx.el.strong(rx.cond(value == "1", t("common.yes"), t("common.no"))),
        class_name=rx.cond(good, "check-row is-ok", "check-row is-bad"),
    )


def _completed() -> rx.Component:
    S = FolderState
    return rx.cond(
        (S.f["status"] == "completed") | (S.f["status"] == "sent"),
        card(
            rx.el.h2(t("pf.report"), class_name="section-title"),
            rx.cond(
                S.has_report,
                rx.fragment(
                    verdict(S.report_ok, testid="report-verdict"),
                    rx.el.ol(
                        rx.foreach(
                            S.signatures,
                            lambda sig: rx.el.li(
                                rx.el.dl(
                                    rx.el.dt(t("verify.sig.signer")),
                                    rx.el.dd(sig["signer"], dir="auto", data_testid="report-signer"),
                                    rx.el.dt(t("verify.sig.time")),
                                    rx.el.dd(pick(sig["time_ar"], sig["time_fr"], sig["time_en"])),
                                    class_name="dl dl-stack",
                                ),
                                rx.el.ul(
                                    _check("verify.sig.intact", sig["intact"]),
                                    _check("verify.sig.trusted", sig["trusted"]),
                                    _check("verify.sig.timestamped", sig["timestamped"]),
                                    _check("verify.sig.modified", sig["modified"], good_when=False),
                                    class_name="check-list",
                                ),
                                class_name="sig-item",
                                data_testid="report-signature",
                            ),
                        ),
                        class_name="sig-list",
                    ),
                ),
            ),
            rx.el.div(
                rx.el.a(
                    rx.icon("download", size=16, aria_hidden="true"),
                    t("pf.download_signed"),
                    href=S.f["download"],
                    download=S.f["reference"] + ".pdf",
                    reload_document=True,
                    class_name="btn btn-secondary",
                ),
                rx.el.a(
                    rx.icon("list-checks", size=16, aria_hidden="true"),
                    t("parapheur.bordereau"),
                    href=S.f["bordereau"],
                    reload_document=True,
                    class_name="btn btn-secondary",
                    data_testid="bordereau-download",
                ),
                class_name="actions",
            ),
            data_testid="folder-completed",
        ),
    )


def _letter_panel() -> rx.Component:
    """The drafted letter's text, edited in place: preview, then a new version (the circuit restarts)."""
    S = FolderState
    return rx.cond(
        S.panel == "letter",
        card(
            rx.el.div(
                rx.el.h2(t("draft.revise_title"), class_name="section-title", id="pf-letter-title"),
                rx.el.button(
                    rx.icon("x", size=18, aria_hidden="true"),
                    type="button",
                    on_click=S.open_panel(""),
                    class_name="btn btn-small btn-ghost",
                    aria_label=t("common.close"),
                ),
                class_name="card-head",
            ),
            rx.el.p(t("draft.revise_hint"), class_name="hint"),
            pf.letter_editor(
                S.letter,
                S.form_key,
                on_submit=S.submit_letter,
                set_intent=S.set_intent,
                submit_key="draft.revise_submit",
                testid="letter-form",
            ),
            pf.letter_preview(S.preview_src, S.preview_pages, "apercu-" + S.f["reference"] + ".pdf"),
            aria_labelledby="pf-letter-title",
            data_testid="letter-panel",
        ),
    )


def _initiator_tools() -> rx.Component:
    S = FolderState
    return rx.cond(
        S.allowed.contains(FolderAction.new_version.value),
        card(
            rx.el.h2(t("parapheur.new_version"), class_name="section-title"),
            rx.cond(
                S.has_letter,
                rx.el.button(
                    rx.icon("file-pen-line", size=16, aria_hidden="true"),
                    t("draft.revise_title"),
                    type="button",
                    on_click=S.open_panel("letter"),
                    class_name="btn btn-primary",
                    data_testid="letter-edit",
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
                        rx.el.span(f["name"], dir="auto"),
                        size_text(f),
                        class_name="pf-file",
                    ),
                ),
                class_name="pf-files",
            ),
            rx.el.div(
                rx.cond(
                    S.new_files.length() > 0,
                    rx.el.button(
                        t("pf.submit_version"),
                        type="button",
                        on_click=S.submit_version,
                        disabled=S.busy,
                        class_name="btn btn-primary",
                        data_testid="version-submit",
                    ),
                ),
                rx.el.button(
                    t("pf.cancel_folder"),
                    type="button",
                    on_click=S.cancel_folder,
                    class_name="btn btn-ghost",
                    data_testid="folder-cancel",
                ),
                class_name="actions",
            ),
            data_testid="initiator-tools",
        ),
    )


def not_found() -> rx.Component:
    return rx.el.div(
        rx.icon("file-question", size=44, class_name="empty-icon", aria_hidden="true"),
        rx.el.p(t("pf.not_found"), class_name="section-title"),
        rx.el.a(t("pf.back"), href=routes.PARAPHEUR, class_name="btn btn-secondary"),
        class_name="empty-state card",
        data_testid="folder-not-found",
    )


def page() -> rx.Component:
    S = FolderState
    return layout(
        rx.el.a(
            rx.icon("arrow-left", size=16, aria_hidden="true", class_name="flip-rtl"),
            t("pf.back"),
            href=routes.PARAPHEUR,
            class_name="back-link",
        ),
        rx.el.h1(t("pf.folder"), id="page-title", class_name="page-title sr-only", data_testid="page-title"),
        messages(S),
        rx.cond(
            S.found,
            rx.el.div(
                rx.el.div(
                    _head(),
                    rx.cond(SendState.s_open, send_panel()),
                    _actions(),
                    _undo_panel(),
                    _letter_panel(),
                    _completed(),
                    _viewer(),
                    class_name="detail-main",
                ),
                rx.el.div(_steps(), _history(), _initiator_tools(), class_name="detail-side"),
                class_name="detail-grid",
            ),
            rx.cond(S.loaded, not_found()),
        ),
        active=PAGE,
        wide=True,
    )


ON_LOAD = FolderState.on_load
TITLE = "Mrasla — Parapheur · الحامل الإلكتروني"
