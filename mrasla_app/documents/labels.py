"""The registry label (étiquette / ملصق الضبط) stuck on the paper original of registered mail.

A 100 × 50 mm bilingual label: the registry number in large type, the registration date and
time (Africa/Casablanca), the administration, the subject, and a QR code to the public
verification page — so the paper letter carries its number and can be traced back to its scan.
``sheet="a4"`` prints the same label at the top of an A4 page (printers without label stock)
with a dashed cutting frame.

Built with the receipt toolkit (``receipt_layout``: bundled fonts, HarfBuzz shaping for Arabic,
vector QR codes). The small text helpers here (``use_font``, ``fit``) are shared with the
register exports (``services/correspondence/exports.py``).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from mrasla_app.documents.receipt_layout import FONT_AR, FONT_LATIN, FONT_MONO, draw_qr, new_document
from mrasla_app.documents.receipts import _ARABIC_RE, GREEN, INK, MUTED, RED, RULE, _is_arabic
from mrasla_app.settings import TIMEZONE

LABEL_W, LABEL_H = 100.0, 50.0
A4 = (210.0, 297.0)


def use_font(pdf: FPDF, family: str, size: float, style: str = "", color=INK, sample: str = "") -> None:
    """Select font and colour; HarfBuzz shaping only where Arabic may appear (as the receipt does)."""
    pdf.set_font(family, style, size)
    pdf.set_text_color(*color)
    if family == FONT_AR:
        pdf.set_text_shaping(True, direction="rtl")
    elif _ARABIC_RE.search(sample):
        pdf.set_text_shaping(True, direction="ltr")
    else:
        pdf.set_text_shaping(False)


def font_for(text: str) -> str:
    """Arabic font for mostly-Arabic text, the Latin one (with Arabic fallback) otherwise."""
    return FONT_AR if _is_arabic(text) else FONT_LATIN


def fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` shortened with an ellipsis so that it fits ``width`` mm in the current font."""
    text = " ".join((text or "").split())
    if pdf.get_string_width(text) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if pdf.get_string_width(text[:mid].rstrip() + "…") <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def _largest_size(pdf: FPDF, family: str, style: str, text: str, width: float, start: float, floor: float) -> float:
    size = start
    while size > floor:
        pdf.set_font(family, style, size)
        if pdf.get_string_width(text) <= width:
            break
        size -= 0.5
    return size


def _draw_label(
    pdf: FPDF,
    ox: float,
    oy: float,
    number: str,
    administration_ar: str,
    administration_fr: str,
    registered_at: datetime,
    subject: str,
    verify_url: str,
) -> None:
    local = registered_at.astimezone(ZoneInfo(TIMEZONE))
    w = LABEL_W
    # Top band (national colours, as on the receipt).
    pdf.set_fill_color(*GREEN)
    pdf.rect(ox, oy, w, 3.2, style="F")
    pdf.set_fill_color(*RED)
    pdf.rect(ox, oy + 3.2, w, 0.5, style="F")

    # Left: the QR code and what it is for.
    qr = 32.0
    draw_qr(pdf, verify_url, ox + 2.5, oy + 5.5, qr)
    pdf.set_xy(ox + 2.5, oy + 5.5 + qr + 0.3)
    use_font(pdf, FONT_LATIN, 5.6, color=MUTED, sample="ء")
    pdf.cell(qr, 3, "Vérifier · تحقق", align="C")
    pdf.set_xy(ox + 2.5, oy + 5.5 + qr + 3.4)
    use_font(pdf, FONT_LATIN, 5.6, color=MUTED)
    pdf.cell(qr, 3, "Mrasla", align="C")

    # Right column.
    x, cw = ox + 37.0, w - 37.0 - 2.5
    pdf.set_xy(x, oy + 4.6)
    use_font(pdf, FONT_AR, 7.5, "B")  # long names: smaller type first, then an ellipsis
    pdf.set_font_size(_largest_size(pdf, FONT_AR, "B", administration_ar, cw - 1, 7.5, 6))
    pdf.cell(cw, 4.2, fit(pdf, administration_ar, cw - 1), align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    use_font(pdf, FONT_LATIN, 6.3, "B", sample=administration_fr)
    pdf.set_font_size(_largest_size(pdf, FONT_LATIN, "B", administration_fr, cw - 1, 6.3, 5))
    pdf.cell(cw, 3.2, fit(pdf, administration_fr, cw - 1), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)

    # The number box.
    y = oy + 13.4
    pdf.set_fill_color(236, 245, 240)
    pdf.set_draw_color(*GREEN)
    pdf.set_line_width(0.35)
    pdf.rect(x, y, cw, 12.5, style="DF", round_corners=True, corner_radius=1.2)
    pdf.set_xy(x + 1.2, y + 0.6)
    use_font(pdf, FONT_LATIN, 5.6, color=MUTED)
    pdf.cell(cw / 2, 3, "N° d'enregistrement")
    pdf.set_xy(x + cw / 2, y + 0.3)
    use_font(pdf, FONT_AR, 6.3, color=MUTED)
    pdf.cell(cw / 2 - 1.2, 3.4, "رقم الضبط", align="R")
    use_font(pdf, FONT_LATIN, 14, "B")
    pdf.set_font_size(_largest_size(pdf, FONT_LATIN, "B", number, cw - 2.4, 14, 7))
    pdf.set_xy(x, y + 4.2)
    pdf.cell(cw, 7, number, align="C")

    # Date and time, both languages.
    pdf.set_xy(x, y + 13.6)
    use_font(pdf, FONT_LATIN, 6.6)
    pdf.cell(
        cw,
        3.3,
        f"Enregistré le {local:%d/%m/%Y} à {local:%H:%M} (heure du Maroc)",
        align="L",
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    use_font(pdf, FONT_AR, 7.2)
    pdf.cell(
        cw,
        3.9,
        f"سجل بتاريخ {local:%d/%m/%Y} على الساعة {local:%H:%M} (بتوقيت المغرب)",
        align="R",
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )

    # Subject, one line, in its own script.
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    pdf.line(x, pdf.get_y() + 0.5, x + cw, pdf.get_y() + 0.5)
    pdf.set_xy(x, pdf.get_y() + 1)
    arabic = _is_arabic(subject)
    prefix = "الموضوع: " if arabic else "Objet : "
    use_font(pdf, FONT_AR if arabic else FONT_LATIN, 7 if arabic else 6.4, sample=subject)
    pdf.cell(
        cw, 3.6, fit(pdf, prefix + subject, cw - 1.5), align="R" if arabic else "L", new_x=XPos.LEFT, new_y=YPos.NEXT
    )

    # The verification address in clear, for when the QR code is damaged.
    pdf.set_xy(x, oy + LABEL_H - 7.2)
    use_font(pdf, FONT_MONO, 4.4, color=MUTED)
    pdf.multi_cell(cw, 2.2, verify_url, align="L")


def render_label(
    number: str,
    administration_ar: str,
    administration_fr: str,
    registered_at: datetime,
    subject: str,
    verify_url: str,
    *,
    sheet: str = "label",
) -> bytes:
    """The label PDF: one 100 × 50 mm page (``sheet="label"``) or an A4 page with the label on top."""
    if registered_at.utcoffset() is None:
        raise ValueError("registered_at must be timezone-aware")
    if sheet not in ("label", "a4"):
        raise ValueError("sheet must be 'label' or 'a4'")
    pdf = new_document(title=f"Étiquette {number}")
    pdf.set_auto_page_break(False)
    if sheet == "label":
        pdf.set_margins(0, 0, 0)
        pdf.add_page(format=(LABEL_W, LABEL_H))
        _draw_label(pdf, 0, 0, number, administration_ar, administration_fr, registered_at, subject, verify_url)
    else:
        pdf.add_page(format="A4")
        ox, oy = 15.0, 15.0
        _draw_label(pdf, ox, oy, number, administration_ar, administration_fr, registered_at, subject, verify_url)
        pdf.set_draw_color(*MUTED)
        pdf.set_line_width(0.2)
        pdf.set_dash_pattern(dash=2, gap=1.5)
        pdf.rect(ox - 1, oy - 1, LABEL_W + 2, LABEL_H + 2, style="D")
        pdf.set_dash_pattern()
        pdf.set_xy(ox, oy + LABEL_H + 3)
        use_font(pdf, FONT_LATIN, 8, color=MUTED)
        pdf.cell(
            LABEL_W,
            4.5,
            "Découper et coller sur la première page de l'original papier.",
            new_x=XPos.LEFT,
            new_y=YPos.NEXT,
        )
        use_font(pdf, FONT_AR, 9, color=MUTED)
        pdf.cell(LABEL_W, 5, "يقص ويلصق على الصفحة الأولى من الأصل الورقي.", align="R")
    return bytes(pdf.output())


__all__ = ["render_label", "use_font", "font_for", "fit", "LABEL_W", "LABEL_H"]
