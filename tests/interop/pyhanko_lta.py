"""pyHanko's own AdES LTA validation (ETSI EN 319 102-1), offline: only what the file embeds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import ades

from mrasla_app.pki.etsi import indication_of, lta_spec


@dataclass(frozen=True)
class LtaResult:
    indication: str  # "TOTAL_PASSED", "INDETERMINATE", "TOTAL_FAILED"
    sub_indication: str  # e.g. "OK", "HASH_FAILURE"


def validate_lta(pdf: bytes, root: asn1_x509.Certificate, index: int = 0) -> LtaResult:
    """AdES LTA validation of the file's ``index``-th signature with the root as the only anchor
    and nothing known beyond what the file embeds."""
    sig = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures[index]
    status = asyncio.run(ades.ades_lta_validation(sig, lta_spec(root))).ades_subindic
    return LtaResult(indication_of(status), status.name)
