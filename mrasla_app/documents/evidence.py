"""The delivery evidence PDF (preuve d'envoi et de remise / إثبات الإرسال والتسليم): bilingual, A4.

Lists the letter, each document with its SHA-256, and every event of its delivery trail (sent,
delivered, acknowledged, retrieved: when, by whom, which document). The service seals it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fpdf.enums import XPos, YPos

from mrasla_app.documents import sheet
from mrasla_app.documents.bordereau import local
from mrasla_app.documents.labels import fit, font_for, use_font
from mrasla_app.documents.receipt_layout import FONT_AR, FONT_LATIN, FONT_MONO, new_document
from mrasla_app.documents.receipts import FILL, MUTED, _is_arabic

#: (French, Arabic) names of the trail's events.
EVENT_LABELS = {
    "sent": ("Envoi", "الإرسال"),
    "delivered": ("Remise (enregistrement à l'arrivée)", "التسليم (التسجيل عند الوصول)"),
    "acknowledged": ("Accusé de réception scellé", "إشعار بالتوصل مختوم"),
    "retrieved": ("Consultation par le destinataire", "اطلاع المرسل إليه"),
}


@dataclass(frozen=True)
class EvidenceDocument:
    filename: str
    pages: int
    sha256: str


@dataclass(frozen=True)
class EvidenceEvent:
    kind: str  # one of EVENT_LABELS
    at: datetime
    who: str
    detail: str
    sha256: str = ""  # the document the event is about (a retrieval)


def render_evidence(
    number: str,
    administration: tuple[str, str],
    subject: str,
    recipient: str,
    documents: list[EvidenceDocument],
    events: list[EvidenceEvent],
    generated_at: datetime,
) -> bytes:
    """The unsigned evidence PDF (the caller seals it)."""
    pdf = new_document(title=f"Preuve d'envoi et de remise — {number}")
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    w, x0 = pdf.epw, pdf.l_margin
    sheet.header(
        pdf,
        f"Mrasla · {administration[0]}",
        f"مراسلة · {administration[1]}",
        "إثبات الإرسال والتسليم الإلكتروني",
        "Preuve d'envoi et de remise électronique",
        notes=("القانون رقم 43.20 المتعلق بخدمات الثقة", "Loi n° 43-20 relative aux services de confiance"),
    )

    def info(label_fr: str, label_ar: str, value: str) -> None:
        sheet.info(pdf, label_fr, label_ar, value)

    info("Référence", "المرجع", number)
    info("Objet", "الموضوع", subject)
    info("Destinataire", "المرسل إليه", recipient or "—")
    info("Édité le", "حرر بتاريخ", f"{local(generated_at):%d/%m/%Y %H:%M} (heure du Maroc / بتوقيت المغرب)")
    pdf.ln(2)
    _section(pdf, f"Documents ({len(documents)})", f"الوثائق ({len(documents)})")
    for d in documents:
        use_font(pdf, font_for(d.filename), 9, "B", sample=d.filename)
        pdf.cell(w, 5, fit(pdf, f"{d.filename} · {d.pages} p.", w), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        use_font(pdf, FONT_MONO, 7.2, color=MUTED)
        pdf.cell(w, 4, f"SHA-256 {d.sha256}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    pdf.ln(2)
    _section(pdf, "Déroulement", "المراحل")
    for e in events:
        fr, ar = EVENT_LABELS.get(e.kind, (e.kind, e.kind))
        if pdf.will_page_break(16):
            pdf.add_page()
        y = pdf.get_y()
        use_font(pdf, FONT_LATIN, 9, "B")
        pdf.cell(w / 2, 5, f"{local(e.at):%d/%m/%Y %H:%M:%S} · {fr}")
        use_font(pdf, FONT_AR, 9.5, "B")
        pdf.set_xy(x0 + w / 2, y)
        pdf.cell(w / 2, 5, ar, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for line in (e.who, e.detail):
            if line:
                use_font(pdf, font_for(line), 8.5, color=MUTED, sample=line)
                pdf.cell(
                    w,
                    4.4,
                    fit(pdf, line, w),
                    align="R" if _is_arabic(line) else "L",
                    new_x=XPos.LMARGIN,
                    new_y=YPos.NEXT,
                )
        if e.sha256:
            use_font(pdf, FONT_MONO, 7.2, color=MUTED)
            pdf.cell(w, 4, f"SHA-256 {e.sha256}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)
    pdf.ln(2)
    use_font(pdf, FONT_LATIN, 7, color=MUTED)
    pdf.multi_cell(
        w,
        3.4,
        "Document scellé par la plateforme (PAdES B-LTA), vérifiable par tous sur /verify. "
        "Les événements sont ceux de la piste d'audit chaînée de l'administration.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    return bytes(pdf.output())


def _section(pdf, fr: str, ar: str) -> None:
    w, x0 = pdf.epw, pdf.l_margin
    y = pdf.get_y()
    pdf.set_fill_color(*FILL)
    pdf.rect(x0, y, w, 7, style="F")
    pdf.set_xy(x0 + 2, y + 1)
    use_font(pdf, FONT_LATIN, 9.5, "B")
    pdf.cell(w / 2 - 2, 5, fr)
    use_font(pdf, FONT_AR, 10, "B")
    pdf.cell(w / 2 - 2, 5, ar, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(y + 9)
