"""Optional: the platform seal and TSA keys in a PKCS#11 token (an HSM, or SoftHSM2 for tests).

The embedded default keeps every platform key sealed under the master key (``ca``). With
``MRASLA_PKCS11_LIB`` (the module, e.g. ``/usr/lib/softhsm/libsofthsm2.so``),
``MRASLA_PKCS11_TOKEN`` (token label) and ``MRASLA_PKCS11_PIN`` set, ``mrasla pki hsm-init``
generates EC P-256 key pairs *inside* the token (labels ``mrasla-seal``, ``mrasla-tsa``), has the
platform root certify them, and records the labels in ``pki/hsm.json``; the software seal and TSA
keys are then deleted. From then on the seal signs through pyHanko's ``PKCS11Signer`` and the TSA
through ``HsmKey`` (raw ECDSA: SoftHSM offers no ECDSA-SHA256 mechanism). The PIN is never
written to disk. The root and the OCSP responder keys stay sealed in software (the root signs
only certificates and CRLs, offline in spirit).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

HSM_FILE = "hsm.json"
HSM_NAMES = ("seal", "tsa")
LABEL_PREFIX = "mrasla-"
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


@dataclass(frozen=True)
class HsmConfig:
    lib: str
    token: str
    pin: str


def config_from_env() -> HsmConfig | None:
    """The token to use, from the environment; None when not configured (embedded keys)."""
    lib, token, pin = (os.environ.get(f"MRASLA_PKCS11_{k}", "") for k in ("LIB", "TOKEN", "PIN"))
    return HsmConfig(lib, token, pin) if lib and token and pin else None


_SESSIONS: dict[HsmConfig, object] = {}
_LOCK = threading.Lock()


def session(config: HsmConfig):
    """One logged-in session per token and process (PKCS#11 sessions are thread-safe for
    signing in SoftHSM and HSM modules; python-pkcs11 serialises calls per session)."""
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import open_pkcs11_session

    with _LOCK:
        found = _SESSIONS.get(config)
        if found is None:
            found = _SESSIONS[config] = open_pkcs11_session(
                config.lib, token_criteria=TokenCriteria(label=config.token), user_pin=config.pin
            )
        return found


def managed(pki_dir: Path) -> dict[str, str]:
    """``{name: key label}`` of the platform keys held in the token (empty: none)."""
    path = pki_dir / HSM_FILE
    return json.loads(path.read_text()) if path.exists() else {}


class HsmKey:
    """An EC private key in the token, used where ``cryptography`` keys sign (the TSA's tokens):
    ``sign(data, ec.ECDSA(hashes.SHA256()))`` returns a DER ECDSA signature."""

    def __init__(self, config: HsmConfig, label: str) -> None:
        import pkcs11

        self.label = label
        self._config = config
        sess = session(config)
        self._key = sess.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=label)
        public = sess.get_key(object_class=pkcs11.ObjectClass.PUBLIC_KEY, label=label)
        self._public = _public_key(public)

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public

    def sign(self, data: bytes, algorithm: ec.ECDSA) -> bytes:
        import pkcs11

        digest = hashlib.new(algorithm.algorithm.name, data).digest()  # type: ignore[union-attr]  # pyHanko passes a hash, never Prehashed
        raw = self._key.sign(digest, mechanism=pkcs11.Mechanism.ECDSA)
        half = len(raw) // 2
        return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))


def _public_key(public) -> ec.EllipticCurvePublicKey:
    """The token's EC public key as a ``cryptography`` key (EC point from CKA_EC_POINT)."""
    import pkcs11
    from asn1crypto import core

    point = core.OctetString.load(public[pkcs11.Attribute.EC_POINT]).native
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)


def generate(config: HsmConfig, name: str) -> HsmKey:
    """A new P-256 key pair in the token labelled ``mrasla-<name>`` (an existing one is reused)."""
    import pkcs11
    from pkcs11.util.ec import encode_named_curve_parameters

    label = LABEL_PREFIX + name
    token = pkcs11.lib(config.lib).get_token(token_label=config.token)
    try:  # signing sessions are read-only; a login is shared by the process's sessions
        rw_session = token.open(rw=True, user_pin=config.pin)
    except pkcs11.UserAlreadyLoggedIn:
        rw_session = token.open(rw=True)
    with rw_session as rw:
        try:
            rw.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=label)
        except pkcs11.NoSuchKey:
            params = rw.create_domain_parameters(
                pkcs11.KeyType.EC, {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
            )
            params.generate_keypair(store=True, label=label)
    return HsmKey(config, label)


class HsmSigner(Signer):
    """pyHanko signer whose raw signatures come from a token key (``HsmKey``, ECDSA).

    Used rather than pyHanko's ``PKCS11Signer``, which embedded the signer's certificate twice
    (the CMS then outgrew the space receipts reserve for it), and so that the seal and the TSA go
    through the same token code."""

    def __init__(self, key: HsmKey, cert: asn1_x509.Certificate, root: asn1_x509.Certificate) -> None:
        super().__init__(
            signing_cert=cert,
            cert_registry=SimpleCertificateStore.from_certs([root]),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
        )
        self.key = key

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        return self.key.sign(data, ec.ECDSA(_HASHES[digest_algorithm.lower()]()))  # type: ignore[abstract]  # concrete classes
