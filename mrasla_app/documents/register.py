"""The legal register of a period as documents: its bilingual columns and rows, and its PDF.

Rows come from ``services.correspondence.exports.register_rows`` (which also writes the CSV); the PDF
is A4 landscape with the header repeated on each page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from mrasla_app.documents.labels import fit, font_for, use_font
from mrasla_app.documents.receipt_layout import FONT_AR, FONT_LATIN, new_document
from mrasla_app.documents.receipts import FILL, GREEN, INK, MUTED, RED, RULE
from mrasla_app.i18n import translate
from mrasla_app.models import Administration, Channel, Direction, Status
from mrasla_app.models.base import utcnow
from mrasla_app.settings import TIMEZONE

CONFIDENTIAL = ("Confidentiel", "سري")

TITLES: dict[Direction, tuple[str, str]] = {
    Direction.incoming: ("Registre du courrier arrivée", "سجل البريد الوارد"),
    Direction.outgoing: ("Registre du courrier départ", "سجل البريد الصادر"),
    Direction.internal: ("Registre du courrier interne", "سجل المراسلات الداخلية"),
}


def bilingual(key: str) -> tuple[str, str]:
    """(French, Arabic) text of a catalogue key: registers are legal documents, always in both."""
    return translate(key, "fr"), translate(key, "ar")


#: Per direction: (correspondent column, unit column) headers.
PARTY_HEADERS: dict[Direction, tuple[tuple[str, str], tuple[str, str]]] = {
    Direction.incoming: (("Expéditeur", "المرسل"), ("Entité d'imputation", "الوحدة المحال إليها")),
    Direction.outgoing: (("Destinataire", "المرسل إليه"), ("Entité émettrice", "الوحدة المصدرة")),
    Direction.internal: (("Entité émettrice", "الوحدة المرسلة"), ("Entité destinataire", "الوحدة المرسل إليها")),
}


@dataclass(frozen=True)
class RegisterRow:
    number: str
    registered_at: datetime  # Morocco time (aware)
    channel: Channel
    correspondent: str
    subject: str
    status: Status
    unit_fr: str
    unit_ar: str
    confidential: bool = False

    @property
    def channel_label(self) -> tuple[str, str]:
        return bilingual(f"channel.{self.channel.value}")

    @property
    def status_label(self) -> tuple[str, str]:
        return bilingual(f"status.{self.status.value}")


def headers(direction: Direction) -> list[tuple[str, str]]:
    """The register's columns as (French, Arabic)."""
    party, unit = PARTY_HEADERS[direction]
    return [
        ("N°", "الرقم"),
        ("Date et heure", "التاريخ والساعة"),
        ("Canal", "القناة"),
        party,
        ("Objet", "الموضوع"),
        ("Statut", "الحالة"),
        unit,
    ]


PAGE_W, PAGE_H = 297.0, 210.0
MARGIN = 10.0
#: Column widths in mm (sum = 277, the landscape A4 width between margins).
WIDTHS = (33.0, 25.0, 20.0, 52.0, 83.0, 24.0, 40.0)
LINE_H = 3.6


class RegisterPDF:
    """One register period as a bilingual A4 landscape table, header repeated on each page."""

    def __init__(
        self, adm: Administration, direction: Direction, start: date, end: date, count: int, generated_by: str
    ) -> None:
        self.adm, self.direction, self.start, self.end, self.count = adm, direction, start, end, count
        self.generated_at = utcnow().astimezone(ZoneInfo(TIMEZONE))
        self.generated_by = generated_by
        fr, _ = TITLES[direction]
        self.pdf: FPDF = new_document(title=f"{fr} — {adm.code} — {start:%d/%m/%Y}–{end:%d/%m/%Y}")
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.set_auto_page_break(False)  # rows are placed by hand, the header repeated
        self.pdf.alias_nb_pages()
        # fpdf2 calls ``footer`` on closing each page; the document comes from ``new_document``, not a subclass
        self.pdf.footer = self.footer  # type: ignore[method-assign]
        self.bottom = PAGE_H - MARGIN - 8

    def add_page(self) -> None:
        self.pdf.add_page(orientation="L", format="A4")

    def title(self) -> None:
        pdf, w = self.pdf, PAGE_W - 2 * MARGIN
        pdf.set_fill_color(*GREEN)
        pdf.rect(0, 0, PAGE_W, 4.5, style="F")
        pdf.set_fill_color(*RED)
        pdf.rect(0, 4.5, PAGE_W, 0.6, style="F")
        fr, ar = TITLES[self.direction]
        pdf.set_xy(MARGIN, 8)
        use_font(pdf, FONT_LATIN, 15, "B", GREEN)
        pdf.cell(w / 2, 7, fr)
        use_font(pdf, FONT_AR, 16, "B", GREEN)
        pdf.cell(w / 2, 7, ar, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        use_font(pdf, FONT_LATIN, 10, "B", sample=self.adm.name_fr)
        pdf.cell(w / 2, 6, fit(pdf, f"{self.adm.name_fr} ({self.adm.code})", w / 2 - 2))
        use_font(pdf, FONT_AR, 11, "B")
        pdf.cell(w / 2, 6, fit(pdf, self.adm.name_ar, w / 2 - 2), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        use_font(pdf, FONT_LATIN, 9, color=MUTED)
        pdf.cell(
            w / 2,
            5,
            f"Période du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y} (heure du Maroc) · "
            f"{self.count} enregistrement(s)",
        )
        use_font(pdf, FONT_AR, 9.5, color=MUTED)
        pdf.cell(
            w / 2,
            5,
            f"الفترة من {self.start:%d/%m/%Y} إلى {self.end:%d/%m/%Y} (بتوقيت المغرب) · عدد التسجيلات: {self.count}",
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.ln(2)

    def header_row(self) -> None:
        pdf = self.pdf
        y, x = pdf.get_y(), MARGIN
        h = 9.0
        pdf.set_fill_color(*GREEN)
        pdf.rect(MARGIN, y, sum(WIDTHS), h, style="F")
        for (fr, ar), w in zip(headers(self.direction), WIDTHS):
            pdf.set_xy(x + 1, y + 0.6)
            use_font(pdf, FONT_LATIN, 7.5, "B", (255, 255, 255))
            pdf.cell(w - 2, 3.6, fr)
            pdf.set_xy(x + 1, y + 4)
            use_font(pdf, FONT_AR, 8, "B", (255, 255, 255))
            pdf.cell(w - 2, 4.4, ar, align="R")
            x += w
        pdf.set_y(y + h)

    def _cell_lines(self, col: int, row: RegisterRow) -> list[tuple[str, str, float, str]]:
        """(text, font, size, align) paragraphs of one cell."""

        def para(text: str, size: float = 7.5) -> tuple[str, str, float, str]:
            family = font_for(text)
            return text, family, size + (0.5 if family == FONT_AR else 0), "R" if family == FONT_AR else "L"

        if col == 0:
            return [(row.number, FONT_LATIN, 7.5, "L")]
        if col == 1:
            return [(f"{row.registered_at:%d/%m/%Y %H:%M}", FONT_LATIN, 7.5, "L")]
        if col == 2:
            fr, ar = row.channel_label
            return [para(fr), para(ar)]
        if col == 3:
            return [para(row.correspondent)] if row.correspondent else []
        if col == 4:
            return [para(v) for v in CONFIDENTIAL] if row.confidential else [para(row.subject)]
        if col == 5:
            fr, ar = row.status_label
            return [para(fr), para(ar)]
        return [para(v) for v in (row.unit_fr, row.unit_ar) if v]

    def _wrap(self, text: str, family: str, size: float, width: float) -> list[str]:
        use_font(self.pdf, family, size, sample=text)
        lines = self.pdf.multi_cell(width, LINE_H, text, dry_run=True, output=MethodReturnValue.LINES)
        assert isinstance(lines, list)  # only LINES asked for: fpdf2 returns the list itself
        return lines[:6] or [""]  # a 255-character subject takes at most ~4 lines

    def row(self, index: int, row: RegisterRow) -> None:
        pdf = self.pdf
        cells = []
        for col, w in enumerate(WIDTHS):
            cells.append([(self._wrap(t, f, s, w - 2), f, s, a) for t, f, s, a in self._cell_lines(col, row)])
        h = max(sum(len(lines) for lines, *_ in cell) for cell in cells) * LINE_H + 1.6
        if pdf.get_y() + h > self.bottom:
            self.add_page()
            pdf.set_y(MARGIN)
            self.header_row()
        y = pdf.get_y()
        if index % 2:
            pdf.set_fill_color(*FILL)
            pdf.rect(MARGIN, y, sum(WIDTHS), h, style="F")
        x = MARGIN
        for cell, w in zip(cells, WIDTHS):
            yy = y + 0.8
            for lines, family, size, align in cell:
                for line in lines:
                    pdf.set_xy(x + 1, yy)
                    use_font(pdf, family, size, color=INK, sample=line)
                    pdf.cell(w - 2, LINE_H, line, align=align)
                    yy += LINE_H
            x += w
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN, y + h, MARGIN + sum(WIDTHS), y + h)
        pdf.set_y(y + h)

    def footer(self) -> None:
        pdf = self.pdf
        w = PAGE_W - 2 * MARGIN
        y = PAGE_H - MARGIN - 4
        pdf.set_draw_color(*RULE)
        pdf.set_line_width(0.2)
        pdf.line(MARGIN, y - 1, MARGIN + w, y - 1)
        pdf.set_xy(MARGIN, y)
        use_font(pdf, FONT_LATIN, 7, color=MUTED)
        pdf.cell(w / 3, 4, f"Mrasla · édité le {self.generated_at:%d/%m/%Y %H:%M} par {self.generated_by}")
        pdf.cell(w / 3, 4, f"Page {pdf.page_no()} / {{nb}}", align="C")
        use_font(pdf, FONT_AR, 7.5, color=MUTED)
        pdf.cell(w / 3, 4, f"مراسلة · {TITLES[self.direction][1]}", align="R")

    def build(self, rows: list[RegisterRow]) -> bytes:
        self.add_page()
        self.title()
        self.header_row()
        if not rows:
            self.pdf.ln(3)
            use_font(self.pdf, FONT_LATIN, 9, color=MUTED, sample="ء")
            self.pdf.cell(
                sum(WIDTHS), 6, "Aucun enregistrement pour cette période — لا توجد تسجيلات خلال هذه الفترة", align="C"
            )
        for i, r in enumerate(rows):
            self.row(i, r)
        return bytes(self.pdf.output())
