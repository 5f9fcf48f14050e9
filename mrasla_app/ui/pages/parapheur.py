"""``/parapheur``: the signature book's queues (to visa, to sign, my folders, done) and the
"new folder" form (title, optional link to an incoming correspondence, documents, circuit).

Everything listed comes from ``parapheur.views.queue_rows`` for the actor resolved from the session
cookie on every event. Uploaded documents are read with a hard cap, inspected at once and kept
only in a backend-only state (``FolderUploads``): never in Reflex's public upload directory,
never sent back to the browser (only names, sizes and page counts are). Creating and starting
the folder (which prepares the signature page with pyHanko) runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from mrasla_app import db
from mrasla_app.i18n import translate
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError
from mrasla_app.services.parapheur import circuits, submission, views
from mrasla_app.ui import routes
from mrasla_app.ui.components import parapheur as pf
from mrasla_app.ui.components.choices import Choice
from mrasla_app.ui.components.files import ACCEPT, UploadedFile, page_count, size_text
from mrasla_app.ui.components.forms import card, messages, page_title
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.components.mail import local_dt
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.portal.common import (
    accept_uploads,
    discard_uploads,
    spooled_files,
    upload_box,
    upload_client,
)
from mrasla_app.ui.state import SessionState

ROUTE = routes.PARAPHEUR
PAGE = "parapheur"
UPLOAD_ID = "folder-files"


def staff_people(session, administration_id: int | None) -> list[pf.Staff]:
    """Active staff of the administration, labelled with their roles, for picking step participants."""
    out = []
    for p in circuits.staff_choices(session, administration_id):
        roles = [(circuits.role_labels(role) if role else (role, role), code) for role, code in p.roles]
        roles_fr = ", ".join(f"{fr} {code}" for (fr, _), code in roles)
        roles_ar = "، ".join(f"{ar} {code}" for (_, ar), code in roles)
        out.append(pf.Staff(p.id, p.name_ar, p.name, f"{p.name_ar} — {roles_ar}", f"{p.name} — {roles_fr}"))
    return out


@dataclasses.dataclass
class QueueRow:
    """A folder in a parapheur queue; ``step`` is the current step's number (0: none), ``obo_*`` says
    "by delegation of …" when the actor acts for someone else."""

    id: int = 0
    reference: str = ""
    title: str = ""
    status: str = ""
    href: str = ""
    initiator_ar: str = ""
    initiator_fr: str = ""
    at: str = ""
    step: int = 0
    step_ar: str = ""
    step_fr: str = ""
    obo_ar: str = ""
    obo_fr: str = ""
    obo_en: str = ""


def queue_rows(rows: list[views.QueueRow]) -> list[QueueRow]:
    return [
        QueueRow(
            id=r.folder_id,
            reference=r.reference,
            title=r.title,
            status=r.status,
            href=routes.folder_url(r.folder_id),
            initiator_ar=r.initiator_ar,
            initiator_fr=r.initiator,
            at=local_dt(r.at),
            step=r.step or 0,
            step_ar=r.step_label_ar,
            step_fr=r.step_label_fr,
            obo_ar=translate("parapheur.by_delegation", "ar", name=r.on_behalf_of_ar) if r.on_behalf_of else "",
            obo_fr=translate("parapheur.by_delegation", "fr", name=r.on_behalf_of) if r.on_behalf_of else "",
            obo_en=translate("parapheur.by_delegation", "en", name=r.on_behalf_of) if r.on_behalf_of else "",
        )
        for r in rows
    ]


@dataclasses.dataclass
class LetterNumber:
    """A recent correspondence the new folder may be linked to (the number picker's suggestions)."""

    number: str = ""
    subject: str = ""


def _create_and_start(
    actor: Actor,
    title: str,
    number: str,
    uploads: list[tuple[str, bytes]],
    template_id: int | None,
    steps: list[dict] | None,
) -> int:
    """One transaction: the draft folder, its documents and the started circuit (worker thread)."""
    with db.write_session() as session:
        folder = submission.create_for_number(session, actor, title, number, uploads)
        submission.start(
            session,
            actor,
            folder.id,
            template_id=template_id,
            steps=None if template_id is not None else steps,
        )
        return folder.id  # type: ignore[return-value]  # a flushed row's id (SQLModel types it Optional)


class FolderUploads(rx.State):
    """The accepted documents for the folder being created as (name, spool id): server-side only, in a
    leaf state."""

    _files: list[tuple[str, str]] = []


class ParapheurState(SessionState):
    queue: str = ""
    queues: list[str] = list(pf.QUEUES)
    counts: dict[str, int] = {q: 0 for q in pf.QUEUES}
    rows: list[QueueRow] = []
    loaded: bool = False
    # the "new folder" form
    creating: bool = False
    can_create: bool = False
    busy: bool = False
    circuit: str = "adhoc"  # or "template"
    templates: list[Choice] = []
    staff: list[pf.Staff] = []
    steps: list[pf.Step] = []
    people: list[pf.Person] = []
    numbers: list[LetterNumber] = []  # recent visible correspondence
    files: list[UploadedFile] = []
    file_error_ar: str = ""
    file_error_fr: str = ""
    file_error_en: str = ""
    link_number: str = ""  # prefilled when coming from a letter ("upload a prepared PDF")
    form_key: int = 0

    def _clear(self) -> None:
        self.rows, self.counts, self.loaded = [], {q: 0 for q in pf.QUEUES}, False
        self.templates, self.staff, self.numbers = [], [], []

    def _fetch(self, actor: Actor) -> None:
        with db.read_session() as session:
            counts = views.queue_counts(session, actor)
            if self.queue not in pf.QUEUES:
                self.queue = views.first_queue(actor, counts)
            self.rows = queue_rows(views.queue_rows(session, actor, self.queue))
        self.counts, self.loaded = counts, True

    def _run(self) -> None:
        try:
            self._fetch(self._require(PAGE))
        except DomainError as exc:
            self._clear()
            self._fail(exc)

    def _load_form_data(self, actor: Actor) -> None:
        with db.read_session() as session:
            self.staff = staff_people(session, actor.administration_id)
            self.templates = (
                [Choice(tp.id, tp.name_ar, tp.name_fr) for tp in circuits.list_templates(session, actor)]
                if actor.administration_id
                else []
            )
            rows = views.linkable_letters(session, actor)
        self.numbers = [LetterNumber(n, s[:80]) for n, s in rows]

    @rx.event
    async def on_load(self):
        actor, redirect = self._guard(PAGE)
        self._clear()
        self.creating, self.busy = False, False
        if actor is None:
            return redirect
        self.can_create = bool(actor.administration_id and actor.memberships)
        self._run()
        params = self.router.page.params
        if self.can_create and str(params.get("new", "")) == "1":  # from a letter: "upload a prepared PDF"
            number = str(params.get("number", "") or "")[:40]
            await self._open_new(actor)
            self.link_number = number
        return None

    @rx.event
    def set_queue(self, queue: str):
        self.queue = queue if queue in pf.QUEUES else "my_folders"
        self._run()

    @rx.event
    def refresh(self):
        self._run()

    @rx.event
    async def open_new(self):
        try:
            actor = self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            return
        await self._open_new(actor)

    async def _open_new(self, actor: Actor) -> None:
        try:
            self._load_form_data(actor)
        except DomainError as exc:
            self._fail(exc)
            return
        self.link_number = ""
        store = await self.get_state(FolderUploads)
        discard_uploads(upload_client(self), store._files)
        store._files = []
        self.files, self.file_error_ar, self.file_error_fr, self.file_error_en = [], "", "", ""
        self.steps = pf.first_steps()
        self.people = []
        self.circuit = "template" if self.templates else "adhoc"
        self.creating = True
        self.form_key += 1
        self._clear_messages()

    @rx.event
    async def close_new(self):
        store = await self.get_state(FolderUploads)
        discard_uploads(upload_client(self), store._files)
        store._files = []
        self.creating, self.files, self.steps, self.people = False, [], [], []

    @rx.event
    def set_circuit(self, value: str):
        self.circuit = "template" if value == "template" and self.templates else "adhoc"

    # step editor
    @rx.event
    def add_step(self):
        pf.add_step(self)

    @rx.event
    def remove_step(self, index: int):
        pf.remove_step(self, index)

    @rx.event
    def set_step(self, index: int, name: str, value: str):
        pf.set_step(self, index, name, value)

    @rx.event
    def add_person(self, index: int, user_id: str):
        pf.add_person(self, index, user_id)

    @rx.event
    def remove_person(self, index: int, user_id: str):
        pf.remove_person(self, index, user_id)

    # documents
    @rx.event
    async def add_files(self, files: list[rx.UploadFile]):
        """Spool, cap and inspect each file now; keep the accepted files on the server's disk only."""
        try:
            self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            return
        store = await self.get_state(FolderUploads)
        kept, shown = list(store._files), list(self.files)
        self.file_error_ar = self.file_error_fr = self.file_error_en = ""
        for name, refused in await accept_uploads(files, kept, shown, upload_client(self)):
            self.file_error_ar = f"{name} : " + translate(refused.code, "ar", **refused.params)
            self.file_error_fr = f"{name} : " + translate(refused.code, "fr", **refused.params)
            self.file_error_en = f"{name}: " + translate(refused.code, "en", **refused.params)
        store._files, self.files = kept, shown

    @rx.event
    async def remove_file(self, index: int):
        store = await self.get_state(FolderUploads)
        if isinstance(index, int) and 0 <= index < len(store._files):
            discard_uploads(upload_client(self), store._files[index : index + 1])
            store._files = store._files[:index] + store._files[index + 1 :]
            self.files = self.files[:index] + self.files[index + 1 :]

    @rx.event
    async def create(self, form: dict):
        if self.busy:
            return
        try:
            actor = self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            return
        form = form if isinstance(form, dict) else {}
        title = str(form.get("title", ""))[:300]
        number = " ".join(str(form.get("number", "")).split()).upper().replace("-", "/")[:40]
        template = str(form.get("template_id", ""))
        template_id = None
        if self.circuit == "template":
            if not any(str(tp.id) == template for tp in self.templates):
                self._fail(DomainError("error.invalid_circuit"))
                return
            template_id = int(template)
        store = await self.get_state(FolderUploads)
        steps = pf.step_specs(self) if template_id is None else None
        self.busy = True
        self._clear_messages()
        yield
        try:
            uploads = await spooled_files(upload_client(self), store._files)
            folder_id = await asyncio.to_thread(_create_and_start, actor, title, number, uploads, template_id, steps)
        except DomainError as exc:
            self.busy = False
            self._fail(exc)
            return
        discard_uploads(upload_client(self), store._files)
        store._files = []
        self.busy, self.creating, self.files, self.steps, self.people = False, False, [], [], []
        self.queue = "my_folders"
        yield rx.redirect(routes.folder_url(folder_id))


# --- components -------------------------------------------------------------------------------------


def _tab(queue: str) -> rx.Component:
    S = ParapheurState
    active = S.queue == queue
    return rx.el.button(
        rx.el.span(t(f"parapheur.queue.{queue}")),
        rx.el.span(
            S.counts[queue].to_string(),
            class_name=rx.cond(S.counts[queue] > 0, "count count-on", "count"),
            data_testid=f"pf-count-{queue}",
        ),
        type="button",
        on_click=S.set_queue(queue),
        class_name=rx.cond(active, "qtab is-active", "qtab"),
        aria_pressed=rx.cond(active, "true", "false"),
        data_testid=f"pf-queue-{queue}",
    )


def folder_row(r: rx.Var) -> rx.Component:
    return rx.el.a(
        rx.el.span(
            rx.el.code(r.reference, dir="ltr", class_name="mr-number"),
            rx.el.span(r.at, dir="ltr", class_name="mr-date muted"),
            class_name="mr-cell mr-id",
        ),
        rx.el.span(
            rx.el.span(r.title, class_name="mr-subject", dir="auto"),
            rx.el.span(pick(r.initiator_ar, r.initiator_fr), class_name="mr-sender muted"),
            class_name="mr-cell mr-main",
        ),
        rx.el.span(
            pf.folder_status_badge(r.status),
            rx.cond(
                r.obo_fr != "",
                rx.el.span(
                    rx.icon("repeat", size=14, aria_hidden="true"),
                    pick(r.obo_ar, r.obo_fr, r.obo_en),
                    class_name="badge pf-obo",
                    data_testid="pf-obo",
                ),
            ),
            class_name="mr-cell mr-badges",
        ),
        rx.el.span(
            rx.cond(
                r.step > 0,
                rx.el.span(
                    rx.el.span(r.step.to_string(), class_name="pf-step-num", aria_hidden="true"),
                    rx.el.span(pick(r.step_ar, r.step_fr)),
                    class_name="pf-step-chip",
                ),
            ),
            class_name="mr-cell mr-unit",
        ),
        href=r.href,
        class_name="mail-row pf-row",
        data_testid="pf-row-" + r.id.to_string(),
        data_reference=r.reference,
    )


def _list_head() -> rx.Component:
    return rx.el.div(
        rx.el.span(t("pf.reference"), class_name="mr-cell mr-id"),
        rx.el.span(t("pf.title_initiator"), class_name="mr-cell mr-main"),
        rx.el.span(t("field.status"), class_name="mr-cell mr-badges"),
        rx.el.span(t("pf.current_step"), class_name="mr-cell mr-unit"),
        class_name="mail-row mail-head pf-row",
        aria_hidden="true",
    )


def _file_item(f: rx.Var, i: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.icon("file-text", size=18, aria_hidden="true", class_name="file-icon"),
        rx.el.span(f.name, class_name="file-name", dir="auto"),
        rx.el.span(rx.cond(i == 0, t("pf.main_document"), t("pf.annex")), class_name="badge"),
        rx.el.span(page_count(f.pages.to_string()), class_name="muted"),
        size_text(f),
        rx.el.button(
            rx.icon("x", size=16, aria_hidden="true"),
            type="button",
            on_click=ParapheurState.remove_file(i),
            class_name="btn btn-small btn-ghost",
            aria_label=t("common.remove"),
        ),
        class_name="pf-file",
    )


def _new_form() -> rx.Component:
    S = ParapheurState
    return card(
        rx.el.div(
            rx.el.h2(t("pf.new_title"), class_name="section-title", id="new-folder-title"),
            rx.el.button(
                rx.icon("x", size=18, aria_hidden="true"),
                type="button",
                on_click=S.close_new,
                class_name="btn btn-small btn-ghost",
                aria_label=t("common.close"),
            ),
            class_name="card-head",
        ),
        rx.el.form(
            rx.el.div(
                rx.el.label(t("pf.folder_title"), html_for="folder-title", class_name="label"),
                rx.el.input(
                    id="folder-title",
                    name="title",
                    required=True,
                    max_length=255,
                    class_name="input",
                    dir="auto",
                    data_testid="folder-title",
                ),
                class_name="field",
            ),
            rx.el.div(
                rx.el.label(t("pf.link_number"), html_for="folder-number", class_name="label"),
                rx.el.input(
                    id="folder-number",
                    name="number",
                    list="folder-numbers",
                    max_length=40,
                    dir="ltr",
                    default_value=S.link_number,
                    placeholder="MEF/2026/A/000001",
                    class_name="input",
                    auto_complete="off",
                    aria_describedby="folder-number-hint",
                    data_testid="folder-number",
                ),
                rx.el.datalist(
                    rx.foreach(S.numbers, lambda n: rx.el.option(n.subject, value=n.number)), id="folder-numbers"
                ),
                rx.el.p(t("pf.link_hint"), id="folder-number-hint", class_name="hint"),
                class_name="field",
            ),
            rx.el.div(
                rx.el.span(t("pf.documents"), class_name="label"),
                rx.el.p(t("pf.documents_hint"), class_name="hint"),
                upload_box(
                    UPLOAD_ID,
                    S.add_files(rx.upload_files(upload_id=UPLOAD_ID)),
                    "pf.add_files",
                    "pf.drop_files",
                    accept=ACCEPT,
                    icon="file-up",
                ),
                rx.cond(
                    S.file_error_fr != "",
                    rx.el.p(
                        rx.icon("circle-alert", size=16, aria_hidden="true"),
                        rx.el.span(pick(S.file_error_ar, S.file_error_fr, S.file_error_en)),
                        role="alert",
                        class_name="field-error",
                        data_testid="folder-files-error",
                    ),
                ),
                rx.el.ul(rx.foreach(S.files, _file_item), class_name="pf-files", data_testid="folder-file-list"),
                class_name="field",
            ),
            rx.el.fieldset(
                rx.el.legend(t("pf.circuit"), class_name="label"),
                rx.cond(
                    S.templates.length() > 0,
                    rx.el.div(
                        rx.el.button(
                            t("pf.circuit_template"),
                            type="button",
                            on_click=S.set_circuit("template"),
                            class_name=rx.cond(S.circuit == "template", "segment is-on", "segment"),
                            aria_pressed=rx.cond(S.circuit == "template", "true", "false"),
                            data_testid="circuit-use-template",
                        ),
                        rx.el.button(
                            t("pf.circuit_adhoc"),
                            type="button",
                            on_click=S.set_circuit("adhoc"),
                            class_name=rx.cond(S.circuit == "adhoc", "segment is-on", "segment"),
                            aria_pressed=rx.cond(S.circuit == "adhoc", "true", "false"),
                            data_testid="circuit-use-adhoc",
                        ),
                        class_name="segmented pf-segmented",
                    ),
                ),
                rx.cond(
                    S.circuit == "template",
                    rx.el.div(
                        rx.el.label(t("pf.template"), html_for="folder-template", class_name="label"),
                        rx.el.select(
                            rx.foreach(
                                S.templates,
                                lambda tp: rx.el.option(pick(tp.label_ar, tp.label_fr), value=tp.id.to_string()),
                            ),
                            id="folder-template",
                            name="template_id",
                            class_name="input select",
                            data_testid="folder-template",
                        ),
                        class_name="field",
                    ),
                    pf.step_editor(S),
                ),
                class_name="field fieldset",
            ),
            rx.el.div(
                rx.el.button(
                    rx.cond(
                        S.busy,
                        rx.icon("loader-circle", size=18, class_name="spin", aria_hidden="true"),
                        rx.icon("send", size=18, aria_hidden="true", class_name="flip-rtl"),
                    ),
                    t("pf.start"),
                    type="submit",
                    disabled=S.busy,
                    class_name="btn btn-primary",
                    data_testid="folder-start",
                ),
                rx.el.button(t("common.cancel"), type="button", on_click=S.close_new, class_name="btn btn-ghost"),
                class_name="actions",
            ),
            on_submit=S.create,
            class_name="form",
            key=S.form_key,
        ),
        aria_labelledby="new-folder-title",
        data_testid="new-folder",
    )


def page() -> rx.Component:
    S = ParapheurState
    return layout(
        rx.el.div(
            page_title("parapheur.title"),
            rx.cond(
                S.can_create & ~S.creating,
                rx.el.button(
                    rx.icon("file-plus", size=18, aria_hidden="true"),
                    t("pf.new"),
                    type="button",
                    on_click=S.open_new,
                    class_name="btn btn-primary",
                    data_testid="new-folder-open",
                ),
            ),
            class_name="page-head",
        ),
        rx.el.p(t("parapheur.intro"), class_name="lead"),
        messages(S),
        rx.cond(S.creating, _new_form()),
        rx.el.nav(
            *[_tab(q) for q in pf.QUEUES], class_name="qtabs", aria_label=t("pf.queues"), data_testid="pf-queues"
        ),
        rx.cond(
            ((S.queue == "to_sign") | (S.queue == "to_visa")) & (S.rows.length() > 0),
            rx.el.a(
                rx.icon("list-checks", size=18, aria_hidden="true"),
                t("pb.open_batch"),
                href=rx.cond(S.queue == "to_sign", routes.batch_url("sign"), routes.batch_url("visa")),
                class_name="btn btn-secondary pb-open-batch",
                data_testid="pf-batch-link",
            ),
        ),
        rx.cond(
            S.rows.length() > 0,
            rx.el.div(_list_head(), rx.foreach(S.rows, folder_row), class_name="mail-list", data_testid="pf-list"),
            rx.cond(
                S.loaded,
                rx.el.div(
                    rx.icon("pen-line", size=40, class_name="empty-icon", aria_hidden="true"),
                    rx.el.p(t_choice(S.queue, "pf.empty.", list(pf.QUEUES))),
                    class_name="empty-state card",
                    data_testid="empty-state",
                ),
            ),
        ),
        active=PAGE,
        wide=True,
    )


ON_LOAD = ParapheurState.on_load
TITLE = "Mrasla — Parapheur · الحامل الإلكتروني"
