"""Signature validation for uploaded PDFs: "is this receipt / signed letter authentic?".

Trust comes from the platform root only (explicit ``trust_roots``; the system store is never
consulted) and revocation from the platform CRL, offline. Every failure mode of a hostile or
broken upload becomes a reason code in the report instead of an exception, because this runs
behind a public endpoint.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    PdfSignatureStatus,
    SignatureCoverageLevel,
)

from mrasla_app.pki import ltv
from mrasla_app.pki.ca import Platform, load_or_create_pki
from mrasla_app.pki.signing import validation_context

log = logging.getLogger(__name__)

# Reason codes (stable strings: the API and the verification page translate them).
NOT_PDF = "not_pdf"
UNREADABLE = "unreadable_pdf"
NO_SIGNATURE = "no_signature"
BROKEN = "signature_broken"  # a byte changed in a signed range / bad crypto
UNTRUSTED = "untrusted_signer"  # not issued by the platform root, expired, revoked
REVOKED = "certificate_revoked"
NO_TIMESTAMP = "timestamp_missing"
BAD_TIMESTAMP = "timestamp_invalid"
MODIFIED = "modified_after_signing"  # disallowed incremental update after a signature
PARTIAL = "not_whole_document"  # last signature does not cover the whole file
ERROR = "validation_error"

_ALLOWED_LEVELS = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
_DOC_TS_KIND = "document_timestamp"


@dataclass(frozen=True)
class SignatureReport:
    """One embedded signature as a person checking a document needs to see it."""

    field_name: str
    signer_common_name: str | None
    signer_organization: str | None
    signing_time: datetime | None  # timestamp time when timestamped, else claimed time
    timestamped: bool
    timestamp_valid: bool
    intact: bool
    valid: bool
    trusted: bool
    revoked: bool
    certified: bool
    coverage: str | None  # SignatureCoverageLevel name, e.g. ENTIRE_FILE
    covers_whole_document: bool
    modification_level: str | None  # ModificationLevel name, e.g. NONE, FORM_FILLING
    modified_after_signing: bool  # anything beyond DSS / document timestamps appended
    docmdp_ok: bool | None  # later changes allowed by the certification policy
    error: str | None = None
    kind: str = "signature"  # or "document_timestamp" (B-LTA archive timestamp)

    @property
    def ok(self) -> bool:
        return (
            self.intact
            and self.valid
            and self.trusted
            and not self.revoked
            and self.docmdp_ok is not False
            and self.error is None
            and (not self.timestamped or self.timestamp_valid)
        )


@dataclass(frozen=True)
class ValidationReport:
    """Overall verdict plus per-signature details; ``reason`` is None when authentic."""

    authentic: bool
    reason: str | None
    signatures: list[SignatureReport] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    level: str = ""  # PAdES baseline level of the file: B-B, B-T, B-LT, B-LTA ("" unsigned)
    # Document timestamps (B-LTA), in file order; ``signatures`` holds the signatures only.
    document_timestamps: list[SignatureReport] = field(default_factory=list)

    @property
    def certified(self) -> bool:
        return any(s.certified for s in self.signatures)

    @property
    def level_label(self) -> str:
        """The level as shown to people, e.g. "PAdES B-LTA" ("" when not authentic)."""
        return f"PAdES {self.level}" if self.authentic and self.level else ""


def _failed(reason: str) -> ValidationReport:
    return ValidationReport(authentic=False, reason=reason, reasons=[reason])


def _name_part(status: PdfSignatureStatus | DocumentTimestampStatus, key: str) -> str | None:
    try:
        return status.signing_cert.subject.native.get(key)
    except Exception:  # noqa: BLE001 - a malformed name must not break the report
        return None


def _signature_report(sig, status: PdfSignatureStatus) -> SignatureReport:
    ts = status.timestamp_validity
    level = status.modification_level
    coverage = status.coverage
    return SignatureReport(
        field_name=sig.field_name,
        signer_common_name=_name_part(status, "common_name"),
        signer_organization=_name_part(status, "organization_name"),
        signing_time=ts.timestamp if ts is not None else status.signer_reported_dt,
        timestamped=ts is not None,
        timestamp_valid=bool(ts is not None and ts.intact and ts.valid and ts.trusted),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        revoked=status.revoked,
        certified=sig.docmdp_level is not None,
        coverage=coverage.name if coverage is not None else None,
        covers_whole_document=coverage == SignatureCoverageLevel.ENTIRE_FILE,
        modification_level=level.name if level is not None else None,
        modified_after_signing=level not in _ALLOWED_LEVELS,
        docmdp_ok=status.docmdp_ok,
    )


def _timestamp_report(sig, status: DocumentTimestampStatus) -> SignatureReport:
    """A document timestamp as a line of the report: its TSA is the "signer"."""
    coverage, level = status.coverage, status.modification_level
    ok = bool(status.intact and status.valid and status.trusted)
    return SignatureReport(
        field_name=sig.field_name,
        signer_common_name=_name_part(status, "common_name"),
        signer_organization=_name_part(status, "organization_name"),
        signing_time=status.timestamp,
        timestamped=True,
        timestamp_valid=ok,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        revoked=status.revoked,
        certified=False,
        coverage=coverage.name if coverage is not None else None,
        covers_whole_document=coverage == SignatureCoverageLevel.ENTIRE_FILE,
        modification_level=level.name if level is not None else None,
        modified_after_signing=level not in _ALLOWED_LEVELS,
        docmdp_ok=status.docmdp_ok,
        kind=_DOC_TS_KIND,
    )


def _error_report(sig, exc: Exception) -> SignatureReport:
    return SignatureReport(
        field_name=getattr(sig, "field_name", "?"),
        signer_common_name=None,
        signer_organization=None,
        signing_time=None,
        timestamped=False,
        timestamp_valid=False,
        intact=False,
        valid=False,
        trusted=False,
        revoked=False,
        certified=False,
        coverage=None,
        covers_whole_document=False,
        modification_level=None,
        modified_after_signing=True,
        docmdp_ok=None,
        error=f"{type(exc).__name__}: {exc}",
    )


def _reasons(sigs: list[SignatureReport]) -> list[str]:
    reasons: list[str] = []

    def add(code: str) -> None:
        if code not in reasons:
            reasons.append(code)

    for s in sigs:
        if s.error is not None:
            add(ERROR)
        if not (s.intact and s.valid):
            add(BROKEN)
        if s.revoked:
            add(REVOKED)
        if s.intact and s.valid and not s.trusted:
            add(UNTRUSTED)
        if not s.timestamped:
            add(NO_TIMESTAMP)
        elif not s.timestamp_valid:
            add(BAD_TIMESTAMP)
        if s.docmdp_ok is False or s.modification_level == ModificationLevel.OTHER.name:
            add(MODIFIED)
    if sigs and not sigs[-1].covers_whole_document:
        add(PARTIAL)
    return reasons


def validate_pdf(pdf_bytes: bytes, platform: Platform | None = None) -> ValidationReport:
    """Validate every signature of ``pdf_bytes`` against the platform root, offline.

    Authentic means: at least one signature; each is intact, valid, trusted, timestamped
    (valid timestamp) and unrevoked; no change after any signature beyond what its
    certification allows; and the last signature covers the whole file. Document timestamps
    (B-LTA) are checked as timestamps; the report says which PAdES level the file has.
    """
    if b"%PDF-" not in pdf_bytes[:1024]:
        return _failed(NOT_PDF)
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:  # noqa: BLE001 - hostile input: any parser error
        log.info("unreadable PDF: %s", exc)
        return _failed(UNREADABLE)
    if not embedded:
        return _failed(NO_SIGNATURE)
    platform = platform or load_or_create_pki()
    reports = []
    for sig in embedded:
        try:
            if sig.sig_object_type == "/DocTimeStamp":
                reports.append(_timestamp_report(sig, validate_pdf_timestamp(sig, validation_context(platform))))
                continue
            status = validate_pdf_signature(sig, validation_context(platform))
            reports.append(_signature_report(sig, status))
        except Exception as exc:  # noqa: BLE001 - report, never raise, on a public endpoint
            log.info("signature %s failed validation: %s", getattr(sig, "field_name", "?"), exc)
            reports.append(_error_report(sig, exc))
    reasons = _reasons(reports)
    return ValidationReport(
        authentic=not reasons,
        reason=reasons[0] if reasons else None,
        signatures=[r for r in reports if r.kind != _DOC_TS_KIND],
        reasons=reasons,
        level=ltv.signature_level(pdf_bytes),
        document_timestamps=[r for r in reports if r.kind == _DOC_TS_KIND],
    )


def clear_cache() -> None:
    """Nothing cached here beyond what ``signing`` caches; kept for a uniform API."""
