"""The certificate of destruction (certificat d'élimination / شهادة الإتلاف): a bilingual PDF that
lists each destroyed letter and the SHA-256 of each of its files, sealed by the platform like the
receipts (PAdES, certified), so anyone can later prove what was destroyed, when and by whom.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fpdf.enums import XPos, YPos

from mrasla_app.documents.bordereau import _band, _rule, local
from mrasla_app.documents.labels import fit, font_for, use_font
from mrasla_app.documents.receipt_layout import FONT_AR, FONT_LATIN, FONT_MONO, new_document
from mrasla_app.documents.receipts import GREEN, INK, MUTED, _is_arabic
from mrasla_app.models import Administration
from mrasla_app.pki.signing import seal_pdf


@dataclass(frozen=True)
class CertificateLine:
    registry_number: str
    subject: str
    document_type: str
    files: tuple[tuple[str, str], ...]  # (file name, SHA-256)


def _render(
    reference: str, adm: Administration, archivist: str, at: datetime, lines: Sequence[CertificateLine]
) -> bytes:
    pdf = new_document(title=f"Certificat de destruction {reference}")
    pdf.set_auto_page_break(True, margin=40)
    pdf.add_page()
    w = pdf.epw
    _band(pdf)
    pdf.set_y(11)
    use_font(pdf, FONT_LATIN, 8, color=MUTED)
    pdf.cell(w / 2, 4, fit(pdf, adm.name_fr, w / 2))
    use_font(pdf, FONT_AR, 8.5, color=MUTED)
    pdf.cell(w / 2, 4, fit(pdf, adm.name_ar, w / 2), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    use_font(pdf, FONT_AR, 15, "B", GREEN)
    pdf.cell(w, 8, "شهادة إتلاف الوثائق", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    use_font(pdf, FONT_LATIN, 13, "B", GREEN)
    pdf.cell(w, 7, "Certificat de destruction", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _rule(pdf)
    use_font(pdf, FONT_LATIN, 9, color=INK)
    g = local(at)
    for label, value in (
        ("Référence / المرجع", reference),
        ("Date / التاريخ", f"{g:%d/%m/%Y %H:%M}"),
        ("Archiviste / المسؤول عن الأرشيف", archivist),
        ("Lettres / الرسائل", str(len(lines))),
    ):
        use_font(pdf, font_for(label), 8.5, color=MUTED, sample=label)
        pdf.cell(60, 5, label)
        use_font(pdf, FONT_LATIN, 9.5, "B", INK)
        pdf.cell(w - 60, 5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    _rule(pdf)
    for line in lines:
        if pdf.will_page_break(14 + 4 * len(line.files)):
            pdf.add_page()
        use_font(pdf, FONT_LATIN, 10, "B", INK)
        pdf.cell(55, 5.5, line.registry_number)
        text = f"{line.subject} · {line.document_type}" if line.document_type else line.subject
        use_font(pdf, font_for(text), 9, color=INK, sample=text)
        pdf.cell(
            w - 55,
            5.5,
            fit(pdf, text, w - 55),
            align="R" if _is_arabic(text) else "L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        for name, sha in line.files:
            use_font(pdf, FONT_MONO, 6.5, color=MUTED)
            pdf.cell(w, 3.8, fit(pdf, f"  {sha}  {name}", w), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)
    pdf.ln(2)
    use_font(pdf, FONT_LATIN, 7.5, color=MUTED)
    pdf.multi_cell(
        w,
        3.6,
        "Les documents ci-dessus ont été détruits au terme de leur durée de conservation. "
        "Les empreintes SHA-256 permettent d'identifier chaque fichier détruit. Ce certificat est scellé "
        "par la plateforme et inscrit dans le journal d'audit chaîné.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    use_font(pdf, FONT_AR, 8, color=MUTED)
    pdf.multi_cell(
        w,
        4,
        "أُتلفت الوثائق المذكورة أعلاه عند انتهاء مدة حفظها، وتُعرّف البصمات كل ملف متلف. "
        "هذه الشهادة مختومة من طرف المنصة ومقيدة في سجل التدقيق.",
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    return bytes(pdf.output())


def render_certificate(
    reference: str, adm: Administration, archivist: str, at: datetime, lines: Sequence[CertificateLine]
) -> bytes:
    """The sealed certificate (platform seal, certified: any later edit breaks it)."""
    return seal_pdf(_render(reference, adm, archivist, at, lines), reason=f"Certificat de destruction {reference}")
