"""Portal endpoints: deposit (multipart), sealed receipt, tracking — over ``services.deposits``."""

from __future__ import annotations

import os
from datetime import datetime
from enum import Enum

from fastapi import APIRouter, Depends, Form, Header, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from mrasla_app import db
from mrasla_app.api.deps import Id, access_token, download, file_responses
from mrasla_app.api.errors import errors
from mrasla_app.api.limits import Limiter
from mrasla_app.documents.receipts import ID_KINDS
from mrasla_app.i18n import LANGS, bilingual
from mrasla_app.models import Document, DocumentKind
from mrasla_app.models.base import MAX_ID
from mrasla_app.services.correspondence import delivery_evidence
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.platform import storage
from mrasla_app.services.portal import deposits, tracking, verification
from mrasla_app.services.portal.deposits import DepositForm
from mrasla_app.settings import get_settings

router = APIRouter(tags=["portal"])
deposit_limit = Limiter("deposit", limit=int(os.environ.get("MRASLA_DEPOSITS_PER_MINUTE", "30")), window=60)
read_limit = Limiter("portal-read", limit=int(os.environ.get("MRASLA_READS_PER_MINUTE", "120")), window=60)


IdKind = Enum("IdKind", {kind: kind for kind in ID_KINDS}, type=str)  # type: ignore[misc]  # members built from data; mypy reads only literals
IdKind.__doc__ = "The depositor's identity document: CIN (national identity card, a person) or ICE (a company)."
Lang = Enum("Lang", {lang: lang for lang in LANGS}, type=str)  # type: ignore[misc]  # members built from data; mypy reads only literals
Lang.__doc__ = "The language of the mail sent to the depositor."


class DepositOut(BaseModel):
    """A registered deposit: its number, its two tokens, and where to use them."""

    reference: str = Field(description="the registry number in URL form", examples=["MEF-2026-A-000123"])
    registry_number: str = Field(examples=["MEF/2026/A/000123"])
    registered_at: datetime
    access_token: str = Field(
        description="for the receipt, the tracking and the answers: `X-Access-Token` "
        "header or `k` query; keep it secret"
    )
    verification_token: str = Field(
        description="for the public verification of the receipt: `X-Verify-Token` "
        "header or `t` query (the receipt's QR code carries it)"
    )
    receipt_url: str = Field(description="the sealed receipt (PDF), token included")
    tracking_url: str = Field(description="the tracking page for people, token included")
    verify_url: str = Field(description="the verification page for people, token included")
    verify_api_url: str = Field(description="the verification for machines (`verify_receipt`), token included")


class Milestone(BaseModel):
    at: datetime
    key: str
    label: dict[str, str]


class AnswerOut(BaseModel):
    id: int
    filename: str


class TrackingOut(BaseModel):
    registry_number: str
    status: str
    subject: str
    registered_at: datetime
    milestones: list[Milestone]
    answers: list[AnswerOut]


async def _read_files(uploads: list[UploadFile]) -> list[tuple[str, bytes]]:
    """Read each part with a hard cap (the declared size is not trusted)."""
    cap = get_settings().max_upload_mb * 1024 * 1024
    out: list[tuple[str, bytes]] = []
    for up in uploads:
        data = await up.read(cap + 1)
        if len(data) > cap:
            raise DomainError("error.file_too_large", name=up.filename or "", max=get_settings().max_upload_mb)
        out.append((up.filename or "document", data))
    return out


def _administration_id(value: str) -> int:
    """The administration's id when ``value`` is one (0: a code, or no such id), looked up with the form."""
    value = value.strip()
    return int(value) if value.isdigit() and int(value) <= MAX_ID else 0


def deposit_body_limit() -> int:
    """Every file at its largest, plus 1 MB for the form fields and multipart framing."""
    s = get_settings()
    return (s.max_files * s.max_upload_mb + 1) * 1024 * 1024


#: The operations a deposit answer leads to (OpenAPI links: generated clients and Schemathesis follow them).
DEPOSIT_LINKS = {
    "receipt": {
        "operationId": "receipt_pdf",
        "parameters": {"reference": "$response.body#/reference"},
        "description": "The sealed receipt; send `access_token` as `X-Access-Token`.",
    },
    "tracking": {
        "operationId": "track",
        "parameters": {"reference": "$response.body#/reference"},
        "description": "The deposit's status; send `access_token` as `X-Access-Token`.",
    },
    "verification": {
        "operationId": "verify_receipt",
        "parameters": {"reference": "$response.body#/reference"},
        "description": "What the receipt certifies; send `verification_token` as `X-Verify-Token`.",
    },
}


@router.post(
    "/deposits",
    status_code=201,
    response_model=DepositOut,
    dependencies=[Depends(deposit_limit)],
    responses={201: {"description": "Registered", "links": DEPOSIT_LINKS}, **errors(400, 409, 413, 422, 429)},
)
async def create_deposit(
    request: Request,
    administration: str = Form(..., min_length=1, description="the administration's id or code", examples=["MEF"]),
    full_name: str = Form("", description="required (the server says so in `fields`)", examples=["Salma Bennis"]),
    id_kind: IdKind = Form(IdKind("CIN")),
    id_value: str = Form("", description="CIN: 1–2 letters and digits; ICE: 15 digits", examples=["AB123456"]),
    email: str = Form("", description="an e-mail address or a phone number is required", examples=["salma@example.ma"]),
    phone: str = Form("", examples=["+212612345678"]),
    subject: str = Form("", description="required", examples=["طلب شهادة إدارية"]),
    message: str = Form(""),
    unit: Id | None = Form(None, description="a unit of the administration (default: its registry office)"),
    lang: Lang = Form(Lang("fr")),
    files: list[UploadFile] = [],  # noqa: B006 - FastAPI declares multipart file lists this way
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        description="the same key with the same request returns the first deposit; with another request, 409",
    ),
) -> Response:
    """Deposit a letter with its files (PDF, images); answers with its registry number, its tokens, and the
    receipt, tracking and verification links.

    A retry with the same ``Idempotency-Key`` and the same request answers the same deposit; the
    key with any other request (administration, identity, subject, files…) is a 409."""
    uploaded = await _read_files(files)
    ip = request.client.host if request.client else ""

    def deposit() -> deposits.DepositResult:  # in a worker thread: blocking database work and sealing
        return deposits.submit_and_notify(
            DepositForm(
                administration_id=_administration_id(administration),
                administration_code="" if administration.strip().isdigit() else administration,
                unit_id=unit,
                full_name=full_name,
                id_kind=id_kind.value,
                id_value=id_value,
                email=email,
                phone=phone,
                subject=subject,
                message=message,
                lang=lang.value,
                idempotency_key=idempotency_key,
                files=uploaded,
            ),
            ip=ip,
        )

    result = await run_in_threadpool(deposit)
    out = DepositOut(
        reference=result.reference,
        registry_number=result.registry_number,
        registered_at=result.registered_at,
        access_token=result.access_token,
        verification_token=result.verify_token,
        receipt_url=result.receipt_url,
        tracking_url=result.tracking_url,
        verify_url=result.verify_url,
        verify_api_url=f"{get_settings().public_url}/api/v1/verify/{result.reference}?t={result.verify_token}",
    )
    return JSONResponse(out.model_dump(mode="json"), status_code=201)


@router.get(
    "/deposits/{reference}/receipt.pdf",
    dependencies=[Depends(read_limit)],
    response_class=Response,
    responses={**file_responses("application/pdf", description="The sealed receipt"), **errors(404, 422, 429)},
)
def receipt_pdf(reference: str, token: str = Depends(access_token)) -> Response:
    """The sealed receipt; needs the deposit's access token."""
    with db.read_session() as session:
        corr = tracking.by_access_token(session, reference, token)
        doc = (
            corr
            and session.execute(
                select(Document).where(Document.correspondence_id == corr.id, Document.kind == DocumentKind.receipt)
            ).scalar_one_or_none()
        )
    if not doc:
        raise NotFound()
    if not storage.exists(doc.sha256):  # transferred to the archives or destroyed (records.retention)
        raise NotFound("error.document_disposed")
    response = download(
        storage.get(doc.sha256), "application/pdf", doc.filename, etag=doc.sha256, modified=doc.created_at
    )
    response.headers["X-Signature-Level"] = verification.stored_level(doc)  # PAdES B-T as issued, then B-LTA
    return response


@router.get(
    "/deposits/{reference}/answers/{document_id}",
    dependencies=[Depends(read_limit)],
    response_class=Response,
    responses={**file_responses("application/pdf", description="The signed answer"), **errors(404, 422, 429)},
)
def answer_pdf(reference: str, document_id: Id, d: str | None = None, token: str = Depends(access_token)) -> Response:
    """A signed answer sent to the depositor: same access token as the receipt, or the short-lived
    ticket ``d`` of a tracking page opened with a one-time code."""
    with db.read_session() as session:
        corr = tracking.by_access_token(session, reference, token)
        doc = (
            session.get(Document, document_id)
            if corr
            else tracking.answer_by_ticket(session, reference, document_id, d or "")
        )
    if doc is None or (corr and doc.correspondence_id != corr.id) or doc.kind is not DocumentKind.answer:
        raise NotFound()
    if not storage.exists(doc.sha256):  # transferred to the archives or destroyed (records.retention)
        raise NotFound("error.document_disposed")
    with db.write_session() as session:  # the first opening is the evidence of retrieval (law 43-20)
        delivery_evidence.record_retrieval(session, doc)
    return download(storage.get(doc.sha256), "application/pdf", doc.filename, etag=doc.sha256, modified=doc.created_at)


@router.get(
    "/deposits/{reference}",
    response_model=TrackingOut,
    dependencies=[Depends(read_limit)],
    responses=errors(404, 422, 429),
)
def track(reference: str, token: str = Depends(access_token)) -> TrackingOut:
    """Status and public milestones of a deposit (same access token as the receipt)."""
    with db.read_session() as session:
        corr = tracking.by_access_token(session, reference, token)
        if corr is None:
            raise NotFound()
        v = tracking.view(session, corr)
    return TrackingOut(
        registry_number=v.registry_number,
        status=v.status,
        subject=v.subject,
        registered_at=v.registered_at,
        milestones=[Milestone(at=m.at, key=m.key, label=bilingual(m.key)) for m in v.milestones],
        answers=[AnswerOut(id=a.document_id, filename=a.filename) for a in v.answers],
    )
