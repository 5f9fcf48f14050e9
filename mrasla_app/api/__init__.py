"""The REST API (``/api/v1``) and ``/healthz``, mounted into Reflex with ``api_transformer``.

Routers are thin: they parse input, call a service with the actor from the session cookie, and
map ``DomainError`` to a bilingual JSON error with the right status code.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from starlette.exceptions import HTTPException

from mrasla_app import db
from mrasla_app.api import (
    auth,
    correspondence,
    deposits,
    directory,
    docs,
    folders,
    openapi,
    records,
    signin,
    verify,
    webhooks,
)
from mrasla_app.api import registry as registers
from mrasla_app.api.errors import domain_error_handler, http_error_handler, validation_error_handler
from mrasla_app.api.http import Conventions, mount_api
from mrasla_app.api.limits import BodyLimit
from mrasla_app.services.errors import DomainError

API_PREFIX = "/api/v1"
#: Everything the API app answers itself (JSON errors included); any other path is the web frontend's.
API_PATHS = (API_PREFIX, "/pki", "/healthz")
JSON_BODY_LIMIT = 1024 * 1024


class HealthOut(BaseModel):
    status: Literal["ok", "error"]
    database: str


def body_limit(path: str) -> int | None:
    """The largest request body for ``path``; None outside the API (Reflex's own routes, its upload
    endpoint included, are mounted in this app and keep their own rules)."""
    uploads = {
        f"{API_PREFIX}/deposits": deposits.deposit_body_limit,
        f"{API_PREFIX}/verify/pdf": verify.pdf_body_limit,
        f"{API_PREFIX}/verify/pdf/etsi": verify.pdf_body_limit,
        f"{API_PREFIX}/verify/pdf/report": verify.pdf_body_limit,
        "/pki/tsa": verify.tsa_body_limit,
    }
    if path in uploads:
        return uploads[path]()
    return JSON_BODY_LIMIT if path.startswith((f"{API_PREFIX}/", "/pki/")) else None


def create_api() -> FastAPI:
    app = FastAPI(
        title="Mrasla API",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # docs.install: Swagger UI from local files
        redoc_url=None,
        generate_unique_id_function=openapi.operation_id,
    )
    v1 = APIRouter(prefix=API_PREFIX)
    v1.include_router(auth.router)
    v1.include_router(signin.router)
    v1.include_router(directory.router)
    v1.include_router(deposits.router)
    v1.include_router(verify.router)
    v1.include_router(correspondence.router)
    v1.include_router(correspondence.documents_router)
    v1.include_router(folders.router)
    v1.include_router(registers.router)
    v1.include_router(webhooks.router)
    v1.include_router(records.router)
    app.include_router(v1)
    app.include_router(verify.pki_router)
    docs.install(app, API_PREFIX)
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_middleware(BodyLimit, limit_for=body_limit)
    app.add_middleware(Conventions)  # outermost: also sees the 413 of BodyLimit
    openapi.install(app)

    @app.get(
        "/healthz",
        tags=["health"],
        response_model=HealthOut,
        responses={503: {"model": HealthOut, "description": "The database does not answer"}},
    )
    def healthz() -> JSONResponse:
        """Liveness with a database round trip (also as ``HEAD /healthz``); never cached."""
        try:
            with db.read_session() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
            return JSONResponse({"status": "error", "database": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return app


api_app = create_api()
#: The ``api_transformer`` of the Reflex app: API paths to ``api_app``, everything else to the frontend.
api_transformer = mount_api(api_app, API_PATHS)
