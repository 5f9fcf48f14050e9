"""ETSI EN 319 102-1 validation (pyHanko's AdES LTA algorithm) and its TS 119 102-2 XML report.

``validation.validate_pdf`` answers "is this authentic?" for people; this module gives the
standard answer machines exchange: per signature a main indication (TOTAL-PASSED /
INDETERMINATE / TOTAL-FAILED) with its sub-indication, judged with the past-signature-validation
and long-term rules (signature time proven by timestamps, revocation data, document timestamps).
Trust anchor the platform root; revocation data from the file (DSS), the platform's current CRL
and fresh answers of its own OCSP responder (in-process); nothing fetched from the network.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESPassed
from pyhanko.sign.validation import ades
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer

from mrasla_app.pki import ltv
from mrasla_app.pki.ca import Platform, load_or_create_pki

log = logging.getLogger(__name__)

PASSED, INDETERMINATE, FAILED = "TOTAL_PASSED", "INDETERMINATE", "TOTAL_FAILED"


@dataclass(frozen=True)
class SignatureIndication:
    field_name: str
    indication: str  # PASSED, INDETERMINATE or FAILED
    sub_indication: str  # e.g. OK, HASH_FAILURE, NO_POE


@dataclass(frozen=True)
class EtsiReport:
    indications: list[SignatureIndication]
    xml: str  # ETSI TS 119 102-2 ValidationReport

    @property
    def passed(self) -> bool:
        return bool(self.indications) and all(i.indication == PASSED for i in self.indications)


def lta_spec(
    root: asn1_x509.Certificate,
    crls: list[asn1_crl.CertificateList] | None = None,
    ocsps: list[asn1_ocsp.OCSPResponse] | None = None,
) -> PdfSignatureValidationSpec:
    """Root as the only anchor, revocation data required for every certificate, nothing
    fetched; ``crls`` and ``ocsps`` are known besides what the file embeds."""
    rule = RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build([root]),
                revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(rule, rule)),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
            local_knowledge=LocalKnowledge(
                known_crls=[CRLContainer(crl) for crl in crls or ()],
                known_ocsps=[OCSPContainer(r) for r in ocsps or ()],
            ),
        )
    )


def indication_of(status) -> str:
    return PASSED if isinstance(status, AdESPassed) else (FAILED if isinstance(status, AdESFailure) else INDETERMINATE)


async def _validate(pdf_bytes: bytes, platform: Platform) -> EtsiReport:
    from pyhanko.generated.etsi import ts_11910202
    from pyhanko.sign.validation.report import tools
    from xsdata.formats.dataclass.serializers import XmlSerializer
    from xsdata.formats.dataclass.serializers.config import SerializerConfig

    from mrasla_app.pki.signing import parsed_crl

    reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
    # What an online validator would get from the platform's responder now: the status of every
    # platform certificate the file relies on (a file as issued, B-T, embeds none).
    batch = ltv.RevinfoBatch(platform)
    ocsps = [batch.response_for(cert) for cert in ltv.platform_certificates(reader, platform)]
    spec = lta_spec(platform.root_asn1, [parsed_crl(platform)], ocsps)
    indications, reports = [], []
    objects: dict = {}  # identifier → pyHanko ValidationObject
    for sig in reader.embedded_signatures:
        if sig.sig_object_type == "/DocTimeStamp":
            continue  # judged inside the LTA validation of each signature
        result = await ades.ades_lta_validation(sig, spec)
        status = result.ades_subindic
        indications.append(SignatureIndication(sig.field_name, indication_of(status), status.name))  # type: ignore[attr-defined]  # a union of enums
        # pyHanko's public ``generate_report`` covers one signature; its building blocks give
        # one report for the whole file (pinned pyHanko 0.38).
        reports.append(tools._generate_report(sig, result))
        for vo in result.validation_objects:
            objects.setdefault(tools.derive_validation_object_identifier(vo) or id(vo), vo)
    report = ts_11910202.ValidationReport(
        signature_validation_report=tuple(reports),
        signature_validation_objects=ts_11910202.ValidationObjectListType(
            tuple(tools._package_validation_object(vo) for vo in objects.values())
        ),
    )
    xml = XmlSerializer(config=SerializerConfig(indent="  ")).render(report, ns_map=tools.NAMESPACES)
    return EtsiReport(indications, xml)


def etsi_report(pdf_bytes: bytes, platform: Platform | None = None) -> EtsiReport:
    """Validate every signature of the file (ETSI EN 319 102-1 LTA) and report (TS 119 102-2)."""
    platform = platform or load_or_create_pki()
    from mrasla_app.pki.signing import run_sync

    return run_sync(_validate(pdf_bytes, platform))
