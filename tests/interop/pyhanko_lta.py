"""pyHanko's own AdES LTA validation (ETSI EN 319 102-1), offline: only what the file embeds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.validation import ades
from pyhanko.sign.validation.policy_decl import (
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


@dataclass(frozen=True)
class LtaResult:
    indication: str       # "TOTAL_PASSED", "INDETERMINATE", "TOTAL_FAILED"
    sub_indication: str   # e.g. "OK", "HASH_FAILURE"
    report_xml: str | None = None


def validate_lta(pdf: bytes, root: asn1_x509.Certificate, with_report: bool = False,
                 index: int = 0) -> LtaResult:
    """AdES LTA validation of the file's ``index``-th signature with the root as the only anchor."""
    rule = RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build([root]),
            revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(rule, rule))),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY)))
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    sig = reader.embedded_signatures[index]
    result = asyncio.run(ades.ades_lta_validation(sig, spec))
    status = result.ades_subindic
    indication = ("TOTAL_PASSED" if isinstance(status, AdESPassed) else
                  "TOTAL_FAILED" if type(status).__name__ == "AdESFailure" else "INDETERMINATE")
    xml = None
    if with_report:
        from pyhanko.sign.validation.report.tools import generate_report

        xml = generate_report(sig, result)
    return LtaResult(indication, status.name, xml)
