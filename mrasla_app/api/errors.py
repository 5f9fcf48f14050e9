"""One shape for every refusal of the API, documented in OpenAPI: ``{"error": <an error.* code of
the catalogues>, "message": {"ar": …, "fr": …}}`` plus ``fields`` for form errors.

Domain refusals (``DomainError`` and subclasses), the framework's own ones (unknown route, wrong
method, body too large, unreadable multipart) and request validation failures all answer in it,
so a client never has to handle a second format.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from mrasla_app.i18n import bilingual
from mrasla_app.services.errors import DomainError

#: Framework statuses and the catalogue code they are reported with.
HTTP_CODES = {401: "error.login_required", 403: "error.forbidden", 404: "error.not_found",
              405: "error.method_not_allowed", 413: "error.request_too_large"}
DESCRIPTIONS = {
    400: "Refused: the bilingual message says why",
    401: "Not signed in (session cookie missing or expired)",
    403: "Not allowed, or a state change from another site",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with what is stored (e.g. an Idempotency-Key reused for another request)",
    413: "Request body too large",
    422: "Invalid fields: `fields` maps each to its error",
    429: "Too many requests from this address: retry in a minute",
}


class Message(BaseModel):
    ar: str
    fr: str


class FieldError(BaseModel):
    error: str
    message: Message


class ErrorOut(BaseModel):
    """A refusal: an ``error.*`` code of the message catalogues and its text in Arabic and French."""

    error: str = Field(examples=["error.not_found"])
    message: Message
    fields: dict[str, FieldError] | None = None


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting ``statuses`` with the bilingual error body."""
    return {status: {"model": ErrorOut, "description": DESCRIPTIONS[status]} for status in statuses}


def error_body(code: str, fields: dict[str, str] | None = None, **params: object) -> dict[str, object]:
    body: dict[str, object] = {"error": code, "message": bilingual(code, **params)}
    if fields:
        body["fields"] = {name: {"error": c, "message": bilingual(c)} for name, c in fields.items()}
    return body


async def domain_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(error_body(exc.code, getattr(exc, "fields", None), **exc.params), status_code=exc.status)


async def http_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "error.invalid_request")
    return JSONResponse(error_body(code), status_code=exc.status_code, headers=exc.headers)


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's parameter validation: each invalid input named by its last location part."""
    assert isinstance(exc, RequestValidationError)
    fields = {str(err["loc"][-1]) if err.get("loc") else "request": "error.invalid_value" for err in exc.errors()}
    return JSONResponse(error_body("error.invalid_fields", fields), status_code=422)
