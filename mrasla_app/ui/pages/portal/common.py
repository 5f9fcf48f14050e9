"""What the public portal pages share: the base state, rate limits, URL parsing and components.

Nothing the browser sends is trusted: route arguments and tokens are re-read from the URL of the
page load on the server, kept in ``_``-prefixed backend vars, and every handler re-checks them
through the services. Uploaded files are spooled to a private directory on disk with a hard cap
and quotas (never kept in memory or state), and never leave the server.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import reflex as rx
from starlette.datastructures import UploadFile as StarletteUploadFile

from mrasla_app import db
from mrasla_app.api.limits import Limiter
from mrasla_app.documents.receipts import format_datetime_ar, format_datetime_en, format_datetime_fr
from mrasla_app.i18n import translate
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import files as file_service
from mrasla_app.services.platform import spool
from mrasla_app.services.portal import tracking, views
from mrasla_app.services.vocabulary import TRACKED_STATUSES
from mrasla_app.settings import get_settings
from mrasla_app.ui import routes
from mrasla_app.ui.components.files import SizedFile, UploadedFile, page_count, size_label, size_text
from mrasla_app.ui.components.forms import card, section_title
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.state import SessionState

MILESTONE_KEYS = sorted(set(tracking.PUBLIC_MILESTONES.values()))
# Per client address (each worker process counts on its own, see api.limits): look-ups (PDF checks,
# QR pages, attachment checks, tracking links) and tracking-code requests.
lookup_limit = Limiter("portal-lookup", limit=30, window=60)
track_limit = Limiter("portal-track", limit=10, window=600)
MB = 1024 * 1024
ID_KINDS = ("CIN", "ICE")  # identifier kinds a depositor may give (``deposits.DepositForm.id_kind``)


def local_datetime(at: datetime) -> dict[str, str]:
    """``{"ar": ..., "fr": ..., "en": ...}``: the time in Africa/Casablanca, as printed on the receipt."""
    return {"ar": format_datetime_ar(at), "fr": format_datetime_fr(at), "en": format_datetime_en(at)}


def real_uploads(files: Any) -> list[Any]:
    """Only genuine uploaded files: any client can call an upload handler with any JSON payload."""
    return [f for f in files if isinstance(f, StarletteUploadFile)] if isinstance(files, list) else []


def form_data(form: Any) -> dict[str, Any]:
    """A submitted form as a dict (a hostile client may send anything)."""
    return form if isinstance(form, dict) else {}


async def read_capped(upload: Any, cap: int) -> bytes | None:
    """At most ``cap`` bytes of an upload; None when it is larger (the declared size is not trusted)."""
    data = await upload.read(cap + 1)
    return None if len(data) > cap else data


# At most two uploads are read back and inspected at once (CPU-bound, and each holds one file in memory
# for that moment): the memory uploads can take is bounded whatever the number of clients.
_INSPECTING = asyncio.Semaphore(2)


def upload_client(state: rx.State) -> str:
    """Whose spool an upload handler uses: the browser tab's client token, known once its socket has
    connected. A client that never connected (a script posting to ``/_upload`` under made-up tokens)
    has none: all such share one spool quota."""
    return state.router.session.client_token or "unconnected"


def _inspect_spooled(client: str, file_id: str, name: str) -> file_service.InspectedFile:
    """Read a spooled file back and inspect it; the bytes are dropped when this returns."""
    return file_service.inspect(name, spool.read(client, file_id))


async def accept_uploads(
    files: Any, kept: list[tuple[str, str]], shown: list[UploadedFile], client: str
) -> list[tuple[str, DomainError]]:
    """Spool, cap and inspect each genuine upload of an upload handler, as soon as it arrives.

    Each file is copied to the client's private spool on disk (``services/platform/spool.py``: per-client and
    global quotas, expiry), then inspected. Accepted files are appended to ``kept`` (name, spool id:
    for a backend-only var; the bytes stay on disk until ``spooled_files`` reads them at submit) and
    ``shown`` (name, size, pages, whether it is a PDF: what the page lists). Returns the refusals as
    (clean file name, error) for the page to report its own way; reading stops at the configured
    number of files. Every upload page goes through here, so the limits are the same.
    """
    s = get_settings()
    refused: list[tuple[str, DomainError]] = []
    for upload in real_uploads(files):
        name = file_service.safe_filename(upload.filename or "document")
        if len(kept) >= s.max_files:
            refused.append((name, DomainError("error.too_many_files", max=s.max_files)))
            break
        try:
            saved = await asyncio.to_thread(spool.store, client, upload.file, s.max_upload_mb * MB, name)
        except DomainError as exc:
            refused.append((name, exc))
            continue
        try:
            async with _INSPECTING:
                inspected = await asyncio.to_thread(_inspect_spooled, client, saved.file_id, name)
        except DomainError as exc:
            spool.remove(client, [saved.file_id])
            refused.append((name, exc))
            continue
        kept.append((inspected.filename, saved.file_id))
        pdf = inspected.content_type == "application/pdf"
        shown.append(UploadedFile(inspected.filename, *size_label(saved.size), inspected.pages, pdf=pdf))
    return refused


async def spooled_files(client: str, kept: list[tuple[str, str]]) -> list[tuple[str, bytes]]:
    """The kept files' (name, bytes) for a submit; ``error.spool_expired`` if one was purged."""
    return await asyncio.to_thread(lambda: [(name, spool.read(client, file_id)) for name, file_id in kept])


def discard_uploads(client: str, kept: list[tuple[str, str]]) -> None:
    """Delete the kept files from the spool (the wizard is submitted, reset or drops them)."""
    spool.remove(client, [file_id for _name, file_id in kept])


class UploadList(rx.State, mixin=True):
    """The one upload list of a form (the deposit wizard, the registration of paper mail): each file
    is spooled and inspected as it arrives (``accept_uploads``), listed in ``files`` (name, size,
    pages) and kept as (name, spool id) in the page's backend-only leaf state ``_store_type()`` (an
    ``rx.State`` with a ``_files`` var: the page's other events do not load or re-save it).

    ``_may_upload`` is each page's own check of the user and the moment (re-run by both handlers);
    the refusals land in the page's ``errors_*`` under ``files``.
    """

    files: list[UploadedFile] = []

    def _store_type(self) -> type[rx.State]:
        raise NotImplementedError

    def _may_upload(self) -> bool:
        raise NotImplementedError

    def _file_error(self, exc: DomainError, name: str) -> None:
        """A refused file, said in every interface language (with its name when the message lacks it)."""
        text_ar, text_fr, text_en = (translate(exc.code, lang, **exc.params) for lang in ("ar", "fr", "en"))
        if "name" not in exc.params:  # e.g. "PDF endommagé": say which file
            text_ar, text_fr, text_en = f"{name} : {text_ar}", f"{name} : {text_fr}", f"{name}: {text_en}"
        self.errors_ar = {**self.errors_ar, "files": text_ar}  # type: ignore[has-type]  # Reflex declares the var; mypy cannot see its type here
        self.errors_fr = {**self.errors_fr, "files": text_fr}  # type: ignore[has-type]  # Reflex declares the var; mypy cannot see its type here
        self.errors_en = {**self.errors_en, "files": text_en}  # type: ignore[has-type]  # Reflex declares the var; mypy cannot see its type here

    async def _kept(self) -> Any:
        return await self.get_state(self._store_type())

    async def _uploaded(self) -> list[tuple[str, bytes]]:
        """The kept files' (name, bytes) for the submit; ``error.spool_expired`` if one was purged."""
        return await spooled_files(upload_client(self), (await self._kept())._files)

    async def _discard_files(self) -> None:
        """Forget the kept files (submitted, reset, or another form chosen) and delete them from the spool."""
        store = await self._kept()
        discard_uploads(upload_client(self), store._files)
        store._files, self.files = [], []

    @rx.event
    async def add_files(self, files: list[rx.UploadFile]):
        """Spool, cap and inspect each file now; keep the accepted files on the server's disk only."""
        if not self._may_upload():
            return
        store = await self._kept()
        self.errors_ar = {k: v for k, v in self.errors_ar.items() if k != "files"}
        self.errors_fr = {k: v for k, v in self.errors_fr.items() if k != "files"}
        self.errors_en = {k: v for k, v in self.errors_en.items() if k != "files"}
        kept, shown = list(store._files), list(self.files)
        for name, exc in await accept_uploads(files, kept, shown, upload_client(self)):
            self._file_error(exc, name)
        store._files, self.files = kept, shown

    @rx.event
    async def remove_file(self, index: int):
        if not isinstance(index, int) or not self._may_upload():
            return
        store = await self._kept()
        if 0 <= index < len(store._files):
            discard_uploads(upload_client(self), store._files[index : index + 1])
            store._files = store._files[:index] + store._files[index + 1 :]
            self.files = self.files[:index] + self.files[index + 1 :]


class PortalState(SessionState):
    """Base of the citizen pages: public (no login), but the header still shows a signed-in agent."""

    def _client_ip(self) -> str:
        return self.router.session.client_ip or "?"

    def _limit(self, limiter: Limiter) -> None:
        """Count one call of this client against ``limiter``; raises ``error.rate_limited`` beyond it."""
        limiter.hit(self._client_ip())

    def _url_parts(self) -> tuple[list[str], dict[str, str]]:
        """(path segments, first value of each query parameter) of the page being loaded."""
        url = urlsplit(str(self.router.url))
        segments = [unquote(s) for s in url.path.split("/") if s]
        query = {k: v[0] for k, v in parse_qs(url.query).items() if v}
        return segments, query

    def _route_arg(self, index: int) -> str:
        segments, _ = self._url_parts()
        return segments[index][:120] if len(segments) > index else ""

    def _query(self, name: str) -> str:
        return self._url_parts()[1].get(name, "")[:128]

    def _texts(self, key: str, **params: object) -> tuple[str, str, str]:
        """The text of ``key`` in every interface language (ar, fr, en): the switch is live."""
        return translate(key, "ar", **params), translate(key, "fr", **params), translate(key, "en", **params)

    @rx.event
    def load_portal(self):
        self._show_actor(self._actor())
        self._clear_messages()


@dataclasses.dataclass
class Milestone:
    """A public step of the tracking timeline (``key``: one of ``MILESTONE_KEYS``) and when it was reached."""

    key: str = ""
    at_ar: str = ""
    at_fr: str = ""
    at_en: str = ""


@dataclasses.dataclass
class TrackedAnswer(SizedFile):
    """An answer shown on the tracking page, with its download and verification links (tickets)."""

    at_ar: str = ""
    at_fr: str = ""
    at_en: str = ""
    download: str = ""
    verify: str = ""


class TrackingViewMixin(rx.State, mixin=True):
    """The public tracking view of one correspondence (display data only, no identifiers)."""

    tv_found: bool = False
    tv_number: str = ""
    tv_status: str = ""
    tv_subject: str = ""
    tv_registered_ar: str = ""
    tv_registered_fr: str = ""
    tv_registered_en: str = ""
    tv_milestones: list[Milestone] = []
    tv_answers: list[TrackedAnswer] = []

    def _show_tracking(self, correspondence_id: int | None) -> bool:
        """Load the view of ``correspondence_id`` (an id the server holds, never one from the browser)."""
        view = None
        if correspondence_id:
            with db.read_session() as session:
                view = views.tracking_view(session, correspondence_id)
        self._set_view(view)
        return view is not None

    def _set_view(self, view: tracking.TrackingView | None) -> None:
        self.tv_found = view is not None
        if view is None:
            self.tv_number = self.tv_status = self.tv_subject = self.tv_registered_ar = self.tv_registered_fr = (
                self.tv_registered_en
            ) = ""
            self.tv_milestones, self.tv_answers = [], []
            return
        when = local_datetime(view.registered_at)
        self.tv_number, self.tv_status, self.tv_subject = view.registry_number, view.status, view.subject
        self.tv_registered_ar, self.tv_registered_fr, self.tv_registered_en = when["ar"], when["fr"], when["en"]
        self.tv_milestones = [
            Milestone(m.key, **{f"at_{k}": v for k, v in local_datetime(m.at).items()}) for m in view.milestones
        ]
        self.tv_answers = [_answer_item(view.reference, a) for a in view.answers]


def _answer_item(reference: str, answer: tracking.Answer) -> TrackedAnswer:
    """What the tracking page shows of one answer, with its download and verification links (tickets)."""
    size, unit = size_label(answer.size)
    verify = (
        routes.signed_verify_path(
            answer.folder_reference, tracking.ticket(tracking.verify_subject(answer.folder_reference))
        )
        if answer.folder_reference
        else routes.VERIFY
    )
    return TrackedAnswer(
        answer.filename,
        size,
        unit,
        answer.pages,
        **{f"at_{k}": v for k, v in local_datetime(answer.sent_at).items()},
        download=routes.answer_path(
            reference, answer.document_id, tracking.ticket(tracking.answer_subject(answer.document_id))
        ),
        verify=verify,
    )


# --- components -------------------------------------------------------------------------------


def dl_row(label: Any, value: Any, **props: Any) -> list[rx.Component]:
    """One ``<dt>``/``<dd>`` pair for a ``.dl`` list (``label``: a catalogue key, or a translated text)."""
    return [rx.el.dt(t(label) if isinstance(label, str) else label), rx.el.dd(value, **props)]


def upload_box(
    upload_id: str,
    on_drop: Any,
    label_key: str,
    hint_key: str,
    *,
    accept: dict[str, list[str]],
    multiple: bool = True,
    busy: Any = False,
    icon: str = "upload",
) -> rx.Component:
    """A large tappable drop zone (keyboard accessible) that sends the files to ``on_drop`` at once."""
    root = rx.upload.root(
        rx.el.div(
            rx.icon(icon, size=28, aria_hidden="true"),
            rx.el.span(t(label_key), class_name="dropzone-title"),
            rx.el.span(rx.cond(busy, t("verify.checking"), t(hint_key)), class_name="dropzone-hint"),
            class_name="dropzone-inner",
        ),
        id=upload_id,
        accept=accept,
        multiple=multiple,
        on_drop=on_drop,
        class_name="dropzone",
        data_testid=upload_id,
        role="button",
        aria_label=t(label_key),
    )
    _label_file_input(root, t(label_key))
    return root


def _label_file_input(component: rx.Component, label: Any) -> None:
    """Give react-dropzone's hidden ``<input type=file>`` an accessible name (axe: ``label``)."""
    for child in component.children:
        if getattr(child, "tag", "") == "input":
            child.custom_attrs["aria-label"] = label
        _label_file_input(child, label)


def verdict(ok: Any, testid: str = "verify-verdict") -> rx.Component:
    """The big green "authentic" / red "not authentic" banner."""
    return rx.el.div(
        rx.cond(
            ok, rx.icon("shield-check", size=40, aria_hidden="true"), rx.icon("shield-x", size=40, aria_hidden="true")
        ),
        rx.el.span(rx.cond(ok, t("verify.authentic"), t("verify.not_authentic")), class_name="verdict-word"),
        class_name=rx.cond(ok, "verdict verdict-ok", "verdict verdict-bad"),
        role="status",
        data_testid=testid,
        data_verdict=rx.cond(ok, "authentic", "not-authentic"),
    )


def status_badge(status: Any) -> rx.Component:
    return rx.el.span(
        t_choice(status, "track.status.", TRACKED_STATUSES),
        class_name="badge badge-status",
        data_testid="track-status",
        data_status=status,
    )


def tracking_view(state: Any) -> rx.Component:
    """Status, timeline and answers of ``state`` (a ``TrackingViewMixin`` state)."""
    return rx.fragment(
        card(
            rx.el.div(
                rx.el.p(t("track.status"), class_name="label"),
                status_badge(state.tv_status),
                class_name="status-row",
            ),
            rx.el.dl(
                *dl_row(
                    "deposit.number",
                    rx.el.strong(state.tv_number),
                    dir="ltr",
                    class_name="number-inline",
                    data_testid="track-number",
                ),
                *dl_row("track.subject", state.tv_subject, dir="auto"),
                *dl_row(
                    "track.registered_at", pick(state.tv_registered_ar, state.tv_registered_fr, state.tv_registered_en)
                ),
                class_name="dl dl-stack",
            ),
        ),
        card(
            section_title("track.timeline"),
            rx.el.ol(
                rx.foreach(
                    state.tv_milestones,
                    lambda m: rx.el.li(
                        rx.el.span(class_name="timeline-dot", aria_hidden="true"),
                        rx.el.span(
                            rx.el.span(t_choice(m.key, "", MILESTONE_KEYS), class_name="timeline-title"),
                            rx.el.span(pick(m.at_ar, m.at_fr, m.at_en), class_name="timeline-time"),
                            class_name="timeline-body",
                        ),
                        class_name="timeline-item",
                        data_testid="track-milestone",
                        data_key=m.key,
                    ),
                ),
                class_name="timeline",
                data_testid="track-timeline",
            ),
        ),
        card(
            section_title("track.answers"),
            rx.cond(
                state.tv_answers.length() > 0,
                rx.el.ul(rx.foreach(state.tv_answers, _answer_row), class_name="doc-list", data_testid="track-answers"),
                rx.el.p(t("track.no_answers"), class_name="muted", data_testid="track-no-answers"),
            ),
        ),
    )


def _answer_row(a: Any) -> rx.Component:
    """One answer: name, date, pages and size; a big download button and a "verify" link."""
    return rx.el.li(
        rx.el.div(
            rx.icon("file-check", size=18, aria_hidden="true"),
            rx.el.span(a.name, class_name="file-name", dir="ltr"),
            class_name="doc-head",
        ),
        rx.el.p(
            pick(a.at_ar, a.at_fr, a.at_en),
            " · ",
            page_count(a.pages.to_string()),
            " · ",
            size_text(a),
            class_name="file-meta",
        ),
        rx.el.div(
            rx.el.a(
                rx.icon("download", size=18, aria_hidden="true"),
                t("citizen.answer_download"),
                href=a.download,
                download=a.name,
                reload_document=True,
                class_name="btn btn-primary",
                data_testid="track-answer-download",
            ),
            rx.el.a(
                rx.icon("shield-check", size=18, aria_hidden="true"),
                t("citizen.answer_verify"),
                href=a.verify,
                class_name="btn btn-secondary",
                data_testid="track-answer-verify",
            ),
            class_name="actions",
        ),
        class_name="doc-item",
        data_testid="track-answer",
    )


def root_certificate_card() -> rx.Component:
    return card(
        section_title("verify.root_title", id="root-title"),
        rx.el.p(t("verify.root_text"), class_name="muted"),
        rx.el.a(
            rx.icon("download", size=18, aria_hidden="true"),
            t("verify.root_download"),
            href=routes.ROOT_CERTIFICATE,
            download="mrasla-root.crt",
            reload_document=True,  # an API file, not a page
            class_name="btn btn-secondary",
            data_testid="root-cert-link",
        ),
        aria_labelledby="root-title",
    )


SIGNATURE_LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")  # ``pki.ltv`` LEVEL_* values


def signature_level_row(level: Any) -> rx.Component:
    """The file's PAdES level and what it means for a reader ("" level: nothing shown)."""
    return rx.cond(
        level != "",
        rx.el.div(
            rx.el.p(
                rx.icon("shield-check", size=16, aria_hidden="true"),
                rx.el.span(t("verify.level")),
                " ",
                rx.el.strong("PAdES ", level, dir="ltr", class_name="nowrap"),
                class_name="file-meta",
            ),
            rx.el.p(t_choice(level, "verify.level.", SIGNATURE_LEVELS), class_name="muted"),
            data_testid="verify-level",
            data_level=level,
        ),
    )
