"""In-process RFC 3161 time-stamping authority.

PAdES B-T needs a trusted timestamp on every signature. pyHanko ships no TSA server and its
``DummyTimeStamper`` is RSA-only and slow, so the platform answers timestamp requests itself with
its TSA certificate (ECDSA P-256, critical EKU timeStamping). The same responder serves
in-process signing (``InProcessTimeStamper``) and raw ``application/timestamp-query`` requests
(``respond``) so an HTTP route can offer the service to other systems.
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime, timedelta, timezone

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps import TimeStamper

from mrasla_app.pki.ca import Platform, load_or_create_pki

# ETSI EN 319 421 baseline time-stamp policy (best-practices-ts-policy). The former self-assigned
# 2.25.<uuid> OID made some validators fail ("malformed OID"); requests naming it are still granted.
POLICY_OID = "0.4.0.2023.1.1"
_FORMER_POLICY_OID = "2.25.145480114446335598198416427539790561281"
_ACCEPTED_POLICIES = (None, POLICY_OID, _FORMER_POLICY_OID)

# The token's stated accuracy (TSTInfo ``accuracy``): a time fixed in advance (``at``) is used only
# while the real time is within it.
ACCURACY = timedelta(seconds=1)


# Accepted imprint algorithms and their digest sizes (bytes).
_DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}


def _serial() -> int:
    """Random positive 127-bit serial: unique across processes without shared state."""
    return secrets.randbits(127) | (1 << 126)


def _status(status: str, fail_info: str | None = None, text: str | None = None) -> tsp.PKIStatusInfo:
    info: dict[str, object] = {"status": tsp.PKIStatus(status)}
    if text:
        info["status_string"] = [text]
    if fail_info:
        info["fail_info"] = tsp.PKIFailureInfo({fail_info})
    return tsp.PKIStatusInfo(info)


class _StatusOnlyResp(core.Sequence):
    """``TimeStampResp`` without a token: asn1crypto's class wrongly requires the token."""

    _fields = [("status", tsp.PKIStatusInfo)]


def _rejection(fail_info: str, text: str | None = None) -> _StatusOnlyResp:
    return _StatusOnlyResp({"status": _status("rejection", fail_info, text)})


class TsaResponder:
    """Builds and signs timestamp tokens. Everything certificate-derived is computed once."""

    def __init__(
        self, tsa_cert: asn1_x509.Certificate, tsa_key: ec.EllipticCurvePrivateKey, chain: list[asn1_x509.Certificate]
    ) -> None:
        self.tsa_cert = tsa_cert
        self.tsa_key = tsa_key
        # Kept as DER and re-loaded per token: asn1crypto deep-copies and re-serialises parsed
        # objects inserted into a new structure (~4.5 ms for the ESS attribute alone), while a
        # freshly loaded object is copied as opaque bytes (~0.01 ms).
        self._certs_der = [c.dump() for c in (tsa_cert, *chain)]
        self._tsa_name_der = asn1_x509.GeneralName(name="directory_name", value=tsa_cert.subject).dump()
        self._signing_cert_attr_der = simple_cms_attribute(
            "signing_certificate_v2", as_signing_certificate_v2(tsa_cert, "sha256")
        ).dump()
        self._sid_der = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                    {"issuer": tsa_cert.issuer, "serial_number": tsa_cert.serial_number}
                )
            }
        ).dump()

    @classmethod
    def for_platform(cls, platform: Platform) -> TsaResponder:
        return cls(platform.tsa_asn1, platform.tsa_key, [platform.root_asn1])  # type: ignore[arg-type]  # an HsmKey signs like a key

    def respond_req(self, req: tsp.TimeStampReq, now: datetime | None = None) -> tsp.TimeStampResp | _StatusOnlyResp:
        """Answer one parsed request; malformed or unsupported ones get a ``rejection``."""
        imprint = req["message_imprint"]
        algo = imprint["hash_algorithm"]["algorithm"].native
        if algo not in _DIGEST_SIZES:
            return _rejection("bad_alg", f"unsupported hash {algo}")
        if len(imprint["hashed_message"].native) != _DIGEST_SIZES[algo]:
            return _rejection("bad_data_format", "imprint length does not match")
        if req["req_policy"].native not in _ACCEPTED_POLICIES:
            return _rejection("unaccepted_policy")
        gen_time = (now or datetime.now(timezone.utc)).replace(microsecond=0)
        token = self._token(req, imprint, gen_time)
        return tsp.TimeStampResp({"status": _status("granted"), "time_stamp_token": token})

    def _token(self, req: tsp.TimeStampReq, imprint: tsp.MessageImprint, gen_time: datetime) -> cms.ContentInfo:
        info: dict[str, object] = {
            "version": "v1",
            "policy": POLICY_OID,
            "message_imprint": tsp.MessageImprint.load(imprint.dump()),  # a fresh copy embeds as opaque bytes
            "serial_number": _serial(),
            "gen_time": gen_time,
            "accuracy": {"seconds": int(ACCURACY.total_seconds())},
            "tsa": asn1_x509.GeneralName.load(self._tsa_name_der),
        }
        if req["nonce"].native is not None:
            info["nonce"] = req["nonce"].native
        tst_der = tsp.TSTInfo(info).dump()
        digest = hashes.Hash(hashes.SHA256())
        digest.update(tst_der)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(gen_time)})),
                cms.CMSAttribute.load(self._signing_cert_attr_der),
                simple_cms_attribute("message_digest", digest.finalize()),
            ]
        )
        signed_attrs_der = signed_attrs.dump()
        signature = self.tsa_key.sign(signed_attrs_der, ec.ECDSA(hashes.SHA256()))
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier.load(self._sid_der),
                "digest_algorithm": {"algorithm": "sha256"},
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                "signed_attrs": cms.CMSAttributes.load(signed_attrs_der),  # the signed bytes, not a rebuilt copy
                "signature": signature,
            }
        )
        signed_data: dict[str, object] = {
            "version": "v3",  # v3: required for an EncapsulatedContentInfo that is not id-data
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(tst_der)},
            "signer_infos": [signer_info],
        }
        if req["cert_req"].native:
            signed_data["certificates"] = [asn1_x509.Certificate.load(d) for d in self._certs_der]
        return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})

    def respond(self, der_request: bytes) -> bytes:
        """Raw ``application/timestamp-query`` in, ``application/timestamp-reply`` out."""
        try:
            req = tsp.TimeStampReq.load(der_request)
            req.native  # force a full parse so garbage is rejected here, not half-way
        except Exception:  # noqa: BLE001 - any parse failure is the client's bad request
            return _rejection("bad_request").dump()
        return self.respond_req(req).dump()


class InProcessTimeStamper(TimeStamper):
    """pyHanko ``TimeStamper`` answered by the platform TSA without any network round-trip.

    ``at``: the genTime to state (whole seconds), when the caller already showed that time (the
    receipt prints its seal's time in the page before signing); used only if the token is made
    within ``ACCURACY`` of it, else the real time is (the token never lies beyond its accuracy).
    """

    def __init__(self, responder: TsaResponder, at: datetime | None = None) -> None:
        super().__init__(include_nonce=True)
        self.responder = responder
        self.at = at

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Answer in-process, round-tripping request and response through DER.

        pyHanko builds the request and later embeds the token in the CMS: asn1crypto copies
        and re-serialises constructed values at every such step (~8 ms per signature here),
        while values loaded from DER are copied as opaque bytes.
        """
        now = datetime.now(timezone.utc)
        at = self.at if self.at is not None and timedelta(0) <= now - self.at < ACCURACY else None
        resp = self.responder.respond_req(tsp.TimeStampReq.load(req.dump()), now=at)
        return tsp.TimeStampResp.load(resp.dump())


_RESPONDERS: dict[int, TsaResponder] = {}
_LOCK = threading.Lock()


def get_responder(platform: Platform | None = None) -> TsaResponder:
    """The responder for ``platform`` (default: this process's platform), built once."""
    platform = platform or load_or_create_pki()
    with _LOCK:
        responder = _RESPONDERS.get(id(platform))
        if responder is None or responder.tsa_cert is not platform.tsa_asn1:
            responder = _RESPONDERS[id(platform)] = TsaResponder.for_platform(platform)
        return responder


def respond(der_request: bytes) -> bytes:
    """Answer a DER ``TimeStampReq`` with a DER ``TimeStampResp`` using the platform TSA."""
    return get_responder().respond(der_request)


def clear_cache() -> None:
    with _LOCK:
        _RESPONDERS.clear()
