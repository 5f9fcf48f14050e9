"""Public verification endpoints and the platform's public PKI files."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from mrasla_app import db
from mrasla_app.api.deps import file_responses, verify_token
from mrasla_app.api.errors import errors
from mrasla_app.api.limits import Limiter
from mrasla_app.pki.validation import ValidationReport
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.portal import verification

router = APIRouter(tags=["verification"])
verify_limit = Limiter("verify", limit=60, window=60)
MAX_VERIFY_MB = 30


def pdf_body_limit() -> int:
    return (MAX_VERIFY_MB + 1) * 1024 * 1024


def tsa_body_limit() -> int:
    return 16_384  # an RFC 3161 query is a few hundred bytes


class ReceiptDocumentOut(BaseModel):
    """A file as registered (its SHA-256 lets anyone check a copy)."""

    filename: str
    kind: str
    pages: int
    size: int
    sha256: str
    signature_level: str = ""  # PAdES level of a platform-signed file: B-T as issued, B-LTA once extended


class ReceiptOut(BaseModel):
    authentic: bool
    registry_number: str
    administration: dict[str, str]
    unit: dict[str, str]
    registered_at: datetime
    subject: str
    depositor_id: str
    documents: list[ReceiptDocumentOut]


class SignatureOut(BaseModel):
    field_name: str
    signer: str
    signing_time: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    timestamped: bool
    covers_whole_document: bool
    modified_after_signing: bool
    certified: bool


class ReportOut(BaseModel):
    authentic: bool
    reason: str
    signatures: list[SignatureOut]
    level: str = ""  # PAdES level of the file: B-B, B-T, B-LT, B-LTA


def report_out(report: ValidationReport) -> ReportOut:
    return ReportOut(
        authentic=report.authentic,
        reason=report.reason or "",
        level=report.level,
        signatures=[
            SignatureOut(
                field_name=s.field_name,
                signer=s.signer_common_name or "",
                signing_time=s.signing_time,
                intact=s.intact,
                valid=s.valid,
                trusted=s.trusted,
                timestamped=s.timestamped and s.timestamp_valid,
                covers_whole_document=s.covers_whole_document,
                modified_after_signing=s.modified_after_signing,
                certified=s.certified,
            )
            for s in report.signatures
        ],
    )


# Declared before ``/verify/{reference}``, which would otherwise also match ``/verify/pdf``.
@router.post(
    "/verify/pdf", response_model=ReportOut, dependencies=[Depends(verify_limit)], responses=errors(400, 413, 422, 429)
)
async def verify_pdf(file: UploadFile) -> ReportOut:
    """Upload any PDF: each signature's signer, time, integrity, trust and later modifications."""
    data = await _read_upload(file)
    # pyHanko's synchronous API runs its own event loop: keep it off the server's loop.
    return report_out(await run_in_threadpool(verification.check_pdf, data))


async def _read_upload(file: UploadFile) -> bytes:
    cap = MAX_VERIFY_MB * 1024 * 1024
    data = await file.read(cap + 1)
    if len(data) > cap:
        raise DomainError("error.file_too_large", name=file.filename or "", max=MAX_VERIFY_MB)
    if not data:
        raise DomainError("error.file_empty", name=file.filename or "")
    return data


@router.post(
    "/verify/pdf/etsi",
    response_class=Response,
    dependencies=[Depends(verify_limit)],
    responses={
        200: {
            "description": "An ETSI TS 119 102-2 validation report",
            "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
        },
        **errors(400, 413, 422, 429),
    },
)
async def verify_pdf_etsi(file: UploadFile) -> Response:
    """The same upload judged by the ETSI EN 319 102-1 algorithm: an ETSI TS 119 102-2 XML
    validation report (TOTAL-PASSED / INDETERMINATE / TOTAL-FAILED per signature)."""
    data = await _read_upload(file)
    xml = await run_in_threadpool(verification.etsi_report_xml, data)
    if xml is None:
        raise DomainError("error.invalid_request")
    return Response(xml, media_type="application/xml")


@router.post(
    "/verify/pdf/report",
    response_class=Response,
    dependencies=[Depends(verify_limit)],
    responses={
        200: {
            "description": "A printable PDF validation report (French / Arabic)",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "headers": {
                "Content-Disposition": {"description": "attachment, with the file name", "schema": {"type": "string"}}
            },
        },
        **errors(400, 413, 422, 429),
    },
)
async def verify_pdf_report(file: UploadFile) -> Response:
    """The same upload as a PDF report for people: per signature and document timestamp the signer,
    the time, the ETSI indication (as in the XML report), the PAdES level and later modifications."""
    data = await _read_upload(file)
    pdf = await run_in_threadpool(verification.report_pdf, data, file.filename or "document.pdf")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="validation-report.pdf"', "Cache-Control": "no-store"},
    )


@router.get(
    "/verify/{reference}",
    response_model=ReceiptOut,
    dependencies=[Depends(verify_limit)],
    responses=errors(404, 422, 429),
)
def verify_receipt(reference: str, token: str = Depends(verify_token)) -> ReceiptOut:
    """What was registered under a receipt: needs the verification token carried by the receipt's QR code."""
    with db.read_session() as session:
        found = verification.lookup(session, reference, token)
    if found is None:
        raise NotFound("error.not_authentic")
    return ReceiptOut(
        authentic=True,
        registry_number=found.registry_number,
        administration={"ar": found.administration_ar, "fr": found.administration_fr},
        unit={"ar": found.unit_ar, "fr": found.unit_fr},
        registered_at=found.registered_at,
        subject=found.subject,
        depositor_id=found.depositor_id,
        documents=[ReceiptDocumentOut(**d.__dict__) for d in found.documents],
    )


# The platform's public PKI files: under ``/pki/`` (the API app answers every path there, JSON errors
# included), each with its media type; a new one is one more route on ``pki_router``.
pki_router = APIRouter(tags=["verification"])
ROOT_CACHE = "public, max-age=86400"  # the root changes only when the platform is re-keyed
CRL_CACHE = "public, no-cache"  # revocations must be seen at once: always revalidated (a cheap 304)


def public_file(data: bytes, media_type: str, modified: datetime, cache: str, filename: str | None = None) -> Response:
    """A public PKI file with its validators (``ETag``, ``Last-Modified``) for conditional requests."""
    headers = {
        "ETag": f'"{hashlib.sha256(data).hexdigest()}"',
        "Last-Modified": format_datetime(modified, usegmt=True),
        "Cache-Control": cache,
    }
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(data, media_type=media_type, headers=headers)


@pki_router.get(
    "/pki/root.crt",
    response_class=Response,
    responses=file_responses("application/x-x509-ca-cert", description="The root certificate (PEM)"),
)
def root_certificate() -> Response:
    """The platform root certificate, to trust in a PDF reader (Adobe: Edit ▸ Preferences ▸ Signatures)."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from mrasla_app.pki.ca import load_or_create_pki

    root = load_or_create_pki().root_cert
    return public_file(
        root.public_bytes(Encoding.PEM),
        "application/x-x509-ca-cert",
        root.not_valid_before_utc,
        ROOT_CACHE,
        "mrasla-root.crt",
    )


@pki_router.post(
    "/pki/tsa",
    response_class=Response,
    dependencies=[Depends(verify_limit)],
    responses={
        200: {
            "description": "An RFC 3161 time-stamp response (granted or rejected)",
            "content": {"application/timestamp-reply": {"schema": {"type": "string", "format": "binary"}}},
        },
        **errors(400, 413, 429),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/timestamp-query": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def timestamp(request: Request) -> Response:
    """The platform's RFC 3161 time-stamping authority (``application/timestamp-query``); a query it
    cannot grant gets an RFC 3161 rejection, a request without any query a bilingual 400."""
    from mrasla_app.pki.tsa import respond

    query = await request.body()
    if not query:
        raise DomainError("error.invalid_request")
    return Response(respond(query), media_type="application/timestamp-reply", headers={"Cache-Control": "no-store"})


@pki_router.get(
    "/pki/crl.der",
    response_class=Response,
    responses=file_responses("application/pkix-crl", description="The CRL (DER)"),
)
def crl() -> Response:
    """The platform's current certificate revocation list (DER)."""
    from cryptography import x509

    from mrasla_app.pki.ca import load_or_create_pki

    der = load_or_create_pki().crl_der()
    return public_file(der, "application/pkix-crl", x509.load_der_x509_crl(der).last_update_utc, CRL_CACHE)


_OCSP_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An OCSP response (RFC 6960), signed by the delegated responder",
        "content": {"application/ocsp-response": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@pki_router.post(
    "/pki/ocsp",
    response_class=Response,
    responses={**_OCSP_DOC, **errors(400, 413)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/ocsp-request": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def ocsp_post(request: Request) -> Response:
    """The platform's RFC 6960 OCSP responder (``application/ocsp-request``); a request it cannot
    parse gets an OCSP ``malformedRequest`` answer, a request without any body a bilingual 400."""
    from mrasla_app.pki.ocsp import respond

    query = await request.body()
    if not query:
        raise DomainError("error.invalid_request")
    return Response(respond(query), media_type="application/ocsp-response")


@pki_router.get("/pki/ocsp/{encoded:path}", response_class=Response, responses={**_OCSP_DOC, **errors(400)})
def ocsp_get(encoded: str) -> Response:
    """The OCSP responder over GET (RFC 6960 A.1: base64 request in the path), cacheable."""
    from mrasla_app.pki.ocsp import respond_get

    return Response(
        respond_get(encoded), media_type="application/ocsp-response", headers={"Cache-Control": "max-age=300"}
    )
