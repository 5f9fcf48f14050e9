"""The hostile-file corpus (``tests.hostile``) through every way a file enters the platform: the
portal deposit (service and ``POST /api/v1/deposits``), the registry clerk's scan registration and
the parapheur's folder upload.

Each file is refused with its bilingual error, or accepted under a safe name; either way within
10 s and 300 MB (generous bounds that still catch a real bomb: 1 GB inflated, 30 GB of pixels),
and a refusal leaves nothing behind: no row, no numbering step, no blob, no temporary file.
"""

from __future__ import annotations

import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from mrasla_app import db
from mrasla_app.i18n import bilingual
from mrasla_app.models import (
    AuditEvent,
    Correspondence,
    Document,
    DocumentKind,
    Folder,
    FolderDocument,
    Notification,
    Party,
    RegistryCounter,
)
from mrasla_app.services.correspondence import paper
from mrasla_app.services.errors import DomainError
from mrasla_app.services.parapheur import submission
from mrasla_app.services.platform import files
from mrasla_app.services.portal import deposits
from tests.api.conftest import deposit_form
from tests.hostile import CASES, Case, measure

MAX_SECONDS, MAX_MB = 10, 300
T = TypeVar("T")
TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".png": "image/png"}


class Refused(Exception):
    def __init__(self, code: str, message: dict[str, str]) -> None:
        super().__init__(code)
        self.code, self.message = code, message


def _service(call: Callable[[Session], T]) -> T:
    """Run ``call`` in a write transaction; a ``DomainError`` becomes ``Refused`` with its bilingual message."""
    try:
        with db.write_session() as s:
            return call(s)
    except DomainError as exc:
        raise Refused(exc.code, bilingual(exc.code, **exc.params)) from None


def _documents(model, **where) -> tuple[str, str]:
    with db.read_session() as s:
        doc = s.execute(select(model).filter_by(**where)).scalars().one()
    return doc.filename, doc.content_type


def deposit(demo, _client, case: Case, data: bytes) -> tuple[str, str]:
    form = deposits.DepositForm(
        administration_id=demo.adm_id("MEF"),
        full_name="Salma Bennis",
        id_kind="CIN",
        id_value="AB123456",
        email="",
        phone="0612345678",
        subject="Demande",
        files=[(case.filename, data)],
    )
    result = _service(lambda s: deposits.submit(s, form))
    return _documents(Document, correspondence_id=result.correspondence_id, kind=DocumentKind.attachment)


def api(_demo, client, case: Case, data: bytes) -> tuple[str, str]:
    r = client.post(
        "/api/v1/deposits", data=deposit_form(), files=[("files", (case.filename, data, case.content_type))]
    )
    if r.status_code != 201:
        assert r.status_code == 400, r.text
        raise Refused(r.json()["error"], r.json()["message"])
    with db.read_session() as s:
        corr_id = s.execute(
            select(Correspondence.id).where(Correspondence.registry_number == r.json()["registry_number"])
        ).scalar_one()
    return _documents(Document, correspondence_id=corr_id, kind=DocumentKind.attachment)


def registry(demo, _client, case: Case, data: bytes) -> tuple[str, str]:
    clerk = demo.actor("clerk.mef@mrasla.ma")
    reg = _service(
        lambda s: paper.register_incoming(
            s,
            clerk,
            administration_id=demo.adm_id("MEF"),
            channel="paper",
            subject="Courrier papier",
            sender_name="Ahmed Amrani",
            files=[(case.filename, data)],
        )
    )
    return _documents(Document, correspondence_id=reg.correspondence.id, kind=DocumentKind.scan)


def parapheur(demo, _client, case: Case, data: bytes) -> tuple[str, str]:
    agent = demo.actor("agent.mef@mrasla.ma")
    folder = _service(lambda s: submission.create_folder(s, agent, "Réponse", [(case.filename, data)]))
    return _documents(FolderDocument, folder_id=folder.id)


def _as_pdf(name: str) -> str:
    return name if name.lower().endswith(".pdf") else name.rsplit(".", 1)[0] + ".pdf"


@dataclass(frozen=True)
class Entry:
    upload: Callable[..., tuple[str, str]]
    #: the name kept for an accepted file (the parapheur keeps an image as its PDF rendition)
    kept: Callable[[str], str] = lambda name: name


ENTRIES = {
    "deposit": Entry(deposit),
    "api": Entry(api),
    "registry": Entry(registry),
    "parapheur": Entry(parapheur, _as_pdf),
}


def _footprint(data_dir, temp_dir) -> dict[str, object]:
    with db.read_session() as s:
        rows: dict[str, object] = {
            t.__name__: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (Correspondence, Document, Party, Folder, FolderDocument, AuditEvent, Notification)
        }
        rows["numbers"] = s.execute(select(func.coalesce(func.sum(RegistryCounter.value), 0))).scalar_one()
    rows["blobs"] = sorted(str(p) for p in (data_dir / "blobs").rglob("*") if p.is_file())
    rows["temp"] = sorted(str(p) for p in temp_dir.rglob("*"))
    return rows


def _assert_safe_name(name: str) -> None:
    assert 0 < len(name) <= files.MAX_NAME
    assert name == unicodedata.normalize("NFC", name)
    assert not any(unicodedata.category(c)[0] == "C" or c in "/\\" for c in name), ascii(name)


def _sent_as_is(name: str) -> bool:
    """Multipart clients percent-encode control characters and quotes in filenames (as browsers do)."""
    return not any(ord(c) < 0x20 or c in '"\\' for c in name)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("entry", list(ENTRIES))
def test_hostile_file(entry, case, seeded, request, tmp_path, monkeypatch):
    data = case.build()  # built (and cached) outside the measurement
    client = request.getfixturevalue("client") if entry == "api" else None
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp_dir))  # spooled multipart uploads land here
    before = _footprint(seeded.data_dir, temp_dir)

    outcome: Refused | tuple[str, str]
    with measure() as cost:
        try:
            outcome = ENTRIES[entry].upload(seeded, client, case, data)
        except Refused as exc:
            outcome = exc

    assert cost.seconds < MAX_SECONDS and cost.peak_mb < MAX_MB, f"{cost.seconds:.1f} s, {cost.peak_mb:.0f} MB"
    if case.refused:
        assert isinstance(outcome, Refused), f"accepted as {outcome!r}"
        assert outcome.code == case.refused
        assert outcome.message["ar"] != outcome.message["fr"] and case.refused not in outcome.message.values()
        assert _footprint(seeded.data_dir, temp_dir) == before
    else:
        assert not isinstance(outcome, Refused), f"refused: {outcome.code}"
        name, content_type = outcome
        _assert_safe_name(name)
        assert content_type == TYPES[case.stored[-4:].lower()]  # type: ignore[index]
        if entry != "api" or _sent_as_is(case.filename):
            assert name == ENTRIES[entry].kept(case.stored)  # type: ignore[arg-type]
        assert _footprint(seeded.data_dir, temp_dir)["temp"] == []
