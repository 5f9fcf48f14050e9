"""Platform seal and TSA keys in a PKCS#11 token: SoftHSM2 (Debian), initialised here."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mrasla_app.settings import get_settings

SOFTHSM_LIB = "/usr/lib/softhsm/libsofthsm2.so"
pytestmark = pytest.mark.skipif(
    not (Path(SOFTHSM_LIB).exists() and shutil.which("softhsm2-util")),
    reason="softhsm2 is installed by `make test-deps`",
)


@pytest.fixture
def token(tmp_path, monkeypatch):
    """A fresh SoftHSM token and data directory; the environment points the platform at both."""
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", "mrasla", "--so-pin", "5678", "--pin", "123456"],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("MRASLA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MRASLA_PKCS11_LIB", SOFTHSM_LIB)
    monkeypatch.setenv("MRASLA_PKCS11_TOKEN", "mrasla")
    monkeypatch.setenv("MRASLA_PKCS11_PIN", "123456")
    get_settings.cache_clear()
    from mrasla_app.pki import ca

    ca.clear_cache()
    yield tmp_path
    ca.clear_cache()
    get_settings.cache_clear()


def test_seal_and_tsa_keys_in_the_token_sign_b_lta_receipts(token):
    from cryptography import x509
    from fpdf import FPDF

    from mrasla_app.documents.receipts import issue_receipt
    from mrasla_app.pki import ca, hsm, ltv, signing, validation
    from tests.interop.conftest import _receipt_data

    before = ca.fingerprints(ca.load_or_create_pki())
    assert ca.hsm_init() == {"seal": "mrasla-seal", "tsa": "mrasla-tsa"}
    assert ca.hsm_init() == {"seal": "mrasla-seal", "tsa": "mrasla-tsa"}  # idempotent
    pki_dir = token / "data" / "pki"
    assert not (pki_dir / "seal.key.sealed").exists() and not (pki_dir / "tsa.key.sealed").exists()
    platform = ca.load_or_create_pki()
    assert isinstance(platform.seal_key, hsm.HsmKey) and isinstance(platform.tsa_key, hsm.HsmKey)
    after = ca.fingerprints(platform)
    assert after["root"] == before["root"] and after["seal"] != before["seal"]
    # The certificate is the token's key's.
    assert platform.seal_cert.public_key().public_numbers() == platform.seal_key.public_key().public_numbers()
    assert not platform.tsa_cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign

    receipt = ltv.extend(issue_receipt(_receipt_data()))
    report = validation.validate_pdf(receipt)
    assert report.authentic and report.level == "B-LTA", report.reasons
    pdf = FPDF()
    pdf.add_page()
    assert validation.validate_pdf(signing.seal_pdf(bytes(pdf.output()))).authentic

    # Without the token's configuration the platform refuses to start rather than sign with nothing.
    os.environ.pop("MRASLA_PKCS11_PIN")
    ca.clear_cache()
    with pytest.raises(RuntimeError, match="PKCS#11"):
        ca.load_or_create_pki()
