"""A printable PDF validation report (rapport de validation / تقرير التحقق) of an uploaded PDF.

People who cannot read the ETSI XML report still need something to file or print: this one
page (or more) lists, for every signature and document timestamp, the signer, the time, the
ETSI EN 319 102-1 indication (the very same ``etsi.etsi_report`` judgement as the XML report),
the file's PAdES level and whether the document changed after signing. Drawn with the receipt
toolkit (bundled fonts, HarfBuzz shaping for Arabic) like the parapheur's bordereau.

Document timestamps are judged by ETSI inside the LTA validation of each signature and get no
indication of their own there; their line shows TOTAL-PASSED when the timestamp is intact, valid
and from the trusted authority, TOTAL-FAILED otherwise (the same checks ``validate_pdf`` makes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fpdf.enums import XPos, YPos

from mrasla_app.documents import sheet
from mrasla_app.documents.bordereau import local
from mrasla_app.documents.labels import fit, font_for, use_font
from mrasla_app.documents.receipt_layout import FONT_AR, FONT_LATIN, new_document
from mrasla_app.documents.receipts import FILL, GREEN, INK, MUTED, RED, _is_arabic
from mrasla_app.i18n import translate
from mrasla_app.pki.etsi import FAILED, INDETERMINATE, PASSED
from mrasla_app.pki.validation import SignatureReport, ValidationReport

AMBER = (176, 110, 0)
_COLORS = {PASSED: GREEN, INDETERMINATE: AMBER, FAILED: RED}


def shown(indication: str) -> str:
    """``TOTAL_PASSED`` as the standard writes it in prose: ``TOTAL-PASSED``."""
    return indication.replace("_", "-")


@dataclass(frozen=True)
class ReportLine:
    """One signature or document timestamp of the report."""

    kind: str  # "signature" | "document_timestamp"
    field_name: str
    signer: str
    at: datetime | None
    indication: str  # PASSED / INDETERMINATE / FAILED (``pki.etsi``)
    sub_indication: str
    modified_after_signing: bool


def report_lines(report: ValidationReport, indications: dict[str, tuple[str, str]]) -> list[ReportLine]:
    """The lines of the report: ETSI indications by field name for signatures (see module doc
    for document timestamps); a signature ETSI could not judge is INDETERMINATE."""
    lines = []
    for sig in [*report.signatures, *report.document_timestamps]:
        if sig.kind == "document_timestamp":
            ok = sig.intact and sig.valid and sig.trusted and not sig.modified_after_signing
            indication, sub = (PASSED, "OK") if ok else (FAILED, sig.error or "")
        else:
            indication, sub = indications.get(sig.field_name, (INDETERMINATE, ""))
        lines.append(
            ReportLine(
                sig.kind, sig.field_name, _signer(sig), sig.signing_time, indication, sub, sig.modified_after_signing
            )
        )
    return lines


def _signer(sig: SignatureReport) -> str:
    return ", ".join(p for p in (sig.signer_common_name, sig.signer_organization) if p) or "—"


def render_validation_report(
    file_name: str, sha256: str, report: ValidationReport, lines: list[ReportLine], generated_at: datetime
) -> bytes:
    """The bilingual (French / Arabic) A4 validation report."""
    pdf = new_document(title="Rapport de validation")
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    w, x0 = pdf.epw, pdf.l_margin
    sheet.header(
        pdf,
        "Mrasla · Vérification de signatures",
        "مراسلة · التحقق من التوقيعات",
        "تقرير التحقق من التوقيعات",
        "Rapport de validation des signatures",
    )

    def info(label_fr: str, label_ar: str, value: str, mono: bool = False, color=INK, style: str = "") -> None:
        sheet.info(pdf, label_fr, label_ar, value, mono=mono, color=color, style=style)

    g = local(generated_at)
    info("Fichier", "الملف", file_name)
    info("Empreinte SHA-256", "البصمة", sha256, mono=True)
    info("Niveau PAdES", "مستوى PAdES", f"PAdES {report.level}" if report.level else "—")
    verdict_fr = "Authentique" if report.authentic else "Non authentique"
    verdict_ar = "أصلية" if report.authentic else "غير أصلية"
    info("Verdict", "النتيجة", f"{verdict_fr} · {verdict_ar}", color=GREEN if report.authentic else RED, style="B")
    if report.reason:
        for lang in ("fr", "ar"):
            text = translate(f"verify.reason.{report.reason}", lang)
            pdf.set_x(x0 + 40)
            use_font(pdf, font_for(text), 8.5, color=RED, sample=text)
            pdf.cell(
                w - 80,
                4.6,
                fit(pdf, text, w - 80),
                align="R" if _is_arabic(text) else "L",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
    info("Édité le", "حرر بتاريخ", f"{g:%d/%m/%Y %H:%M} (heure du Maroc / بتوقيت المغرب)")
    pdf.ln(3)
    if not lines:
        use_font(pdf, FONT_LATIN, 9, color=MUTED, sample="ء")
        pdf.cell(w, 6, "Aucune signature — لا يوجد أي توقيع", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for i, line in enumerate(lines, start=1):
        _line(pdf, i, line)
    pdf.ln(2)
    use_font(pdf, FONT_LATIN, 7, color=MUTED)
    pdf.multi_cell(
        w,
        3.4,
        "Indications selon ETSI EN 319 102-1 (validation à long terme, ancre de confiance : "
        "la racine de la plateforme). Rapport XML ETSI TS 119 102-2 : POST /api/v1/verify/pdf/etsi.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    return bytes(pdf.output())


def _line(pdf, number: int, line: ReportLine) -> None:
    """One signature's block: header band with its indication, then its facts."""
    w, x0 = pdf.epw, pdf.l_margin
    if pdf.will_page_break(30):
        pdf.add_page()
    y = pdf.get_y()
    pdf.set_fill_color(*FILL)
    pdf.rect(x0, y, w, 7, style="F")
    pdf.set_xy(x0 + 2, y + 1)
    stamp = line.kind == "document_timestamp"
    use_font(pdf, FONT_LATIN, 9, "B")
    pdf.cell(w / 2 - 2, 5, f"{number}. {'Horodatage du document' if stamp else 'Signature'} ({line.field_name})")
    use_font(pdf, FONT_LATIN, 9, "B", _COLORS.get(line.indication, INK))
    label = shown(line.indication) + (f" / {line.sub_indication}" if line.sub_indication else "")
    pdf.cell(w / 2 - 2, 5, fit(pdf, label, w / 2 - 2), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(y + 8)
    y = pdf.get_y()

    def fact(label_fr: str, label_ar: str, value: str, color=INK) -> None:
        nonlocal y
        use_font(pdf, FONT_LATIN, 8, color=MUTED)
        pdf.set_xy(x0 + 2, y)
        pdf.cell(44, 4.8, label_fr)
        use_font(pdf, FONT_AR, 8.5, color=MUTED)
        pdf.set_xy(x0 + w - 44, y)
        pdf.cell(42, 4.8, label_ar, align="R")
        use_font(pdf, font_for(value), 9, color=color, sample=value)
        pdf.set_xy(x0 + 46, y)
        pdf.cell(w - 92, 4.8, fit(pdf, value, w - 92), align="R" if _is_arabic(value) else "L")
        y += 5.2

    fact("Autorité d'horodatage" if stamp else "Signataire", "جهة الختم الزمني" if stamp else "الموقّع", line.signer)
    fact("Date (Maroc)", "التاريخ", f"{local(line.at):%d/%m/%Y %H:%M:%S}" if line.at else "—")
    fact(
        "Modifié après signature",
        "تغيير بعد التوقيع",
        "Oui · نعم" if line.modified_after_signing else "Non · لا",
        RED if line.modified_after_signing else GREEN,
    )
    pdf.set_y(y + 2)
