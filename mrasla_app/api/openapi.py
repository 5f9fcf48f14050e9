"""The OpenAPI document as a contract a client can be generated from.

FastAPI writes most of it from the routes; this module adds what it cannot infer and fixes what
client generators misread:

- uploads: FastAPI 0.165 types an ``UploadFile`` as ``contentMediaType: application/octet-stream``
  only (OpenAPI 3.1); generators that read the 3.0 spelling (openapi-python-client,
  openapi-typescript) then send text parts. Every such schema also gets ``format: binary``;
- ``security: []`` on the public operations (those without a credential dependency), so each
  operation states what it needs;
- ``servers``, ``info.license``, tag descriptions, and the conventions every operation follows.

Operation ids are the route functions' names (``operation_id``): short, and stable as long as the
function keeps its name (a rename is an API change, caught by ``tests/api/test_contract.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from mrasla_app.settings import get_settings

DESCRIPTION = """\
Digital administrative correspondence — مراسلة — for citizens, companies and administrations.

**Versioning.** Every path is under `/api/v1`. Within v1, changes only add (operations, optional
fields, enum values a client must tolerate); a removal or an incompatible change makes `/api/v2`,
and v1 keeps answering for at least 12 months after, its operations marked `deprecated` with a
`Sunset` date (see the README).

**Credentials.** Staff use the `session` cookie (`POST /auth/login`, then `POST /auth/session`). A
deposit answer carries its `access_token` (receipt, tracking, answers: header `X-Access-Token` or
query `k`) and its `verification_token` (public verification: header `X-Verify-Token` or query `t`).

**Conventions.** Every refusal is `{"error": <code>, "message": {"ar": …, "fr": …}}` (plus `fields`
for form errors), unknown paths and wrong methods included (404, 405 with `Allow`). Every `GET`
also answers `HEAD`. Every answer has `Cache-Control`; files carry an `ETag` (and `Last-Modified`
where known) and answer `If-None-Match` / `If-Modified-Since` with 304. Times are RFC 3339 in UTC.
"""

WEBHOOKS = """\
An administration's administrators register HTTPS endpoints that Mrasla `POST`s JSON events to
(`deposit.received`, `correspondence.registered`, `correspondence.status_changed`,
`correspondence.sent`, `correspondence.acknowledged`, `folder.signed`; `webhook.test` on demand).

Each request carries `Mrasla-Event-Id` (the same on every retry: process an id once),
`Mrasla-Event-Type`, `Mrasla-Delivery-Attempt` and
`Mrasla-Signature: t=<unix seconds>,v1=<hex>` where `v1` is HMAC-SHA256 keyed with the endpoint's
whole secret (`whsec_…`, UTF-8) over `<t>.<raw body>`. Recompute it, compare in constant time, and
refuse a `t` more than 5 minutes old. Answer 2xx within 10 s; anything else is retried after 1, 2,
4 … minutes (at most 6 h apart), 8 attempts in all. Payloads carry identifiers, reference, status
and links to this API — never names, subjects or documents."""

TAGS = [
    {"name": "portal", "description": "Deposit a letter, get its sealed receipt, follow it (no account)."},
    {"name": "verification", "description": "Check a receipt or any signed PDF; the platform's public PKI."},
    {"name": "auth", "description": "Staff sign-in and session."},
    {"name": "directory", "description": "Administrations, their units and staff."},
    {"name": "correspondence", "description": "The staff inbox: read, qualify, dispatch, close."},
    {
        "name": "parapheur",
        "description": "The signature book: documents and decisions on a folder, batches of visas or "
        "signatures with one PIN, and the undo of one's own last decision.",
    },
    {"name": "registers", "description": "The legal registers as CSV and PDF."},
    {"name": "webhooks", "description": WEBHOOKS},
    {"name": "health", "description": "Liveness for load balancers and monitoring."},
]


ANY_REFUSAL = {
    "description": "A refusal (the bilingual error shape)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
}


def operation_id(route: APIRoute) -> str:
    """The operation id: the route function's name (``create_deposit``, ``verify_receipt``…)."""
    return route.name


def _binary(node: Any) -> None:
    """Add ``format: binary`` next to every ``contentMediaType: application/octet-stream`` string."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("contentMediaType") == "application/octet-stream":
            node["format"] = "binary"
        for value in node.values():
            _binary(value)
    elif isinstance(node, list):
        for value in node:
            _binary(value)


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """What FastAPI leaves out of ``document`` (changed in place, and returned)."""
    _binary(document)
    document["servers"] = [{"url": get_settings().public_url, "description": "this Mrasla platform"}]
    document["info"]["description"] = DESCRIPTION
    document["info"]["license"] = {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"}
    document["tags"] = TAGS
    for operations in document["paths"].values():
        for operation in operations.values():
            operation.setdefault("security", [])  # no credential dependency: a public operation
            if not any(str(status).startswith("4") for status in operation["responses"]):
                operation["responses"]["4XX"] = ANY_REFUSAL  # none expected, but a refusal has this shape
    return document


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed document (built once, then cached by FastAPI)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            complete(FastAPI.openapi(app))
        return app.openapi_schema  # type: ignore[return-value]  # FastAPI caches the schema it just built

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the schema
