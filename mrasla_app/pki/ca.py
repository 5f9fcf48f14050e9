"""The platform's own certification authority: root CA, receipt seal, TSA, OCSP responder,
signatories, CRL.

Profiles (RFC 5280, checked with ``openssl verify -x509_strict`` in the tests): the root signs
certificates and CRLs only; the seal and signatories sign documents (digitalSignature +
contentCommitment); the TSA signs timestamps only (digitalSignature, critical EKU timeStamping);
the OCSP responder is a delegated responder (EKU OCSPSigning, ocsp-nocheck). Every leaf but the
responder carries AIA (OCSP + caIssuers) and a CRL distribution point, so validators can find
revocation data without being told. A data directory created with an older profile is upgraded
in place on load (``PROFILE_VERSION``): certificates whose profile was wrong are re-issued with
new keys, the old ones stay unrevoked (documents sealed and timestamped with them stay valid)
and are kept under ``retired/``.

Everything is generated on first use into ``settings.pki_dir``. Certificates and the CRL are
public and stored in clear; private keys are PKCS#8 DER sealed under the master key
(``mrasla_app.crypto.seal``) so a copy of the data directory without the master key reveals
nothing. Parsing certificates and keys is comparatively expensive (asn1crypto re-serialisation
dominates pyHanko's costs), so the parsed ``Platform`` is cached once per process and per
directory.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mrasla_app.crypto import seal, unseal
from mrasla_app.fsutil import atomic_write
from mrasla_app.pki import hsm
from mrasla_app.settings import Settings, get_settings

log = logging.getLogger(__name__)

ROOT_CN = "Mrasla Root CA"
# Latin and Arabic cannot share one name attribute: RFC 4518 string preparation (enforced by
# asn1crypto, hence pyHanko) rejects mixed-direction values. The Arabic label is its own OU.
SEAL_CN = "Mrasla — cachet de la plateforme"
SEAL_OU_AR = "ختم المنصة"
TSA_CN = "Mrasla — horodatage"
TSA_OU_AR = "الختم الزمني"
ORG = "Mrasla"
COUNTRY = "MA"

# Bump when a certificate profile changes; ``_upgrade`` brings older directories up to date.
PROFILE_VERSION = 2
_PROFILE_FILE = "profile"
OCSP_CN = "Mrasla — OCSP"

ROOT_YEARS = 20
SEAL_YEARS = 10
TSA_YEARS = 10
PERSONAL_YEARS = 3
# The delegated OCSP responder carries ocsp-nocheck (nobody can check its revocation), so it lives
# briefly and is renewed on load when little is left.
OCSP_VALIDITY = timedelta(days=365)
# A platform certificate is re-issued on load when less than this is left. The TSA's margin
# exceeds ``ltv.REFRESH_MARGIN`` so archive timestamps are always made with a certificate that
# has more than that margin left (``archive-refresh`` then picks each file once).
_RENEW_MARGIN = {"seal": timedelta(days=400), "tsa": timedelta(days=400), "ocsp": timedelta(days=60)}
CRL_VALIDITY = timedelta(days=7)
# Re-issue the CRL when less than this is left, so validators never see a stale one.
CRL_REFRESH_MARGIN = timedelta(days=2)

_COMPLETE_MARKER = ".complete"
_LOCK_FILE = ".lock"
_NAMES = ("root", "seal", "tsa", "ocsp")

# RFC 5280 reason names accepted by ``revoke``.
REVOCATION_REASONS = {r.name: r for r in x509.ReasonFlags}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _name(common_name: str, org: str = ORG, org_unit: str | None = None, email: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)]
    if org_unit:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, org_unit))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    if email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    name = x509.Name(attrs)
    _check_name(name)
    return name


def _check_name(name: x509.Name) -> None:
    """Fail early on names validators cannot process (e.g. Arabic and Latin in one value)."""
    try:
        asn1_x509.Name.load(name.public_bytes()).hashable
    except ValueError as exc:
        raise ValueError(
            f"certificate name not usable ({exc}); keep Arabic and Latin text in separate attributes"
        ) from exc


# What each role's key may do. Document signers need contentCommitment (non-repudiation; pyHanko's
# validator requires it by default); a non-CA must not carry keyCertSign/cRLSign (RFC 5280 4.2.1.3,
# openssl -x509_strict error 82); a CA key signs certificates and CRLs only.
ROLE_CA, ROLE_SIGNER, ROLE_TSA, ROLE_OCSP = "ca", "signer", "tsa", "ocsp"
_ROLE_EKU = {ROLE_TSA: ExtendedKeyUsageOID.TIME_STAMPING, ROLE_OCSP: ExtendedKeyUsageOID.OCSP_SIGNING}


def _key_usage(role: str) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=role != ROLE_CA,
        content_commitment=role == ROLE_SIGNER,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=role == ROLE_CA,
        crl_sign=role == ROLE_CA,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass
class Platform:
    """The parsed platform PKI, shared by signing, timestamping and validation.

    ``*_cert`` are ``cryptography`` objects (for building), ``*_asn1`` the same certificates as
    asn1crypto objects (what pyHanko wants). The CRL is re-read when another process rewrote it.
    """

    pki_dir: Path
    public_url: str
    root_cert: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey
    seal_cert: x509.Certificate
    seal_key: ec.EllipticCurvePrivateKey | hsm.HsmKey
    tsa_cert: x509.Certificate
    tsa_key: ec.EllipticCurvePrivateKey | hsm.HsmKey
    ocsp_cert: x509.Certificate
    ocsp_key: ec.EllipticCurvePrivateKey
    root_asn1: asn1_x509.Certificate = field(init=False)
    seal_asn1: asn1_x509.Certificate = field(init=False)
    tsa_asn1: asn1_x509.Certificate = field(init=False)
    ocsp_asn1: asn1_x509.Certificate = field(init=False)
    _crl_der: bytes = field(init=False, default=b"", repr=False)
    _crl_stamp: tuple[int, int] = field(init=False, default=(0, 0), repr=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.root_asn1 = _to_asn1(self.root_cert)
        self.seal_asn1 = _to_asn1(self.seal_cert)
        self.tsa_asn1 = _to_asn1(self.tsa_cert)
        self.ocsp_asn1 = _to_asn1(self.ocsp_cert)

    @property
    def crl_url(self) -> str:
        return _urls(self.public_url).crl

    @property
    def urls(self) -> _Urls:
        return _urls(self.public_url)

    @property
    def crl_path(self) -> Path:
        return self.pki_dir / "crl.der"

    def crl_der(self) -> bytes:
        """The current CRL (DER), re-read when rewritten on disk, re-issued near ``nextUpdate``."""
        with self._lock:
            st = self.crl_path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
            if stamp != self._crl_stamp:
                self._crl_der, self._crl_stamp = self.crl_path.read_bytes(), stamp
            crl = x509.load_der_x509_crl(self._crl_der)
            next_update = crl.next_update_utc  # ours always set it; a CRL without one is refreshed
            stale = next_update is None or next_update - _now() < CRL_REFRESH_MARGIN
        if stale:
            self.update_crl(lambda entries: entries)
        return self._crl_der

    def update_crl(self, change: Callable[[list[x509.RevokedCertificate]], list[x509.RevokedCertificate]]) -> bytes:
        """Re-sign the CRL with ``change(entries)`` applied, under the cross-process lock.

        Reading, changing and writing under the same ``flock`` is what keeps a concurrent
        refresh in another process from dropping a revocation.
        """
        with pki_lock(self.pki_dir), self._lock:
            entries = list(x509.load_der_x509_crl(self.crl_path.read_bytes()))
            der = _build_crl(self.root_cert, self.root_key, change(entries))
            atomic_write(self.crl_path, der)
            st = self.crl_path.stat()
            self._crl_der, self._crl_stamp = der, (st.st_mtime_ns, st.st_size)
            return der


@contextmanager
def pki_lock(pki_dir: Path) -> Iterator[None]:
    """Exclusive advisory lock shared by every process using this PKI directory (creation, CRL
    updates, master-key rotation)."""
    pki_dir.mkdir(parents=True, exist_ok=True)
    with open(pki_dir / _LOCK_FILE, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    """The certificate as asn1crypto, parsed to the last field now.

    asn1crypto parses lazily, on first access, and that parsing is not thread-safe; the platform's
    certificates are shared by every thread that seals or signs, and two threads parsing the same
    object at once raised ``KeyError`` (a 500 on a deposit). Parsed once here, they are only read."""
    parsed = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    eager_parse(parsed)
    return parsed


def eager_parse(value: asn1_x509.Certificate | asn1_crl.CertificateList) -> None:
    """Parse every field of a shared asn1crypto object now (see ``_to_asn1``)."""
    value.native  # noqa: B018 - walks and parses every child
    if isinstance(value, asn1_x509.Certificate):
        value.key_identifier_value  # noqa: B018 - fills the extension attributes once
        value.subject.hashable  # noqa: B018
        value.issuer.hashable  # noqa: B018


def key_to_asn1(key: ec.EllipticCurvePrivateKey) -> asn1_keys.PrivateKeyInfo:
    """PKCS#8 as asn1crypto, the form pyHanko's ``SimpleSigner`` takes."""
    return asn1_keys.PrivateKeyInfo.load(_pkcs8(key))


def _pkcs8(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _builder(subject: x509.Name, issuer: x509.Name, public_key, validity: int | timedelta) -> x509.CertificateBuilder:
    """``validity``: years, or an exact duration."""
    now = _now()
    if isinstance(validity, int):
        validity = timedelta(days=365 * validity)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + validity)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


@dataclass(frozen=True)
class _Urls:
    """Where validators find the platform's revocation data and issuer certificate."""

    crl: str
    ocsp: str
    ca_issuers: str


def _urls(public_url: str) -> _Urls:
    return _Urls(f"{public_url}/pki/crl.der", f"{public_url}/pki/ocsp", f"{public_url}/pki/root.crt")


def _make_root() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(ROOT_CN)
    cert = (
        _builder(name, name, key.public_key(), ROOT_YEARS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ROLE_CA), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _issue_leaf(
    root_cert: x509.Certificate,
    root_key: ec.EllipticCurvePrivateKey,
    subject: x509.Name,
    urls: _Urls,
    validity: int | timedelta,
    *,
    role: str = ROLE_SIGNER,
    email: str | None = None,
    public_key: ec.EllipticCurvePublicKey | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey | None]:
    """One end-entity certificate under the root with the key usages of ``role``.

    Every leaf but the OCSP responder points at the platform's OCSP responder, root certificate
    and CRL (AIA + CRLDP); the responder gets ocsp-nocheck instead (RFC 6960 4.2.2.2.1).
    A new key pair is made unless ``public_key`` (a key held elsewhere, e.g. in an HSM) is given;
    the private key returned is then None.
    """
    key = ec.generate_private_key(ec.SECP256R1()) if public_key is None else None
    public_key = public_key or key.public_key()  # type: ignore[union-attr]  # key is None only when public_key is given
    ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        _builder(subject, root_cert.subject, public_key, validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(role), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
    )
    if role == ROLE_OCSP:
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    else:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(urls.ocsp)
                    ),
                    x509.AccessDescription(
                        x509.AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(urls.ca_issuers)
                    ),
                ]
            ),
            critical=False,
        ).add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(urls.crl)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    if role in _ROLE_EKU:
        # Critical: the key serves this purpose only (RFC 3161 2.3 requires it for a TSA).
        builder = builder.add_extension(x509.ExtendedKeyUsage([_ROLE_EKU[role]]), critical=True)
    if email:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
    return builder.sign(root_key, hashes.SHA256()), key


def _build_crl(
    root_cert: x509.Certificate, root_key: ec.EllipticCurvePrivateKey, entries: list[x509.RevokedCertificate]
) -> bytes:
    # thisUpdate is the issuing second itself, not back-dated: strict validators accept a CRL for
    # a timestamped signature only when it was issued at or after the timestamp (fiverify).
    now = _now().replace(microsecond=0)
    ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root_cert.subject)
        .last_update(now)
        .next_update(now + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
    )
    for entry in entries:
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(root_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


_ROLE_OF = {"seal": ROLE_SIGNER, "tsa": ROLE_TSA, "ocsp": ROLE_OCSP}
_SUBJECT_OF = {"seal": (SEAL_CN, SEAL_OU_AR), "tsa": (TSA_CN, TSA_OU_AR), "ocsp": (OCSP_CN, None)}
_VALIDITY_OF: dict[str, int | timedelta] = {"seal": SEAL_YEARS, "tsa": TSA_YEARS, "ocsp": OCSP_VALIDITY}


def _issue_platform_leaf(
    name: str,
    root_cert: x509.Certificate,
    root_key: ec.EllipticCurvePrivateKey,
    public_url: str,
    public_key: ec.EllipticCurvePublicKey | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey | None]:
    common_name, org_unit = _SUBJECT_OF[name]
    return _issue_leaf(
        root_cert,
        root_key,
        _name(common_name, org_unit=org_unit),
        _urls(public_url),
        _VALIDITY_OF[name],
        role=_ROLE_OF[name],
        public_key=public_key,
    )


def _write_pair(
    pki_dir: Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey | None, master: bytes
) -> None:
    """The certificate, and the private key sealed under the master key (None: held in an HSM)."""
    key_path, purpose = dict(zip(_NAMES, sealed_key_files(pki_dir)))[name]
    atomic_write(pki_dir / f"{name}.crt", cert.public_bytes(serialization.Encoding.DER))
    atomic_write(pki_dir / f"{name}.pem", cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        atomic_write(key_path, seal(_pkcs8(key), purpose, master), mode=0o600)


def _generate(pki_dir: Path, public_url: str, master: bytes) -> None:
    """Create the whole PKI; the ``.complete`` marker is written last (crash-safe restart)."""
    root_cert, root_key = _make_root()
    _write_pair(pki_dir, "root", root_cert, root_key, master)
    for name in _ROLE_OF:
        _write_pair(pki_dir, name, *_issue_platform_leaf(name, root_cert, root_key, public_url), master)
    atomic_write(pki_dir / "crl.der", _build_crl(root_cert, root_key, []))
    atomic_write(pki_dir / _PROFILE_FILE, b"%d\n" % PROFILE_VERSION)
    atomic_write(pki_dir / _COMPLETE_MARKER, b"ok\n")


def _profile_ok(name: str, cert: x509.Certificate) -> bool:
    """Whether a stored platform certificate has today's profile for its role."""
    ext = cert.extensions
    try:
        ku = ext.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False
    if ku != _key_usage(_ROLE_OF[name]):
        return False
    if cert.not_valid_after_utc - _now() <= _RENEW_MARGIN[name]:
        return False
    if name == "ocsp":
        return True
    try:
        ext.get_extension_for_class(x509.AuthorityInformationAccess)
    except x509.ExtensionNotFound:
        return False
    return True


def _profile_version(pki_dir: Path) -> int:
    try:
        return int((pki_dir / _PROFILE_FILE).read_text().strip())
    except (FileNotFoundError, ValueError):
        return 1


def _upgrade(pki_dir: Path, public_url: str, master: bytes) -> list[str]:
    """Re-issue the platform certificates whose profile is outdated or whose end is near
    (caller holds ``pki_lock``).

    The replaced certificate is not revoked: every token and seal made with it stays valid (its
    chain, the root, is unchanged) and a document timestamp added later by ``archive-refresh``
    re-anchors those documents with today's profile. It is kept under ``retired/`` for the record.
    Returns the names re-issued.
    """
    root_cert = x509.load_der_x509_certificate((pki_dir / "root.crt").read_bytes())
    root_key = serialization.load_der_private_key(
        unseal((pki_dir / "root.key.sealed").read_bytes(), "pki:root"), password=None
    )
    assert isinstance(root_key, ec.EllipticCurvePrivateKey)  # the root is made on P-256 (``_make_root``)
    renewed = []
    in_hsm = hsm.managed(pki_dir)
    for name in _ROLE_OF:
        path = pki_dir / f"{name}.crt"
        old = x509.load_der_x509_certificate(path.read_bytes()) if path.exists() else None
        if old is not None and _profile_ok(name, old):
            continue
        if old is not None:
            retired = pki_dir / "retired"
            retired.mkdir(exist_ok=True)
            atomic_write(retired / f"{name}-{old.serial_number:x}.crt", path.read_bytes())
        public = _hsm_key(in_hsm[name]).public_key() if name in in_hsm else None  # re-certified
        _write_pair(
            pki_dir,
            name,
            *_issue_platform_leaf(
                name,
                root_cert,
                root_key,
                public_url,
                public,
            ),
            master,
        )
        renewed.append(name)
    atomic_write(pki_dir / _PROFILE_FILE, b"%d\n" % PROFILE_VERSION)
    return renewed


def _renewal_due(pki_dir: Path) -> bool:
    """Whether the directory predates the current profile or a platform certificate is missing
    or near its end (checked on every first load in a process)."""
    if _profile_version(pki_dir) < PROFILE_VERSION:
        return True
    for name in _ROLE_OF:
        path = pki_dir / f"{name}.crt"
        if not path.exists():
            return True
        cert = x509.load_der_x509_certificate(path.read_bytes())
        if cert.not_valid_after_utc - _now() <= _RENEW_MARGIN[name]:
            return True
    return False


def sealed_key_files(pki_dir: Path) -> list[tuple[Path, str]]:
    """The platform's private keys on disk and their sealing purposes (what a key rotation re-seals)."""
    found = [(pki_dir / f"{name}.key.sealed", f"pki:{name}") for name in _NAMES]
    vapid = pki_dir / "vapid.key.sealed"  # Web Push (services.parapheur.push), made on first use
    return found + ([(vapid, "pki:vapid")] if vapid.exists() else [])


def _hsm_key(label: str) -> hsm.HsmKey:
    config = hsm.config_from_env()
    if config is None:
        raise RuntimeError(
            "platform keys are in a PKCS#11 token (pki/hsm.json): set MRASLA_PKCS11_LIB, "
            "MRASLA_PKCS11_TOKEN and MRASLA_PKCS11_PIN"
        )
    return hsm.HsmKey(config, label)


def _load(pki_dir: Path, public_url: str) -> Platform:
    parts: dict[str, object] = {}
    in_hsm = hsm.managed(pki_dir)
    for name, (path, purpose) in zip(_NAMES, sealed_key_files(pki_dir)):
        parts[f"{name}_cert"] = x509.load_der_x509_certificate((pki_dir / f"{name}.crt").read_bytes())
        if name in in_hsm:
            parts[f"{name}_key"] = _hsm_key(in_hsm[name])
            continue
        pkcs8 = unseal(path.read_bytes(), purpose)  # the master key, or the one a rotation is retiring
        parts[f"{name}_key"] = serialization.load_der_private_key(pkcs8, password=None)
    return Platform(pki_dir=pki_dir, public_url=public_url, **parts)  # type: ignore[arg-type]  # the parts loaded above, by name


_CACHE: dict[Path, Platform] = {}
_CACHE_LOCK = threading.Lock()


def load_or_create_pki(settings: Settings | None = None) -> Platform:
    """Return the platform PKI, generating it on first use (once, even across processes).

    An exclusive ``flock`` on ``pki_dir/.lock`` serialises creators: the second process waits,
    then sees the ``.complete`` marker and loads what the first one wrote.
    """
    settings = settings or get_settings()
    pki_dir = settings.pki_dir.resolve()
    with _CACHE_LOCK:
        cached = _CACHE.get(pki_dir)
        if cached is not None:
            return cached
        if not (pki_dir / _COMPLETE_MARKER).exists():
            with pki_lock(pki_dir):
                if not (pki_dir / _COMPLETE_MARKER).exists():
                    _generate(pki_dir, settings.public_url, settings.master_key())
        if _renewal_due(pki_dir):
            with pki_lock(pki_dir):
                if _renewal_due(pki_dir):
                    renewed = _upgrade(pki_dir, settings.public_url, settings.master_key())
                    if renewed:
                        log.warning("platform certificates re-issued with the current profile: %s", ", ".join(renewed))
        platform = _load(pki_dir, settings.public_url)
        platform.crl_der()  # prime the cache and refresh a stale CRL early
        _CACHE[pki_dir] = platform
        return platform


def clear_cache() -> None:
    """Forget parsed PKIs (tests that switch data directories, key rotation)."""
    with _CACHE_LOCK:
        _CACHE.clear()
    from mrasla_app.pki import ocsp, signing, tsa, validation  # local: avoid an import cycle

    signing.clear_cache()
    validation.clear_cache()
    ocsp.clear_cache()
    tsa.clear_cache()


def hsm_init(settings: Settings | None = None) -> dict[str, str]:
    """Move the seal and TSA keys into the configured PKCS#11 token (``pki.hsm``): new key pairs
    generated in the token, certified by the root; the software keys are deleted. Idempotent.
    Returns ``{name: key label}``."""
    settings = settings or get_settings()
    config = hsm.config_from_env()
    if config is None:
        raise RuntimeError("set MRASLA_PKCS11_LIB, MRASLA_PKCS11_TOKEN and MRASLA_PKCS11_PIN")
    platform = load_or_create_pki(settings)
    pki_dir = platform.pki_dir
    with pki_lock(pki_dir):
        labels = hsm.managed(pki_dir)
        for name in hsm.HSM_NAMES:
            if name in labels:
                continue
            key = hsm.generate(config, name)
            cert, _ = _issue_platform_leaf(
                name, platform.root_cert, platform.root_key, settings.public_url, key.public_key()
            )
            _write_pair(pki_dir, name, cert, None, b"")
            labels[name] = key.label
            atomic_write(pki_dir / hsm.HSM_FILE, json.dumps(labels).encode())
            (pki_dir / f"{name}.key.sealed").unlink(missing_ok=True)
    clear_cache()
    return labels


def issue_personal_certificate(
    platform: Platform, common_name: str, email: str, org: str, org_unit: str | None = None
) -> tuple[bytes, bytes]:
    """Issue a signatory's certificate; returns ``(cert_der, key_pkcs8_der)``.

    The caller must seal the private key before storing it; it is returned in clear only so the
    parapheur can choose where (and under which purpose label) it lives.
    """
    cert, key = _issue_leaf(
        platform.root_cert,
        platform.root_key,
        _name(common_name, org=org, org_unit=org_unit, email=email),
        platform.urls,
        PERSONAL_YEARS,
        email=email,
    )
    assert key is not None  # made here (only platform keys in an HSM come without one)
    return cert.public_bytes(serialization.Encoding.DER), _pkcs8(key)


def revoke(serial: int, reason: str = "unspecified", platform: Platform | None = None) -> bytes:
    """Add ``serial`` to the CRL (idempotent) and rewrite ``crl.der``; returns the new CRL.

    ``reason`` is an RFC 5280 reason name as in ``cryptography.x509.ReasonFlags``, e.g.
    ``key_compromise``, ``affiliation_changed``, ``superseded``, ``cessation_of_operation``.
    """
    if reason not in REVOCATION_REASONS:
        raise ValueError(f"unknown revocation reason {reason!r}")
    platform = platform or load_or_create_pki()

    def add(entries: list[x509.RevokedCertificate]) -> list[x509.RevokedCertificate]:
        if any(e.serial_number == serial for e in entries):
            return entries
        builder = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(_now())
        if reason != "unspecified":
            builder = builder.add_extension(x509.CRLReason(REVOCATION_REASONS[reason]), critical=False)
        return [*entries, builder.build()]

    return platform.update_crl(add)


def is_revoked(serial: int, platform: Platform | None = None) -> bool:
    """Whether ``serial`` is on the current CRL."""
    platform = platform or load_or_create_pki()
    crl = x509.load_der_x509_crl(platform.crl_der())
    return crl.get_revoked_certificate_by_serial_number(serial) is not None


def fingerprints(platform: Platform | None = None) -> dict[str, str]:
    """SHA-256 fingerprints (hex) of the platform certificates, for ``mrasla pki show``."""
    platform = platform or load_or_create_pki()
    return {
        name: hashlib.sha256(getattr(platform, f"{name}_cert").public_bytes(serialization.Encoding.DER)).hexdigest()
        for name in _NAMES
    }
