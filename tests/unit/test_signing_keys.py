"""Personal signing keys: enrolment, PIN protection and lockout, PKCS#12 import, revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from mrasla_app import db
from mrasla_app.models import AuditEvent, KeySource, SigningKey
from mrasla_app.pki import ca
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.parapheur import signing_keys

PIN = "246810"


def _enroll(demo, email: str, pin: str = PIN) -> SigningKey:
    with db.write_session() as s:
        return signing_keys.enroll(s, demo.actor(email), pin)


def test_enroll_and_unlock(seeded):
    key = _enroll(seeded, "director.mef@mrasla.ma")
    cert = x509.load_der_x509_certificate(key.certificate)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Mohammed Berrada"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "Direction du Budget"
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.content_commitment
    with db.write_session() as s:
        unlocked = signing_keys.unlock(s, seeded.actor("director.mef@mrasla.ma"), PIN)
        c, k = unlocked
    assert c.dump() == key.certificate and k is unlocked.private_key
    with db.read_session() as s:
        actions = set(s.execute(select(AuditEvent.action)).scalars())
    assert "signing_key.enrolled" in actions


@pytest.mark.parametrize("pin", ["12345", "1234567890123", "12ab56", ""])
def test_pin_rules(seeded, pin):
    with pytest.raises(DomainError) as exc, db.write_session() as s:
        signing_keys.enroll(s, seeded.actor("director.mef@mrasla.ma"), pin)
    assert exc.value.code == "error.pin_format"


def test_private_key_not_stored_in_clear(seeded):
    _enroll(seeded, "director.mef@mrasla.ma")
    with db.write_session() as s:
        pkcs8 = signing_keys.unlock(s, seeded.actor("director.mef@mrasla.ma"), PIN).private_key.dump()
    raw = b"".join(p.read_bytes() for p in seeded.data_dir.glob("mrasla.db*"))
    assert len(pkcs8) > 60 and pkcs8 not in raw
    # the raw EC scalar is not there either
    scalar = serialization.load_der_private_key(pkcs8, None).private_numbers().private_value.to_bytes(32, "big")
    assert scalar not in raw
    # the master key alone does not open it: the outer layer unseals, the inner one needs the PIN
    with db.read_session() as s:
        row = s.execute(select(SigningKey)).scalar_one()
        assert signing_keys._unwrap(row.key_blob, "000000", row.user_id) is None


def test_wrong_pin_counted_then_locked(seeded):
    _enroll(seeded, "director.mef@mrasla.ma")
    actor = seeded.actor("director.mef@mrasla.ma")
    for attempt in range(1, signing_keys.MAX_PIN_ATTEMPTS + 1):
        with pytest.raises(DomainError) as exc, db.write_session() as s:
            signing_keys.unlock(s, actor, "999999")
        with db.read_session() as s:
            row = s.execute(select(SigningKey)).scalar_one()
        assert row.failed_attempts == attempt  # committed despite the refusal
        if attempt < signing_keys.MAX_PIN_ATTEMPTS:
            assert exc.value.code == "error.pin_invalid"
            assert exc.value.params["remaining"] == signing_keys.MAX_PIN_ATTEMPTS - attempt
    assert exc.value.code == "error.signing_key_locked" and row.locked
    with pytest.raises(DomainError) as exc, db.write_session() as s:
        signing_keys.unlock(s, actor, PIN)  # even the right PIN
    assert exc.value.code == "error.signing_key_locked"
    with db.read_session() as s:
        actions = list(s.execute(select(AuditEvent.action).where(AuditEvent.action.like("signing_key.%"))).scalars())
    assert actions.count("signing_key.pin_failed") == 4 and "signing_key.locked" in actions


def test_right_pin_resets_counter(seeded):
    _enroll(seeded, "director.mef@mrasla.ma")
    actor = seeded.actor("director.mef@mrasla.ma")
    with pytest.raises(DomainError), db.write_session() as s:
        signing_keys.unlock(s, actor, "111111")
    with db.write_session() as s:
        signing_keys.unlock(s, actor, PIN)
    with db.read_session() as s:
        assert s.execute(select(SigningKey.failed_attempts)).scalar_one() == 0


def test_reenrol_supersedes(seeded):
    first = _enroll(seeded, "director.mef@mrasla.ma")
    second = _enroll(seeded, "director.mef@mrasla.ma", "13579246")
    with db.read_session() as s:
        assert not s.get(SigningKey, first.id).active and s.get(SigningKey, second.id).active
    with pytest.raises(DomainError), db.write_session() as s:
        signing_keys.unlock(s, seeded.actor("director.mef@mrasla.ma"), PIN)


def _foreign_p12(password: bytes, *, non_repudiation: bool = True) -> bytes:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Barid eSign Test CA")])
    now = datetime.now(UTC)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Mohammed Berrada")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=non_repudiation,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        b"me", key, cert, [ca_cert], serialization.BestAvailableEncryption(password)
    )


def test_import_pkcs12(seeded):
    actor = seeded.actor("director.mef@mrasla.ma")
    with db.write_session() as s:
        row = signing_keys.import_pkcs12(s, actor, _foreign_p12(b"secret"), "secret", PIN)
        assert row.source == KeySource.pkcs12 and "Barid" not in row.subject
    with db.write_session() as s:
        unlocked = signing_keys.unlock(s, actor, PIN)
    assert unlocked.source == KeySource.pkcs12 and len(unlocked.chain) == 1


def test_import_pkcs12_refusals(seeded):
    actor = seeded.actor("director.mef@mrasla.ma")
    with pytest.raises(DomainError) as exc, db.write_session() as s:
        signing_keys.import_pkcs12(s, actor, _foreign_p12(b"secret"), "wrong", PIN)
    assert exc.value.code == "error.pkcs12_invalid"
    with pytest.raises(DomainError) as exc, db.write_session() as s:
        signing_keys.import_pkcs12(s, actor, _foreign_p12(b"secret", non_repudiation=False), "secret", PIN)
    assert exc.value.code == "error.certificate_usage"
    with pytest.raises(DomainError) as exc, db.write_session() as s:
        signing_keys.import_pkcs12(s, actor, b"not a p12", "secret", PIN)
    assert exc.value.code == "error.pkcs12_invalid"
    with db.read_session() as s:
        assert s.execute(select(SigningKey)).first() is None


def test_revoke_for_user(seeded):
    key = _enroll(seeded, "director.mef@mrasla.ma")
    director = seeded.user_id("director.mef@mrasla.ma")
    with pytest.raises(NotFound), db.write_session() as s:  # a colleague may not
        signing_keys.revoke_for_user(s, seeded.actor("head.mef@mrasla.ma"), director)
    with pytest.raises(NotFound), db.write_session() as s:  # nor another administration's admin
        signing_keys.revoke_for_user(s, seeded.actor("admin.crb@mrasla.ma"), director)
    assert not ca.is_revoked(int(key.serial, 16))
    with db.write_session() as s:
        assert signing_keys.revoke_for_user(s, seeded.actor("admin.mef@mrasla.ma"), director) == 1
    assert ca.is_revoked(int(key.serial, 16))
    with pytest.raises(DomainError) as exc, db.write_session() as s:
        signing_keys.unlock(s, seeded.actor("director.mef@mrasla.ma"), PIN)
    assert exc.value.code == "error.no_signing_key"
    with db.read_session() as s:
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "signing_key.revoked")).first()
