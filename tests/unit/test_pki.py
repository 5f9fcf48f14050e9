"""Platform PKI, in-process TSA, signing and validation (offline, real files on disk)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fpdf import FPDF

from mrasla_app.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pki_env(tmp_path_factory):
    """A fresh data directory (and master key) for this module's PKI."""
    data = tmp_path_factory.mktemp("pki-data")
    saved = os.environ.get("MRASLA_DATA_DIR")
    os.environ["MRASLA_DATA_DIR"] = str(data)
    get_settings.cache_clear()
    from mrasla_app.pki import ca

    ca.clear_cache()
    yield data
    ca.clear_cache()
    if saved is None:
        os.environ.pop("MRASLA_DATA_DIR", None)
    else:
        os.environ["MRASLA_DATA_DIR"] = saved
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def platform(pki_env):
    from mrasla_app.pki import ca

    return ca.load_or_create_pki()


def _simple_pdf(text: str = "Lettre de test") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def test_pki_created_once_and_reloaded_identically(platform, pki_env):
    from mrasla_app.pki import ca

    first = ca.fingerprints(platform)
    assert set(first) == {"root", "seal", "tsa", "ocsp"}
    ca.clear_cache()
    reloaded = ca.load_or_create_pki()
    assert reloaded is not platform
    assert ca.fingerprints(reloaded) == first
    assert ca.load_or_create_pki() is reloaded  # cached per process
    assert reloaded.seal_key.private_numbers() == platform.seal_key.private_numbers()


def test_certificate_profiles(platform):
    root, seal, tsa_cert = platform.root_cert, platform.seal_cert, platform.tsa_cert
    assert "CN=Mrasla Root CA" in root.subject.rfc4514_string()
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    ku = seal.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment
    dp = seal.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert dp[0].full_name[0].value.endswith("/pki/crl.der")
    eku = tsa_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]
    tsa_ku = tsa_cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert tsa_ku.digital_signature and not (tsa_ku.key_cert_sign or tsa_ku.crl_sign or tsa_ku.content_commitment)
    for leaf in (seal, tsa_cert):
        aia = {
            d.access_method: d.access_location.value
            for d in leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        }
        assert aia[x509.AuthorityInformationAccessOID.OCSP].endswith("/pki/ocsp")
        assert aia[x509.AuthorityInformationAccessOID.CA_ISSUERS].endswith("/pki/root.crt")
    responder = platform.ocsp_cert.extensions
    assert list(responder.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING
    ]
    responder.get_extension_for_class(x509.OCSPNoCheck)
    crl = x509.load_der_x509_crl(platform.crl_der())
    assert crl.is_signature_valid(root.public_key())


@pytest.mark.parametrize("name,purpose", [("seal", None), ("tsa", "timestampsign"), ("ocsp", "ocsphelper")])
def test_openssl_strict_verify_accepts_every_platform_certificate(platform, pki_env, name, purpose):
    """The profiles pass OpenSSL's RFC 5280 strict checks, and the role-specific purpose."""
    pki_dir = Path(pki_env) / "pki"
    args = ["openssl", "verify", "-x509_strict", "-CAfile", str(pki_dir / "root.pem")]
    if purpose:
        args += ["-purpose", purpose]
    out = subprocess.run([*args, str(pki_dir / f"{name}.pem")], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip().endswith(": OK"), out.stdout + out.stderr


def test_tsa_reply_passes_openssl_ts_verify(platform, pki_env, tmp_path):
    from mrasla_app.pki import tsa

    pki_dir = Path(pki_env) / "pki"
    (tmp_path / "doc.txt").write_text("Lettre")
    subprocess.run(
        [
            "openssl",
            "ts",
            "-query",
            "-data",
            str(tmp_path / "doc.txt"),
            "-sha256",
            "-cert",
            "-out",
            str(tmp_path / "req.tsq"),
        ],
        check=True,
        capture_output=True,
    )
    (tmp_path / "resp.tsr").write_bytes(tsa.respond((tmp_path / "req.tsq").read_bytes()))
    out = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-in",
            str(tmp_path / "resp.tsr"),
            "-queryfile",
            str(tmp_path / "req.tsq"),
            "-CAfile",
            str(pki_dir / "root.pem"),
        ],
        capture_output=True,
        text=True,
    )
    assert "Verification: OK" in out.stdout, out.stdout + out.stderr
    text = subprocess.run(
        ["openssl", "ts", "-reply", "-in", str(tmp_path / "resp.tsr"), "-text"], capture_output=True, text=True
    ).stdout
    assert "Policy OID: 0.4.0.2023.1.1" in text


def test_ocsp_responder_follows_the_crl(platform):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509 import ocsp as x_ocsp

    from mrasla_app.pki import ca, ocsp

    cert_der, _key = ca.issue_personal_certificate(platform, "Ocsp Probe", "p@x.ma", "Org")
    cert = x509.load_der_x509_certificate(cert_der)

    def ask(target):
        req = (
            x_ocsp.OCSPRequestBuilder()
            .add_certificate(target, platform.root_cert, hashes.SHA1())
            .build()
            .public_bytes(serialization.Encoding.DER)
        )
        resp = x_ocsp.load_der_ocsp_response(ocsp.respond(req))
        assert resp.response_status == x_ocsp.OCSPResponseStatus.SUCCESSFUL
        platform.ocsp_cert.public_key().verify(  # signed by the delegated responder
            resp.signature, resp.tbs_response_bytes, ec.ECDSA(hashes.SHA256())
        )
        return resp.certificate_status

    assert ask(cert) == x_ocsp.OCSPCertStatus.GOOD
    ca.revoke(cert.serial_number, "key_compromise", platform=platform)
    assert ask(cert) == x_ocsp.OCSPCertStatus.REVOKED
    assert ask(platform.seal_cert) == x_ocsp.OCSPCertStatus.GOOD
    malformed = x_ocsp.load_der_ocsp_response(ocsp.respond(b"junk"))
    assert malformed.response_status == x_ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_old_profile_is_upgraded_and_old_seals_stay_valid(tmp_path, monkeypatch):
    """A data directory from before the profile fix (TSA with keyCertSign, no AIA, no OCSP
    responder): on load the TSA and seal are re-issued, receipts sealed before still validate."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from mrasla_app.pki import ca, signing, validation

    monkeypatch.setenv("MRASLA_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    ca.clear_cache()
    try:
        platform = ca.load_or_create_pki()
        pki_dir = platform.pki_dir
        # Rewrite the TSA certificate with the former profile, drop the responder and the marker.
        bad_tsa = (
            x509.CertificateBuilder()
            .subject_name(platform.tsa_cert.subject)
            .issuer_name(platform.root_cert.subject)
            .public_key(platform.tsa_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(platform.tsa_cert.not_valid_before_utc)
            .not_valid_after(platform.tsa_cert.not_valid_after_utc)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(platform.root_key, hashes.SHA256())
        )
        (pki_dir / "tsa.crt").write_bytes(bad_tsa.public_bytes(serialization.Encoding.DER))
        for leftover in ("ocsp.crt", "ocsp.pem", "ocsp.key.sealed", "profile"):
            (pki_dir / leftover).unlink()
        ca.clear_cache()
        # Seal a document as an old server would have (the old TSA; the responder is unused).
        old_platform = ca.Platform(
            pki_dir=pki_dir,
            public_url=platform.public_url,
            root_cert=platform.root_cert,
            root_key=platform.root_key,
            seal_cert=platform.seal_cert,
            seal_key=platform.seal_key,
            tsa_cert=bad_tsa,
            tsa_key=platform.tsa_key,
            ocsp_cert=platform.ocsp_cert,
            ocsp_key=ec.generate_private_key(ec.SECP256R1()),
        )
        old_sealed = signing.run_sync(
            signing.async_sign_pdf_with(
                _simple_pdf(), signing.seal_signer(old_platform), signing.StampSpec("Seal"), platform=old_platform
            )
        )
        ca.clear_cache()
        upgraded = ca.load_or_create_pki()
        assert upgraded.tsa_cert.serial_number != bad_tsa.serial_number
        assert not upgraded.tsa_cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
        assert (pki_dir / "retired" / f"tsa-{bad_tsa.serial_number:x}.crt").exists()
        assert (pki_dir / "ocsp.crt").exists()
        assert validation.validate_pdf(old_sealed, upgraded).authentic
        assert validation.validate_pdf(signing.seal_pdf(_simple_pdf()), upgraded).authentic
    finally:
        ca.clear_cache()
        get_settings.cache_clear()


def test_private_keys_never_stored_in_clear(platform, pki_env):
    pki_dir = Path(pki_env) / "pki"
    blobs = [p.read_bytes() for p in pki_dir.iterdir() if p.is_file()]
    for key in (platform.root_key, platform.seal_key, platform.tsa_key):
        pkcs8 = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        raw_scalar = key.private_numbers().private_value.to_bytes(32, "big")
        for blob in blobs:
            assert pkcs8 not in blob
            assert raw_scalar not in blob
    assert not list(pki_dir.glob("*.key"))
    assert oct((pki_dir / "seal.key.sealed").stat().st_mode & 0o777) == "0o600"


def test_concurrent_first_start_creates_a_single_root(tmp_path):
    """Two processes racing on an empty data dir must end up with the same root."""
    code = "import json; from mrasla_app.pki import ca; print(json.dumps(ca.fingerprints(ca.load_or_create_pki())))"
    env = {**os.environ, "MRASLA_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err.decode() for _, err in outputs]
    prints = {json.dumps(json.loads(out.decode().strip().splitlines()[-1]), sort_keys=True) for out, _ in outputs}
    assert len(prints) == 1


def _ts_request(nonce: int = 42, cert_req: bool = True, digest: bytes = b"\x01" * 32):
    return tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
            "nonce": nonce,
            "cert_req": cert_req,
        }
    )


def test_tsa_raw_protocol(platform):
    from mrasla_app.pki import tsa

    seen = set()
    for nonce in (1, 2, 3):
        resp = tsp.TimeStampResp.load(tsa.respond(_ts_request(nonce).dump()))
        assert resp["status"]["status"].native == "granted"
        token = resp["time_stamp_token"]
        signed = token["content"]
        info = signed["encap_content_info"]["content"].parsed
        assert info["nonce"].native == nonce
        assert info["message_imprint"]["hashed_message"].native == b"\x01" * 32
        assert info["gen_time"].native.tzinfo is not None
        assert len(signed["certificates"]) == 2
        seen.add(info["serial_number"].native)
    assert len(seen) == 3  # unique serials

    # Rejections carry no token (asn1crypto's TimeStampResp insists on one, so parse the
    # status alone).
    bad = tsa._StatusOnlyResp.load(tsa.respond(b"not asn.1"))
    assert bad["status"]["status"].native == "rejection"
    wrong_len = tsa._StatusOnlyResp.load(tsa.respond(_ts_request(digest=b"\x01" * 5).dump()))
    assert wrong_len["status"]["status"].native == "rejection"
    assert wrong_len["status"]["fail_info"].native == {"bad_data_format"}


def test_tsa_token_validates_with_pyhanko(platform):
    """The token is a proper CMS signature by the TSA certificate."""
    import asyncio

    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data

    from mrasla_app.pki import signing, tsa

    resp = tsp.TimeStampResp.load(tsa.respond(_ts_request().dump()))
    signed_data: cms.SignedData = resp["time_stamp_token"]["content"]
    status = asyncio.run(
        validate_tst_signed_data(signed_data, signing.validation_context(platform), lambda _algo: b"\x01" * 32)
    )
    assert status["intact"] and status["valid"]
    assert status["trust_problem_indic"] is None and status["validation_path"] is not None


def test_seal_validate_and_tamper_detection(platform):
    from mrasla_app.pki import signing, validation

    sealed = signing.seal_pdf(_simple_pdf(), box=(300, 50, 550, 120))
    report = validation.validate_pdf(sealed)
    assert report.authentic, report
    sig = report.signatures[0]
    assert sig.certified and sig.timestamped and sig.timestamp_valid and sig.trusted
    assert not sig.modified_after_signing  # only the DSS and a document timestamp came after
    assert report.level == "B-LTA" and len(report.signatures) == 1
    assert report.document_timestamps[-1].covers_whole_document
    assert sig.signer_common_name.startswith("Mrasla")

    # One flipped byte in the signed range (a letter of the document's /Producer string).
    idx = sealed.index(b"/Producer") + 12
    assert idx < sealed.index(b"/ByteRange")
    tampered = bytearray(sealed)
    tampered[idx] ^= 0x01
    bad = validation.validate_pdf(bytes(tampered))
    assert not bad.authentic
    assert validation.BROKEN in bad.reasons or validation.UNREADABLE in bad.reasons


def test_non_pdf_and_unsigned(platform):
    from mrasla_app.pki import validation

    assert validation.validate_pdf(b"GIF89a not a pdf").reason == validation.NOT_PDF
    assert validation.validate_pdf(b"").reason == validation.NOT_PDF
    assert validation.validate_pdf(_simple_pdf()).reason == validation.NO_SIGNATURE
    garbage = b"%PDF-1.7\n" + os.urandom(2000)
    assert not validation.validate_pdf(garbage).authentic


def test_personal_signature_after_certification_and_revocation(platform):
    from mrasla_app.pki import ca, signing, validation

    sealed = signing.seal_pdf(_simple_pdf(), box=(300, 50, 550, 120))
    cert_der, key_der = ca.issue_personal_certificate(
        platform, "Nadia Bennani", "n.bennani@mef.gov.ma", "Ministère de l'Économie", "Direction du Budget"
    )
    cert = x509.load_der_x509_certificate(cert_der)
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.content_commitment
    # Invisible: after a certification, PDF/pyHanko rules allow new *visible* signature
    # fields only if they existed before certifying.
    signed = signing.sign_pdf_with(sealed, cert_der, key_der, signing.StampSpec("Signature1"))
    report = validation.validate_pdf(signed)
    assert report.authentic, report
    assert [s.field_name for s in report.signatures] == ["MraslaSeal", "Signature1"]
    assert [t.field_name for t in report.document_timestamps] == ["MraslaArchiveTimestamp1", "MraslaArchiveTimestamp2"]
    assert report.signatures[1].signer_common_name == "Nadia Bennani"
    assert report.level == "B-LTA"

    ca.revoke(cert.serial_number, "key_compromise", platform=platform)
    assert ca.is_revoked(cert.serial_number, platform)
    after = validation.validate_pdf(signed)
    assert not after.authentic
    assert after.signatures[1].revoked or not after.signatures[1].trusted
    # The seal itself is not affected.
    assert after.signatures[0].trusted
    # Signing again with the revoked certificate is refused at once, although its earlier
    # pre-signing validation is still cached (the cache is keyed on the CRL).
    from pyhanko.sign.general import SigningError

    with pytest.raises(SigningError):
        signing.sign_pdf_with(sealed, cert_der, key_der, signing.StampSpec("Signature2"))


def test_mixed_script_name_is_rejected_early(platform):
    from mrasla_app.pki import ca

    with pytest.raises(ValueError, match="Arabic and Latin"):
        ca.issue_personal_certificate(platform, "Nadia نادية", "n@x.ma", "Org")


def test_unknown_revocation_reason(platform):
    from mrasla_app.pki import ca

    with pytest.raises(ValueError):
        ca.revoke(1234, "because", platform=platform)


def test_sealed_pdf_is_byte_stable_input(platform):
    """Sealing does not modify the input bytes (incremental update only)."""
    from mrasla_app.pki import signing

    original = _simple_pdf()
    sealed = signing.seal_pdf(original)
    assert sealed.startswith(original)
    assert BytesIO(sealed).getbuffer().nbytes > len(original)
