"""``/verify/[reference]?t=<token>``: the landing page of a QR code (flow 6).

The verdict comes from ``verification.lookup`` with the reference and token of the URL (or the
``d`` ticket of a depositor's tracking page), read on the server at page load and kept in
backend-only vars; a wrong token and an unknown reference look the same. The page says what the
document is — a deposit receipt, an inter-administration acknowledgement or a signed document —
with that kind's own title and facts. It also checks a file: the dropped file's SHA-256 is
compared with the document's lines (the file is not stored).

The route is dynamic, so the build has no page for it: the server answers with the app's empty shell,
and on a slow phone the verdict came only after the JavaScript (≈ 5 s on slow 3G). ``verdict_in_html``
(an ``api_transformer``) puts the verdict, the title and the number into that shell's HTML, from the same
``verification.lookup``; the rendered page replaces it once its own verdict is there (CSS only).
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import re
from typing import Any
from urllib.parse import parse_qs, unquote

import reflex as rx
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Scope

from mrasla_app import db
from mrasla_app.api.verify import MAX_VERIFY_MB, verify_limit
from mrasla_app.services.errors import DomainError
from mrasla_app.services.portal import verification
from mrasla_app.services.vocabulary import TRACKED_STATUSES
from mrasla_app.ui import first_html, routes
from mrasla_app.ui.components.files import SizedFile
from mrasla_app.ui.components.forms import card, message, messages
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.portal.common import (
    ID_KINDS,
    PortalState,
    dl_row,
    local_datetime,
    lookup_limit,
    page_count,
    read_capped,
    real_uploads,
    root_certificate_card,
    signature_level_row,
    size_label,
    size_text,
    upload_box,
    verdict,
)

ROUTE = routes.VERIFY_RECEIPT
TITLE = "Vérification · التحقق — Mrasla"
UPLOAD_ID = "verify-attachment"
KINDS = ("receipt", "acknowledgement", "signed")


@dataclasses.dataclass
class DocumentLine(SizedFile):
    """A document line of the verified receipt (``kind``: receipt, attachment or signed)."""

    kind: str = ""
    sha256: str = ""


@dataclasses.dataclass
class Signatory:
    """Who signed (``kind`` "seal": the platform's seal, applied by ``name``), on whose behalf, and when."""

    name_ar: str = ""
    name_fr: str = ""
    behalf_ar: str = ""
    behalf_fr: str = ""
    kind: str = ""
    at_ar: str = ""
    at_fr: str = ""
    at_en: str = ""


class VerifyReceiptState(PortalState):
    checked: bool = False
    authentic: bool = False
    number: str = ""
    adm_ar: str = ""
    adm_fr: str = ""
    unit_ar: str = ""
    unit_fr: str = ""
    date_ar: str = ""
    date_fr: str = ""
    date_en: str = ""
    subject: str = ""
    depositor: str = ""  # masked identifier
    depositor_kind: str = ""  # CIN | ICE
    documents: list[DocumentLine] = []
    kind: str = "receipt"  # receipt | acknowledgement | signed (``verification.VerifiedReceipt.kind``)
    status: str = ""
    belongs_to: str = ""
    sender_ar: str = ""
    sender_fr: str = ""
    sender_reference: str = ""
    signatories: list[Signatory] = []
    level: str = ""  # PAdES level of the receipt or signed document (``VerifiedReceipt.receipt_signature_level``)
    match_ok: bool = False
    match_ar: str = ""
    match_fr: str = ""
    match_en: str = ""

    _reference: str = ""
    _qr_token: str = ""
    _ticket: str = ""

    def _lookup(self) -> verification.VerifiedReceipt | None:
        with db.read_session() as session:
            return verification.lookup(session, self._reference, self._qr_token, self._ticket)

    @rx.event
    def on_load(self):
        self._show_actor(self._actor())
        self._clear_messages()
        self.reset()
        self._reference, self._qr_token, self._ticket = self._route_arg(1), self._query("t"), self._query("d")
        try:
            self._limit(lookup_limit)
        except DomainError as exc:
            self._fail(exc)
            return
        found = self._lookup()
        self.checked, self.authentic = True, found is not None
        if found is None:
            return
        when = local_datetime(found.registered_at)
        self.number, self.subject = found.registry_number, found.subject
        self.depositor, self.depositor_kind = found.depositor_id_masked, found.depositor_id_kind
        self.adm_ar, self.adm_fr = found.administration_ar, found.administration_fr
        self.unit_ar, self.unit_fr = found.unit_ar, found.unit_fr
        self.date_ar, self.date_fr, self.date_en = when["ar"], when["fr"], when["en"]
        self.kind, self.status, self.belongs_to = found.kind, found.status, found.belongs_to
        self.sender_ar, self.sender_fr, self.sender_reference = found.sender_ar, found.sender_fr, found.sender_reference
        self.signatories = [
            Signatory(
                g.name_ar,
                g.name_fr,
                g.on_behalf_ar,
                g.on_behalf_fr,
                g.kind,
                **{f"at_{k}": v for k, v in local_datetime(g.signed_at).items()},
            )
            for g in found.signatories
        ]
        self.documents = [
            DocumentLine(d.filename, *size_label(d.size), d.pages, kind=d.kind, sha256=d.sha256)
            for d in found.documents
        ]
        self.level = found.receipt_signature_level

    @rx.event
    async def check_attachment(self, files: list[rx.UploadFile]):
        """Does the dropped file match a line of this receipt? (reference and token from the server)"""
        self.match_ar = self.match_fr = self.match_en = ""
        files = real_uploads(files)
        try:
            self._limit(lookup_limit)
            found = self._lookup()
            if found is None or not files:
                raise DomainError("error.not_authentic")
            data = await read_capped(files[0], MAX_VERIFY_MB * 1024 * 1024)
            name = files[0].filename or ""
            if data is None:
                raise DomainError("error.file_too_large", name=name, max=MAX_VERIFY_MB)
        except DomainError as exc:
            self._fail(exc)
            return
        self._clear_messages()
        line = verification.match_attachment(found, data)
        if found.kind == "signed":
            self.match_ok = line is not None
            self.match_ar, self.match_fr, self.match_en = self._texts(
                "citizen.verify_copy_match" if line else "citizen.verify_copy_nomatch"
            )
        elif line is not None:
            self.match_ok = True
            self.match_ar, self.match_fr, self.match_en = self._texts("verify.attachment_match", name=line.filename)
        elif found.receipt_sha256 and hashlib.sha256(data).hexdigest() == found.receipt_sha256:
            self.match_ok = True
            self.match_ar, self.match_fr, self.match_en = self._texts("verify.attachment_receipt")
        else:
            self.match_ok = False
            self.match_ar, self.match_fr, self.match_en = self._texts("verify.attachment_nomatch")


def _document(d: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(
            rx.cond(
                d.kind == "receipt",
                rx.icon("stamp", size=18, aria_hidden="true"),
                rx.icon("paperclip", size=18, aria_hidden="true"),
            ),
            rx.el.span(d.name, class_name="file-name", dir="auto"),
            class_name="doc-head",
        ),
        rx.el.p(
            t_choice(d.kind, "verify.kind.", ["receipt", "attachment", "signed"]),
            " · ",
            page_count(d.pages.to_string()),
            " · ",
            size_text(d),
            class_name="file-meta",
        ),
        rx.el.code(d.sha256, class_name="hash", dir="ltr", data_testid="verify-sha256"),
        class_name="doc-item",
        data_testid="verify-document",
    )


def _by_kind(receipt: Any, acknowledgement: Any, signed: Any) -> Any:
    """The text (or component) for the kind of document being verified."""
    return rx.match(VerifyReceiptState.kind, ("acknowledgement", acknowledgement), ("signed", signed), receipt)


def _signatory(g: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(
            rx.cond(
                g.kind == "seal",
                rx.icon("stamp", size=18, aria_hidden="true"),
                rx.icon("pen-line", size=18, aria_hidden="true"),
            ),
            rx.el.strong(
                rx.cond(g.kind == "seal", t("citizen.verify_platform_seal"), pick(g.name_ar, g.name_fr)),
                data_testid="verify-signatory-name",
            ),
            class_name="doc-head",
        ),
        rx.cond(
            g.kind == "seal",
            rx.el.p(t("citizen.verify_applied_by"), " ", pick(g.name_ar, g.name_fr), class_name="file-meta"),
        ),
        rx.cond(
            g.behalf_fr != "",
            rx.el.p(t("citizen.verify_on_behalf"), " ", pick(g.behalf_ar, g.behalf_fr), class_name="file-meta"),
        ),
        rx.el.p(
            rx.cond(g.kind == "seal", t("citizen.verify_sealed_at"), t("citizen.verify_signed_at")),
            " ",
            pick(g.at_ar, g.at_fr, g.at_en),
            class_name="file-meta",
            data_testid="verify-signatory-time",
        ),
        class_name="doc-item",
        data_testid="verify-signatory",
    )


def _details() -> rx.Component:
    s = VerifyReceiptState
    return rx.fragment(
        card(
            rx.el.p(
                _by_kind(t("verify.registered_text"), t("citizen.verify_ack_text"), t("citizen.verify_signed_text"))
            ),
            rx.el.dl(
                *dl_row(
                    _by_kind(t("verify.number"), t("verify.number"), t("citizen.verify_reference")),
                    rx.el.strong(s.number),
                    dir="ltr",
                    class_name="number-inline",
                    data_testid="verify-number",
                ),
                rx.cond(
                    s.belongs_to != "",
                    rx.fragment(
                        *dl_row(
                            _by_kind(
                                t("citizen.verify_status"), t("citizen.verify_status"), t("citizen.verify_answers")
                            ),
                            rx.el.span(
                                rx.cond(
                                    s.kind == "signed",
                                    rx.el.strong(
                                        s.belongs_to,
                                        dir="ltr",
                                        class_name="number-inline",
                                        data_testid="verify-belongs-to",
                                    ),
                                ),
                                rx.cond(s.kind == "signed", " · ", ""),
                                rx.el.span(
                                    t_choice(s.status, "track.status.", TRACKED_STATUSES),
                                    class_name="badge badge-status",
                                    data_testid="verify-status",
                                    data_status=s.status,
                                ),
                            ),
                        )
                    ),
                ),
                rx.cond(
                    s.sender_fr != "",
                    rx.fragment(
                        *dl_row("citizen.verify_sender", pick(s.sender_ar, s.sender_fr), data_testid="verify-sender"),
                        *dl_row(
                            "citizen.verify_sender_reference",
                            rx.el.strong(s.sender_reference),
                            dir="ltr",
                            class_name="number-inline",
                            data_testid="verify-sender-reference",
                        ),
                    ),
                ),
                *dl_row(
                    _by_kind(t("verify.administration"), t("citizen.verify_recipient"), t("verify.administration")),
                    pick(s.adm_ar, s.adm_fr),
                    data_testid="verify-administration",
                ),
                rx.cond(s.unit_fr != "", rx.fragment(*dl_row("verify.unit", pick(s.unit_ar, s.unit_fr)))),
                *dl_row(
                    _by_kind(t("verify.date"), t("citizen.verify_arrived_at"), t("citizen.verify_completed_at")),
                    pick(s.date_ar, s.date_fr, s.date_en),
                    data_testid="verify-date",
                ),
                *dl_row("verify.subject", s.subject, dir="auto"),
                rx.cond(
                    s.depositor != "",
                    rx.fragment(
                        *dl_row(
                            "verify.depositor",
                            rx.el.span(
                                t_choice(s.depositor_kind, "citizen.id_short.", ID_KINDS),
                                " ",
                                rx.el.bdi(s.depositor, dir="ltr"),
                            ),
                            data_testid="verify-depositor",
                        )
                    ),
                ),
                class_name="dl dl-stack",
            ),
        ),
        rx.cond(
            s.kind == "signed",
            card(
                rx.el.h2(t("citizen.verify_signatories"), class_name="section-title"),
                rx.el.ul(
                    rx.foreach(s.signatories, _signatory), class_name="doc-list", data_testid="verify-signatories"
                ),
            ),
        ),
        card(
            rx.el.h2(
                _by_kind(t("verify.documents"), t("citizen.verify_ack_documents"), t("citizen.verify_signed_document")),
                class_name="section-title",
            ),
            rx.el.ul(rx.foreach(s.documents, _document), class_name="doc-list", data_testid="verify-documents"),
            signature_level_row(s.level),
        ),
        card(
            rx.el.h2(
                _by_kind(
                    t("verify.attachment_title"), t("citizen.verify_ack_check_title"), t("citizen.verify_copy_title")
                ),
                class_name="section-title",
                id="attachment-title",
            ),
            rx.el.p(
                _by_kind(
                    t("verify.attachment_hint"), t("citizen.verify_ack_check_hint"), t("citizen.verify_copy_hint")
                ),
                class_name="muted",
                data_testid="verify-check-hint",
            ),
            upload_box(
                UPLOAD_ID,
                VerifyReceiptState.check_attachment(rx.upload_files(upload_id=UPLOAD_ID)),
                "verify.attachment_choose",
                "verify.pdf_hint",
                multiple=False,
                icon="file-search",
                accept={"application/pdf": [".pdf"], "image/jpeg": [".jpg", ".jpeg"], "image/png": [".png"]},
            ),
            rx.cond(
                s.match_ok,
                message(s.match_ar, s.match_fr, s.match_en, ok=True, testid="attachment-result"),
                message(s.match_ar, s.match_fr, s.match_en, testid="attachment-result"),
            ),
            aria_labelledby="attachment-title",
        ),
    )


def page() -> rx.Component:
    s = VerifyReceiptState
    return layout(
        rx.el.h1(
            _by_kind(t("verify.receipt_title"), t("citizen.verify_ack_title"), t("citizen.verify_signed_title")),
            id="page-title",
            data_testid="page-title",
            class_name="page-title",
            data_kind=s.kind,
        ),
        messages(s),
        rx.cond(
            s.checked,
            rx.fragment(
                verdict(s.authentic),
                rx.cond(
                    s.authentic, _details(), card(rx.el.p(t("error.not_authentic")), data_testid="verify-not-found")
                ),
            ),
        ),
        rx.el.a(
            rx.icon("file-search", size=18, aria_hidden="true"),
            t("verify.check_pdf_link"),
            href=routes.VERIFY,
            class_name="btn btn-secondary",
            data_testid="verify-pdf-link",
        ),
        rx.el.div(class_name="spacer"),
        root_certificate_card(),
        active="verify",
    )


ON_LOAD = VerifyReceiptState.on_load


# --- the verdict in the HTML (issue 19: a receipt's QR code opened on a slow phone) ----------------

PATH = re.compile(r"^/verify/([^/]+)/?$")
SHELL_TAG = "mr-verdict"
_WAITING = "div.app-shell:has(h1[data-kind]):not(:has([data-testid=verify-verdict],[role=alert]))"
# Shown until the app renders, and while the app's page waits for its verdict (that page hidden meanwhile):
# never two titles or verdicts on screen. SHELL_JS removes the block as soon as the app shows anything else
# (its verdict, an error, another page), in the same task: text searches never find the verdict twice.
SHELL_JS = (
    "(function(){var me=document.currentScript.parentNode,o=new MutationObserver(function(){"
    "var s=document.querySelector('body>div.app-shell');if(!s)return;"
    "if(s.querySelector('h1[data-kind]')&&!s.querySelector('[data-testid=verify-verdict],[role=alert]'))return;"
    "o.disconnect();me.remove();});o.observe(document.body,{childList:true,subtree:true});})();"
)
SHELL_CSS = (
    f"{SHELL_TAG}{{display:block}}"
    f"body:has(>div.app-shell)>{SHELL_TAG}{{display:none}}"
    f"body:has(>{_WAITING})>{SHELL_TAG}{{display:block}}"
    f"body>{SHELL_TAG}~{_WAITING}{{display:none}}" + first_html.lang_css(SHELL_TAG)
)
_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 24 24" fill="none" '
    'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">'
    '<path d="M20 13c0 5-3.5 7.5-7.66 8.95a1 1 0 0 1-.67-.01C7.5 20.5 4 18 4 13V6a1 1 0 0 1 1-1c2 0 4.5-1.2 '
    '6.24-2.72a1.17 1.17 0 0 1 1.52 0C14.51 3.81 17 5 19 5a1 1 0 0 1 1 1z"/>{}</svg>'
)
_TICK, _CROSS = '<path d="m9 12 2 2 4-4"/>', '<path d="m14.5 9.5-5 5"/><path d="m9.5 9.5 5 5"/>'
_TITLES = {"receipt": "verify.receipt_title", "acknowledgement": "citizen.verify_ack_title"}
_header_cache: dict[str, bytes] = {}
_text = first_html.lang_text


def verdict_html(found: verification.VerifiedReceipt | None, header: bytes = b"") -> bytes:
    """The block put at the top of ``<body>``: the site header, the title, the verdict and, when authentic, the
    number, administration and date: the facts a reader checks against the paper. Nothing the page does not show."""
    kind = found.kind if found is not None else "receipt"
    rows = ""
    if found is not None:
        when = local_datetime(found.registered_at)
        number_key = "citizen.verify_reference" if kind == "signed" else "verify.number"
        adm_key = "citizen.verify_recipient" if kind == "acknowledgement" else "verify.administration"
        date_key = {"acknowledgement": "citizen.verify_arrived_at", "signed": "citizen.verify_completed_at"}
        facts = [
            (_text(number_key), f'<strong dir="ltr">{html.escape(found.registry_number)}</strong>'),
            (_text(adm_key), first_html.lang_spans(found.administration_ar, found.administration_fr)),
            (_text(date_key.get(kind, "verify.date")), first_html.lang_spans(when["ar"], when["fr"], when["en"])),
        ]
        rows = (
            '<section class="card"><dl class="dl dl-stack">'
            + "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in facts)
            + "</dl></section>"
        )
    else:
        rows = f'<section class="card"><p>{_text("error.not_authentic")}</p></section>'
    ok = found is not None
    return (
        f'<{SHELL_TAG} class="app-shell"><style>{SHELL_CSS}</style><script>{SHELL_JS}</script>'.encode()
        + header
        + (
            '<div class="container main">'
            f'<h1 class="page-title">{_text(_TITLES.get(kind, "citizen.verify_signed_title"))}</h1>'
            f'<div class="verdict {"verdict-ok" if ok else "verdict-bad"}">{_ICON.format(_TICK if ok else _CROSS)}'
            f'<span class="verdict-word">{_text("verify.authentic" if ok else "verify.not_authentic")}</span></div>'
            f"{rows}</div></{SHELL_TAG}>"
        ).encode()
    )


def _site_header(page: bytes) -> bytes:
    """The prerendered site header of ``page`` without ids or test ids (the app's own stays the only one)."""
    start, end = page.find(b'<header class="site-header"'), page.find(b"</header>")
    if start < 0 or end < 0:
        return b""
    return re.sub(rb' (id|data-testid|for|aria-controls|aria-labelledby)="[^"]*"', b"", page[start : end + 9])


def _lookup_public(reference: str, token: str, ticket: str) -> verification.VerifiedReceipt | None:
    with db.read_session() as session:
        return verification.lookup(session, reference, token, ticket)


def _verdict_request(scope: Scope) -> tuple[str, str, str] | None:
    """``GET /verify/<reference>?t=…`` (or ``?d=…``): the reference, token and ticket; anything else None."""
    match = PATH.match(scope.get("path", ""))
    query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items() if v}
    token, ticket = query.get("t", ""), query.get("d", "")
    return (unquote(match.group(1)), token, ticket) if match and (token or ticket) else None


async def _with_verdict(app: ASGIApp, scope: Scope, shell: bytes, asked: tuple[str, str, str]) -> bytes | None:
    """The app's shell with ``verdict_html`` at the top of its ``<body>``; None (the plain shell) when the
    REST verification's rate limit refuses the lookup: the page itself then says "too many attempts"."""
    if b"<body>" not in shell:
        return None
    try:
        verify_limit.hit(scope["client"][0] if scope.get("client") else "?")
    except DomainError:
        return None
    found = await run_in_threadpool(_lookup_public, *asked)
    if "header" not in _header_cache:
        _, prerendered = await first_html.fetch(app, scope, routes.VERIFY + "/")
        _header_cache["header"] = _site_header(prerendered)
    return shell.replace(b"<body>", b"<body>" + verdict_html(found, _header_cache["header"]), 1)


# ``api_transformer``: ``GET /verify/<reference>?t=…`` (or ``?d=…``) answers the app's shell with the verdict
# already in it, counted against the REST verification's rate limit.
verdict_in_html = first_html.page_transformer(_verdict_request, _with_verdict)
