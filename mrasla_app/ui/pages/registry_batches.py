"""``/registry/batches``: batch scanning — separator sheets, scanned stacks, confirmation of letters.

Registry clerks print separator sheets, put one before each letter, scan the stack as one PDF (or
drop several files) and upload it here. The upload is spooled and inspected like every upload, the
batch is written at once, and the splitting and reading run in a worker thread (and, for anything
left behind, in the jobs loop) — never in the request. Everything lives in the database: the page
only shows it, so closing the browser loses nothing and reopening the page finds the batch where
the worker is. While a batch is being read, a background event refreshes the progress every second.
Each letter is confirmed with its proposals as the clerk corrects them (the number is taken then)
or discarded. Every handler checks the clerk's rights again (``batches.require_clerk``).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import threading

import reflex as rx

from mrasla_app import db
from mrasla_app.services.correspondence import batches
from mrasla_app.services.correspondence.indexing import Proposal
from mrasla_app.services.errors import DomainError, FieldErrors
from mrasla_app.services.platform import storage
from mrasla_app.services.vocabulary import BATCH_WORKING
from mrasla_app.ui import routes
from mrasla_app.ui.components.files import SCAN_ACCEPT
from mrasla_app.ui.components.forms import button, field, icon_button, messages, option, page_title, select_field
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.components.mail import MAIL_TYPES, local_dt
from mrasla_app.ui.i18n import t
from mrasla_app.ui.pages.portal.common import (
    accept_uploads,
    discard_uploads,
    form_data,
    spooled_files,
    upload_box,
    upload_client,
)
from mrasla_app.ui.pages.registry_new import registry_tabs
from mrasla_app.ui.state import SessionState

ROUTE = routes.REGISTRY_BATCHES
PAGE = "registry"
TITLE = "Mrasla — Numérisation par lots · المسح الضوئي بالدفعات"
FORM = "bl"
UPLOAD_ID = "batch-stack"


def _start(batch_id: int) -> None:
    """Split and read the batch in a worker thread (the jobs loop takes over if this process dies)."""
    threading.Thread(target=batches.process, args=(batch_id,), name=f"batch-{batch_id}", daemon=True).start()


@dataclasses.dataclass
class BatchRow:
    """A batch of the administration, as the list shows it."""

    id: int = 0
    filename: str = ""
    status: str = ""
    created: str = ""
    pages: int = 0
    done: int = 0  # pages read


@dataclasses.dataclass
class BatchProgress:
    """The open batch: how far its reading is (id 0: none open)."""

    id: int = 0
    filename: str = ""
    status: str = ""
    pages: int = 0
    done: int = 0  # pages read
    read: int = 0  # letters read
    count: int = 0  # letters found


@dataclasses.dataclass
class LetterRow:
    """A letter found in the open batch."""

    id: int = 0
    position: int = 0
    status: str = ""
    pages: int = 0
    number: str = ""  # its registry number, once confirmed


@dataclasses.dataclass
class LetterDraft:
    """The letter being confirmed: what was read from it, and its first page (id 0: none)."""

    id: int = 0
    position: int = 0
    type_code: str = ""
    preview: str = ""  # a data: URL of the first page
    read: Proposal = Proposal()  # what the reading proposes


class BatchState(SessionState):
    rows: list[BatchRow] = []  # the administration's batches
    batch_id: int = 0
    batch: BatchProgress = BatchProgress()
    letters: list[LetterRow] = []
    current: LetterDraft = LetterDraft()
    sep_type: str = ""
    sep_count: str = "5"
    busy: bool = False
    watching: bool = False

    def _load(self) -> bool:
        """Reload from the database; True while a batch of the page is still being worked on."""
        actor = self._require(PAGE)
        with db.read_session() as session:
            found = batches.batches_of(session, actor)
            self.rows = [
                BatchRow(b.id, b.filename, b.status.value, local_dt(b.created_at), b.pages, b.pages_done) for b in found
            ]
            working = any(b.status.value in BATCH_WORKING for b in found)
            if not self.batch_id:
                return working
            batch, rows = batches.letters_of(session, actor, self.batch_id)
            self.batch = BatchProgress(
                batch.id,
                batch.filename,
                batch.status.value,
                batch.pages,
                batch.pages_done,
                read=sum(r.status.value != "pending" for r in rows),
                count=len(rows),
            )
            numbers = batches.registry_numbers(session, rows)
            self.letters = [LetterRow(r.id, r.position, r.status.value, r.pages, numbers.get(r.id, "")) for r in rows]
            ready = [r for r in rows if r.status.value == "ready"]
            current_id = self.current.id
            keep = next((r for r in ready if r.id == current_id), None)
            letter = keep or (ready[0] if ready else None)
            if letter is None:
                self.current = LetterDraft()
            elif current_id != letter.id:
                proposal = json.loads(letter.proposal or "{}")
                preview = base64.b64encode(storage.get(letter.preview_sha256)).decode() if letter.preview_sha256 else ""
                read = Proposal(**{k.name: str(proposal.get(k.name, "")) for k in dataclasses.fields(Proposal)})
                self.current = LetterDraft(
                    letter.id, letter.position, letter.type_code, f"data:image/jpeg;base64,{preview}", read
                )
            return working or batch.status.value in BATCH_WORKING

    @rx.event
    def on_load(self):
        actor, redirect = self._guard(PAGE)
        self.busy = False
        if actor is None:
            self.rows, self.letters, self.current, self.batch = [], [], LetterDraft(), BatchProgress()
            return redirect
        batch_id = self.router.page.params.get("batch", "")
        self.batch_id = int(batch_id) if str(batch_id).isdigit() else self.batch_id
        try:
            working = self._load()
        except DomainError as exc:
            self.batch_id, self.batch, self.letters, self.current = 0, BatchProgress(), [], LetterDraft()
            self._fail(exc)
            return None
        return BatchState.watch if working else None

    @rx.event(background=True)
    async def watch(self):
        """Refresh every second while a batch is being split and read (one watcher per tab)."""
        async with self:
            if self.watching:
                return
            self.watching = True
        try:
            for _ in range(3600):
                async with self:
                    try:
                        working = await asyncio.to_thread(self._load)
                    except DomainError as exc:
                        self._fail(exc)
                        return
                    if not working:
                        return
                await asyncio.sleep(1)
        finally:
            async with self:
                self.watching = False

    @rx.event
    def open_batch(self, batch_id: str):
        self.batch_id = int(batch_id) if str(batch_id).isdigit() else 0
        self.current = LetterDraft()
        try:
            working = self._load()
        except DomainError as exc:
            self.batch_id, self.batch, self.letters = 0, BatchProgress(), []
            self._fail(exc)
            return None
        return BatchState.watch if working else None

    @rx.event
    def set_sep_type(self, value: str):
        try:
            self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            return
        self.sep_type = value if value in MAIL_TYPES else ""

    @rx.event
    def set_sep_count(self, value: str):
        try:
            self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            return
        self.sep_count = str(value)[:2]

    @rx.event
    def print_separators(self):
        try:
            actor = self._require(PAGE)
            count = int(self.sep_count) if self.sep_count.isdigit() else 0
            with db.read_session() as session:
                pdf = batches.separator_sheets(session, actor, type_code=self.sep_type, count=count)
        except DomainError as exc:
            self._fail(exc)
            return None
        return rx.download(data=pdf, filename="separateurs.pdf", mime_type="application/pdf")

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        """Spool and inspect the files, write the batch, start reading it; the page then follows it."""
        try:
            actor = self._require(PAGE)
        except DomainError as exc:
            self._fail(exc)
            return
        if self.busy:
            return
        self.busy = True
        yield
        client = upload_client(self)
        kept: list[tuple[str, str]] = []
        try:
            refused = await accept_uploads(files, kept, [], client)
            if refused:
                raise refused[0][1]
            items = await spooled_files(client, kept)

            def create() -> int:
                with db.write_session() as session:
                    return batches.create(session, actor, items).id  # type: ignore[return-value]  # a flushed row's id (SQLModel types it Optional)

            batch_id = await asyncio.to_thread(create)
        except DomainError as exc:
            self._fail(exc)
            return
        finally:
            discard_uploads(client, kept)
            self.busy = False
        _start(batch_id)
        self.batch_id, self.current = batch_id, LetterDraft()
        self._ok("batch.uploaded")
        self._load()
        yield BatchState.watch

    @rx.event
    async def confirm(self, form: dict):
        form = form_data(form)
        if self.busy:
            return
        try:
            actor = self._require(PAGE)
            letter_id = self.current.id
            fields = batches.LetterFields(
                **{
                    k: str(form.get(k, "") or "")[:300]
                    for k in (
                        "sender_name",
                        "subject",
                        "reference",
                        "dated",
                        "sender_id_kind",
                        "sender_id_value",
                        "type_code",
                    )
                }
            )
        except DomainError as exc:
            self._fail(exc)
            return
        self.busy = True
        yield

        def register() -> str:
            with db.write_session() as session:
                return batches.confirm(session, actor, letter_id, fields).registry_number

        try:
            number = await asyncio.to_thread(register)
        except FieldErrors as exc:
            self.busy = False
            self._fail(DomainError(next(iter(exc.fields.values())) if exc.fields else "error.invalid_fields"))
            return
        except DomainError as exc:
            self.busy = False
            self._fail(exc)
            return
        self.busy = False
        self.current = LetterDraft()
        self._ok("batch.confirmed")
        self.notice_fr, self.notice_ar, self.notice_en = (
            f"{m} {number}" for m in (self.notice_fr, self.notice_ar, self.notice_en)
        )
        self._load()

    @rx.event
    def close_failed(self):
        try:
            actor = self._require(PAGE)
            with db.write_session() as session:
                batches.close_failed(session, actor, self.batch_id)
            self._ok("batch.closed_failed")
            self._load()
        except DomainError as exc:
            self._fail(exc)

    @rx.event
    def discard(self):
        try:
            actor = self._require(PAGE)
            with db.write_session() as session:
                batches.discard(session, actor, self.current.id)
            self.current = LetterDraft()
            self._ok("batch.discarded")
            self._load()
        except DomainError as exc:
            self._fail(exc)


def _status(value: rx.Var) -> rx.Component:
    return rx.el.span(
        rx.match(
            value,
            *[
                (s, t(f"batch.status.{s}"))
                for s in ("uploaded", "processing", "ready", "failed", "closed", "pending", "confirmed", "discarded")
            ],
            value,
        ),
        class_name="badge badge-" + value,
        data_testid="batch-status",
    )


def _separators() -> rx.Component:
    S = BatchState
    return rx.el.section(
        rx.el.h2(t("batch.separators"), class_name="section-title"),
        rx.el.p(t("batch.separators_hint"), class_name="hint"),
        rx.el.div(
            select_field(
                "sep",
                "type",
                "batch.separator_type",
                [option("", t("reg.none")), *[option(m, t(f"mailtype.{m}")) for m in MAIL_TYPES]],
                value=S.sep_type,
                on_change=S.set_sep_type,
            ),
            field(
                "sep",
                "count",
                "batch.separator_count",
                type="number",
                min=1,
                max=50,
                value=S.sep_count,
                dir="ltr",
                on_change=S.set_sep_count,
            ),
            class_name="form-grid",
        ),
        rx.el.div(
            icon_button(
                "printer",
                "batch.print_separators",
                kind="secondary",
                on_click=S.print_separators,
                data_testid="sep-print",
            ),
            class_name="actions",
        ),
        class_name="card form",
        aria_label=t("batch.separators"),
    )


def _upload() -> rx.Component:
    return rx.el.section(
        rx.el.h2(t("batch.upload"), class_name="section-title"),
        rx.el.p(t("batch.upload_hint"), class_name="hint"),
        upload_box(
            UPLOAD_ID,
            BatchState.upload(rx.upload_files(upload_id=UPLOAD_ID)),
            "batch.upload_drop",
            "deposit.files_drop",
            accept=SCAN_ACCEPT,
            icon="scan-line",
            busy=BatchState.busy,
        ),
        class_name="card form",
        aria_label=t("batch.upload"),
    )


def _list() -> rx.Component:
    S = BatchState
    return rx.el.section(
        rx.el.h2(t("batch.list"), class_name="section-title"),
        rx.cond(S.rows.length() == 0, rx.el.p(t("batch.none"), class_name="muted")),
        rx.el.ul(
            rx.foreach(
                S.rows,
                lambda b: rx.el.li(
                    rx.el.button(
                        rx.el.span(b.filename, dir="auto", class_name="file-name"),
                        rx.el.span(
                            rx.el.span(b.created, dir="ltr"),
                            " · ",
                            b.done,
                            "/",
                            b.pages,
                            " ",
                            t("batch.pages"),
                            class_name="file-meta",
                        ),
                        _status(b.status),
                        type="button",
                        on_click=S.open_batch(b.id.to_string()),
                        class_name="batch-row",
                        aria_current=rx.cond(S.batch.id == b.id, "true", "false"),
                        data_testid="batch-row",
                    ),
                ),
            ),
            class_name="batch-list",
        ),
        class_name="card",
        aria_label=t("batch.list"),
    )


def _progress() -> rx.Component:
    S = BatchState
    return rx.el.div(
        rx.el.p(rx.el.span(S.batch.filename, dir="auto", class_name="strong"), " — ", _status(S.batch.status)),
        rx.el.p(
            t("batch.progress_pages"),
            " ",
            rx.el.span(S.batch.done, "/", S.batch.pages, dir="ltr"),
            " · ",
            t("batch.progress_letters"),
            " ",
            rx.el.span(S.batch.read, "/", S.batch.count, dir="ltr"),
            data_testid="batch-progress",
        ),
        rx.el.progress(
            value=S.batch.done,
            max=S.batch.pages,
            class_name="progress",
            aria_label=t("batch.progress_pages"),
        ),
        rx.cond(
            S.batch.status == "failed",
            rx.el.div(
                rx.el.p(t("error.batch_unreadable"), class_name="field-error", role="alert"),
                button(
                    "batch.close_failed", kind="secondary", on_click=S.close_failed, data_testid="batch-close-failed"
                ),
                class_name="actions",
            ),
        ),
        role="status",
        aria_live="polite",
    )


def _letters() -> rx.Component:
    S = BatchState
    return rx.el.ol(
        rx.foreach(
            S.letters,
            lambda x: rx.el.li(
                rx.el.span(t("batch.letter"), " ", x.position, class_name="strong"),
                rx.el.span(" · ", t("batch.letter_pages"), " ", x.pages, class_name="muted"),
                _status(x.status),
                rx.cond(
                    x.number != "",
                    rx.el.span(x.number, dir="ltr", class_name="reg-number-small", data_testid="batch-letter-number"),
                ),
                class_name="batch-letter",
                data_testid="batch-letter",
            ),
        ),
        class_name="batch-letters",
    )


def _confirm_form() -> rx.Component:
    S = BatchState
    c = S.current
    return rx.el.div(
        rx.el.h3(t("batch.confirm_title"), " ", c.position, class_name="section-title"),
        rx.el.div(
            rx.el.img(src=c.preview, alt=t("batch.preview"), class_name="batch-preview", loading="lazy"),
            rx.el.form(
                rx.el.p(t("batch.proposals_hint"), class_name="hint"),
                field(
                    FORM,
                    "sender_name",
                    "reg.sender_name",
                    default_value=c.read.sender,
                    max_length=150,
                    dir="auto",
                    required=True,
                ),
                rx.el.div(
                    select_field(
                        FORM,
                        "sender_id_kind",
                        "deposit.id_kind",
                        [
                            option("", t("reg.none")),
                            option("CIN", t("deposit.id_kind.CIN")),
                            option("ICE", t("deposit.id_kind.ICE")),
                        ],
                        default_value=c.read.id_kind,
                    ),
                    field(
                        FORM,
                        "sender_id_value",
                        "deposit.id_value",
                        default_value=c.read.id_value,
                        max_length=40,
                        dir="ltr",
                    ),
                    field(
                        FORM, "reference", "batch.reference", default_value=c.read.reference, max_length=60, dir="ltr"
                    ),
                    field(
                        FORM,
                        "dated",
                        "batch.dated",
                        default_value=c.read.dated,
                        max_length=10,
                        dir="ltr",
                        hint_key="batch.dated_hint",
                    ),
                    class_name="form-grid",
                ),
                field(
                    FORM,
                    "subject",
                    "deposit.subject",
                    default_value=c.read.subject,
                    max_length=255,
                    dir="auto",
                    required=True,
                ),
                select_field(
                    FORM,
                    "type_code",
                    "mail.type",
                    [option("", t("common.select"))] + [option(m, t(f"mailtype.{m}")) for m in MAIL_TYPES],
                    default_value=c.type_code,
                ),
                rx.el.div(
                    icon_button("check", "batch.confirm", type="submit", disabled=S.busy, data_testid="batch-confirm"),
                    icon_button(
                        "trash-2",
                        "batch.discard",
                        kind="ghost",
                        on_click=S.discard,
                        disabled=S.busy,
                        data_testid="batch-discard",
                    ),
                    class_name="actions",
                ),
                on_submit=S.confirm,
                key=c.id,
                class_name="form",
                no_validate=True,
                id="bl-form",
            ),
            class_name="batch-confirm-grid",
        ),
        data_testid="batch-current",
    )


def _detail() -> rx.Component:
    S = BatchState
    return rx.cond(
        S.batch_id > 0,
        rx.el.section(
            rx.el.h2(t("batch.detail"), class_name="section-title"),
            _progress(),
            _letters(),
            rx.cond(S.current.id > 0, _confirm_form()),
            class_name="card",
            aria_label=t("batch.detail"),
            data_testid="batch-detail",
        ),
    )


def page() -> rx.Component:
    return layout(
        registry_tabs("batches"),
        page_title("batch.title"),
        rx.el.p(t("batch.intro"), class_name="lead"),
        messages(SessionState),
        _detail(),
        rx.el.div(_upload(), _separators(), class_name="batch-top"),
        _list(),
        active=PAGE,
    )


ON_LOAD = BatchState.on_load
