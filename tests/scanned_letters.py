"""Generated paper letters with known fields: the labelled set for indexing proposals and batch scans.

``letters(n, seed)`` gives Arabic and French letters (sender, reference, date, CIN or ICE, subject);
``text_pdf`` renders one with a text layer (fpdf2, the receipts' fonts and Arabic shaping), ``scan_pdf``
as an image-only page (Pillow with raqm, slightly rotated and noised, like a scanner's output) that
only OCR can read. ``stack_pdf`` puts separator sheets between letters as a clerk's scanner would.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from pypdf import PdfReader, PdfWriter

FR_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
AR_MONTHS = ["يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر", "أكتوبر", "نونبر", "دجنبر"]
AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FR_SENDERS = [
    "Karim Benjelloun",
    "Société Atlas Négoce SARL",
    "Fatima Zahra Alaoui",
    "Youssef El Fassi",
    "Coopérative Argane Sud",
    "Nadia Berrada",
    "Bureau d'études Tafraout",
    "Omar Tazi",
]
AR_SENDERS = [
    "كريم بنجلون",
    "شركة الأطلس للتجارة",
    "فاطمة الزهراء العلوي",
    "يوسف الفاسي",
    "تعاونية أركان الجنوب",
    "نادية برادة",
    "مكتب الدراسات تافراوت",
    "عمر التازي",
]
FR_SUBJECTS = [
    "Demande d'exonération de la taxe professionnelle",
    "Réclamation relative à une facture",
    "Demande d'attestation de résidence",
    "Recours contre une décision de redressement",
    "Demande de rendez-vous",
    "Transmission de pièces justificatives",
]
AR_SUBJECTS = [
    "طلب الإعفاء من الضريبة المهنية",
    "شكاية بخصوص فاتورة",
    "طلب شهادة السكنى",
    "تظلم من قرار التصحيح",
    "طلب موعد",
    "إرسال الوثائق المثبتة",
]
CITIES = [("Rabat", "الرباط"), ("Casablanca", "الدار البيضاء"), ("Fès", "فاس"), ("Agadir", "أكادير")]
FONT_DIR = "/usr/share/fonts/truetype/noto/"


@dataclass(frozen=True)
class Letter:
    lang: str
    sender: str
    reference: str
    dated: date
    id_kind: str
    id_value: str
    subject: str
    lines: tuple[str, ...]

    def fields(self) -> dict[str, str]:
        return {
            "sender": self.sender,
            "reference": self.reference,
            "dated": self.dated.isoformat(),
            "id_kind": self.id_kind,
            "id_value": self.id_value,
            "subject": self.subject,
        }


def _letter(rng: random.Random, lang: str, arabic_digits: bool) -> Letter:
    i = rng.randrange(len(FR_SENDERS))
    company = i in (1, 4, 6)
    kind = "ICE" if company else "CIN"
    value = (
        "".join(rng.choice("0123456789") for _ in range(15))
        if company
        else (rng.choice(["A", "BK", "JB", "G", "EE"]) + str(rng.randint(10000, 999999)))
    )
    dated = date(2026, rng.randint(1, 12), rng.randint(1, 28))
    ref = f"{rng.randint(1, 999)}/{dated.year}"
    city = rng.choice(CITIES)
    s = rng.randrange(len(FR_SUBJECTS))
    if lang == "fr":
        sender, subject = FR_SENDERS[i], FR_SUBJECTS[s]
        lines = (
            sender,
            f"{kind} : {value}",
            f"{city[0]}, le {dated.day} {FR_MONTHS[dated.month - 1]} {dated.year}",
            f"Réf : {ref}",
            "À Monsieur le Directeur",
            f"Objet : {subject}",
            "",
            "Monsieur le Directeur,",
            "J'ai l'honneur de vous adresser la présente demande et de vous",
            "prier de bien vouloir lui réserver une suite favorable.",
            "Veuillez agréer l'expression de ma haute considération.",
            sender,
        )
    else:
        sender, subject = AR_SENDERS[i], AR_SUBJECTS[s]
        shown_ref, day, year = ref, str(dated.day), str(dated.year)
        if arabic_digits:
            shown_ref, day, year = ref.translate(AR_DIGITS), day.translate(AR_DIGITS), year.translate(AR_DIGITS)
        id_label = "التعريف الموحد ICE" if company else "رقم البطاقة الوطنية CIN"
        lines = (
            sender,
            f"{id_label}: {value}",
            f"{city[1]} في {day} {AR_MONTHS[dated.month - 1]} {year}",
            f"المرجع: {shown_ref}",
            "إلى السيد المدير",
            f"الموضوع: {subject}",
            "",
            "سلام تام بوجود مولانا الإمام،",
            "وبعد، يشرفني أن أتقدم إليكم بهذا الطلب راجيا منكم",
            "التفضل بإيلائه ما يستحق من عناية.",
            "وتقبلوا فائق التقدير والاحترام.",
            sender,
        )
    return Letter(lang, sender, ref, dated, kind, value, subject, lines)


def letters(n: int, seed: int = 16) -> list[Letter]:
    """``n`` letters alternating French and Arabic (every other Arabic one in Arabic-Indic digits)."""
    rng = random.Random(seed)
    return [_letter(rng, "fr" if k % 2 == 0 else "ar", arabic_digits=k % 4 == 3) for k in range(n)]


def text_pdf(letter: Letter) -> bytes:
    """The letter as a one-page PDF with a text layer."""
    from mrasla_app.documents.labels import use_font
    from mrasla_app.documents.receipt_layout import FONT_AR, FONT_LATIN, new_document

    pdf = new_document(title="letter")
    pdf.add_page(format="A4")
    pdf.set_xy(20, 20)
    for line in letter.lines:
        if letter.lang == "ar":
            use_font(pdf, FONT_AR, 12, sample=line)
            pdf.cell(170, 8, line, align="R", new_x="LMARGIN", new_y="NEXT")
        else:
            use_font(pdf, FONT_LATIN, 11, sample=line)
            pdf.cell(170, 7, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(20)
    return bytes(pdf.output())


def scan_image(letter: Letter, dpi: int = 200) -> Image.Image:
    """The letter as a scanner would see it: grey page, 1° rotation, light noise and blur."""
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    size = int(dpi * 12 / 72)
    name = "NotoNaskhArabic-Regular.ttf" if letter.lang == "ar" else "NotoSerif-Regular.ttf"
    font = ImageFont.truetype(FONT_DIR + name, size, layout_engine=ImageFont.Layout.RAQM)
    y = int(dpi * 0.8)
    for line in letter.lines:
        if letter.lang == "ar":
            draw.text((width - int(dpi * 0.8), y), line, font=font, fill=0, direction="rtl", language="ar", anchor="ra")
        else:
            draw.text((int(dpi * 0.8), y), line, font=font, fill=0)
        y += int(size * 1.8)
    img = img.rotate(1, fillcolor=255, resample=Image.Resampling.BICUBIC)
    rng = random.Random(letter.reference)
    px = img.load()
    for _ in range(width * height // 400):
        px[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 255))
    return img.filter(ImageFilter.GaussianBlur(0.5))


def scan_pdf(letter: Letter, dpi: int = 200) -> bytes:
    """The letter as an image-only PDF page (no text layer)."""
    out = io.BytesIO()
    scan_image(letter, dpi).save(out, format="PDF", resolution=dpi)
    return out.getvalue()


def stack_pdf(parts: list[bytes], separator: bytes | None) -> bytes:
    """One PDF: ``separator``'s first page before each part (as the clerk's scanner feeds the stack)."""
    writer = PdfWriter()
    for part in parts:
        if separator is not None:
            writer.add_page(PdfReader(io.BytesIO(separator)).pages[0])
        for page in PdfReader(io.BytesIO(part)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
