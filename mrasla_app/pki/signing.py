"""PAdES signing: the platform seal on receipts and, later, signatories' personal signatures.

Every signature goes through ``async_sign_pdf_with``: PAdES subfilter (ETSI.CAdES.detached),
SHA-256, an RFC 3161 timestamp from the in-process TSA (B-T), an optional visible text stamp and
optional DocMDP certification; then, in a later incremental update, validation data produced after
the timestamp and a document timestamp (B-LTA, ``ltv.async_extend``). The signer's chain is
checked against the platform root and CRL before signing (a revoked signer cannot sign).
Signers, the timestamper and the parsed CRL are built once per process because rebuilding them
dominates signing time (see ``/work/shared/notes/pyhanko-offline.md``).

The sync wrappers run the coroutine on a private event loop (``run_sync``): call them from
worker threads or plain scripts; from a running event loop, await the ``async_*`` variants.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from io import BytesIO
from typing import TypeVar

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import text
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.attributes import CMSAttributeProvider, SignedAttributeProviderSpec
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.general import SigningError, as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.signers.constants import DEFAULT_SIGNER_KEY_USAGE
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import PreSignValidationStatus
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from mrasla_app.pki import hsm, ltv
from mrasla_app.pki.ca import Platform, eager_parse, key_to_asn1, load_or_create_pki
from mrasla_app.pki.tsa import InProcessTimeStamper, get_responder

DEFAULT_SEAL_FIELD = "MraslaSeal"
# Stamp text placeholders: %(signer)s (certificate CN), %(ts)s (signing time, UTC). The stamp
# font is Courier/WinAnsi (see ``_stamp_style``): Latin-1 text only, so no em dash and no
# Arabic here; Arabic labels are drawn in the page itself by the receipt renderer.
DEFAULT_SEAL_TEXT = "Cachet électronique de la plateforme Mrasla\nHorodaté le %(ts)s"

# Space reserved for the CMS container (a receipt's is ~3.3 kB: two short chains, one
# timestamp token). Fixing it skips pyHanko's dry-run signature used to estimate the size,
# which would double the signing cost; B-LT data lives in the DSS, outside the CMS.
CMS_BYTES_RESERVED = 8192

Box = tuple[float, float, float, float]
T = TypeVar("T")


@dataclass(frozen=True)
class StampSpec:
    """Where and how a visible signature appears; ``box`` is (x1, y1, x2, y2) in PDF points."""

    field_name: str
    box: Box | None = None
    page: int = 0
    stamp_text: str = DEFAULT_SEAL_TEXT


# How long a successful pre-signing validation of a signer (chain + CRL) is reused; see
# ``_presign_validation``. A new CRL (e.g. a revocation) invalidates it at once.
PRESIGN_VALIDATION_TTL_S = 300.0


@dataclass(frozen=True)
class _Presigned:
    status: PreSignValidationStatus
    expires: float  # time.monotonic()


class _Cache:
    """Per-process objects reused between signatures (signers, timestamper, stamp styles,
    pre-signing validation results). Every dict is read and written under ``lock``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # One pre-signing validation at a time (see ``presign_validation``).
        self.validating = threading.Lock()
        self.signers: dict[tuple[int, bytes], signers.Signer] = {}
        self.timestampers: dict[int, InProcessTimeStamper] = {}
        self.crls: dict[bytes, asn1_crl.CertificateList] = {}
        self.styles: dict[str, TextStampStyle] = {}
        self.presigned: dict[tuple, _Presigned] = {}


_CACHE = _Cache()


def clear_cache() -> None:
    global _CACHE
    _CACHE = _Cache()


def run_sync(coro: Coroutine[object, object, T]) -> T:
    """Run ``coro`` to completion on a new event loop, like ``asyncio.run`` without its SIGINT
    handler: setting that up in the main thread formats the running task's ``repr``, ~4 ms
    per signature here (scripts, CLI, benchmarks); Ctrl-C then simply raises in the loop.
    Not from inside a running event loop (await the coroutine there)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


class _SigningCertificateV2(CMSAttributeProvider):
    """The signing-certificate-v2 attribute, serialised once per signer.

    pyHanko rebuilds it from the parsed certificate on every signature, and asn1crypto's copies
    of the constructed value cost ~8 ms; a value loaded from DER is copied as opaque bytes.
    """

    attribute_type = "signing_certificate_v2"

    def __init__(self, cert: asn1_x509.Certificate) -> None:
        self._der = simple_cms_attribute(self.attribute_type, as_signing_certificate_v2(cert)).dump()

    async def get_attribute(self, dry_run: bool = False) -> cms.CMSAttribute:
        return cms.CMSAttribute.load(self._der)


class _PadesSignedAttributes(SignedAttributeProviderSpec):
    """The signed attributes pyHanko uses for PAdES (CAdES baseline without signing-time):
    content-type and message-digest, which pyHanko adds itself, plus signing-certificate-v2."""

    def __init__(self, cert: asn1_x509.Certificate) -> None:
        self._signing_certificate = _SigningCertificateV2(cert)

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):
        yield self._signing_certificate


def make_signer(
    cert: asn1_x509.Certificate | bytes, key: asn1_keys.PrivateKeyInfo | bytes, platform: Platform | None = None
) -> signers.SimpleSigner:
    """A pyHanko PAdES signer for a certificate issued by the platform root (chain included)."""
    platform = platform or load_or_create_pki()
    cert = cert if isinstance(cert, asn1_x509.Certificate) else asn1_x509.Certificate.load(cert)
    key = key if isinstance(key, asn1_keys.PrivateKeyInfo) else asn1_keys.PrivateKeyInfo.load(key)
    signer = signers.SimpleSigner(
        signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs([platform.root_asn1])
    )
    signer.signed_attr_prov_spec = _PadesSignedAttributes(cert)
    return signer


def personal_signer(
    cert: asn1_x509.Certificate,
    key: asn1_keys.PrivateKeyInfo,
    chain: tuple[asn1_x509.Certificate, ...] = (),
    *,
    platform_issued: bool = True,
    platform: Platform | None = None,
) -> signers.Signer:
    """A signatory's signer: ``make_signer`` for a certificate of the platform CA, else a plain
    signer carrying the ``chain`` of the other CA (that CA's path is not the platform's).

    :param chain: the issuing chain of a certificate from another CA (ignored for the platform's).
    :param platform_issued: whether the platform CA issued ``cert``.
    """
    if platform_issued:
        return make_signer(cert, key, platform)
    return signers.SimpleSigner(
        signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs(list(chain))
    )


def seal_signer(platform: Platform | None = None) -> signers.Signer:
    """The platform seal's signer, parsed once per process (PKCS#11 when the key is in a token)."""
    platform = platform or load_or_create_pki()
    cache_key = (id(platform), platform.seal_asn1.sha256)
    with _CACHE.lock:  # made once, by one thread (it reads the shared certificates)
        signer = _CACHE.signers.get(cache_key)
        if signer is None:
            if isinstance(platform.seal_key, hsm.HsmKey):  # the key lives in a PKCS#11 token
                signer = hsm.HsmSigner(platform.seal_key, platform.seal_asn1, platform.root_asn1)
                signer.signed_attr_prov_spec = _PadesSignedAttributes(platform.seal_asn1)
            else:
                signer = make_signer(platform.seal_asn1, key_to_asn1(platform.seal_key), platform)
            _CACHE.signers[cache_key] = signer
    return signer


def timestamper(platform: Platform | None = None) -> InProcessTimeStamper:
    """The in-process TSA client (it caches its own size-estimation dummy token)."""
    platform = platform or load_or_create_pki()
    with _CACHE.lock:
        ts = _CACHE.timestampers.get(id(platform))
        if ts is None or ts.responder.tsa_cert is not platform.tsa_asn1:
            ts = _CACHE.timestampers[id(platform)] = InProcessTimeStamper(get_responder(platform))
        return ts


def parsed_crl(platform: Platform) -> asn1_crl.CertificateList:
    """The current CRL as asn1crypto, re-parsed only when the DER changes."""
    der = platform.crl_der()
    with _CACHE.lock:
        parsed = _CACHE.crls.get(der)
        if parsed is None:
            _CACHE.crls.clear()
            parsed = asn1_crl.CertificateList.load(der)
            eager_parse(parsed)  # shared by concurrent signatures: parsed before anyone reads it
            _CACHE.crls[der] = parsed
        return parsed


def validation_context(platform: Platform | None = None) -> ValidationContext:
    """Offline validation context: platform root as the only trust anchor, platform CRL.

    Built per call (cheap once certificates and CRL are parsed) because a context freezes its
    validation time at construction and accumulates certificates from the files it sees.
    """
    platform = platform or load_or_create_pki()
    return ValidationContext(
        trust_roots=[platform.root_asn1], crls=[parsed_crl(platform)], allow_fetching=False, revocation_mode="hard-fail"
    )


def stamp_style(stamp_text: str) -> TextStampStyle:
    """Text stamp in the standard Courier font (WinAnsi: French accents, no Arabic).

    An embedded OpenType font would look nicer but pyHanko subsets it with fontTools on every
    signature (~100 ms, 4x the whole receipt budget); Courier costs nothing.
    """
    with _CACHE.lock:
        style = _CACHE.styles.get(stamp_text)
        if style is None:
            style = _CACHE.styles[stamp_text] = TextStampStyle(
                stamp_text=stamp_text,
                border_width=1,
                timestamp_format="%Y-%m-%d %H:%M:%S UTC",
                text_box_style=text.TextBoxStyle(font_size=7, leading=9),
            )
        return style


async def async_sign_pdf_with(
    pdf_bytes: bytes,
    signer: signers.Signer,
    stamp: StampSpec,
    *,
    certify: bool = False,
    reason: str | None = None,
    location: str | None = None,
    platform: Platform | None = None,
    long_term: bool = True,
) -> bytes:
    """Append one PAdES signature to the PDF: B-LTA, or B-T when ``long_term`` is False.

    ``certify`` adds DocMDP with FILL_FORMS so later approval signatures stay allowed.
    With ``stamp.box`` set, a visible field is created on ``stamp.page``; otherwise the
    signature is invisible (or fills an existing field named ``stamp.field_name``).
    """
    platform = platform or load_or_create_pki()
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    if stamp.box is not None:
        fields.append_signature_field(writer, fields.SigFieldSpec(stamp.field_name, on_page=stamp.page, box=stamp.box))  # type: ignore[arg-type]  # reals, as PDF takes them
    meta = signers.PdfSignatureMetadata(
        field_name=stamp.field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=MDPPerm.FILL_FORMS,
        reason=reason,
        location=location,
        # The context validates the signer before signing; nothing goes into the signed
        # revision (validation data must post-date the timestamp: ``ltv``).
        validation_context=validation_context(platform),
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        timestamper=timestamper(platform),
        stamp_style=stamp_style(stamp.stamp_text) if stamp.box is not None else None,
    )
    signed = await async_run_signer(pdf_signer, writer, platform)
    return await ltv.async_extend(signed, ltv.RevinfoBatch(platform)) if long_term else signed


async def async_run_signer(
    pdf_signer: signers.PdfSigner, writer: IncrementalPdfFileWriter, platform: Platform
) -> bytes:
    """``PdfSigner.async_sign_pdf`` step by step, with the pre-signing validation cached.

    The steps and their arguments are pyHanko's own (its documented interrupted-signing API);
    only ``perform_presign_validation`` is replaced by ``presign_validation`` for PAdES
    signatures without LTA (all of ours). The CMS space is fixed (``CMS_BYTES_RESERVED``),
    which skips the dry-run signature.
    """
    meta = pdf_signer.signature_meta
    session = pdf_signer.init_signing_session(writer)
    status = None
    if meta.validation_context is not None:
        if session.use_pades and not meta.use_pades_lta:
            status = await presign_validation(pdf_signer.signer, session.timestamper, platform, meta.signer_key_usage)
        else:
            status = await session.perform_presign_validation(writer)
    embedded = status if meta.embed_validation_info else None  # DSS inside the signed revision
    tbs = session.prepare_tbs_document(validation_info=embedded, bytes_reserved=CMS_BYTES_RESERVED)
    out = BytesIO()
    digest, output = tbs.digest_tbs_document(output=out)
    post = await tbs.perform_signature(
        document_digest=digest.document_digest,
        pdf_cms_signed_attrs=PdfCMSSignedAttributes(
            signing_time=session.system_time,
            adobe_revinfo_attr=None if embedded is None else embedded.adobe_revinfo_attr,
            cades_signed_attrs=meta.cades_signed_attr_spec,
        ),
    )
    await post.post_signature_processing(output)
    return out.getvalue()


async def presign_validation(
    signer: signers.Signer,
    ts: TimeStamper | None,
    platform: Platform,
    key_usage: set[str] = DEFAULT_SIGNER_KEY_USAGE,
) -> PreSignValidationStatus:
    """Validate the signer's and the TSA's chains against the platform root and CRL before
    signing, and collect what goes into the DSS; reused for ``PRESIGN_VALIDATION_TTL_S``.

    The checks are those of pyHanko's ``PdfSigningSession.perform_presign_validation`` for a
    PAdES signature without LTA: signer chain with ``key_usage`` (``SigningError`` if it does
    not validate), then the TSA's paths; the CRLs are the validation context's.

    Cache: the inputs are the signer and TSA certificates, the platform root and the CRL; the
    key holds all but the root (fixed per platform; the cache is per process and cleared with
    the PKI cache), so a revocation, i.e. a new CRL, is seen by the very next signature. The
    TTL bounds how late a certificate's expiry is noticed. The result is immutable (frozen
    dataclass of parsed certificates and CRLs that pyHanko only reads), so concurrent
    signatures share it.

    Misses validate one at a time, the others then take the fresh result: the validation parses
    the shared certificate and CRL objects lazily (asn1crypto), which is not thread-safe — threads
    missing together (a server's first deposits, the end of each TTL) raised ``KeyError`` from
    inside asn1crypto. The lock is a thread lock held across awaits: every caller runs this
    coroutine on its own event loop in its own thread (``run_sync``), never on a shared loop.
    """
    key = (
        signer.signing_cert.dump(),  # type: ignore[union-attr]  # every signer here has its certificate
        ts.responder.tsa_cert.dump() if isinstance(ts, InProcessTimeStamper) else b"",
        platform.crl_der(),
        frozenset(key_usage),
    )
    cache = _CACHE
    with cache.lock:
        found = cache.presigned.get(key)
    if found is not None and found.expires > time.monotonic():
        return found.status
    with cache.validating:
        with cache.lock:
            found = cache.presigned.get(key)
        if found is not None and found.expires > time.monotonic():
            return found.status  # validated by the thread we waited for
        return await _presign_validate(cache, key, signer, ts, platform, key_usage)


async def _presign_validate(
    cache: _Cache, key: tuple, signer: signers.Signer, ts: TimeStamper | None, platform: Platform, key_usage: set[str]
) -> PreSignValidationStatus:
    """The validation itself, stored in ``cache`` under ``key`` (caller holds ``cache.validating``)."""
    now = time.monotonic()
    context = validation_context(platform)
    validator = CertificateValidator(
        signer.signing_cert, intermediate_certs=signer.cert_registry, validation_context=context
    )
    try:
        signer_path = await validator.async_validate_usage(key_usage)
    except (PathBuildingError, PathValidationError) as exc:
        raise SigningError("The signer's certificate could not be validated") from exc
    ts_paths = [path async for path in ts.validation_paths(context)] if ts is not None else None
    status = PreSignValidationStatus(
        signer_path=signer_path,
        validation_paths=[signer_path, *(ts_paths or ())],
        ts_validation_paths=ts_paths,
        ocsps_to_embed=context.ocsps,
        crls_to_embed=context.crls,
    )
    with cache.lock:
        for stale in [k for k, v in cache.presigned.items() if v.expires <= now]:
            del cache.presigned[stale]
        cache.presigned[key] = _Presigned(status, now + PRESIGN_VALIDATION_TTL_S)
    return status


def sign_pdf_with(
    pdf_bytes: bytes,
    signer_cert: asn1_x509.Certificate | bytes,
    signer_key: asn1_keys.PrivateKeyInfo | bytes,
    stamp: StampSpec,
    *,
    certify: bool = False,
    reason: str | None = None,
    location: str | None = None,
) -> bytes:
    """Personal signature with a platform-issued certificate (DER/PKCS#8 or parsed)."""
    platform = load_or_create_pki()
    signer = make_signer(signer_cert, signer_key, platform)
    return run_sync(
        async_sign_pdf_with(
            pdf_bytes, signer, stamp, certify=certify, reason=reason, location=location, platform=platform
        )
    )


async def async_seal_pdf(
    pdf_bytes: bytes,
    *,
    field_name: str = DEFAULT_SEAL_FIELD,
    box: Box | None = None,
    page: int = 0,
    stamp_text: str = DEFAULT_SEAL_TEXT,
    certify: bool = True,
    reason: str | None = None,
) -> bytes:
    """Seal with the platform certificate: certified, B-LTA."""
    platform = load_or_create_pki()
    return await async_sign_pdf_with(
        pdf_bytes,
        seal_signer(platform),
        StampSpec(field_name, box, page, stamp_text),
        certify=certify,
        reason=reason,
        platform=platform,
    )


def seal_pdf(
    pdf_bytes: bytes,
    *,
    field_name: str = DEFAULT_SEAL_FIELD,
    box: Box | None = None,
    page: int = 0,
    stamp_text: str = DEFAULT_SEAL_TEXT,
    certify: bool = True,
    reason: str | None = None,
) -> bytes:
    """Sync ``async_seal_pdf`` (not callable from inside a running event loop)."""
    return run_sync(
        async_seal_pdf(
            pdf_bytes, field_name=field_name, box=box, page=page, stamp_text=stamp_text, certify=certify, reason=reason
        )
    )
