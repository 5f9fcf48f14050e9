"""In-process RFC 6960 OCSP responder for certificates issued by the platform root.

Validators (pdfsig, Adobe, pyHanko fetching through the certificates' AIA) ask ``/pki/ocsp``
whether a certificate is revoked; the PAdES B-LT/B-LTA extension (``ltv``) asks in-process and
embeds the answers in the document's DSS. Answers are signed by a delegated responder certificate
(EKU OCSPSigning, ocsp-nocheck) and follow the CRL: a serial on the CRL is ``revoked`` with its
date and reason, any other serial of the platform root ``good`` (RFC 6960 2.2: not revoked), a
certificate of another issuer ``unknown``. Requests naming several certificates are answered in
one response (cryptography's parser takes only one, so requests are parsed with asn1crypto).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from datetime import datetime, timezone

from asn1crypto import algos, core, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from mrasla_app.pki.ca import CRL_VALIDITY, Platform, load_or_create_pki

# How long an answer may be relied on; the same horizon as the CRL it reflects.
RESPONSE_VALIDITY = CRL_VALIDITY
MAX_CERTS_PER_REQUEST = 20
_HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def _error(status: str) -> bytes:
    return ocsp.OCSPResponse({"response_status": status}).dump()


class OcspResponder:
    """Signs OCSP answers for one platform; issuer hashes are computed once."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        root = platform.root_asn1
        name_der = root.subject.dump()
        key_der = root.public_key["public_key"].contents[1:]  # the BIT STRING's bits (RFC 6960 4.1.1)
        self._issuer_hashes = {algo: (fn(name_der).digest(), fn(key_der).digest()) for algo, fn in _HASHES.items()}
        self._ocsp_key: ec.EllipticCurvePrivateKey = platform.ocsp_key
        self._ocsp_cert_der = platform.ocsp_asn1.dump()
        self._responder_key_hash = hashlib.sha1(platform.ocsp_asn1.public_key["public_key"].contents[1:]).digest()

    def _revoked(self) -> dict[int, x509.RevokedCertificate]:
        crl = x509.load_der_x509_crl(self.platform.crl_der())
        return {entry.serial_number: entry for entry in crl}

    def _status(self, cert_id: ocsp.CertId, revoked: dict[int, x509.RevokedCertificate]) -> ocsp.CertStatus:
        algo = cert_id["hash_algorithm"]["algorithm"].native
        expected = self._issuer_hashes.get(algo)
        if expected is None or expected != (cert_id["issuer_name_hash"].native, cert_id["issuer_key_hash"].native):
            return ocsp.CertStatus(name="unknown", value=core.Null())
        entry = revoked.get(cert_id["serial_number"].native)
        if entry is None:
            return ocsp.CertStatus(name="good", value=core.Null())
        info: dict[str, object] = {"revocation_time": entry.revocation_date_utc}
        try:
            reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
            info["revocation_reason"] = reason.name
        except x509.ExtensionNotFound:
            pass
        return ocsp.CertStatus(name="revoked", value=ocsp.RevokedInfo(info))

    def sign(
        self, cert_ids: list[ocsp.CertId], nonce: bytes | None = None, now: datetime | None = None
    ) -> ocsp.OCSPResponse:
        """A signed ``successful`` response about ``cert_ids`` (producedAt = thisUpdate = now)."""
        now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
        revoked = self._revoked()
        responses = [
            {
                "cert_id": cert_id,
                "cert_status": self._status(cert_id, revoked),
                "this_update": now,
                "next_update": now + RESPONSE_VALIDITY,
            }
            for cert_id in cert_ids
        ]
        data: dict[str, object] = {
            "version": "v1",
            "responder_id": ocsp.ResponderId(name="by_key", value=self._responder_key_hash),
            "produced_at": now,
            "responses": responses,
        }
        if nonce is not None:
            data["response_extensions"] = [{"extn_id": "nonce", "critical": False, "extn_value": nonce}]
        tbs = ocsp.ResponseData(data)
        signature = self._ocsp_key.sign(tbs.dump(), ec.ECDSA(hashes.SHA256()))
        basic = ocsp.BasicOCSPResponse(
            {
                "tbs_response_data": tbs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                "signature": signature,
                "certs": [asn1_x509.Certificate.load(self._ocsp_cert_der)],
            }
        )
        return ocsp.OCSPResponse(
            {
                "response_status": "successful",
                "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
            }
        )

    def about(self, certs: list[asn1_x509.Certificate], now: datetime | None = None) -> ocsp.OCSPResponse:
        """One response about certificates issued by the root (what the DSS embeds)."""
        issuer_name_hash, issuer_key_hash = self._issuer_hashes["sha1"]
        return self.sign(
            [
                ocsp.CertId(
                    {
                        "hash_algorithm": {"algorithm": "sha1"},
                        "issuer_name_hash": issuer_name_hash,
                        "issuer_key_hash": issuer_key_hash,
                        "serial_number": cert.serial_number,
                    }
                )
                for cert in certs
            ],
            now=now,
        )

    def respond(self, der_request: bytes) -> bytes:
        """Raw ``application/ocsp-request`` in, ``application/ocsp-response`` out."""
        try:
            req = ocsp.OCSPRequest.load(der_request)
            tbs = req["tbs_request"]
            cert_ids = [item["req_cert"] for item in tbs["request_list"]]
            nonce = None
            for ext in tbs["request_extensions"] or ():
                if ext["extn_id"].native == "nonce":
                    nonce = ext["extn_value"].parsed.native  # echoed as received (RFC 8954)
            req.native  # force a full parse: garbage is rejected here  # noqa: B018
        except Exception:  # noqa: BLE001 - any parse failure is the client's malformed request
            return _error("malformed_request")
        if not cert_ids or len(cert_ids) > MAX_CERTS_PER_REQUEST:
            return _error("malformed_request")
        return self.sign(cert_ids, nonce).dump()


_RESPONDERS: dict[int, OcspResponder] = {}
_LOCK = threading.Lock()


def get_responder(platform: Platform | None = None) -> OcspResponder:
    """The responder for ``platform`` (default: this process's platform), built once."""
    platform = platform or load_or_create_pki()
    with _LOCK:
        responder = _RESPONDERS.get(id(platform))
        if responder is None or responder.platform is not platform:
            responder = _RESPONDERS[id(platform)] = OcspResponder(platform)
        return responder


def respond(der_request: bytes) -> bytes:
    """Answer a DER OCSP request with the platform responder."""
    return get_responder().respond(der_request)


def respond_get(encoded: str) -> bytes:
    """RFC 6960 A.1 GET: the request DER, base64 then URL-encoded, as the last path segment."""
    try:
        der = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=False)
    except ValueError:
        return _error("malformed_request")
    return respond(der)


def clear_cache() -> None:
    with _LOCK:
        _RESPONDERS.clear()


__all__ = ["OcspResponder", "get_responder", "respond", "respond_get"]
