"""Generated "scans" of Arabic and French letters: text rendered with the bundled Noto fonts (Pillow's
raqm layout shapes and joins Arabic, right to left), then rotated, speckled and blurred like a page
through an office scanner. Used by the OCR tests and ``bench/ocr.py``."""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = Path(__file__).resolve().parents[1] / "assets" / "fonts"
DPI = 300
A4 = (2480, 3508)  # pixels at 300 dpi
SIZE = 50  # 12 pt at 300 dpi

ARABIC_LETTER = [
    "المملكة المغربية",
    "وزارة الاقتصاد والمالية",
    "الموضوع: طلب الإعفاء من الضريبة على القيمة المضافة",
    "سلام تام بوجود مولانا الإمام،",
    "وبعد، يشرفني أن أطلب منكم الإعفاء للضريبة المستحقة",
    "على الشركة برسم سنة 2026، نظرا لعدم الخضوع",
    "لأحكام المدونة العامة للضرائب.",
    "وتقبلوا فائق التقدير والاحترام.",
]
FRENCH_LETTER = [
    "Royaume du Maroc",
    "Objet : réclamation relative aux dégâts des eaux",
    "Monsieur le Directeur,",
    "J'ai l'honneur de vous adresser une réclamation concernant",
    "les dégâts causés par la canalisation municipale rompue",
    "devant notre immeuble le 12 novembre 2026.",
    "Veuillez agréer l'expression de ma haute considération.",
    "Karim El Fassi",
]


def render(lines: list[str], *, arabic: bool, rotate: float = 1.5, noise: float = 0.004, seed: int = 7) -> Image.Image:
    """A grayscale A4 page at 300 dpi holding ``lines``, rotated by ``rotate`` degrees, with a fraction
    ``noise`` of salt-and-pepper pixels and a light blur."""
    page = Image.new("L", A4, 255)
    draw = ImageDraw.Draw(page)
    name = "NotoNaskhArabic-Regular.ttf" if arabic else "NotoSans-Regular.ttf"
    font = ImageFont.truetype(str(FONTS / name), SIZE, layout_engine=ImageFont.Layout.RAQM)
    y = 300
    for line in lines:
        if arabic:
            draw.text((A4[0] - 250, y), line, font=font, fill=0, direction="rtl", language="ar", anchor="ra")
        else:
            draw.text((250, y), line, font=font, fill=0, language="fr")
        y += int(SIZE * 2)
    page = page.rotate(rotate, resample=Image.BICUBIC, expand=False, fillcolor=255)
    rng = random.Random(seed)
    pixels = page.load()
    for _ in range(int(A4[0] * A4[1] * noise)):
        pixels[rng.randrange(A4[0]), rng.randrange(A4[1])] = rng.choice((0, 255))
    return page.filter(ImageFilter.GaussianBlur(0.6))


def png(page: Image.Image) -> bytes:
    out = io.BytesIO()
    page.save(out, format="PNG", optimize=False)
    return out.getvalue()


def image_pdf(pages: list[Image.Image]) -> bytes:
    """An image-only PDF (no text layer), as a scanner writes it."""
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=DPI)
    return out.getvalue()
