"""``/verify/[reference]?t=<token>``: the landing page of a receipt's QR code (flow 6).

The verdict comes from ``verification.lookup`` with the reference and token of the URL, read on
the server at page load and kept in backend-only vars; a wrong token and an unknown reference
look the same. The page also checks an original attachment: the dropped file's SHA-256 is
compared with the receipt's lines (the file is not stored).
"""

from __future__ import annotations

import hashlib

import reflex as rx

from mrasla_app import db
from mrasla_app.api.verify import MAX_VERIFY_MB
from mrasla_app.models import DocumentKind
from mrasla_app.services import verification
from mrasla_app.services.errors import DomainError
from mrasla_app.ui import routes
from mrasla_app.ui.components.forms import card, message, messages, page_title, section_title
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import pick, t, t_choice
from mrasla_app.ui.pages.portal.common import (
    PortalState, dl_row, local_datetime, read_capped, real_uploads, root_certificate_card, size_label, size_text, upload_box,
    verdict, lookup_limit,
)

ROUTE = routes.VERIFY_RECEIPT
TITLE = "Vérification · التحقق — Mrasla"
UPLOAD_ID = "verify-attachment"


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
    depositor: str = ""
    documents: list[dict[str, str]] = []  # {name, kind, pages, size, unit, sha256}
    match_ok: bool = False
    match_ar: str = ""
    match_fr: str = ""

    _reference: str = ""
    _qr_token: str = ""

    def _lookup(self) -> verification.VerifiedReceipt | None:
        with db.read_session() as session:
            return verification.lookup(session, self._reference, self._qr_token)

    @rx.event
    def on_load(self):
        self._show_actor(self._actor())
        self._clear_messages()
        self.reset()
        self._reference, self._qr_token = self._route_arg(1), self._query("t")
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
        self.number, self.subject, self.depositor = found.registry_number, found.subject, found.depositor_id
        self.adm_ar, self.adm_fr = found.administration_ar, found.administration_fr
        self.unit_ar, self.unit_fr = found.unit_ar, found.unit_fr
        self.date_ar, self.date_fr, self.date_en = when["ar"], when["fr"], when["en"]
        docs = []
        for d in found.documents:
            size, unit = size_label(d.size)
            docs.append({"name": d.filename, "kind": d.kind, "pages": str(d.pages), "size": size, "unit": unit,
                         "sha256": d.sha256})
        self.documents = docs

    @rx.event
    async def check_attachment(self, files: list[rx.UploadFile]):
        """Does the dropped file match a line of this receipt? (reference and token from the server)"""
        self.match_ar = self.match_fr = ""
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
        if line is not None:
            self.match_ok = True
            self.match_ar, self.match_fr = self._both("verify.attachment_match", name=line.filename)
        elif found.receipt_sha256 and hashlib.sha256(data).hexdigest() == found.receipt_sha256:
            self.match_ok = True
            self.match_ar, self.match_fr = self._both("verify.attachment_receipt")
        else:
            self.match_ok = False
            self.match_ar, self.match_fr = self._both("verify.attachment_nomatch")


def _document(d: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.el.div(
            rx.cond(d["kind"] == DocumentKind.receipt.value, rx.icon("stamp", size=18, aria_hidden="true"),
                    rx.icon("paperclip", size=18, aria_hidden="true")),
            rx.el.span(d["name"], class_name="file-name", dir="auto"),
            class_name="doc-head",
        ),
        rx.el.p(
            t_choice(d["kind"], "verify.kind.", ["receipt", "attachment", "signed"]), " · ",
            d["pages"], " ", t("verify.pages"), " · ", size_text(d),
            class_name="file-meta",
        ),
        rx.el.code(d["sha256"], class_name="hash", dir="ltr", data_testid="verify-sha256"),
        class_name="doc-item",
        data_testid="verify-document",
    )


def _details() -> rx.Component:
    s = VerifyReceiptState
    return rx.fragment(
        card(
            rx.el.p(t("verify.registered_text")),
            rx.el.dl(
                *dl_row("verify.number", rx.el.strong(s.number), dir="ltr", class_name="number-inline",
                        data_testid="verify-number"),
                *dl_row("verify.administration", pick(s.adm_ar, s.adm_fr), data_testid="verify-administration"),
                rx.cond(s.unit_fr != "", rx.fragment(*dl_row("verify.unit", pick(s.unit_ar, s.unit_fr)))),
                *dl_row("verify.date", pick(s.date_ar, s.date_fr, s.date_en), data_testid="verify-date"),
                *dl_row("verify.subject", s.subject, dir="auto"),
                *dl_row("verify.depositor", s.depositor, dir="ltr", data_testid="verify-depositor"),
                class_name="dl dl-stack",
            ),
        ),
        card(
            section_title("verify.documents"),
            rx.el.ul(rx.foreach(s.documents, _document), class_name="doc-list", data_testid="verify-documents"),
        ),
        card(
            section_title("verify.attachment_title", id="attachment-title"),
            rx.el.p(t("verify.attachment_hint"), class_name="muted"),
            upload_box(UPLOAD_ID, VerifyReceiptState.check_attachment(rx.upload_files(upload_id=UPLOAD_ID)),
                       "verify.attachment_choose", "verify.pdf_hint", multiple=False, icon="file-search",
                       accept={"application/pdf": [".pdf"], "image/jpeg": [".jpg", ".jpeg"],
                               "image/png": [".png"]}),
            rx.cond(s.match_ok, message(s.match_ar, s.match_fr, ok=True, testid="attachment-result"),
                    message(s.match_ar, s.match_fr, testid="attachment-result")),
            aria_labelledby="attachment-title",
        ),
    )


def page() -> rx.Component:
    s = VerifyReceiptState
    return layout(
        page_title("verify.receipt_title"),
        messages(s),
        rx.cond(
            s.checked,
            rx.fragment(
                verdict(s.authentic),
                rx.cond(s.authentic, _details(),
                        card(rx.el.p(t("error.not_authentic")), data_testid="verify-not-found")),
            ),
        ),
        rx.el.a(rx.icon("file-search", size=18, aria_hidden="true"), t("verify.check_pdf_link"),
                href=routes.VERIFY, class_name="btn btn-secondary", data_testid="verify-pdf-link"),
        rx.el.div(class_name="spacer"),
        root_certificate_card(),
        active="verify",
    )


ON_LOAD = VerifyReceiptState.on_load
