"""The platform's bilingual A4 sheets (validation report, delivery evidence): header and labelled rows.

Both sheets open with the green band, a small caption in French and Arabic, the title in Arabic then
French, and rows whose French label sits on the left, the Arabic label on the right, the value between.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from mrasla_app.documents.bordereau import _band, _rule
from mrasla_app.documents.labels import fit, font_for, use_font
from mrasla_app.documents.receipt_layout import FONT_AR, FONT_LATIN, FONT_MONO
from mrasla_app.documents.receipts import GREEN, INK, MUTED, _is_arabic


def header(
    pdf: FPDF, caption_fr: str, caption_ar: str, title_ar: str, title_fr: str, notes: tuple[str, ...] = ()
) -> None:
    """Band, caption line, the title in both languages (and centred notes, one script each), then a rule."""
    w = pdf.epw
    _band(pdf)
    pdf.set_y(11)
    use_font(pdf, FONT_LATIN, 8, color=MUTED)
    pdf.cell(w / 2, 4, fit(pdf, caption_fr, w / 2))
    use_font(pdf, FONT_AR, 8.5, color=MUTED)
    pdf.cell(w / 2, 4, fit(pdf, caption_ar, w / 2), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    use_font(pdf, FONT_AR, 15, "B", GREEN)
    pdf.cell(w, 8, title_ar, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    use_font(pdf, FONT_LATIN, 13, "B", GREEN)
    pdf.cell(w, 7, title_fr, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for note in notes:
        use_font(pdf, font_for(note), 7.5, color=MUTED, sample=note)
        pdf.cell(w, 4, fit(pdf, note, w), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    _rule(pdf)


def info(
    pdf: FPDF, label_fr: str, label_ar: str, value: str, *, mono: bool = False, color=INK, style: str = ""
) -> None:
    """One labelled row: French label left, Arabic label right, the value between in its own script."""
    w, x0 = pdf.epw, pdf.l_margin
    y = pdf.get_y()
    use_font(pdf, FONT_LATIN, 8, color=MUTED)
    pdf.cell(40, 5, label_fr)
    pdf.set_xy(x0 + w - 40, y)
    use_font(pdf, FONT_AR, 8.5, color=MUTED)
    pdf.cell(40, 5, label_ar, align="R")
    pdf.set_xy(x0 + 40, y)
    use_font(pdf, FONT_MONO if mono else font_for(value), 7 if mono else 9.5, style, color, sample=value)
    pdf.cell(w - 80, 5, fit(pdf, value, w - 80), align="R" if _is_arabic(value) else "L")
    pdf.ln(5.6)
