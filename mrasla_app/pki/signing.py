"""PAdES signing: the platform seal on receipts and, later, signatories' personal signatures.

Every signature goes through ``async_sign_pdf_with``: PAdES subfilter (ETSI.CAdES.detached),
SHA-256, an RFC 3161 timestamp from the in-process TSA (B-T), validation data embedded from the
offline platform CRL (B-LT), an optional visible text stamp and optional DocMDP certification.
Signers, the timestamper and the parsed CRL are built once per process because rebuilding them
dominates signing time (see ``/work/shared/notes/pyhanko-offline.md``).

The sync wrappers use ``asyncio.run``: call them from worker threads or plain scripts; from a
running event loop, await the ``async_*`` variants instead.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import text
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from mrasla_app.pki.ca import Platform, key_to_asn1, load_or_create_pki
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


@dataclass(frozen=True)
class StampSpec:
    """Where and how a visible signature appears; ``box`` is (x1, y1, x2, y2) in PDF points."""

    field_name: str
    box: Box | None = None
    page: int = 0
    stamp_text: str = DEFAULT_SEAL_TEXT


class _Cache:
    """Per-process objects reused between signatures (signers, timestamper, stamp styles)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.signers: dict[tuple[int, bytes], signers.SimpleSigner] = {}
        self.timestampers: dict[int, InProcessTimeStamper] = {}
        self.crls: dict[bytes, asn1_crl.CertificateList] = {}
        self.styles: dict[str, TextStampStyle] = {}


_CACHE = _Cache()
_DSS_SETTINGS = DSSContentSettings(
    placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False)


def clear_cache() -> None:
    global _CACHE
    _CACHE = _Cache()
_DSS_SETTINGS = DSSContentSettings(
    placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False)


class _ReparsedSigner(signers.SimpleSigner):
    """``SimpleSigner`` whose attribute sets are re-loaded from DER before packaging.

    asn1crypto deep-copies parsed values when they are re-tagged into the SignerInfo; a value
    freshly loaded from bytes is copied as opaque bytes. Same output, ~1.7 ms less per signature.
    """

    async def signed_attrs(self, *args, **kwargs):  # type: ignore[override]
        attrs = await super().signed_attrs(*args, **kwargs)
        return cms.CMSAttributes.load(attrs.dump())

    async def unsigned_attrs(self, *args, **kwargs):  # type: ignore[override]
        attrs = await super().unsigned_attrs(*args, **kwargs)
        return None if attrs is None else cms.CMSAttributes.load(attrs.dump())


def make_signer(cert: asn1_x509.Certificate | bytes, key: asn1_keys.PrivateKeyInfo | bytes,
                platform: Platform | None = None) -> signers.SimpleSigner:
    """A pyHanko signer for a certificate issued by the platform root (chain included)."""
    platform = platform or load_or_create_pki()
    cert = cert if isinstance(cert, asn1_x509.Certificate) else asn1_x509.Certificate.load(cert)
    key = key if isinstance(key, asn1_keys.PrivateKeyInfo) else asn1_keys.PrivateKeyInfo.load(key)
    return _ReparsedSigner(
        signing_cert=cert, signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([platform.root_asn1]))


def seal_signer(platform: Platform | None = None) -> signers.SimpleSigner:
    """The platform seal's signer, parsed once per process."""
    platform = platform or load_or_create_pki()
    cache_key = (id(platform), platform.seal_asn1.sha256)
    with _CACHE.lock:
        signer = _CACHE.signers.get(cache_key)
    if signer is None:
        signer = make_signer(platform.seal_asn1, key_to_asn1(platform.seal_key), platform)
        with _CACHE.lock:
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
            parsed = _CACHE.crls[der] = asn1_crl.CertificateList.load(der)
        return parsed


def validation_context(platform: Platform | None = None) -> ValidationContext:
    """Offline validation context: platform root as the only trust anchor, platform CRL.

    Built per call (cheap once certificates and CRL are parsed) because a context freezes its
    validation time at construction and accumulates certificates from the files it sees.
    """
    platform = platform or load_or_create_pki()
    return ValidationContext(trust_roots=[platform.root_asn1], crls=[parsed_crl(platform)],
                             allow_fetching=False, revocation_mode="hard-fail")


def _stamp_style(stamp_text: str) -> TextStampStyle:
    """Text stamp in the standard Courier font (WinAnsi: French accents, no Arabic).

    An embedded OpenType font would look nicer but pyHanko subsets it with fontTools on every
    signature (~100 ms, 4x the whole receipt budget); Courier costs nothing.
    """
    with _CACHE.lock:
        style = _CACHE.styles.get(stamp_text)
        if style is None:
            style = _CACHE.styles[stamp_text] = TextStampStyle(
                stamp_text=stamp_text, border_width=1, timestamp_format="%Y-%m-%d %H:%M:%S UTC",
                text_box_style=text.TextBoxStyle(font_size=7, leading=9))
        return style


async def async_sign_pdf_with(pdf_bytes: bytes, signer: signers.Signer, stamp: StampSpec, *,
                              certify: bool = False, reason: str | None = None,
                              location: str | None = None,
                              platform: Platform | None = None) -> bytes:
    """Append one PAdES B-LT signature (timestamped, validation data embedded) to the PDF.

    ``certify`` adds DocMDP with FILL_FORMS so later approval signatures stay allowed.
    With ``stamp.box`` set, a visible field is created on ``stamp.page``; otherwise the
    signature is invisible (or fills an existing field named ``stamp.field_name``).
    """
    platform = platform or load_or_create_pki()
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    if stamp.box is not None:
        fields.append_signature_field(writer, fields.SigFieldSpec(
            stamp.field_name, on_page=stamp.page, box=stamp.box))
    meta = signers.PdfSignatureMetadata(
        field_name=stamp.field_name, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, certify=certify,
        docmdp_permissions=MDPPerm.FILL_FORMS, reason=reason, location=location,
        embed_validation_info=True, validation_context=validation_context(platform),
        # DSS in the signature's own revision: B-LT in one revision, so the signature covers
        # the whole file (what pdfsig reports as "Total document signed").
        dss_settings=_DSS_SETTINGS)
    pdf_signer = signers.PdfSigner(
        meta, signer=signer, timestamper=timestamper(platform),
        stamp_style=_stamp_style(stamp.stamp_text) if stamp.box is not None else None)
    out = BytesIO()
    await pdf_signer.async_sign_pdf(writer, bytes_reserved=CMS_BYTES_RESERVED, output=out)
    return out.getvalue()


def sign_pdf_with(pdf_bytes: bytes, signer_cert: asn1_x509.Certificate | bytes,
                  signer_key: asn1_keys.PrivateKeyInfo | bytes, stamp: StampSpec, *,
                  certify: bool = False, reason: str | None = None,
                  location: str | None = None) -> bytes:
    """Personal signature with a platform-issued certificate (DER/PKCS#8 or parsed)."""
    platform = load_or_create_pki()
    signer = make_signer(signer_cert, signer_key, platform)
    return asyncio.run(async_sign_pdf_with(pdf_bytes, signer, stamp, certify=certify,
                                           reason=reason, location=location, platform=platform))


async def async_seal_pdf(pdf_bytes: bytes, *, field_name: str = DEFAULT_SEAL_FIELD,
                         box: Box | None = None, page: int = 0,
                         stamp_text: str = DEFAULT_SEAL_TEXT, certify: bool = True,
                         reason: str | None = None) -> bytes:
    """Seal with the platform certificate (receipts): certified, timestamped, B-LT."""
    platform = load_or_create_pki()
    return await async_sign_pdf_with(
        pdf_bytes, seal_signer(platform), StampSpec(field_name, box, page, stamp_text),
        certify=certify, reason=reason, platform=platform)


def seal_pdf(pdf_bytes: bytes, *, field_name: str = DEFAULT_SEAL_FIELD, box: Box | None = None,
             page: int = 0, stamp_text: str = DEFAULT_SEAL_TEXT, certify: bool = True,
             reason: str | None = None) -> bytes:
    """Sync ``async_seal_pdf`` (not callable from inside a running event loop)."""
    return asyncio.run(async_seal_pdf(pdf_bytes, field_name=field_name, box=box, page=page,
                                      stamp_text=stamp_text, certify=certify, reason=reason))
