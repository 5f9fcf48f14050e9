"""PAdES long-term levels: a B-T document extended to B-LT, then B-LTA, after it was signed.

ETSI EN 319 142-1 levels, as this platform produces them:

- **B-T**: the signature (B-B) carries an RFC 3161 timestamp of the platform TSA. Receipts are
  issued at this level at once (the fast one-pass writer, ``receipt_pdf``).
- **B-LT**: validation data produced *after* the signature timestamp is added in a later
  incremental update: the DSS holds the chain's certificates and one OCSP response per
  platform certificate (seal or signatory, TSA). Strict validators reject revocation data older
  than the timestamp, which is why it cannot sit inside the signed revision.
- **B-LTA**: a document timestamp (``ETSI.RFC3161``) over the whole file, DSS included, in the
  same incremental update. It keeps the signatures provable after the seal/TSA certificates
  expire or their algorithms weaken, as long as a newer document timestamp is added before the
  last one's TSA certificate expires (``archive_refresh``).

``RevinfoBatch`` holds the OCSP responses of one run: the background job extends receipts by the
hundred and every receipt of a batch shares one fresh response per certificate (its producedAt
is after every timestamp of the batch, since only receipts older than a grace period are taken).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from io import BytesIO

from asn1crypto import cms
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from mrasla_app.pki import ocsp
from mrasla_app.pki.ca import Platform, load_or_create_pki

LEVEL_B_B, LEVEL_B_T, LEVEL_B_LT, LEVEL_B_LTA = "B-B", "B-T", "B-LT", "B-LTA"
ARCHIVE_TS_FIELD = "MraslaArchiveTimestamp"
DOC_TS_BYTES_RESERVED = 8192
# ``archive_refresh`` adds a new document timestamp when the newest one's TSA certificate has
# less than this left (a year of slack for a job that runs daily).
REFRESH_MARGIN = timedelta(days=365)
_DOC_TS = "/DocTimeStamp"


class RevinfoBatch:
    """Fresh OCSP responses for the certificates of one batch of documents, each asked once."""

    def __init__(self, platform: Platform | None = None) -> None:
        self.platform = platform or load_or_create_pki()
        self._responder = ocsp.get_responder(self.platform)
        self._responses: dict[int, asn1_ocsp.OCSPResponse] = {}

    def response_for(self, cert: asn1_x509.Certificate) -> asn1_ocsp.OCSPResponse:
        serial = cert.serial_number
        response = self._responses.get(serial)
        if response is None:
            # Loaded back from DER: asn1crypto then copies it as opaque bytes into each DSS.
            response = self._responses[serial] = asn1_ocsp.OCSPResponse.load(self._responder.about([cert]).dump())
        return response


def _certificates(signed_data: cms.SignedData) -> Iterable[asn1_x509.Certificate]:
    for choice in signed_data["certificates"] or ():
        if choice.name == "certificate":
            yield choice.chosen


def _timestamp_token(sig: EmbeddedPdfSignature) -> cms.SignedData | None:
    for attr in sig.signer_info["unsigned_attrs"] or ():
        if attr["type"].native == "signature_time_stamp_token":
            return attr["values"][0]["content"]
    return None


def _is_doc_ts(sig: EmbeddedPdfSignature) -> bool:
    return sig.sig_object_type == _DOC_TS


def platform_certificates(reader: PdfFileReader, platform: Platform) -> list[asn1_x509.Certificate]:
    """Every certificate issued by the platform root that a signature or timestamp relies on,
    plus the current TSA's (it signs the document timestamp about to be added)."""
    root = platform.root_asn1
    found: dict[bytes, asn1_x509.Certificate] = {}
    for sig in reader.embedded_signatures:
        token = _timestamp_token(sig)
        for signed_data in (sig.signed_data, token) if token is not None else (sig.signed_data,):
            for cert in _certificates(signed_data):
                if cert.issuer == root.subject and cert.sha256 != root.sha256:
                    found.setdefault(cert.sha256, cert)
    found.setdefault(platform.tsa_asn1.sha256, platform.tsa_asn1)
    return list(found.values())


async def async_extend(pdf_bytes: bytes, batch: RevinfoBatch | None = None) -> bytes:
    """Add the DSS (certificates, OCSP responses produced now) and a document timestamp in one
    incremental update: the file becomes B-LTA (or gets one more archive timestamp)."""
    batch = batch or RevinfoBatch()
    platform = batch.platform
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    leaves = platform_certificates(writer.prev, platform)
    DocumentSecurityStore.supply_dss_in_writer(
        writer,
        None,
        certs=[*leaves, platform.ocsp_asn1, platform.root_asn1],
        ocsps=[batch.response_for(cert) for cert in leaves],
        embed_roots=True,
    )
    count = sum(1 for sig in writer.prev.embedded_signatures if _is_doc_ts(sig))
    from mrasla_app.pki.signing import timestamper  # local: signing imports this module

    out = BytesIO()
    await PdfTimeStamper(timestamper(platform), field_name=f"{ARCHIVE_TS_FIELD}{count + 1}").async_timestamp_pdf(
        writer, "sha256", bytes_reserved=DOC_TS_BYTES_RESERVED, output=out
    )
    return out.getvalue()


def extend(pdf_bytes: bytes, batch: RevinfoBatch | None = None) -> bytes:
    """Sync ``async_extend`` (not from inside a running event loop)."""
    from mrasla_app.pki.signing import run_sync

    return run_sync(async_extend(pdf_bytes, batch))


def _revinfo_count(root) -> int:
    dss = root.get("/DSS")
    if dss is None:
        return 0
    dss = dss.get_object()
    return sum(len(dss.get(key, ())) for key in ("/OCSPs", "/CRLs"))


@dataclass(frozen=True)
class LevelInfo:
    """What ``level_info`` reads from a file's structure (no cryptographic check)."""

    level: str  # "" when the file has no signature
    last_timestamp_at: datetime | None  # newest document timestamp's time
    last_tsa_expires: datetime | None  # its TSA certificate's notAfter


def level_info(pdf_bytes: bytes) -> LevelInfo:
    """The PAdES level the file claims, from its structure alone.

    B-B: a signature without timestamp; B-T: every signature timestamped; B-LT: revocation data
    added to the DSS in a revision after the last signature; B-LTA: then a document timestamp
    that is the file's last signature. Whether each piece is valid is ``validation``'s job.
    """
    reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
    embedded = list(reader.embedded_signatures)
    sigs = [s for s in embedded if not _is_doc_ts(s)]
    doc_ts = [s for s in embedded if _is_doc_ts(s)]
    last_at = last_expires = None
    if doc_ts:
        newest = max(doc_ts, key=lambda s: s.signed_revision)
        info = newest.signed_data["encap_content_info"]["content"].parsed
        last_at = info["gen_time"].native
        sid = newest.signer_info["sid"]
        if sid.name == "issuer_and_serial_number":
            serial = sid.chosen["serial_number"].native
            tsa = next((c for c in _certificates(newest.signed_data) if c.serial_number == serial), None)
        else:  # subject key identifier
            tsa = next((c for c in _certificates(newest.signed_data) if c.key_identifier == sid.chosen.native), None)
        last_expires = tsa["tbs_certificate"]["validity"]["not_after"].native if tsa else None
    if not sigs:
        return LevelInfo("", last_at, last_expires)
    if any(_timestamp_token(s) is None for s in sigs):
        return LevelInfo(LEVEL_B_B, last_at, last_expires)
    last = max(s.signed_revision for s in sigs)
    added = _revinfo_count(reader.root) > _revinfo_count(reader.get_historical_root(last))
    if not added:
        return LevelInfo(LEVEL_B_T, last_at, last_expires)
    if embedded and _is_doc_ts(max(embedded, key=lambda s: s.signed_revision)):
        return LevelInfo(LEVEL_B_LTA, last_at, last_expires)
    return LevelInfo(LEVEL_B_LT, last_at, last_expires)


def signature_level(pdf_bytes: bytes) -> str:
    """``level_info(...).level``, "" for an unreadable or unsigned file."""
    try:
        return level_info(pdf_bytes).level
    except Exception:  # noqa: BLE001 - hostile uploads: a level is informative only
        return ""


def needs_archive_timestamp(pdf_bytes: bytes, now: datetime | None = None, margin: timedelta = REFRESH_MARGIN) -> bool:
    """Whether ``archive_refresh`` should add a document timestamp: the file is B-LTA and its
    newest timestamp's TSA certificate expires within ``margin`` (or cannot be read)."""
    info = level_info(pdf_bytes)
    if info.level != LEVEL_B_LTA:
        return False
    now = now or datetime.now(timezone.utc)
    return info.last_tsa_expires is None or info.last_tsa_expires - now < margin
