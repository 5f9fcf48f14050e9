"""Master-key rotation as an operator runs it: everything still opens afterwards (receipts are sealed,
TOTP logins pass, signatories sign with their PIN), the old key opens nothing, no private key or
TOTP secret lies in clear anywhere, and a rotation killed half-way leaves a working installation
that the next run finishes."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pyotp
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.cli import main
from mrasla_app.crypto import unseal_with
from mrasla_app.models import AuditEvent
from mrasla_app.pki import ca
from mrasla_app.pki.validation import validate_pdf
from mrasla_app.services.directory import accounts
from mrasla_app.services.parapheur import signing_keys
from mrasla_app.services.platform import audit, master_key, webhooks
from mrasla_app.services.platform.seed import DEMO_TOTP_SECRET, unused_totp_code
from mrasla_app.services.portal import deposits
from mrasla_app.settings import get_settings
from tests.files import pdf_bytes

PIN = "482915"
PASSWORD = "Mrasla@2026"
DIRECTOR, AGENT = "director.mef@mrasla.ma", "agent.mef@mrasla.ma"


@pytest.fixture
def installation(seeded) -> tuple[dict[str, bytes], pyotp.TOTP]:
    """The seeded demo with its PKI, a signatory's key, a TOTP-protected account and one deposit;
    returns the clear secrets (that must never be found at rest) and the TOTP generator."""
    ca.clear_cache()
    platform = ca.load_or_create_pki()
    found: dict[str, bytes] = {}
    for name in ("root", "seal", "tsa"):
        found[f"{name} key"] = getattr(platform, f"{name}_key").private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    with db.write_session() as s:
        signing_keys.enroll(s, seeded.actor(DIRECTOR), PIN)
    with db.write_session() as s:
        found["signing key"] = signing_keys.unlock(s, seeded.actor(DIRECTOR), PIN).private_key.dump()
    with db.write_session() as s:
        totp = pyotp.parse_uri(accounts.begin_totp(s, seeded.actor(AGENT)))
    with db.write_session() as s:
        accounts.confirm_totp(s, seeded.actor(AGENT), unused_totp_code(totp, AGENT))
    found["totp secret"] = totp.secret.encode()
    with db.write_session() as s:
        found["webhook secret"] = webhooks.create_endpoint(
            s, seeded.actor("admin.mef@mrasla.ma"), seeded.adm_id("MEF"), "https://8.8.8.8/hook", ["deposit.received"]
        ).secret.encode()
    _deposit(seeded)
    return found, totp


def _deposit(seeded) -> bytes:
    """A deposit's sealed receipt (the platform seal key at work)."""
    from mrasla_app.models import Document, DocumentKind
    from mrasla_app.services.platform import storage

    form = deposits.DepositForm(
        administration_id=seeded.adm_id("MEF"),
        full_name="Yasmine Berrada",
        id_kind="CIN",
        id_value="BE771234",
        email="",
        phone="0612345678",
        subject="Demande",
        files=[("lettre.pdf", pdf_bytes())],
    )
    result = deposits.submit_and_notify(form)
    with db.read_session() as s:
        sha = s.execute(
            select(Document.sha256).where(
                Document.correspondence_id == result.correspondence_id, Document.kind == DocumentKind.receipt
            )
        ).scalar_one()
    return storage.get(sha)


def _everything_works(seeded, totp: pyotp.TOTP) -> None:
    ca.clear_cache()  # as a freshly started process would
    assert validate_pdf(_deposit(seeded)).authentic
    with db.write_session() as s:
        assert accounts.authenticate(s, AGENT, PASSWORD, unused_totp_code(totp, AGENT))
    with db.write_session() as s:
        key = signing_keys.unlock(s, seeded.actor(DIRECTOR), PIN)
    from mrasla_app.pki import signing

    signed = signing.sign_pdf_with(
        pdf_bytes(), key.certificate.dump(), key.private_key.dump(), signing.StampSpec("Signature1")
    )
    report = validate_pdf(signed)
    assert report.authentic and report.signatures[0].signer_common_name == "Mohammed Berrada"


def _sealed() -> list[tuple[str, bytes, str]]:
    with db.read_session() as s:
        return master_key.sealed_secrets(s, get_settings())


def _opened_by(key: bytes) -> list[str]:
    opened = []
    for label, blob, purpose in _sealed():
        try:
            unseal_with(blob, purpose, [key])
            opened.append(label)
        except InvalidTag:
            pass
    return opened


def _files(data_dir: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}


def _ciphertexts_opened_by(data: bytes, key: bytes) -> int:
    """Sealed blobs anywhere in ``data`` (e.g. stale copies in database pages) that ``key`` opens."""
    purposes = [purpose for _, _, purpose in _sealed()]
    lengths = {len(blob) for _, blob, _ in _sealed()}
    count = 0
    for match in re.finditer(rb"M1", data):
        for length in lengths:
            candidate = data[match.start() : match.start() + length]
            for purpose in purposes:
                try:
                    unseal_with(candidate, purpose, [key])
                    count += 1
                except (InvalidTag, ValueError):
                    pass
    return count


def test_rotation_reseals_everything_and_retires_the_old_key(seeded, installation, capsys):
    found, totp = installation
    settings = get_settings()
    old = settings.master_key()
    totps = sum(purpose.startswith("totp:") for _, _, purpose in _sealed())  # the agent's, the demo administrators'
    assert (
        totps >= 1 and len(_opened_by(old)) == len(_sealed()) == 4 + totps + 2
    )  # platform keys (root, seal, TSA, OCSP), TOTP, signing key, webhook

    assert main(["rotate-master-key"]) == 0
    out = capsys.readouterr().out
    assert f"re-sealed 4 platform key(s), {totps} TOTP secret(s), 1 signing key(s)" in out

    new = settings.master_key()
    assert new != old and not settings.retiring_master_key_path.exists()
    assert (settings.master_key_path.stat().st_mode & 0o777) == 0o600
    assert _opened_by(old) == [] and len(_opened_by(new)) == len(_sealed())
    _everything_works(seeded, totp)

    with db.read_session() as s:
        event = s.execute(select(AuditEvent).where(AuditEvent.action == "master_key.rotated")).scalar_one()
        assert event.actor_label == "system:cli" and json.loads(event.data)["signing_keys"] == 1
        assert audit.verify(s) == []

    # nothing in clear at rest, and no stale ciphertext the old key could still open
    files = _files(seeded.data_dir)
    assert files, "the data directory is empty?"
    markers = {
        "PEM private key": b"PRIVATE KEY-----",
        "old master key": base64.b64encode(old),
        "demo TOTP secret": DEMO_TOTP_SECRET.encode(),
        **found,
    }
    for path, data in files.items():
        for label, marker in markers.items():
            assert marker not in data, f"{label} found in clear in {path}"
        assert _ciphertexts_opened_by(data, old) == 0, f"{path} still holds secrets sealed under the old key"


@pytest.mark.parametrize("killed_in", ["_reseal_files", "_reseal_rows", "_truncate_wal"])
def test_a_rotation_killed_half_way_keeps_working_and_the_next_run_finishes(
    seeded, installation, monkeypatch, killed_in, capsys
):
    _, totp = installation
    settings = get_settings()
    old = settings.master_key()

    def killed(*_args, **_kwargs):
        raise KeyboardInterrupt  # stands for SIGKILL: nothing after this point runs

    with monkeypatch.context() as m:
        m.setattr(master_key, killed_in, killed)
        with pytest.raises(KeyboardInterrupt):
            master_key.rotate()
    new = settings.master_key()
    assert new != old and settings.retiring_master_key_path.exists()  # the journal is there
    assert set(_opened_by(old)) | set(_opened_by(new)) == {label for label, _, _ in _sealed()}
    _everything_works(seeded, totp)  # a server (re)started now keeps working

    assert main(["rotate-master-key"]) == 0
    assert "interrupted rotation finished" in capsys.readouterr().out
    assert settings.master_key() == new and not settings.retiring_master_key_path.exists()
    assert _opened_by(old) == [] and len(_opened_by(new)) == len(_sealed())
    _everything_works(seeded, totp)


def test_key_from_the_environment_is_rotated_into_a_file_for_the_secret_store(
    seeded, installation, monkeypatch, tmp_path, capsys
):
    _, totp = installation
    settings = get_settings()
    old = base64.b64encode(settings.master_key()).decode()
    settings.master_key_path.unlink()  # the operator keeps the key in a secret store instead
    monkeypatch.setenv("MRASLA_MASTER_KEY", old)

    assert main(["rotate-master-key"]) == 2
    err = capsys.readouterr().err
    assert "MRASLA_MASTER_KEY" in err and "--new-key-file" in err
    assert not settings.master_key_path.exists()

    key_file = tmp_path / "new.key"
    assert main(["rotate-master-key", "--new-key-file", str(key_file)]) == 0
    out = capsys.readouterr().out
    assert f"put the content of {key_file} into MRASLA_MASTER_KEY" in out
    assert (key_file.stat().st_mode & 0o777) == 0o600 and not settings.master_key_path.exists()
    assert _opened_by(base64.b64decode(old)) == []

    monkeypatch.setenv("MRASLA_MASTER_KEY", key_file.read_text())  # the operator updates the secret store
    assert len(_opened_by(settings.master_key())) == len(_sealed())
    _everything_works(seeded, totp)


def test_a_bad_new_key_file_is_refused_before_anything_changes(seeded, installation, tmp_path, capsys):
    before = _files(seeded.data_dir / "pki")
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    assert main(["rotate-master-key", "--new-key-file", str(bad)]) == 2
    assert "32" in capsys.readouterr().err
    assert _files(seeded.data_dir / "pki") == before and not get_settings().retiring_master_key_path.exists()
    assert os.environ.get("MRASLA_MASTER_KEY") is None


def test_workers_starting_together_agree_on_one_new_master_key(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.delenv("MRASLA_MASTER_KEY", raising=False)
    try:
        for attempt in range(30):  # a first start races rarely: give it many chances to show
            data_dir = tmp_path / f"data{attempt}"
            monkeypatch.setenv("MRASLA_DATA_DIR", str(data_dir))
            get_settings.cache_clear()
            with ThreadPoolExecutor(8) as pool:  # nobody reads a half-written file or trips on another's
                keys = set(pool.map(lambda _: get_settings().master_key(), range(64)))
            assert len(keys) == 1 and len(keys.pop()) == 32
            assert [p.name for p in data_dir.iterdir()] == ["master.key"]  # no temporary file left
    finally:
        get_settings.cache_clear()
