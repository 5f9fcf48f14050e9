"""Portal endpoints: deposit (multipart), sealed receipt, tracking — over ``services.deposits``."""

from __future__ import annotations

import os

from fastapi import APIRouter, Depends, Form, Header, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.api.deps import Id, download
from mrasla_app.api.errors import errors
from mrasla_app.api.limits import Limiter
from mrasla_app.i18n import bilingual
from mrasla_app.models import Administration, Document, DocumentKind
from mrasla_app.models.base import MAX_ID
from mrasla_app.services import deposits, storage, tracking
from mrasla_app.services.deposits import DepositForm
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.settings import get_settings

router = APIRouter(tags=["portal"])
deposit_limit = Limiter("deposit", limit=int(os.environ.get("MRASLA_DEPOSITS_PER_MINUTE", "30")), window=60)
read_limit = Limiter("portal-read", limit=int(os.environ.get("MRASLA_READS_PER_MINUTE", "120")), window=60)


class DepositOut(BaseModel):
    reference: str
    registry_number: str
    registered_at: str
    receipt_url: str
    verify_url: str
    tracking_url: str


class Milestone(BaseModel):
    at: str
    key: str
    label: dict[str, str]


class AnswerOut(BaseModel):
    id: int
    filename: str


class TrackingOut(BaseModel):
    registry_number: str
    status: str
    subject: str
    registered_at: str
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
    """Accept the administration's id or its code (0: none such)."""
    if value.strip().isdigit():
        return int(value) if int(value) <= MAX_ID else 0
    with db.read_session() as session:
        found = session.execute(select(Administration.id).where(Administration.code == value.strip().upper())).scalar()
    return found or 0


def deposit_body_limit() -> int:
    """Every file at its largest, plus 1 MB for the form fields and multipart framing."""
    s = get_settings()
    return (s.max_files * s.max_upload_mb + 1) * 1024 * 1024


@router.post("/deposits", status_code=201, response_model=DepositOut, dependencies=[Depends(deposit_limit)],
             responses=errors(400, 409, 413, 422, 429))
async def create_deposit(
    request: Request,
    administration: str = Form(..., description="administration id or code"),
    full_name: str = Form(""),
    id_kind: str = Form("CIN"),
    id_value: str = Form(""),
    email: str = Form(""),
    phone: str = Form(""),
    subject: str = Form(""),
    message: str = Form(""),
    unit: Id | None = Form(None),
    lang: str = Form("fr"),
    files: list[UploadFile] = [],  # noqa: B006 - FastAPI declares multipart file lists this way
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Response:
    """Deposit a letter; answers with its registry number and the receipt, verification and tracking links.

    A retry with the same ``Idempotency-Key`` and the same request answers the same deposit; the
    key with any other request (administration, identity, subject, files…) is a 409."""
    form = DepositForm(
        administration_id=_administration_id(administration), unit_id=unit, full_name=full_name, id_kind=id_kind,
        id_value=id_value, email=email, phone=phone, subject=subject, message=message, lang=lang,
        idempotency_key=idempotency_key, files=await _read_files(files),
    )
    ip = request.client.host if request.client else ""
    result = await run_in_threadpool(deposits.submit_and_notify, form, ip=ip)
    out = DepositOut(reference=result.reference, registry_number=result.registry_number,
                     registered_at=result.registered_at.isoformat(), receipt_url=result.receipt_url,
                     verify_url=result.verify_url, tracking_url=result.tracking_url)
    return JSONResponse(out.model_dump(), status_code=201)


@router.get("/deposits/{reference}/receipt.pdf", dependencies=[Depends(read_limit)],
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}, **errors(404, 422, 429)})
def receipt_pdf(reference: str, k: str | None = None,
                x_access_token: str | None = Header(None, alias="X-Access-Token")) -> Response:
    """The sealed receipt; needs the deposit's access token (``k`` query or ``X-Access-Token`` header)."""
    with db.read_session() as session:
        corr = tracking.by_access_token(session, reference, k or x_access_token or "")
        doc = corr and session.execute(select(Document).where(
            Document.correspondence_id == corr.id, Document.kind == DocumentKind.receipt)).scalar_one_or_none()
    if not doc:
        raise NotFound()
    return download(storage.get(doc.sha256), "application/pdf", doc.filename)


@router.get("/deposits/{reference}/answers/{document_id}", dependencies=[Depends(read_limit)],
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}, **errors(404, 422, 429)})
def answer_pdf(reference: str, document_id: Id, k: str | None = None,
               x_access_token: str | None = Header(None, alias="X-Access-Token")) -> Response:
    """A signed answer sent to the depositor (same access token as the receipt)."""
    with db.read_session() as session:
        corr = tracking.by_access_token(session, reference, k or x_access_token or "")
        doc = session.get(Document, document_id) if corr else None
    if not corr or doc is None or doc.correspondence_id != corr.id or doc.kind is not DocumentKind.answer:
        raise NotFound()
    return download(storage.get(doc.sha256), "application/pdf", doc.filename)


@router.get("/deposits/{reference}", response_model=TrackingOut, dependencies=[Depends(read_limit)],
            responses=errors(404, 422, 429))
def track(reference: str, k: str | None = None,
          x_access_token: str | None = Header(None, alias="X-Access-Token")) -> TrackingOut:
    """Status and public milestones of a deposit (same access token as the receipt)."""
    with db.read_session() as session:
        corr = tracking.by_access_token(session, reference, k or x_access_token or "")
        if corr is None:
            raise NotFound()
        v = tracking.view(session, corr)
    return TrackingOut(registry_number=v.registry_number, status=v.status, subject=v.subject,
                       registered_at=v.registered_at.isoformat(),
                       milestones=[Milestone(at=m.at.isoformat(), key=m.key, label=bilingual(m.key))
                                   for m in v.milestones],
                       answers=[AnswerOut(id=i, filename=f) for i, f in v.answers])
