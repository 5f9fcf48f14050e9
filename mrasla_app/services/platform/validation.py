"""Small input checks shared by services; each raises a ``DomainError`` with a catalogue key."""

from __future__ import annotations

import re

from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform.text import clean

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
ADMIN_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,15}$")
UNIT_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_.-]{0,31}$")


def text(value: str, field: str, *, max_len: int = 255, required: bool = True) -> str:
    """Free text after ``text.clean`` (control and bidi characters removed), checked for presence and length."""
    value = clean(value)
    if required and not value:
        raise DomainError("error.required", field=field)
    if len(value) > max_len:
        raise DomainError("error.too_long", field=field)
    return value


def code(value: str, pattern: re.Pattern[str]) -> str:
    value = (value or "").strip().upper()
    if not pattern.match(value):
        raise DomainError("error.invalid_code")
    return value


def email(value: str) -> str:
    value = clean(value, multiline=False).lower()
    if not _EMAIL.match(value) or len(value) > 255:
        raise DomainError("error.invalid_email")
    return value
