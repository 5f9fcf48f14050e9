"""One shape for every refusal of the API, documented in OpenAPI: ``{"error": <an error.* code of
the catalogues>, "message": {"ar": …, "fr": …, "en": …}}`` plus ``fields`` for form errors
(``ar`` and ``fr`` are the contract; ``en`` was added with the English interface).

Domain refusals (``DomainError`` and subclasses), the framework's own ones (unknown route, wrong
method, body too large, unreadable multipart) and request validation failures all answer in it,
so a client never has to handle a second format.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from mrasla_app.i18n import bilingual
from mrasla_app.services.errors import DomainError

#: Framework statuses and the catalogue code they are reported with.
HTTP_CODES = {
    401: "error.login_required",
    403: "error.forbidden",
    404: "error.not_found",
    405: "error.method_not_allowed",
    413: "error.request_too_large",
}
DESCRIPTIONS = {
    400: "Refused: the bilingual message says why",
    401: "Not signed in (session cookie missing or expired)",
    403: "Not allowed, or a state change from another site",
    404: "Not found, or not visible to the caller",
    405: "Method not allowed: `Allow` lists the methods of this path",
    409: "Conflict with the current state (e.g. an `Idempotency-Key` reused for another request)",
    413: "Request body too large",
    422: "Invalid fields: `fields` maps each to its error",
    429: "Too many requests from this address: retry in a minute",
}


class Message(BaseModel):
    ar: str
    fr: str
    en: str


class FieldError(BaseModel):
    error: str
    message: Message


class ErrorOut(BaseModel):
    """A refusal: an ``error.*`` code of the message catalogues and its text in Arabic, French and English."""

    error: str = Field(examples=["error.not_found"], description="an `error.*` code of the message catalogues")
    message: Message
    fields: dict[str, FieldError] | None = Field(
        None, description="form errors, by field name (only with 422 and some 400)"
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"error": "error.not_found", "message": {"ar": "غير موجود.", "fr": "Introuvable.", "en": "Not found."}}
            ]
        }
    }


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


def path_methods(request: Request) -> list[str]:
    """Every method the OpenAPI document gives the request's path: Starlette's 405 names those of the
    first route only (``GET /webhooks`` and ``POST /webhooks`` are two routes)."""
    for template, operations in request.app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)), request.url.path):
            return sorted(m.upper() for m in operations if m in ("get", "put", "post", "delete", "patch"))
    return []


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "error.invalid_request")
    headers = dict(exc.headers or {})
    if exc.status_code == 405 and "Allow" in headers:
        headers["Allow"] = ", ".join(path_methods(request)) or headers["Allow"]
    allow = [m.strip() for m in headers.get("Allow", "").split(",") if m.strip()]
    if "GET" in allow and "HEAD" not in allow:  # every GET also answers HEAD (api.http.Conventions)
        headers["Allow"] = ", ".join([*allow, "HEAD"])
    return JSONResponse(error_body(code), status_code=exc.status_code, headers=headers or None)


#: Where a request value comes from: not part of a field's name.
LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


def field_name(loc: tuple[int | str, ...]) -> str:
    """The field a validation error is about, by name: ``("body", "info_unit_ids", 2)`` →
    ``info_unit_ids``, ``("body", "steps", 0, "unit_id")`` → ``steps.unit_id``; an unreadable
    body (``("body", 12)``: the offset of a JSON syntax error) → ``body``."""
    names = [str(part) for part in loc if isinstance(part, str)]
    if len(names) > 1 and names[0] in LOCATIONS:
        names = names[1:]
    return ".".join(names) or "request"


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's parameter validation: each invalid input named by its field (never by an index)."""
    assert isinstance(exc, RequestValidationError)
    fields = {
        field_name(tuple(err.get("loc") or ())): "error.api_malformed_json"
        if err.get("type") == "json_invalid"
        else "error.invalid_value"
        for err in exc.errors()
    }
    return JSONResponse(error_body("error.invalid_fields", fields), status_code=422)
