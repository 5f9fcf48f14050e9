"""Separator sheets (feuillets de séparation / أوراق الفصل) placed between letters of a scanned stack.

Each sheet carries a QR code whose payload starts with ``MARKER``, then the administration's code
and, optionally, the type of the letters that follow (``MRASLA-SEP/1/MEF/invoice``). The splitter
(``splitting.py``) recognises a page as a separator by that payload alone, so any printed copy
works, and a sheet of another administration is still a separator (its type is then ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fpdf.enums import XPos, YPos

from mrasla_app.documents.labels import use_font
from mrasla_app.documents.receipt_layout import FONT_AR, FONT_LATIN, draw_qr, new_document
from mrasla_app.documents.receipts import GREEN, MUTED

MARKER = "MRASLA-SEP/1"
MAX_SHEETS = 50
_CODE_RE = re.compile(r"^[A-Za-z0-9_]{0,32}$")


@dataclass(frozen=True)
class Separator:
    """What a separator's QR code says."""

    administration_code: str
    type_code: str = ""


def payload(administration_code: str, type_code: str = "") -> str:
    if not _CODE_RE.match(administration_code) or not _CODE_RE.match(type_code):
        raise ValueError("codes are letters, digits and underscores")
    return f"{MARKER}/{administration_code}/{type_code}"


def parse(text: str) -> Separator | None:
    """The separator a QR payload names, or None when it is not one of ours."""
    if not text.startswith(MARKER + "/"):
        return None
    parts = text[len(MARKER) + 1 :].split("/")
    if len(parts) != 2 or not all(_CODE_RE.match(p) for p in parts):
        return None
    return Separator(parts[0], parts[1])


def render(
    administration_code: str,
    administration_ar: str,
    administration_fr: str,
    *,
    type_code: str = "",
    type_ar: str = "",
    type_fr: str = "",
    count: int = 1,
) -> bytes:
    """``count`` identical A4 separator sheets (one page each) for a scanner's stack."""
    if not 1 <= count <= MAX_SHEETS:
        raise ValueError("count out of range")
    data = payload(administration_code, type_code)
    pdf = new_document(title="Feuillet de séparation · ورقة الفصل")
    pdf.set_auto_page_break(False)
    for _ in range(count):
        pdf.add_page(format="A4")
        pdf.set_fill_color(*GREEN)
        pdf.rect(0, 0, 210, 8, style="F")
        pdf.rect(0, 289, 210, 8, style="F")
        pdf.set_xy(15, 25)
        use_font(pdf, FONT_AR, 26, "B")
        pdf.cell(180, 14, "ورقة الفصل — لا تنزع", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        use_font(pdf, FONT_LATIN, 22, "B")
        pdf.cell(180, 12, "Feuillet de séparation — ne pas retirer", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        draw_qr(pdf, data, 55, 70, 100)  # large: found at 100 dpi, through a poor scan
        pdf.set_xy(15, 180)
        use_font(pdf, FONT_AR, 16)
        pdf.cell(180, 10, administration_ar, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        use_font(pdf, FONT_LATIN, 14, sample=administration_fr)
        pdf.cell(180, 9, administration_fr, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        if type_code:
            pdf.ln(4)
            use_font(pdf, FONT_AR, 14)
            pdf.cell(
                180, 9, f"نوع المراسلات الموالية: {type_ar or type_code}", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT
            )
            use_font(pdf, FONT_LATIN, 12)
            pdf.cell(
                180,
                8,
                f"Type des courriers suivants : {type_fr or type_code}",
                align="C",
                new_x=XPos.LEFT,
                new_y=YPos.NEXT,
            )
        pdf.set_xy(15, 255)
        use_font(pdf, FONT_AR, 11, color=MUTED)
        pdf.cell(
            180,
            7,
            "ضع هذه الورقة قبل كل مراسلة في رزمة المسح الضوئي. تعاد طباعتها متى شئت.",
            align="C",
            new_x=XPos.LEFT,
            new_y=YPos.NEXT,
        )
        use_font(pdf, FONT_LATIN, 10, color=MUTED)
        pdf.cell(
            180,
            6,
            "Placez ce feuillet avant chaque courrier de la pile à numériser. Réimprimable à volonté.",
            align="C",
        )
    return bytes(pdf.output())
