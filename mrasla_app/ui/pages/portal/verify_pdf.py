"""``/verify``: upload a PDF (a receipt or any signed document) and read its signature report.

The PDF is read with a hard cap and checked in a worker thread (pyHanko's synchronous API runs
its own event loop); it is not stored with the documents. Trust is the platform root only. A
small file (``REPORT_MAX_BYTES``) stays in this session's backend state, until the next check or
page load, for the printable PDF report (``verification.report_pdf``); a larger one would weigh on
the state store, its report is one ``POST /api/v1/verify/pdf/report`` away.
"""

from __future__ import annotations

import asyncio
import io

import reflex as rx

from mrasla_app.api.verify import MAX_VERIFY_MB
from mrasla_app.pki.validation import ValidationReport
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import spool
from mrasla_app.services.portal import verification
from mrasla_app.ui import routes
from mrasla_app.ui.components.detail import SignatureRow, signature_item, signature_row
from mrasla_app.ui.components.forms import card, messages, page_title, section_title
from mrasla_app.ui.components.layout import layout
from mrasla_app.ui.i18n import t, t_choice
from mrasla_app.ui.pages.portal.common import (
    PortalState,
    lookup_limit,
    read_capped,
    real_uploads,
    root_certificate_card,
    signature_level_row,
    upload_box,
    upload_client,
    verdict,
)

ROUTE = routes.VERIFY
TITLE = "Vérifier un document · التحقق من وثيقة — Mrasla"
UPLOAD_ID = "verify-pdf"
REASONS = (
    "not_pdf",
    "unreadable_pdf",
    "no_signature",
    "signature_broken",
    "untrusted_signer",
    "certificate_revoked",
    "timestamp_missing",
    "timestamp_invalid",
    "modified_after_signing",
    "not_whole_document",
    "validation_error",
)

REPORT_MAX_BYTES = 2 * 1024 * 1024


class VerifyPdfState(PortalState):
    checked: bool = False
    authentic: bool = False
    file_name: str = ""
    reason: str = ""
    level: str = ""  # PAdES level of the file (B-B, B-T, B-LT, B-LTA), "" when not authentic
    can_report: bool = False  # the file is small enough to be kept for the PDF report
    _report_source: str = ""  # spool id of the file just checked (its bytes stay on disk, never in the state)
    signatures: list[SignatureRow] = []

    def _show_report(self, report: ValidationReport) -> None:
        self.checked, self.authentic = True, report.authentic
        self.reason = report.reason or ""
        self.level = report.level if report.authentic else ""
        self.signatures = [signature_row(sig) for sig in report.signatures]

    @rx.event
    def on_load(self):
        self._show_actor(self._actor())
        self._clear_messages()
        self.reset()

    @rx.event
    async def check(self, files: list[rx.UploadFile]):
        if self._report_source:
            spool.remove(upload_client(self), [self._report_source])
        self.reset()
        files = real_uploads(files)
        try:
            self._limit(lookup_limit)
            if not files:
                raise DomainError("error.invalid_request")
            name = files[0].filename or "document.pdf"
            data = await read_capped(files[0], MAX_VERIFY_MB * 1024 * 1024)
            if data is None:
                raise DomainError("error.file_too_large", name=name, max=MAX_VERIFY_MB)
            if not data:
                raise DomainError("error.file_empty", name=name)
        except DomainError as exc:
            self._fail(exc)
            return
        self._clear_messages()
        self.file_name = name
        self._show_report(await asyncio.to_thread(verification.check_pdf, data))
        if len(data) <= REPORT_MAX_BYTES and self.signatures:
            try:  # kept in the private spool (quotas, expiry) for the printable report
                saved = await asyncio.to_thread(
                    spool.store, upload_client(self), io.BytesIO(data), REPORT_MAX_BYTES, name
                )
            except DomainError:
                return  # spool full: the readable report above stays, without its PDF
            self._report_source, self.can_report = saved.file_id, True

    @rx.event
    async def download_report(self):
        """The printable validation report of the file just checked (kept in this tab's private spool)."""
        try:
            self._limit(lookup_limit)
            if not self._report_source:
                raise DomainError("error.invalid_request")
            data = await asyncio.to_thread(spool.read, upload_client(self), self._report_source)
        except DomainError as exc:
            self._fail(exc)
            return None
        pdf = await asyncio.to_thread(verification.report_pdf, data, self.file_name)
        return rx.download(data=pdf, filename="validation-report.pdf", mime_type="application/pdf")


def _signature(sig: rx.Var) -> rx.Component:
    certified = rx.el.li(
        rx.icon("stamp", size=18, aria_hidden="true"),
        rx.el.span(t("verify.sig.certified")),
        rx.el.strong(rx.cond(sig.certified, t("common.yes"), t("common.no"))),
        class_name="check-row",
    )
    return signature_item(sig, testid="verify-signature", signer_testid="sig-signer", size=18, extra=[certified])


def page() -> rx.Component:
    s = VerifyPdfState
    return layout(
        page_title("verify.title"),
        rx.el.p(t("verify.intro"), class_name="lead"),
        messages(s),
        card(
            section_title("verify.pdf_title", id="pdf-title"),
            upload_box(
                UPLOAD_ID,
                VerifyPdfState.check(rx.upload_files(upload_id=UPLOAD_ID)),
                "verify.pdf_choose",
                "verify.pdf_hint",
                accept={"application/pdf": [".pdf"]},
                multiple=False,
                icon="file-search",
            ),
            aria_labelledby="pdf-title",
        ),
        rx.cond(
            s.checked,
            rx.el.section(
                rx.el.h2(t("verify.report_title"), class_name="section-title"),
                rx.el.p(
                    rx.icon("file", size=16, aria_hidden="true"),
                    rx.el.span(s.file_name, dir="auto"),
                    class_name="file-meta",
                ),
                verdict(s.authentic),
                rx.el.p(
                    rx.cond(s.authentic, t("verify.pdf_ok"), t_choice(s.reason, "verify.reason.", REASONS)),
                    class_name="verdict-reason",
                    data_testid="verify-reason",
                    data_reason=s.reason,
                ),
                signature_level_row(s.level),
                rx.cond(
                    s.signatures.length() > 0,
                    rx.fragment(
                        rx.el.h3(t("verify.signatures"), class_name="subsection-title"),
                        rx.el.ol(rx.foreach(s.signatures, _signature), class_name="sig-list"),
                    ),
                ),
                rx.cond(
                    s.can_report,
                    rx.el.button(
                        rx.icon("file-down", size=18, aria_hidden="true"),
                        t("verify.report_pdf"),
                        type="button",
                        on_click=VerifyPdfState.download_report,
                        class_name="btn btn-secondary",
                        data_testid="verify-report-pdf",
                    ),
                ),
                class_name="card",
                data_testid="verify-report",
            ),
        ),
        root_certificate_card(),
        active="verify",
    )


ON_LOAD = VerifyPdfState.on_load
