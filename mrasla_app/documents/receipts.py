"""The deposit receipt (وصل الإيداع / accusé de réception): a bilingual A4 PDF, sealed.

The receipt is what a citizen keeps as proof: registry number, date and time (Morocco time),
who deposited what (each attachment with its SHA-256), and a QR code to the public
verification page. The page is laid out with fpdf2 (HarfBuzz shaping for Arabic), its texts
drawn from runs laid out once per process (``text_runs``: labels and administration names are
the same on every receipt). ``render_receipt`` writes it unsigned; ``issue_receipt`` writes it
with the platform seal (PAdES B-T, certified) in the box reserved at the bottom of the last
page, in one pass (``receipt_pdf``); the background job makes it B-LTA later.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from mrasla_app.documents import receipt_pdf, text_runs
from mrasla_app.documents.receipt_layout import (
    FONT_AR,
    FONT_LATIN,
    FONT_MONO,
    PAGE_H_MM,
    PT_PER_MM,
    SealSlot,
    draw_qr,
    new_document,
)
from mrasla_app.documents.text_runs import TextStyle
from mrasla_app.pki.signing import run_sync
from mrasla_app.settings import TIMEZONE

ID_KINDS = {
    "CIN": ("CIN", "رقم البطاقة الوطنية"),
    "ICE": ("ICE", "المعرف الموحد للمقاولة"),
}
SEAL_FIELD = "MraslaSeal"
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_ARABIC_RE = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")

# Colours (RGB): Moroccan green for structure, dark grey text, light fills.
GREEN = (0, 98, 51)
RED = (193, 39, 45)
INK = (33, 37, 41)
MUTED = (108, 117, 125)
FILL = (236, 245, 240)
RULE = (200, 208, 204)


@dataclass(frozen=True)
class Attachment:
    """One deposited file as listed on the receipt."""

    filename: str
    pages: int
    sha256: str
    size: int
    pdf_sha256: str | None = None  # an Office document: the hash of its PDF conversion, kept beside it

    def __post_init__(self) -> None:
        for digest in (self.sha256, self.pdf_sha256 or self.sha256):
            if not _SHA256_RE.match(digest):
                raise ValueError("sha256 must be 64 lowercase hex digits")


@dataclass(frozen=True)
class ReceiptData:
    """Everything printed on a receipt. ``deposited_at`` must be timezone-aware (UTC stored)."""

    registry_number: str
    administration_fr: str
    administration_ar: str
    deposited_at: datetime
    depositor_name: str
    depositor_id_kind: str
    depositor_id: str
    subject: str
    verify_url: str
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    unit_fr: str | None = None
    unit_ar: str | None = None
    tracking_hint: str | None = None
    sender_reference: str | None = None  # the sender's own registry number (inter-administration mail)

    def __post_init__(self) -> None:
        if self.deposited_at.utcoffset() is None:
            raise ValueError("deposited_at must be timezone-aware")
        if self.depositor_id_kind and self.depositor_id_kind not in ID_KINDS:
            raise ValueError(f"depositor_id_kind must be one of {sorted(ID_KINDS)}")
        object.__setattr__(self, "attachments", tuple(self.attachments))


def mask_identifier(value: str) -> str:
    """Show only the first two and last two characters: ``AB123456`` → ``AB****56``.

    The receipt may be forwarded or printed; the full CIN/ICE stays in the registry only.
    """
    value = value.strip().upper()
    if len(value) <= 4:
        return "*" * (len(value) - 1) + value[-1:]
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def _local(dt: datetime) -> datetime:
    return dt.astimezone(ZoneInfo(TIMEZONE))


def format_datetime_fr(dt: datetime) -> str:
    local = _local(dt)
    return f"{local:%d/%m/%Y} à {local:%H:%M:%S} (heure du Maroc)"


def format_datetime_ar(dt: datetime) -> str:
    local = _local(dt)
    return f"{local:%d/%m/%Y} على الساعة {local:%H:%M:%S} (بتوقيت المغرب)"


def format_datetime_en(dt: datetime) -> str:
    """For the English interface (receipts themselves stay Arabic/French); day first, as in British English."""
    local = _local(dt)
    return f"{local:%d/%m/%Y} at {local:%H:%M:%S} (Morocco time)"


def format_size(size: int) -> str:
    """French-style size: ``245,3 Ko``."""
    if size < 1024:
        return f"{size} o"
    value, unit = (size / 1024, "Ko") if size < 1024 * 1024 else (size / 1024 / 1024, "Mo")
    return f"{value:.1f} {unit}".replace(".", ",")


def _is_arabic(text: str) -> bool:
    """Mostly-Arabic text is right-aligned (free text like the subject can be either)."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum("\u0600" <= c <= "\u06ff" for c in letters) * 2 > len(letters)


# ---------------------------------------------------------------------------------- drawing


class _Receipt:
    """Draws one receipt; methods follow the page from top to bottom."""

    def __init__(self, data: ReceiptData) -> None:
        self.data = data
        self.pdf: FPDF = new_document(title=f"Accusé de réception {data.registry_number}")
        self.pdf.footer = self.footer_notes  # type: ignore[method-assign]  # fpdf2 calls it when closing each page
        self.style = TextStyle(FONT_LATIN, 10)  # set by ``text`` before any text is drawn
        self.pdf.add_page()
        self.w = self.pdf.epw
        self.x0 = self.pdf.l_margin
        self.seal_rect = (0.0, 0.0, 0.0, 0.0)  # mm, set by ``verification``

    def text(self, family: str, size: float, style: str = "", color=INK, sample: str = "") -> None:
        """Select font and colour for the following text; shaping (HarfBuzz, RTL) only where
        Arabic may appear.

        Shaped line breaking costs several times more than fpdf2's plain path, so Latin
        text is shaped only when ``sample`` (the text about to be written) contains Arabic.
        """
        direction = "rtl" if family == FONT_AR else "ltr" if _ARABIC_RE.search(sample) else None
        self.style = TextStyle(family, size, style, color, direction)

    def cell(
        self, w: float, h: float, text: str, align: str = "L", new_x: XPos = XPos.RIGHT, new_y: YPos = YPos.TOP
    ) -> None:
        """fpdf2's ``cell`` (same box, cursor move and page break), drawn from a text run."""
        self._draw(text_runs.run(self.style, w, h, text, align), w, new_x, new_y)

    def multi_cell(
        self, w: float, h: float, text: str, align: str, new_x: XPos = XPos.RIGHT, new_y: YPos = YPos.NEXT
    ) -> None:
        """fpdf2's ``multi_cell`` drawn from a text run; a page break, when needed, comes
        before the whole text instead of between its lines."""
        self._draw(text_runs.run(self.style, w, h, text, align, multiline=True), w, new_x, new_y)

    def _draw(self, run: text_runs.TextRun, w: float, new_x: XPos, new_y: YPos) -> None:
        pdf, style = self.pdf, self.style
        # What fpdf2's cell does first; a new page draws the footer, which selects its styles.
        pdf._perform_page_break_if_need_be(run.height)
        self.style = style
        x, y = pdf.x, pdf.y
        text_runs.place(pdf, run, x, y, style.color)
        pdf.x = x + w if new_x == XPos.RIGHT else pdf.l_margin if new_x == XPos.LMARGIN else x
        pdf.y = y + run.height if new_y == YPos.NEXT else y

    def header(self) -> None:
        pdf, d = self.pdf, self.data
        pdf.set_fill_color(*GREEN)
        pdf.rect(0, 0, 210, 6, style="F")
        pdf.set_fill_color(*RED)
        pdf.rect(0, 6, 210, 0.8, style="F")
        pdf.set_y(11)
        half = self.w / 2
        self.text(FONT_LATIN, 8, color=MUTED)
        self.cell(half, 4, "Mrasla · Bureau d'ordre digital")
        self.text(FONT_AR, 8.5, color=MUTED)
        self.cell(half, 4, "مراسلة · مكتب الضبط الرقمي", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)
        y = pdf.get_y()
        self.text(FONT_LATIN, 11, "B", sample=d.administration_fr)
        self.multi_cell(half - 2, 5.2, d.administration_fr, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if d.unit_fr:
            self.text(FONT_LATIN, 9, color=MUTED, sample=d.unit_fr)
            self.multi_cell(half - 2, 4.5, d.unit_fr, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        y_left = pdf.get_y()
        pdf.set_xy(self.x0 + half + 2, y)
        self.text(FONT_AR, 12, "B")
        self.multi_cell(half - 2, 6, d.administration_ar, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
        if d.unit_ar:
            self.text(FONT_AR, 10, color=MUTED)
            self.multi_cell(half - 2, 5, d.unit_ar, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_y(max(y_left, pdf.get_y()) + 2)
        self.rule()

    def rule(self, color=RULE, gap: float = 3) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*color)
        pdf.set_line_width(0.3)
        pdf.line(self.x0, pdf.get_y(), self.x0 + self.w, pdf.get_y())
        pdf.ln(gap)

    def title(self) -> None:
        pdf = self.pdf
        pdf.ln(1)
        self.text(FONT_AR, 20, "B", GREEN)
        self.cell(self.w, 11, "وصل الإيداع", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.text(FONT_LATIN, 17, "B", GREEN)
        self.cell(self.w, 8, "Accusé de réception", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.text(FONT_LATIN, 8.5, color=MUTED, sample="ء")
        self.cell(
            self.w,
            5,
            "Dépôt électronique de correspondance  ·  إيداع إلكتروني لمراسلة",
            align="C",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.ln(3)

    def number_box(self) -> None:
        pdf = self.pdf
        y = pdf.get_y()
        pdf.set_fill_color(*FILL)
        pdf.set_draw_color(*GREEN)
        pdf.set_line_width(0.5)
        pdf.rect(self.x0, y, self.w, 17, style="DF", round_corners=True, corner_radius=2)
        pdf.set_xy(self.x0 + 4, y + 2.2)
        self.text(FONT_LATIN, 8.5, color=MUTED)
        self.cell(60, 4.5, "N° d'enregistrement")
        pdf.set_xy(self.x0 + self.w - 64, y + 1.6)
        self.text(FONT_AR, 9.5, color=MUTED)
        self.cell(60, 5, "رقم الضبط", align="R")
        pdf.set_xy(self.x0, y + 6.5)
        self.text(FONT_LATIN, 17, "B", INK)
        self.cell(self.w, 9, self.data.registry_number, align="C")
        pdf.set_y(y + 17 + 4)

    def row(self, label_fr: str, label_ar: str, values: list[str]) -> None:
        """A table row: French label | value(s) | Arabic label; values aligned by script."""
        pdf = self.pdf
        lab, mid = 42.0, self.w - 84.0
        y = pdf.get_y()
        pdf.set_xy(self.x0, y + 0.6)
        self.text(FONT_LATIN, 8.5, color=MUTED)
        self.multi_cell(lab, 4.2, label_fr, align="L")
        pdf.set_xy(self.x0 + lab + mid, y + 0.2)
        self.text(FONT_AR, 9.5, color=MUTED)
        self.multi_cell(lab, 4.8, label_ar, align="R")
        bottom = pdf.get_y()
        pdf.set_xy(self.x0 + lab, y)
        for value in values:
            arabic = _is_arabic(value)
            self.text(FONT_AR if arabic else FONT_LATIN, 10.5 if arabic else 10, sample=value)
            pdf.set_x(self.x0 + lab)
            self.multi_cell(mid, 5.4, value, align="R" if arabic else "L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_y(max(bottom, pdf.get_y()) + 1.2)
        self.rule(gap=1.8)

    def details(self) -> None:
        d = self.data
        self.row(
            "Date et heure du dépôt",
            "تاريخ وساعة الإيداع",
            [format_datetime_fr(d.deposited_at), format_datetime_ar(d.deposited_at)],
        )
        self.row("Déposant", "المودع", [d.depositor_name])
        if d.depositor_id_kind:  # citizens and companies; an administration sender has no CIN/ICE
            kind_fr, kind_ar = ID_KINDS[d.depositor_id_kind]
            self.row(f"Identifiant ({kind_fr})", kind_ar, [mask_identifier(d.depositor_id)])
        if d.sender_reference:
            self.row("Référence de l'expéditeur", "مرجع المرسل", [d.sender_reference])
        self.row("Objet", "الموضوع", [d.subject])
        if d.unit_fr or d.unit_ar:
            self.row("Entité destinataire", "الوحدة المعنية", [v for v in (d.unit_fr, d.unit_ar) if v])

    def section(self, fr: str, ar: str) -> None:
        pdf = self.pdf
        pdf.ln(2)
        y = pdf.get_y()
        pdf.set_fill_color(*GREEN)
        pdf.rect(self.x0, y, self.w, 7, style="F")
        pdf.set_xy(self.x0 + 2, y + 1)
        self.text(FONT_LATIN, 9.5, "B", (255, 255, 255))
        self.cell(self.w / 2, 5, fr)
        pdf.set_xy(self.x0 + self.w / 2, y + 0.6)
        self.text(FONT_AR, 10, "B", (255, 255, 255))
        self.cell(self.w / 2 - 2, 5.8, ar, align="R")
        pdf.set_y(y + 9)

    def attachments(self) -> None:
        pdf, items = self.pdf, self.data.attachments
        self.section(f"Pièces déposées ({len(items)})", f"الوثائق المودعة ({len(items)})")
        if not items:
            self.text(FONT_LATIN, 9, color=MUTED, sample="ء")
            self.cell(self.w, 5, "Aucune pièce jointe — بدون مرفقات", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for i, att in enumerate(items, 1):
            if pdf.will_page_break(15 if att.pdf_sha256 else 11):
                pdf.add_page()
            pages = f"{att.pages} page" + ("s" if att.pages > 1 else "")
            self.text(FONT_LATIN, 9.5, "B", sample=att.filename)
            self.cell(8, 5, f"{i}.")
            self.cell(self.w - 58, 5, _ellipsize(att.filename, 70))
            self.text(FONT_LATIN, 9, color=MUTED)
            self.cell(50, 5, f"{pages} · {format_size(att.size)}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_x(self.x0 + 8)
            self.text(FONT_LATIN, 7.5, color=MUTED)
            self.cell(15, 4.2, "SHA-256")
            self.text(FONT_MONO, 7.6)
            self.multi_cell(self.w - 23, 4.2, att.sha256, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            if att.pdf_sha256:  # the PDF the Office document was converted to, kept beside the original
                pdf.set_x(self.x0 + 8)
                self.text(FONT_LATIN, 7.5, color=MUTED)
                self.cell(15, 4.2, "PDF")
                self.text(FONT_MONO, 7.6)
                self.multi_cell(self.w - 23, 4.2, att.pdf_sha256, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1.2)

    def verification(self) -> SealSlot:
        """QR + instructions on the left, seal box on the right; returns the seal's slot."""
        pdf, d = self.pdf, self.data
        block_h = 62.0
        if pdf.get_y() + block_h > PAGE_H_MM - pdf.b_margin:
            pdf.add_page()
        top = max(pdf.get_y() + 3, PAGE_H_MM - pdf.b_margin - block_h)
        pdf.set_y(top)
        self.section("Vérification et sceau électronique", "التحقق والختم الإلكتروني")
        y = pdf.get_y() + 1
        qr_size = 36.0
        draw_qr(pdf, d.verify_url, self.x0, y, qr_size)
        pdf.set_xy(self.x0, y + qr_size + 0.5)
        self.text(FONT_MONO, 6.3, color=INK)
        self.multi_cell(qr_size + 14, 3, d.verify_url, align="L")
        # Middle: instructions in both languages.
        mid_x, mid_w = self.x0 + qr_size + 16, 62.0
        pdf.set_xy(mid_x, y)
        self.text(FONT_LATIN, 8.2)
        self.multi_cell(
            mid_w,
            3.9,
            "Scannez le code QR ou ouvrez l'adresse indiquée pour "
            "vérifier l'authenticité de ce reçu et l'état de votre courrier.",
            align="L",
            new_x=XPos.LEFT,
            new_y=YPos.NEXT,
        )
        pdf.set_xy(mid_x, pdf.get_y() + 1.5)
        self.text(FONT_AR, 9)
        self.multi_cell(
            mid_w,
            4.6,
            "امسح رمز الاستجابة السريعة أو افتح العنوان المبين للتحقق من صحة هذا الوصل ومن وضعية مراسلتكم.",
            align="R",
            new_x=XPos.LEFT,
            new_y=YPos.NEXT,
        )
        if d.tracking_hint:
            pdf.set_xy(mid_x, pdf.get_y() + 1.5)
            self.text(FONT_LATIN, 8, "B", sample="ء")
            self.multi_cell(
                mid_w, 3.9, f"Suivi / التتبع : {d.tracking_hint}", align="L", new_x=XPos.LEFT, new_y=YPos.NEXT
            )
        # Right: the seal box, labelled in both languages above it.
        seal_w, seal_h = 52.0, 24.0
        seal_x = self.x0 + self.w - seal_w - 1
        pdf.set_xy(seal_x, y)
        self.text(FONT_AR, 8.5, "B", GREEN)
        self.cell(seal_w, 4.5, "الختم الإلكتروني للمنصة", align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.text(FONT_LATIN, 8, "B", GREEN)
        self.cell(seal_w, 4, "Cachet électronique de la plateforme", align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
        seal_y = y + 11
        # Outer frame 1 mm around the signature widget, whose stamp draws the inner frame.
        pdf.set_draw_color(*GREEN)
        pdf.set_line_width(0.4)
        pdf.rect(seal_x - 1, seal_y - 1, seal_w + 2, seal_h + 2, style="D")
        self.seal_rect = (seal_x, seal_y, seal_w, seal_h)
        return SealSlot.from_mm(pdf.page - 1, seal_x, seal_y, seal_w, seal_h)

    def seal_stamp(self, signed_at: datetime) -> None:
        """The visible seal's text, drawn in the page with the document's embedded fonts.

        Drawn here rather than by pyHanko's text stamp (standard Courier, not embedded, Latin-1
        only): every font of the receipt is embedded (PDF/A, ``pdffonts``), the stamp can be
        bilingual, and ``signed_at`` is the very time the seal's timestamp token carries
        (``receipt_pdf.async_write_sealed``), shown in Morocco time like the rest of the receipt.
        """
        pdf, d = self.pdf, self.data
        x, y, w, h = self.seal_rect
        local = _local(signed_at)
        offset = f"{local:%z}"
        auto, margin = pdf.auto_page_break, pdf.b_margin
        pdf.set_auto_page_break(False)  # the box is inside the page: never break here
        pdf.set_draw_color(*GREEN)
        pdf.set_line_width(0.3)
        pdf.rect(x, y, w, h, style="D")
        pdf.set_xy(x + 1.5, y + 1.2)
        for family, size, style, text, align in (
            (FONT_LATIN, 7.2, "B", "Scellé par la plateforme Mrasla", "L"),
            (FONT_LATIN, 7, "", f"Reçu {d.registry_number}", "L"),
            (FONT_LATIN, 7, "", f"Horodaté le {local:%d/%m/%Y à %H:%M:%S}", "L"),
            (FONT_LATIN, 6.5, "", f"heure du Maroc (UTC{offset[:3]}:{offset[3:]})", "L"),
            # Fixed Arabic text: laid out once per process (``text_runs``), the time is above.
            (FONT_AR, 7.5, "", "ختم إلكتروني مؤرخ للمنصة", "R"),
        ):
            self.text(family, size, style, INK if style else MUTED, sample=text)
            self.cell(w - 3, 4.2, text, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_auto_page_break(auto, margin=margin)

    def footer_notes(self) -> None:
        pdf = self.pdf
        margin = pdf.b_margin
        pdf.set_auto_page_break(False)  # the footer lives inside the bottom margin
        pdf.set_y(PAGE_H_MM - margin + 2)
        self.rule(gap=1)
        half = self.w / 2 - 3
        y = pdf.get_y()
        self.text(FONT_LATIN, 6.8, color=MUTED)
        self.multi_cell(
            half,
            3.1,
            "Ce reçu atteste le dépôt électronique de la correspondance "
            "décrite ci-dessus, à la date et à l'heure indiquées. Il est scellé "
            "et horodaté électroniquement (PAdES) : toute modification le rend "
            "invalide.",
            align="L",
        )
        pdf.set_xy(self.x0 + self.w - half, y)
        self.text(FONT_AR, 7.5, color=MUTED)
        self.multi_cell(
            half,
            3.6,
            "يثبت هذا الوصل الإيداع الإلكتروني للمراسلة الموصوفة أعلاه "
            "في التاريخ والساعة المبينين. وهو مختوم ومؤرخ إلكترونيا، وكل تعديل "
            "عليه يبطله.",
            align="R",
        )
        pdf.set_auto_page_break(True, margin=margin)

    def layout(self) -> SealSlot:
        """Lay the receipt out (the last page's footer is drawn when it is written)."""
        self.header()
        self.title()
        self.number_box()
        self.details()
        self.attachments()
        return self.verification()


def _ellipsize(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def evidence_json(data: ReceiptData) -> bytes:
    """The registration data the receipt attests, machine-readable: embedded in the receipt as
    its PDF/A-3 associated file. The identifier is masked as on the page."""
    return json.dumps(
        {
            "type": "mrasla.deposit_receipt",
            "version": 1,
            "registry_number": data.registry_number,
            "administration": {"fr": data.administration_fr, "ar": data.administration_ar},
            "unit": {"fr": data.unit_fr, "ar": data.unit_ar} if data.unit_fr or data.unit_ar else None,
            "deposited_at": data.deposited_at.astimezone(timezone.utc).isoformat(),
            "depositor": {
                "name": data.depositor_name,
                "id_kind": data.depositor_id_kind or None,
                "id_masked": mask_identifier(data.depositor_id) if data.depositor_id else None,
            },
            "sender_reference": data.sender_reference,
            "subject": data.subject,
            "attachments": [
                {
                    "filename": a.filename,
                    "pages": a.pages,
                    "size": a.size,
                    "sha256": a.sha256,
                    **({"pdf_sha256": a.pdf_sha256} if a.pdf_sha256 else {}),
                }
                for a in data.attachments
            ],
            "verify_url": data.verify_url,
        },
        ensure_ascii=False,
        indent=1,
    ).encode()


def _render(data: ReceiptData) -> tuple[bytes, SealSlot]:
    """The unsigned PDF and where its seal goes."""
    receipt = _Receipt(data)
    slot = receipt.layout()
    return receipt_pdf.write_unsigned(receipt.pdf, evidence_json(data)), slot


def render_receipt(data: ReceiptData) -> bytes:
    """The unsigned receipt PDF (the seal box at the bottom is empty)."""
    return _render(data)[0]


async def async_issue_receipt(data: ReceiptData) -> bytes:
    """Render and seal (visible, certified, PAdES B-T) — for callers inside an event loop.

    Written in one pass with the seal (``receipt_pdf``), not rendered then signed as an
    incremental update: same objects and guarantees, half the time. The background job later
    extends it to B-LTA (``services.archive``).
    """
    receipt = _Receipt(data)
    slot = receipt.layout()
    signed_at = datetime.now(timezone.utc).replace(microsecond=0)
    receipt.seal_stamp(signed_at)
    return await receipt_pdf.async_write_sealed(
        receipt.pdf,
        receipt_pdf.Seal(SEAL_FIELD, slot.page, slot.box_pt, reason=f"Accusé de réception {data.registry_number}"),
        signed_at=signed_at,
        evidence=evidence_json(data),
    )


def issue_receipt(data: ReceiptData) -> bytes:
    """Render and seal a receipt with the platform seal (sync; not inside an event loop)."""
    return run_sync(async_issue_receipt(data))


__all__ = [
    "Attachment",
    "ReceiptData",
    "render_receipt",
    "issue_receipt",
    "async_issue_receipt",
    "mask_identifier",
    "SEAL_FIELD",
    "PT_PER_MM",
]
