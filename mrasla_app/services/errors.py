"""Domain errors carry a message-catalogue key, so every adapter can show them in Arabic and French."""

from __future__ import annotations


class DomainError(Exception):
    """A refused request: ``code`` is an ``error.*`` key of the i18n catalogues."""

    status = 400

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


class FieldErrors(DomainError):
    """Several fields refused at once: ``fields`` maps a field name to an ``error.*`` key."""

    status = 422

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("error.invalid_fields")
        self.fields = fields


class NotFound(DomainError):
    """Also used when the object exists but the actor may not see it: no existence oracle."""

    status = 404

    def __init__(self, code: str = "error.not_found", **params: object) -> None:
        super().__init__(code, **params)


class Conflict(DomainError):
    """The request contradicts what is stored (e.g. an ``Idempotency-Key`` reused for other content)."""

    status = 409


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, code: str = "error.forbidden", **params: object) -> None:
        super().__init__(code, **params)


class NotAuthenticated(DomainError):
    status = 401

    def __init__(self, code: str = "error.login_required", **params: object) -> None:
        super().__init__(code, **params)
