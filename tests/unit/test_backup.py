"""Backup while the app runs, restore on an empty data directory, and everything still verifies."""

from __future__ import annotations

import os
import tempfile

import pytest
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import Document, DocumentKind
from mrasla_app.pki import ca
from mrasla_app.pki.validation import validate_pdf
from mrasla_app.services.directory import accounts
from mrasla_app.services.errors import DomainError
from mrasla_app.services.platform import backup, fsck, storage
from mrasla_app.services.portal import deposits
from mrasla_app.settings import get_settings
from tests.files import pdf_bytes

PASS = "correct horse battery staple"
# The built-in archive snapshots SQLite; a PostgreSQL installation backs its database up with pg_dump.
pytestmark = pytest.mark.skipif(bool(os.environ.get("MRASLA_TEST_PG")), reason="SQLite snapshot only")


def _deposit(seeded) -> str:
    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Yasmine Berrada",
        id_kind="CIN",
        id_value="F998877",
        email="",
        phone="0615161718",
        subject="Demande",
        files=[("lettre.pdf", pdf_bytes(2))],
    )
    with db.write_session() as s:
        return deposits.submit(s, form).registry_number


def test_round_trip_keeps_documents_receipts_keys_and_accounts(seeded, tmp_path, monkeypatch):
    number = _deposit(seeded)
    archive = tmp_path / "mrasla.backup"
    assert backup.create(archive, PASS) > 0
    assert b"Yasmine" not in archive.read_bytes() and b"%PDF" not in archive.read_bytes()  # encrypted

    restored = tmp_path / "restored"
    backup.restore(archive, PASS, restored)
    monkeypatch.setenv("MRASLA_DATA_DIR", str(restored))
    get_settings.cache_clear()
    db.reset_engines()
    ca.clear_cache()
    with db.read_session() as s:
        assert fsck.check(s).ok
        receipt = s.execute(select(Document).where(Document.kind == DocumentKind.receipt)).scalar_one()
        assert validate_pdf(storage.get(receipt.sha256)).authentic
    with db.write_session() as s:  # the master key came back too: TOTP/keys sealed under it still open
        assert accounts.authenticate(s, "clerk.mef@mrasla.ma", "Mrasla@2026")
    assert _deposit(seeded).endswith("/A/000002")  # numbering continues after the restored one
    assert number.endswith("/A/000001")


def test_damaged_or_wrongly_unlocked_archives_are_refused(seeded, tmp_path):
    _deposit(seeded)
    archive = tmp_path / "a.backup"
    backup.create(archive, PASS)
    for name, data, passphrase in (
        ("truncated", archive.read_bytes()[:-100], PASS),
        ("flipped", archive.read_bytes()[:200] + b"\x00" + archive.read_bytes()[201:], PASS),
        ("wrong", archive.read_bytes(), "not the passphrase!"),
    ):
        bad = tmp_path / f"{name}.backup"
        bad.write_bytes(data)
        with pytest.raises(DomainError) as err:
            backup.restore(bad, passphrase, tmp_path / f"out-{name}")
        assert err.value.code == "error.backup_invalid", name
        assert not any((tmp_path / f"out-{name}").iterdir()), name  # nothing half-restored


def test_restore_never_overwrites_data(seeded, tmp_path):
    archive = tmp_path / "a.backup"
    backup.create(archive, PASS)
    with pytest.raises(DomainError) as err:
        backup.restore(archive, PASS, seeded.data_dir)
    assert err.value.code == "error.restore_not_empty"


def test_nothing_is_written_in_clear_outside_the_data_directory(seeded, tmp_path, monkeypatch):
    """The tar is streamed into and out of the encryption; only the data directory sees clear files."""
    _deposit(seeded)

    def outside(*args, dir=None, **kwargs):  # noqa: A002 - tempfile's own keyword
        raise AssertionError(f"temporary file outside the data directory: {args} {kwargs}")

    real_directory = tempfile.TemporaryDirectory

    def directory(*args, dir=None, **kwargs):  # noqa: A002
        assert dir is not None and str(dir).startswith(str(seeded.data_dir)), dir
        return real_directory(*args, dir=dir, **kwargs)

    for name in ("TemporaryFile", "NamedTemporaryFile", "mkstemp", "SpooledTemporaryFile"):
        monkeypatch.setattr(tempfile, name, outside)
    monkeypatch.setattr(tempfile, "TemporaryDirectory", directory)
    archive = tmp_path / "a.backup"
    backup.create(archive, PASS)
    assert [p.name for p in seeded.data_dir.iterdir() if p.name.startswith(".backup")] == []  # staging removed
    backup.restore(archive, PASS, tmp_path / "restored")
    assert (tmp_path / "restored" / "master.key").read_bytes() == (seeded.data_dir / "master.key").read_bytes()
