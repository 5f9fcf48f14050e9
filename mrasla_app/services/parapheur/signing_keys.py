"""Signatories' personal signing keys: enrolment, PKCS#12 import, PIN unlock, revocation.

The private key never rests in clear. Its PKCS#8 bytes are encrypted with AES-256-GCM under a
key derived from the signatory's PIN (scrypt, random salt), and that envelope is then sealed
under the master key (``crypto.seal``, purpose ``signing-key:<user id>``). A copy of the database
without the master key reveals nothing; the master key without the PIN opens only the outer
layer. Wrong PINs are counted and the key locks after ``MAX_PIN_ATTEMPTS``; an administrator
re-enrols (new key and certificate) or the holder imports a new PKCS#12.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy import select
from sqlmodel import Session

from mrasla_app.crypto import seal, unseal
from mrasla_app.models import Administration, KeySource, Role, RoleMembership, SigningKey, Unit, User
from mrasla_app.models.base import utcnow
from mrasla_app.pki import ca
from mrasla_app.services.directory import permissions
from mrasla_app.services.directory.accounts import Actor
from mrasla_app.services.errors import DomainError, NotFound
from mrasla_app.services.platform import audit

MAX_PIN_ATTEMPTS = 5
PIN_RE = re.compile(r"^[0-9]{6,12}$")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_ENVELOPE = b"K1"


@dataclass(frozen=True)
class UnlockedKey:
    """A usable key for one signature; keep it in memory only for the signing call."""

    key_id: int
    certificate: asn1_x509.Certificate
    private_key: asn1_keys.PrivateKeyInfo
    chain: tuple[asn1_x509.Certificate, ...]
    serial_hex: str
    source: KeySource

    def __iter__(self):  # ``cert, key = unlock(...)``
        return iter((self.certificate, self.private_key))


def key_purpose(user_id: int) -> str:
    """The sealing purpose of a signatory's key envelope (``crypto.seal``, and the PIN layer's AAD)."""
    return f"signing-key:{user_id}"


def check_pin(pin: str) -> str:
    pin = (pin or "").strip()
    if not PIN_RE.match(pin):
        raise DomainError("error.pin_format", min=6, max=12)
    return pin


def _kdf(pin: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(pin.encode())


def _wrap(pkcs8: bytes, pin: str, user_id: int) -> bytes:
    salt, nonce = os.urandom(16), os.urandom(12)
    inner = _ENVELOPE + salt + nonce + AESGCM(_kdf(pin, salt)).encrypt(nonce, pkcs8, key_purpose(user_id).encode())
    return seal(inner, key_purpose(user_id))


def _unwrap(blob: bytes, pin: str, user_id: int) -> bytes | None:
    """PKCS#8 bytes, or None when the PIN is wrong (tampering with the blob raises)."""
    inner = unseal(blob, key_purpose(user_id))
    if inner[:2] != _ENVELOPE:
        raise ValueError("unknown signing key envelope")
    salt, nonce, ct = inner[2:18], inner[18:30], inner[30:]
    try:
        return AESGCM(_kdf(pin, salt)).decrypt(nonce, ct, key_purpose(user_id).encode())
    except InvalidTag:
        return None


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound()
    return user


def signing_unit(session: Session, user_id: int) -> Unit | None:
    """The unit shown on a signatory's certificate and stamps: where they sign, else where they head, else any."""
    rows = session.execute(
        select(RoleMembership.role, Unit)
        .join(Unit, Unit.id == RoleMembership.unit_id)
        .where(RoleMembership.user_id == user_id)
        .order_by(RoleMembership.id)
    ).all()
    for wanted in (Role.signatory, Role.head, None):
        for role, unit in rows:
            if wanted is None or Role(role) == wanted:
                return unit
    return None


def _supersede(session: Session, user_id: int) -> None:
    for old in session.execute(
        select(SigningKey).where(SigningKey.user_id == user_id, SigningKey.active.is_(True))
    ).scalars():
        old.active = False
        session.add(old)


def _serial_hex(serial: int) -> str:
    return format(serial, "x")


def active_key(session: Session, user_id: int) -> SigningKey | None:
    return session.execute(
        select(SigningKey)
        .where(SigningKey.user_id == user_id, SigningKey.active.is_(True))
        .order_by(SigningKey.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def enroll(session: Session, actor: Actor | None, pin: str) -> SigningKey:
    """Generate a key pair server-side and a platform certificate for the actor, protected by ``pin``.

    A previous key of the actor stays on file (old signatures keep verifying) but is no longer used.
    """
    actor = permissions.require_actor(actor)
    pin = check_pin(pin)
    user = _user(session, actor.user_id)
    adm = session.get(Administration, user.administration_id) if user.administration_id else None
    unit = signing_unit(session, user.id)
    platform = ca.load_or_create_pki()
    cert_der, pkcs8 = ca.issue_personal_certificate(
        platform, user.full_name, user.email, adm.name_fr if adm else ca.ORG, unit.name_fr if unit else None
    )
    cert = x509.load_der_x509_certificate(cert_der)
    key = _store(session, actor, user, KeySource.platform, cert, pkcs8, pin, "signing_key.enrolled")
    del pkcs8
    return key


def _store(
    session: Session,
    actor: Actor,
    user: User,
    source: KeySource,
    cert: x509.Certificate,
    pkcs8: bytes,
    pin: str,
    event: str,
    chain_pem: str = "",
    **data: object,
) -> SigningKey:
    """The user's new signing key (the previous one superseded), its private key wrapped under
    ``pin``, with its audit ``event`` (serial, key id and ``data``)."""
    _supersede(session, user.id)
    key = SigningKey(
        user_id=user.id,
        source=source,
        certificate=cert.public_bytes(serialization.Encoding.DER),
        chain_pem=chain_pem,
        serial=_serial_hex(cert.serial_number),
        subject=cert.subject.rfc4514_string()[:255],
        not_after=cert.not_valid_after_utc,
        key_blob=_wrap(pkcs8, pin, user.id),
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor,
        event,
        object_type="user",
        object_id=user.id,
        administration_id=user.administration_id,
        data={"serial": key.serial, "key_id": key.id, **data},
    )
    return key


def _usable_for_signing(cert: x509.Certificate) -> bool:
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return bool(ku.digital_signature and ku.content_commitment)


def import_pkcs12(session: Session, actor: Actor | None, p12_bytes: bytes, password: str, pin: str) -> SigningKey:
    """Import a certificate and key from another CA (PKCS#12), re-protected under ``pin``.

    Refused: unreadable file or wrong password, no key or certificate, a key that does not match
    the certificate, a certificate without digitalSignature + nonRepudiation, an expired one.
    """
    actor = permissions.require_actor(actor)
    pin = check_pin(pin)
    user = _user(session, actor.user_id)
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(p12_bytes, (password or "").encode() or None)
    except Exception:  # noqa: BLE001 - wrong password and broken files look the same to the user
        raise DomainError("error.pkcs12_invalid") from None
    if key is None or cert is None or not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise DomainError("error.pkcs12_invalid")
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, pub) != cert.public_key().public_bytes(
        serialization.Encoding.DER, pub
    ):
        raise DomainError("error.pkcs12_invalid")
    if not _usable_for_signing(cert):
        raise DomainError("error.certificate_usage")
    now = utcnow()
    if not (cert.not_valid_before_utc <= now < cert.not_valid_after_utc):
        raise DomainError("error.certificate_expired")
    pkcs8 = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in (extra or []))
    row = _store(
        session,
        actor,
        user,
        KeySource.pkcs12,
        cert,
        pkcs8,
        pin,
        "signing_key.imported",
        chain,
        issuer=cert.issuer.rfc4514_string()[:200],
    )
    del pkcs8
    return row


def _pin_failed(session: Session, actor: Actor, row: SigningKey, administration_id: int | None) -> None:
    """Count a wrong PIN and COMMIT it (the DomainError raised next rolls the caller's transaction back)."""
    row.failed_attempts += 1
    if row.failed_attempts >= MAX_PIN_ATTEMPTS:
        row.locked = True
    session.add(row)
    audit.record(
        session,
        actor,
        "signing_key.locked" if row.locked else "signing_key.pin_failed",
        object_type="user",
        object_id=row.user_id,
        administration_id=administration_id,
        data={"key_id": row.id, "attempts": row.failed_attempts},
    )
    session.commit()


def key_problem(row: SigningKey | None) -> str:
    """Why this key cannot sign (an error code), or "" when it can: checked before asking the PIN."""
    if row is None:
        return "error.no_signing_key"
    if row.revoked:
        return "error.signing_key_revoked"
    if row.locked:
        return "error.signing_key_locked"
    if row.not_after <= utcnow():
        return "error.certificate_expired"
    return ""


def unlock(session: Session, actor: Actor | None, pin: str) -> UnlockedKey:
    """The actor's active key, decrypted with ``pin``. Wrong PIN: counted (and committed), then refused.

    Raises ``error.no_signing_key``, ``error.signing_key_locked``, ``error.signing_key_revoked``,
    ``error.certificate_expired`` or ``error.pin_invalid`` (with ``remaining`` attempts).
    """
    actor = permissions.require_actor(actor)
    row = active_key(session, actor.user_id)
    problem = key_problem(row)
    if problem:
        raise DomainError(problem)
    assert row is not None
    if not PIN_RE.match((pin or "").strip()):
        pkcs8 = None
    else:
        pkcs8 = _unwrap(row.key_blob, pin.strip(), actor.user_id)
    if pkcs8 is None:
        _pin_failed(session, actor, row, actor.administration_id)
        if row.locked:
            raise DomainError("error.signing_key_locked")
        raise DomainError("error.pin_invalid", remaining=MAX_PIN_ATTEMPTS - row.failed_attempts)
    if row.failed_attempts:
        row.failed_attempts = 0
        session.add(row)
    chain = (
        tuple(
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for c in x509.load_pem_x509_certificates(row.chain_pem.encode())
        )
        if row.chain_pem
        else ()
    )
    return UnlockedKey(
        row.id,
        asn1_x509.Certificate.load(row.certificate),
        asn1_keys.PrivateKeyInfo.load(pkcs8),
        chain,
        row.serial,
        row.source,
    )


def revoke_for_user(session: Session, actor: Actor | None, user_id: int, reason: str = "cessation_of_operation") -> int:
    """Revoke every unrevoked key of ``user_id`` (administrator of their administration, or the user
    themself); platform certificates go on the CRL at once. Returns how many keys were revoked.

    ``users.set_active(..., False)`` calls this (disabling a signatory revokes their certificate).
    """
    actor = permissions.require_actor(actor)
    user = session.get(User, user_id)
    if user is None or not (actor.user_id == user_id or permissions.is_admin_of(actor, user.administration_id)):
        raise NotFound()
    rows = list(
        session.execute(
            select(SigningKey).where(SigningKey.user_id == user_id, SigningKey.revoked.is_(False))
        ).scalars()
    )
    for row in rows:
        _revoke(session, actor, row, user, reason)
    return len(rows)


def revoke_serial(session: Session, actor: Actor | None, serial: str, reason: str = "unspecified") -> SigningKey:
    """Revoke the signing certificate with this serial number (hex, any case, colons allowed), for
    an administrator of its holder's administration. Revoking it again changes nothing."""
    actor = permissions.require_actor(actor)
    wanted = serial.strip().lower().replace(":", "").removeprefix("0x").lstrip("0")
    row = session.execute(select(SigningKey).where(SigningKey.serial == wanted)).scalar_one_or_none()
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not permissions.is_admin_of(actor, user.administration_id):
        raise NotFound()
    if not row.revoked:
        _revoke(session, actor, row, user, reason)
    return row


def _revoke(session: Session, actor: Actor, row: SigningKey, user: User, reason: str) -> None:
    """Platform certificates go on the CRL at once (before the commit: a failure errs on the safe side)."""
    if row.source == KeySource.platform:
        ca.revoke(int(row.serial, 16), reason)
    row.revoked, row.revoked_at, row.active = True, utcnow(), False
    session.add(row)
    audit.record(
        session,
        actor,
        "signing_key.revoked",
        object_type="user",
        object_id=user.id,
        administration_id=user.administration_id,
        data={"serial": row.serial, "reason": reason},
    )


def revoked_serial(session: Session, actor: Actor | None) -> str:
    """The serial of the actor's latest key when it was revoked ("" otherwise): the account page
    says the key was revoked rather than that there never was one."""
    actor = permissions.require_actor(actor)
    last = session.execute(
        select(SigningKey).where(SigningKey.user_id == actor.user_id).order_by(SigningKey.id.desc()).limit(1)
    ).scalar_one_or_none()
    return last.serial if last is not None and last.revoked else ""


def key_status(session: Session, actor: Actor | None) -> dict | None:
    """What the account page shows about the actor's key (no secret)."""
    actor = permissions.require_actor(actor)
    row = active_key(session, actor.user_id)
    if row is None:
        return None
    return {
        "id": row.id,
        "source": row.source.value,
        "serial": row.serial,
        "subject": row.subject,
        "not_after": row.not_after.astimezone(UTC),
        "locked": row.locked,
        "revoked": row.revoked,
        "remaining_attempts": MAX_PIN_ATTEMPTS - row.failed_attempts,
    }
