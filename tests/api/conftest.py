"""API tests: the FastAPI app in-process through httpx (Starlette's TestClient), on a seeded database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from mrasla_app.api import api_app
from mrasla_app.api.auth import login_limit
from mrasla_app.api.deposits import deposit_limit, read_limit
from mrasla_app.api.verify import verify_limit
from mrasla_app.pki import ca


@pytest.fixture
def client(seeded, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A client on a fresh seeded database with generous public rate limits."""
    ca.clear_cache()
    for limiter in (deposit_limit, read_limit, verify_limit, login_limit):
        limiter.reset()
        monkeypatch.setattr(limiter, "limit", 10_000)
    with TestClient(api_app, base_url="http://testserver") as c:
        yield c
    ca.clear_cache()


def deposit_form(**overrides: str) -> dict[str, str]:
    form = {
        "administration": "MEF",
        "full_name": "Salma Bennis",
        "id_kind": "CIN",
        "id_value": "AB123456",
        "email": "salma@example.ma",
        "phone": "",
        "subject": "طلب شهادة إدارية",
        "message": "Bonjour, je demande…",
        "lang": "ar",
    }
    form.update(overrides)
    return form
